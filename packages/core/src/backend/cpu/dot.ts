import type { ShapedArray } from '../../aval.js';
import { sizeOf } from '../../shape.js';
import { wasmDotGeneral } from '../wasm/dot.js';
import { arrangeOperand } from './layout.js';
import { recycle, takeTyped } from './pool.js';
import type { CpuRoutines } from './routine.js';
import { matmulBatched } from './threads.js';

/**
 * A k-major operand is read in place only when the other side has at most this many free rows:
 * then a transposed copy would cost as much as the product (vector-matrix products run 2-3× faster
 * in place). For larger products the kernel's strided k-major reads (a new cache line and often a
 * new page per k) lose more than the copy costs (measured: 1.2 vs 1.9 GFLOP/s at 16×1024×1024).
 */
const K_MAJOR_MAX = 8;

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
    const lhs = arrangeOperand(x!, a!, batch[0], contracting[0], N <= K_MAJOR_MAX);
    const rhs = arrangeOperand(y!, b!, batch[1], contracting[1], M <= K_MAJOR_MAX);
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
