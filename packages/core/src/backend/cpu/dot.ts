import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import { sizeOf, stridesOf } from '../../shape.js';
import type { CpuKernels } from './kernel.js';
import { recycle, takeTyped } from './pool.js';
import { stridedMove } from './strided.js';
import { matmulBatched } from './threads.js';

/** Lays `x` out as [batch..., free..., contracting...] (copying only when the order differs). */
function arrange(x: TypedArray, a: ShapedArray, batch: readonly number[], contracting: readonly number[]): TypedArray {
  const free = a.shape.map((_, i) => i).filter((i) => !batch.includes(i) && !contracting.includes(i));
  const perm = [...batch, ...free, ...contracting];
  if (perm.every((p, i) => p === i)) return x;
  const s = stridesOf(a.shape);
  const shape = perm.map((p) => a.shape[p] as number);
  const dst = takeTyped(a.dtype, a.size, true);
  stridedMove(
    x,
    0,
    perm.map((p) => s[p] as number),
    dst,
    0,
    stridesOf(shape),
    shape,
  );
  return dst;
}

export const dotKernels: CpuKernels = {
  dot_general: ([x, y], [a, b], [out], { contracting, batch }) => {
    const lhs = arrange(x!, a!, batch[0], contracting[0]);
    const rhs = arrange(y!, b!, batch[1], contracting[1]);
    const freeSize = (v: ShapedArray, bd: readonly number[], cd: readonly number[]) => sizeOf(v.shape.filter((_, i) => !bd.includes(i) && !cd.includes(i)));
    const B = sizeOf(batch[0].map((d) => a!.shape[d] as number));
    const K = sizeOf(contracting[0].map((d) => a!.shape[d] as number));
    const M = freeSize(a!, batch[0], contracting[0]);
    const N = freeSize(b!, batch[1], contracting[1]);
    const dst = takeTyped(out!.dtype, out!.size, K > 0);
    if (K === 0 || out!.size === 0) return [dst];
    matmulBatched(out!.dtype, lhs, 0, rhs, 0, dst, 0, B, M, N, K);
    // the rearranged copies are scratch
    if (lhs !== x) recycle(lhs);
    if (rhs !== y) recycle(rhs);
    return [dst];
  },
};
