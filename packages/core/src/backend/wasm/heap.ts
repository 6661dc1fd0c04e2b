// The CPU backend's arrays live in one shared WebAssembly memory, so WebAssembly kernels read and
// write them in place (no copies in or out) while JavaScript kernels and routines see ordinary
// typed arrays: views of that memory. Shared, because growing a shared memory never detaches the
// views already handed out (growing an unshared one would). Where shared memory is unavailable
// (a browser page without cross-origin isolation) or the heap is full, arrays are plain typed
// arrays, and WebAssembly kernels copy them through a scratch memory instead.
import type { DType, TypedArray } from '../../dtype.js';
import { wasmEnabled } from './engine.js';
import { wasmFeatures } from './features.js';

const PAGE = 65536;
/**
 * The most the heap may grow to (256 MiB): beyond it arrays are plain typed arrays. It bounds what
 * arrays nobody disposed can hold: V8 counts plain typed arrays towards its collection pressure,
 * not views of a WebAssembly memory, so garbage accumulates in the heap until new arrays spill
 * into plain ones and the collector runs (its callbacks then free the blocks).
 */
const MAX_PAGES = 4096;
/** Blocks are 16-aligned and followed by 16 readable bytes (SIMD loads may read past a row's end). */
const SLACK = 16;

const CONSTRUCTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;

/** The block size serving `bytes`: the next of 2^k·{1, 1.25, 1.5, 1.75} (at most a quarter wasted), so similar sizes share blocks. */
function blockSize(bytes: number): number {
  const need = Math.max(64, bytes + SLACK);
  const p = 2 ** Math.floor(Math.log2(need));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const size = Math.ceil((p * f) / 16) * 16;
    if (size >= need) return size;
  }
  return 2 * p;
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** The memory's buffer objects (a new one after each growth), to recognise its views. */
  readonly #buffers = new WeakSet<ArrayBufferLike>();
  readonly #free = new Map<number, number[]>();
  /** Block size of each allocated block, by offset. */
  readonly #sizes = new Map<number, number>();
  #top = SLACK;
  #inUse = 0;

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.#buffers.add(memory.buffer);
  }

  /** A view of a block for `size` elements of `dtype` (zero-filled unless `uninitialized`), or null when the heap is full. */
  take(dtype: DType, size: number, uninitialized: boolean): TypedArray | null {
    const C = CONSTRUCTORS[dtype];
    const bytes = blockSize(size * C.BYTES_PER_ELEMENT);
    const list = this.#free.get(bytes);
    let offset = list?.pop();
    const reused = offset !== undefined;
    if (offset === undefined) {
      offset = this.#top;
      const end = offset + bytes;
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        const pages = Math.ceil((end - have) / PAGE);
        if (have / PAGE + pages > MAX_PAGES) return null;
        try {
          this.memory.grow(pages);
        } catch {
          return null; // the runtime refused the memory
        }
        this.#buffers.add(this.memory.buffer);
      }
      this.#top = end;
    }
    this.#sizes.set(offset, bytes);
    this.#inUse += bytes;
    const view = new C(this.memory.buffer, offset, size);
    if (reused && !uninitialized) view.fill(0);
    return view;
  }

  /** Whether `a` is a view of this heap. */
  owns(a: TypedArray): boolean {
    return this.#buffers.has(a.buffer);
  }

  /** Returns the block under `a` (a view from {@link WasmHeap.take}) for reuse. */
  release(a: TypedArray): void {
    this.releaseAt(a.byteOffset);
  }

  /** Returns the block at `offset` for reuse (for a view that is gone, e.g. garbage collected). */
  releaseAt(offset: number): void {
    const bytes = this.#sizes.get(offset);
    if (bytes === undefined) throw new Error(`internal: heap block ${offset} released twice or never taken`);
    this.#sizes.delete(offset);
    this.#inUse -= bytes;
    let list = this.#free.get(bytes);
    if (list === undefined) {
      list = [];
      this.#free.set(bytes, list);
    }
    list.push(offset);
  }

  /** Bytes in blocks now in use, and the memory's size. */
  stats(): { inUse: number; size: number } {
    return { inUse: this.#inUse, size: this.memory.buffer.byteLength };
  }
}

let heap: WasmHeap | null | undefined;
let takingNew = true;

/**
 * Whether new CPU arrays go to the heap (tests and benchmarks compare with plain typed arrays);
 * returns the previous setting. Arrays already in the heap stay there.
 */
export function setWasmHeapEnabled(on: boolean): boolean {
  const previous = takingNew;
  takingNew = on;
  return previous;
}

/** The heap to take a new array from, or null (none, or turned off). */
export function heapForNewArrays(): WasmHeap | null {
  return takingNew ? wasmHeap() : null;
}

/** The process's heap, or null where WebAssembly kernels are off or shared memory is unavailable. */
export function wasmHeap(): WasmHeap | null {
  if (heap !== undefined) return heap;
  heap = null;
  if (wasmEnabled() && wasmFeatures().simd && wasmFeatures().sharedMemory) {
    try {
      heap = new WasmHeap(new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true }));
    } catch {
      heap = null;
    }
  }
  return heap;
}

/** The memory import that kernels running on the heap declare. */
export const HEAP_MEMORY = { module: 'env', name: 'memory', initial: 16, maximum: MAX_PAGES, shared: true } as const;
