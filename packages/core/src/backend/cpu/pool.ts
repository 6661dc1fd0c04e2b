import { allocTyped, type DType, type TypedArray, type TypedArrayFor } from '../../dtype.js';
import { heapForNewArrays, wasmHeap } from '../wasm/heap.js';

/**
 * Recycles large typed arrays. A fresh large allocation costs page faults on first touch (about
 * as much as writing it twice), and eager training allocates the same sizes every step; released
 * buffers of at least MIN_BYTES wait here, keyed by type and length, up to capacityBytes (256 MiB) in all (the
 * sizes released longest ago make room for new ones).
 */
const MIN_BYTES = 64 * 1024;
let capacityBytes = 256 * 1024 * 1024;

const free = new Map<string, TypedArray[]>();
let pooledBytes = 0;

const key = (dtype: DType, size: number): string => `${dtype}:${size}`;

function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

/**
 * A typed array of `size` elements: zero-filled unless `uninitialized` (for kernels that write
 * every element). It is a view of the WebAssembly heap where there is one and it has room.
 */
export function takeTyped<D extends DType>(dtype: D, size: number, uninitialized = false): TypedArrayFor<D> {
  const inHeap = size > 0 ? heapForNewArrays()?.take(dtype, size, uninitialized) : null;
  if (inHeap) return inHeap as TypedArrayFor<D>;
  const k = key(dtype, size);
  const list = free.get(k);
  const reused = list?.pop();
  if (reused === undefined) return allocTyped(dtype, size);
  if (list?.length === 0) free.delete(k); // the key map holds only sizes that have buffers
  pooledBytes -= reused.byteLength;
  if (!uninitialized) reused.fill(0);
  return reused as TypedArrayFor<D>;
}

/**
 * Drops pooled buffers until at most `bytes` remain, the sizes released longest ago first (the
 * Map keeps keys in insertion order), so a workload whose sizes change is not stuck with old ones.
 */
function evictTo(bytes: number): void {
  for (const [k, list] of free) {
    if (pooledBytes <= bytes) return;
    while (list.length > 0 && pooledBytes > bytes) pooledBytes -= (list.pop() as TypedArray).byteLength;
    if (list.length === 0) free.delete(k);
  }
}

/** Hands back an array nobody references any more (a released buffer or a kernel's scratch). */
export function recycle(a: TypedArray): void {
  const heap = wasmHeap();
  if (heap?.owns(a)) {
    heap.release(a);
    return;
  }
  if (a.byteLength < MIN_BYTES || a.byteLength > capacityBytes || a.byteOffset !== 0 || a.buffer.byteLength !== a.byteLength) return;
  evictTo(capacityBytes - a.byteLength);
  const k = key(dtypeOf(a), a.length);
  let list = free.get(k);
  if (!list) {
    list = [];
    free.set(k, list);
  }
  list.push(a);
  pooledBytes += a.byteLength;
}

/** Sets the byte cap (tests use a small one), dropping the oldest buffers above it; returns the previous cap. */
export function setPoolCapacity(bytes: number): number {
  const previous = capacityBytes;
  capacityBytes = bytes;
  evictTo(capacityBytes);
  return previous;
}

/** Bytes held for reuse (not counted as live). */
export function pooledByteCount(): number {
  return pooledBytes;
}
