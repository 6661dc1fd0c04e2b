import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import { sizeOf, stridesOf } from '../../shape.js';
import { wasmDotGeneral } from '../wasm/dot.js';
import { recycle, takeTyped } from './pool.js';
import type { CpuRoutines } from './routine.js';
import { stridedMove } from './strided.js';
import { matmulBatched } from './threads.js';

/** Whether `order` visits x's dimensions in storage order, ignoring size-1 dimensions (which take no room). */
function inStorageOrder(a: ShapedArray, order: readonly number[]): boolean {
  let last = -1;
  for (const d of order) {
    if (a.shape[d] === 1) continue;
    if (d < last) return false;
    last = d;
  }
  return true;
}

/**
 * A k-major operand is read in place only when the other side has at most this many free rows:
 * then a transposed copy would cost as much as the product (vector-matrix products run 2-3× faster
 * in place). For larger products the kernel's strided k-major reads (a new cache line and often a
 * new page per k) lose more than the copy costs (measured: 1.2 vs 1.9 GFLOP/s at 16×1024×1024).
 */
const K_MAJOR_MAX = 8;

/**
 * An operand as the matmul kernel reads it: [batch..., free..., contracting...] ('free-major') or,
 * when the other operand has few free rows, [batch..., contracting..., free...] ('k-major'),
 * whichever its storage already is; otherwise a copy in free-major order. `otherFree` is the
 * other operand's free size (N for the lhs, M for the rhs).
 */
function arrange(
  x: TypedArray,
  a: ShapedArray,
  batch: readonly number[],
  contracting: readonly number[],
  otherFree: number,
): { data: TypedArray; kMajor: boolean } {
  const free = a.shape.map((_, i) => i).filter((i) => !batch.includes(i) && !contracting.includes(i));
  const freeMajor = [...batch, ...free, ...contracting];
  if (inStorageOrder(a, freeMajor)) return { data: x, kMajor: false };
  if (otherFree <= K_MAJOR_MAX && inStorageOrder(a, [...batch, ...contracting, ...free])) return { data: x, kMajor: true };
  const s = stridesOf(a.shape);
  const shape = freeMajor.map((p) => a.shape[p] as number);
  const dst = takeTyped(a.dtype, a.size, true);
  stridedMove(
    x,
    0,
    freeMajor.map((p) => s[p] as number),
    dst,
    0,
    stridesOf(shape),
    shape,
  );
  return { data: dst, kMajor: false };
}

export const dotRoutines: CpuRoutines = {
  dot_general: ([x, y], [a, b], [out], { contracting, batch }) => {
    // large float32 products run on the WebAssembly SIMD matmul where the runtime has it
    const wasm = wasmDotGeneral(x!, y!, a!, b!, out!, batch, contracting);
    if (wasm) return [wasm];
    const freeSize = (v: ShapedArray, bd: readonly number[], cd: readonly number[]) => sizeOf(v.shape.filter((_, i) => !bd.includes(i) && !cd.includes(i)));
    const B = sizeOf(batch[0].map((d) => a!.shape[d] as number));
    const K = sizeOf(contracting[0].map((d) => a!.shape[d] as number));
    const M = freeSize(a!, batch[0], contracting[0]);
    const N = freeSize(b!, batch[1], contracting[1]);
    const lhs = arrange(x!, a!, batch[0], contracting[0], N);
    const rhs = arrange(y!, b!, batch[1], contracting[1], M);
    const dst = takeTyped(out!.dtype, out!.size, K > 0);
    if (K > 0 && out!.size > 0) {
      matmulBatched(out!.dtype, lhs.data, 0, rhs.data, 0, dst, 0, B, M, N, K, { a: lhs.kMajor ? 'km' : 'mk', b: rhs.kMajor ? 'kn' : 'nk' });
    }
    // the rearranged copies are scratch
    if (lhs.data !== x) recycle(lhs.data);
    if (rhs.data !== y) recycle(rhs.data);
    return [dst];
  },
};
