import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import { sizeOf } from '../../shape.js';
import { arrangeOperand } from '../cpu/layout.js';
import { recycle, takeTyped } from '../cpu/pool.js';
import { wasmMatmul } from './engine.js';

/**
 * The CPU backend's float32 `dot_general` on the WebAssembly SIMD matmul: the same operands, batch
 * and contracting dimensions and result layout as the JavaScript routine (cpu/dot.ts), which stays
 * the path for float64, int32, small products and runtimes without WebAssembly SIMD.
 *
 * The JavaScript kernel accumulates each output in float64 and rounds once; this one accumulates in
 * float32 (by fused multiply-adds where the runtime has relaxed SIMD), k in order. Results agree
 * within float32 rounding scaled by the contraction length; NaN and ±Inf in the operands reach the
 * same outputs. (A product that overflows float32 mid-sum, such as 1e30·1e30 - 1e30·1e30, is ±Inf or
 * NaN here where float64 accumulation could still cancel it: float32 semantics, as in JAX on CPU.)
 */

/**
 * Below this many multiply-adds (batch·M·N·K) the JavaScript kernel is as fast: copying operands
 * in and out and padding to 6×8 tiles cost more than the SIMD saves (measured crossover on square
 * float32 products: n ≈ 16).
 */
export const WASM_MIN_WORK = 4096;

/**
 * `dot_general` of two float32 operands on the WebAssembly matmul, or null when this path does not
 * take the product (another dtype, too small, disabled, no WebAssembly SIMD): the caller then runs
 * the JavaScript kernel.
 */
export function wasmDotGeneral(
  x: TypedArray,
  y: TypedArray,
  a: ShapedArray,
  b: ShapedArray,
  out: ShapedArray,
  batch: readonly [readonly number[], readonly number[]],
  contracting: readonly [readonly number[], readonly number[]],
): Float32Array | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || out.dtype !== 'float32') return null;
  if (!(x instanceof Float32Array) || !(y instanceof Float32Array)) return null;
  const free = (v: ShapedArray, bd: readonly number[], cd: readonly number[]) => sizeOf(v.shape.filter((_, i) => !bd.includes(i) && !cd.includes(i)));
  const B = sizeOf(batch[0].map((d) => a.shape[d] as number));
  const K = sizeOf(contracting[0].map((d) => a.shape[d] as number));
  const M = free(a, batch[0], contracting[0]);
  const N = free(b, batch[1], contracting[1]);
  if (K === 0 || out.size === 0 || B * M * N * K < WASM_MIN_WORK) return null;
  const run = wasmMatmul();
  if (!run) return null;
  // panels are packed from either layout, so k-major storage is always read in place
  const lhs = arrangeOperand(x, a, batch[0], contracting[0], true) as { data: Float32Array; kMajor: boolean };
  const rhs = arrangeOperand(y, b, batch[1], contracting[1], true) as { data: Float32Array; kMajor: boolean };
  const dst = takeTyped('float32', out.size, true);
  let ran = false;
  try {
    ran = run(lhs.data, rhs.data, dst, B, M, N, K, { a: lhs.kMajor ? 'km' : 'mk', b: rhs.kMajor ? 'kn' : 'nk' });
  } finally {
    if (lhs.data !== x) recycle(lhs.data);
    if (rhs.data !== y) recycle(rhs.data);
    if (!ran) recycle(dst);
  }
  // too large for WebAssembly memory (2 GiB): the JavaScript kernel takes it
  return ran ? dst : null;
}
