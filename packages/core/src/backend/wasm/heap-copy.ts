// Copies between arrays of the process heap by WebAssembly's memory.copy. A TypedArray copy between
// two views of a shared buffer (dst.set(src.subarray(...))) is an element-by-element relaxed atomic
// copy in V8; memory.copy is a plain memmove: measured 13 µs against 55 µs for 627 KB, and the
// MNIST batch gather (200 rows of 784 floats) three times faster.
import type { TypedArray } from '../../dtype.js';
import { ModuleBuilder } from './emitter.js';
import { HEAP_MAX_PAGES, wasmHeap } from './heap.js';

type Copy = (dst: number, src: number, bytes: number) => void;

let copier: Copy | null | undefined;

/** memory.copy on the heap's memory, or null where there is no heap (or no WebAssembly). */
function heapCopier(): Copy | null {
  if (copier !== undefined) return copier;
  copier = null;
  const heap = wasmHeap();
  if (heap === null) return null;
  try {
    const m = new ModuleBuilder();
    m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: HEAP_MAX_PAGES, shared: true });
    const f = m.func('copy', ['i32', 'i32', 'i32']);
    f.get(f.param(0, 'i32')).get(f.param(1, 'i32')).get(f.param(2, 'i32')).memoryCopy();
    const instance = new WebAssembly.Instance(new WebAssembly.Module(m.toBytes() as BufferSource), { env: { memory: heap.memory } });
    copier = instance.exports.copy as Copy;
  } catch {
    copier = null;
  }
  return copier;
}

/**
 * A copier of ranges from `src` to `dst` (arrays of one element type): `copy(at, from, count)` sets
 * `dst[at .. at + count)` to `src[from .. from + count)`, by memory.copy when both are views of the
 * heap, else by a TypedArray copy. Resolve it once per pair of arrays, outside a loop of copies.
 */
export function elementCopier(dst: TypedArray, src: TypedArray): (at: number, from: number, count: number) => void {
  const heap = wasmHeap();
  const both = heap?.owns(dst) === true && heap.owns(src) && dst.BYTES_PER_ELEMENT === src.BYTES_PER_ELEMENT;
  const copy = both ? heapCopier() : null;
  if (copy !== null) {
    const size = dst.BYTES_PER_ELEMENT;
    const d = dst.byteOffset;
    const s = src.byteOffset;
    return (at, from, count) => copy(d + at * size, s + from * size, count * size);
  }
  return (at, from, count) => (dst as Float32Array).set((src as Float32Array).subarray(from, from + count), at);
}

/** One range copied (see {@link elementCopier}). */
export function copyElements(dst: TypedArray, at: number, src: TypedArray, from: number, count: number): void {
  elementCopier(dst, src)(at, from, count);
}
