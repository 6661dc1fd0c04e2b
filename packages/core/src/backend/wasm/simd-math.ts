// Transcendental functions in four float32 lanes for the WebAssembly kernels (render-wasm.ts),
// after Cephes' expf and tanhf: WebAssembly has no instruction for them. Each leaves its result
// on the operand stack of the function being written.
import type { FunctionBuilder, Local } from './emitter.js';

const splat = (f: FunctionBuilder, v: number) => f.f32Const(v).simd('f32x4.splat');

/**
 * e^x in four float32 lanes, within 2 ulps (Cephes' expf): x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2
 * in two parts, so r is exact), e^r by a degree-7 polynomial, 2^n applied in two halves so that
 * results in the subnormal range round once and overflow gives +inf. NaN propagates; x is clamped
 * to [-104, 89] first (beyond them e^x is 0 or +inf in float32). Leaves the result on the stack.
 */
export function expF32(f: FunctionBuilder, x: Local<'v128'>): void {
  const t = f.local('v128');
  const n = f.local('v128');
  const r = f.local('v128');
  const p = f.local('v128');
  // t = clamp(x); n = round(t·log2 e)
  f.get(x);
  splat(f, 89).simd('f32x4.min');
  splat(f, -104).simd('f32x4.max').set(t);
  f.get(t);
  splat(f, Math.LOG2E).simd('f32x4.mul').simd('f32x4.nearest').set(n);
  // r = t - n·ln2_hi - n·ln2_lo
  f.get(t).get(n);
  splat(f, 0.693359375).simd('f32x4.mul').simd('f32x4.sub').get(n);
  splat(f, -2.1219444e-4).simd('f32x4.mul').simd('f32x4.sub').set(r);
  // p = 1 + r + r²·(c0 + r·(c1 + ...))
  splat(f, 1.98756915e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) {
    f.get(r).simd('f32x4.mul');
    splat(f, c).simd('f32x4.add');
  }
  f.get(r).get(r).simd('f32x4.mul').simd('f32x4.mul').get(r).simd('f32x4.add');
  splat(f, 1).simd('f32x4.add').set(p);
  // 2^n as 2^(n>>1) · 2^(n - (n>>1)): exponent bits (k + 127) << 23
  const k = f.local('v128');
  const h = f.local('v128');
  f.get(n).simd('i32x4.trunc_sat_f32x4_s').set(k);
  f.get(k).i32Const(1).simd('i32x4.shr_s').set(h);
  f.get(p);
  f.get(h).i32Const(127).simd('i32x4.splat').simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul');
  f.get(k).get(h).simd('i32x4.sub').i32Const(127).simd('i32x4.splat').simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul');
}

/**
 * tanh in four float32 lanes, within 2 ulps (Cephes' tanhf): on a = |x|, an odd polynomial below
 * 0.625 and 1 - 2/(e^(2a) + 1) above (1 for large a: e^(2a) overflows to +inf), then x's sign
 * (so tanh(-0) is -0). NaN propagates. Leaves the result on the stack.
 */
export function tanhF32(f: FunctionBuilder, x: Local<'v128'>): void {
  const a = f.local('v128');
  const z = f.local('v128');
  const small = f.local('v128');
  const e = f.local('v128');
  const sign = f.local('v128');
  f.i32Const(-0x80000000).simd('i32x4.splat').set(sign);
  f.get(x).simd('f32x4.abs').set(a);
  // below 0.625: a + a·z·P(z), z = a²
  f.get(a).get(a).simd('f32x4.mul').set(z);
  splat(f, -5.70498872745e-3);
  for (const c of [2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]) {
    f.get(z).simd('f32x4.mul');
    splat(f, c).simd('f32x4.add');
  }
  f.get(z).simd('f32x4.mul').get(a).simd('f32x4.mul').get(a).simd('f32x4.add').set(small);
  // above: 1 - 2 / (e^(2a) + 1)
  f.get(a).get(a).simd('f32x4.add').set(e);
  expF32(f, e);
  splat(f, 1).simd('f32x4.add').set(e);
  splat(f, 1);
  splat(f, 2).get(e).simd('f32x4.div').simd('f32x4.sub').set(e);
  // pick by |x| < 0.625 (NaN: the polynomial, which keeps it), then x's sign bit
  f.get(small).get(e).get(a);
  splat(f, 0.625).simd('f32x4.lt');
  f.get(a).get(a).simd('f32x4.ne').simd('v128.or');
  f.simd('v128.bitselect');
  f.get(x).get(sign).simd('v128.and').simd('v128.or');
}
