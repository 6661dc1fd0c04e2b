// Transcendental functions in four float32 lanes for the WebAssembly kernels (render-wasm.ts),
// after Cephes' expf and tanhf: WebAssembly has no instruction for them. Each leaves its result
// on the operand stack of the function being written. Written for the instructions V8 makes
// cheap on x64: clamps are pmin/pmax (one minps/maxps each, where min/max's NaN and -0 rules cost
// several), and n = round(x·log2 e) comes from adding 1.5·2^23 (the float's low bits then hold n)
// rather than nearest + a saturating conversion.
import type { FunctionBuilder, Local } from './emitter.js';

const splat = (f: FunctionBuilder, v: number) => f.f32Const(v).simd('f32x4.splat');

/** 1.5·2^23: adding it to |v| < 2^22 rounds v to an integer (ties to even), held in the low mantissa bits. */
const ROUNDER = 12582912;

/**
 * Leaves acc·r + c on the stack, for acc already on it: fused where `fma` (relaxed SIMD's madd,
 * a single rounding), else a multiply and an add.
 */
function madd(f: FunctionBuilder, r: Local<'v128'>, c: number, fma: boolean): void {
  if (fma) {
    f.get(r);
    splat(f, c).simd('f32x4.relaxed_madd');
  } else {
    f.get(r).simd('f32x4.mul');
    splat(f, c).simd('f32x4.add');
  }
}

/**
 * e^x in four float32 lanes, within 2 ulps (Cephes' expf): x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2
 * in two parts, so r is exact), e^r by a degree-7 polynomial, then 2^n. `wide` (the general case)
 * clamps x to [-104, 89] (beyond them e^x is 0 or +inf in float32) and applies 2^n in two halves,
 * so that results in the subnormal range round once and overflow gives +inf; callers that know
 * x ∈ [-87, 88] pass false and skip both. NaN propagates. Leaves the result on the stack.
 */
export function expF32(f: FunctionBuilder, x: Local<'v128'>, { wide = true, fma = false }: { wide?: boolean; fma?: boolean } = {}): void {
  const t = f.local('v128');
  const z = f.local('v128');
  const n = f.local('v128');
  const r = f.local('v128');
  // t = clamp(x) (pmin/pmax keep a NaN: it is their first operand)
  f.get(x);
  if (wide) {
    splat(f, 89).simd('f32x4.pmin');
    splat(f, -104).simd('f32x4.pmax');
  }
  f.set(t);
  // z = t·log2 e + 1.5·2^23 holds n = round(t·log2 e) in its low bits; n = z - 1.5·2^23 exactly
  f.get(t);
  splat(f, Math.LOG2E).simd('f32x4.mul');
  splat(f, ROUNDER).simd('f32x4.add').set(z);
  f.get(z);
  splat(f, ROUNDER).simd('f32x4.sub').set(n);
  // r = t - n·ln2_hi - n·ln2_lo
  f.get(t).get(n);
  splat(f, 0.693359375).simd('f32x4.mul').simd('f32x4.sub').get(n);
  splat(f, -2.1219444e-4).simd('f32x4.mul').simd('f32x4.sub').set(r);
  // p = 1 + r + r²·(c0 + r·(c1 + ...))
  splat(f, 1.98756915e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) madd(f, r, c, fma);
  f.get(r).get(r).simd('f32x4.mul').simd('f32x4.mul').get(r).simd('f32x4.add');
  splat(f, 1).simd('f32x4.add');
  // k = n as an int32: z's bits minus the rounder's; 2^k has exponent bits (k + 127) << 23
  const k = f.local('v128');
  f.get(z).i32Const(0x4b400000).simd('i32x4.splat').simd('i32x4.sub').set(k);
  if (!wide) {
    f.get(k).i32Const(127).simd('i32x4.splat').simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul');
    return;
  }
  // 2^k as 2^(k>>1) · 2^(k - (k>>1))
  const h = f.local('v128');
  f.get(k).i32Const(1).simd('i32x4.shr_s').set(h);
  f.get(h).i32Const(127).simd('i32x4.splat').simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul');
  f.get(k).get(h).simd('i32x4.sub').i32Const(127).simd('i32x4.splat').simd('i32x4.add').i32Const(23).simd('i32x4.shl').simd('f32x4.mul');
}

/**
 * tanh in four float32 lanes, within 2 ulps (Cephes' tanhf): on a = |x|, an odd polynomial below
 * 0.625 and 1 - 2/(e^(2a) + 1) above, with a taken at most 10 there (tanh rounds to 1 in float32
 * from 9.02 on, and e^20 needs neither of exp's wide cases), then x's sign (so tanh(-0) is -0). NaN
 * propagates (through the polynomial). Leaves the result on the stack.
 */
export function tanhF32(f: FunctionBuilder, x: Local<'v128'>, { fma = false }: { fma?: boolean } = {}): void {
  const a = f.local('v128');
  const z = f.local('v128');
  const small = f.local('v128');
  const e = f.local('v128');
  f.get(x).simd('f32x4.abs').set(a);
  // below 0.625: a + a·z·P(z), z = a²
  f.get(a).get(a).simd('f32x4.mul').set(z);
  splat(f, -5.70498872745e-3);
  for (const c of [2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]) madd(f, z, c, fma);
  f.get(z).simd('f32x4.mul').get(a).simd('f32x4.mul').get(a).simd('f32x4.add').set(small);
  // above: 1 - 2 / (e^(2·min(a, 10)) + 1)
  f.get(a);
  splat(f, 10).simd('f32x4.pmin');
  f.set(e);
  f.get(e).get(e).simd('f32x4.add').set(e);
  expF32(f, e, { wide: false, fma });
  splat(f, 1).simd('f32x4.add').set(e);
  splat(f, 1);
  splat(f, 2).get(e).simd('f32x4.div').simd('f32x4.sub').set(e);
  // pick by |x| < 0.625 (NaN: the polynomial, which keeps it), then x's sign bit
  f.get(small).get(e).get(a);
  splat(f, 0.625).simd('f32x4.lt');
  f.get(a).get(a).simd('f32x4.ne').simd('v128.or');
  f.simd('v128.bitselect');
  f.get(x).i32Const(-0x80000000).simd('i32x4.splat').simd('v128.and').simd('v128.or');
}
