// WGSL helper functions the renderer calls, each written so that the element semantics of the
// kernel IR (core's kernel/exp.ts) hold on any conforming WebGPU implementation. The traps:
// - WGSL has no infinity or NaN literal, and a constant expression that overflows is a shader
//   creation error, so inf and NaN come from the bits in the vars uniform (slots 0 and 1), which the
//   compiler cannot fold;
// - compilers may assume floats are never NaN or infinite (x != x may fold to false, min/max and
//   builtins outside their domain are indeterminate), so NaN is tested on the bit pattern and every
//   builtin whose edge cases matter is guarded;
// - i32 division by zero gives the dividend, shifts take their count mod 32, float→int conversion
//   of NaN is indeterminate, pow of a negative base is undefined: all defined here as the IR says.

/** One helper: its WGSL source and the helpers it calls. */
interface Helper {
  readonly deps: readonly string[];
  readonly code: string;
}

const H: Record<string, Helper> = {
  f_inf: { deps: [], code: 'fn f_inf() -> f32 { return bitcast<f32>(U.v[0].x); }' },
  f_nan: { deps: [], code: 'fn f_nan() -> f32 { return bitcast<f32>(U.v[0].y); }' },
  f_isnan: { deps: [], code: 'fn f_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }' },
  f_isinf: { deps: [], code: 'fn f_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }' },
  f_iszero: { deps: [], code: 'fn f_iszero(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0u; }' },
  // comparisons are false when either side is NaN (ne: true)
  f_eq: { deps: ['f_isnan'], code: 'fn f_eq(a: f32, b: f32) -> bool { return !f_isnan(a) && !f_isnan(b) && a == b; }' },
  f_lt: { deps: ['f_isnan'], code: 'fn f_lt(a: f32, b: f32) -> bool { return !f_isnan(a) && !f_isnan(b) && a < b; }' },
  f_le: { deps: ['f_isnan'], code: 'fn f_le(a: f32, b: f32) -> bool { return !f_isnan(a) && !f_isnan(b) && a <= b; }' },
  f_div: {
    deps: ['f_iszero', 'f_isnan', 'f_nan'],
    code: `fn f_div(a: f32, b: f32) -> f32 {
  if (f_iszero(b)) {
    if (f_iszero(a) || f_isnan(a)) { return f_nan(); }
    return bitcast<f32>(((bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u) | 0x7f800000u);
  }
  return a / b;
}`,
  },
  // C's fmod, exact: long division on the significands (musl's fmodf)
  f_rem: {
    deps: ['f_nan', 'f_isnan'],
    code: `fn f_rem(x: f32, y: f32) -> f32 {
  var ux = bitcast<u32>(x);
  var uy = bitcast<u32>(y);
  var ex = i32((ux >> 23u) & 0xffu);
  var ey = i32((uy >> 23u) & 0xffu);
  let sx = ux & 0x80000000u;
  if ((uy << 1u) == 0u || f_isnan(y) || ex == 0xff) { return f_nan(); }
  if ((ux << 1u) <= (uy << 1u)) {
    if ((ux << 1u) == (uy << 1u)) { return bitcast<f32>(sx); }
    return x;
  }
  if (ex == 0) {
    var i = ux << 9u;
    while ((i >> 31u) == 0u) { ex -= 1; i <<= 1u; }
    ux <<= u32(-ex + 1);
  } else {
    ux &= 0x007fffffu;
    ux |= 0x00800000u;
  }
  if (ey == 0) {
    var i = uy << 9u;
    while ((i >> 31u) == 0u) { ey -= 1; i <<= 1u; }
    uy <<= u32(-ey + 1);
  } else {
    uy &= 0x007fffffu;
    uy |= 0x00800000u;
  }
  while (ex > ey) {
    let i = ux - uy;
    if ((i >> 31u) == 0u) {
      if (i == 0u) { return bitcast<f32>(sx); }
      ux = i;
    }
    ux <<= 1u;
    ex -= 1;
  }
  let i = ux - uy;
  if ((i >> 31u) == 0u) {
    if (i == 0u) { return bitcast<f32>(sx); }
    ux = i;
  }
  while ((ux >> 23u) == 0u) { ux <<= 1u; ex -= 1; }
  if (ex > 0) {
    ux -= 0x00800000u;
    ux |= u32(ex) << 23u;
  } else {
    ux >>= u32(-ex + 1);
  }
  return bitcast<f32>(ux | sx);
}`,
  },
  // NaN propagates; on equal values (signed zeros) max prefers +0 and min -0, as Math.max/min
  f_max: {
    deps: ['f_isnan', 'f_nan'],
    code: `fn f_max(a: f32, b: f32) -> f32 {
  if (f_isnan(a) || f_isnan(b)) { return f_nan(); }
  if (a == b) { return bitcast<f32>(bitcast<u32>(a) & bitcast<u32>(b)); }
  return select(b, a, a > b);
}`,
  },
  f_min: {
    deps: ['f_isnan', 'f_nan'],
    code: `fn f_min(a: f32, b: f32) -> f32 {
  if (f_isnan(a) || f_isnan(b)) { return f_nan(); }
  if (a == b) { return bitcast<f32>(bitcast<u32>(a) | bitcast<u32>(b)); }
  return select(b, a, a < b);
}`,
  },
  // |x| with the sign of s, on the bits
  f_copysign: {
    deps: [],
    code: 'fn f_copysign(x: f32, s: f32) -> f32 { return bitcast<f32>((bitcast<u32>(x) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u)); }',
  },
  f_abs: { deps: [], code: 'fn f_abs(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu); }' },
  // the identity, hidden from the compiler (slot 3 of the uniform is 0)
  f_id: { deps: [], code: 'fn f_id(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ bitcast<u32>(U.v[0].w)); }' },
  // 1.0 the compiler cannot see (slot 2 of the uniform), where a rounding must not be folded away
  f_one: { deps: [], code: 'fn f_one() -> f32 { return bitcast<f32>(U.v[0].z); }' },
  // 2^k for k in [-126, 127], from its bits
  f_pow2i: { deps: [], code: 'fn f_pow2i(k: i32) -> f32 { return bitcast<f32>(u32(k + 127) << 23u); }' },
  // exp(r) - 1 for |r| <= ln2/2 (Taylor to r^9, below half an ulp there)
  f_expm1_small: {
    deps: [],
    code: `fn f_expm1_small(r: f32) -> f32 {
  let p = 0.5f + r * (0.16666667f + r * (0.041666668f + r * (0.008333334f + r * (0.0013888889f + r * (0.0001984127f + r * (2.4801588e-5f + r * (2.7557319e-6f + r * 2.7557319e-7f)))))));
  return r + r * r * p;
}`,
  },
  // the builtins' accuracy is loose (WGSL allows 3 + 2|x| ulp for exp); reduce x = k ln2 + r and scale by 2^k
  f_exp: {
    deps: ['f_isnan', 'f_inf', 'f_expm1_small', 'f_pow2i'],
    code: `fn f_exp(x: f32) -> f32 {
  if (f_isnan(x)) { return x; }
  if (x > 88.72284f) { return f_inf(); }
  if (x < -103.97209f) { return 0.0f; }
  let k = round(x * 1.4426950f);
  let r = (x - k * 0.693145751953125f) - k * 1.4286068e-6f;
  let m = 1.0f + f_expm1_small(r);
  let ki = i32(k);
  if (ki > 127) { return m * 2.0f * f_pow2i(ki - 1); }
  if (ki < -126) { return m * f_pow2i(ki + 64) * 5.421011e-20f; }
  return m * f_pow2i(ki);
}`,
  },
  f_expm1: {
    deps: ['f_isnan', 'f_iszero', 'f_inf', 'f_expm1_small', 'f_pow2i'],
    code: `fn f_expm1(x: f32) -> f32 {
  if (f_isnan(x) || f_iszero(x)) { return x; }
  if (x > 88.72284f) { return f_inf(); }
  if (x < -18.0f) { return -1.0f; }
  if (abs(x) <= 0.34657359f) { return f_expm1_small(x); }
  let k = round(x * 1.4426950f);
  let r = (x - k * 0.693145751953125f) - k * 1.4286068e-6f;
  let p = f_expm1_small(r);
  let ki = i32(k);
  if (ki > 127) { return (1.0f + p) * 2.0f * f_pow2i(ki - 1); }
  let t = f_pow2i(ki);
  return (t - 1.0f) + t * p;
}`,
  },
  // log(2^k (1 + f)) for f in [sqrt(1/2) - 1, sqrt(2) - 1] (musl's logf)
  f_logk: {
    deps: [],
    code: `fn f_logk(f: f32, k: i32) -> f32 {
  let s = f / (2.0f + f);
  let z = s * s;
  let w = z * z;
  let t1 = w * (0.40000972152f + w * 0.24279078841f);
  let t2 = z * (0.66666662693f + w * 0.28498786688f);
  let hfsq = 0.5f * f * f;
  let dk = f32(k);
  return s * (hfsq + (t2 + t1)) + dk * 9.0580006145e-6f - hfsq + f + dk * 0.69313812256f;
}`,
  },
  // x = 2^k m with m in [sqrt(1/2), sqrt(2)), subnormals normalized on the bits; returns (m - 1, k)
  f_split: {
    deps: [],
    code: `struct Split { f: f32, k: i32 }
fn f_split(x: f32) -> Split {
  let bits = bitcast<u32>(x);
  var k = i32(bits >> 23u) - 127;
  var mant = bits & 0x7fffffu;
  if (k == -127) {
    let sh = countLeadingZeros(mant) - 8u;
    mant = (mant << sh) & 0x7fffffu;
    k = -126 - i32(sh);
  }
  var m = bitcast<f32>(mant | 0x3f800000u);
  if (m > 1.4142135f) {
    m = m * 0.5f;
    k = k + 1;
  }
  return Split(m - 1.0f, k);
}`,
  },
  f_log: {
    deps: ['f_isnan', 'f_iszero', 'f_isinf', 'f_nan', 'f_inf', 'f_logk', 'f_split'],
    code: `fn f_log(x: f32) -> f32 {
  if (f_isnan(x) || x < 0.0f) { return f_nan(); }
  if (f_iszero(x)) { return -f_inf(); }
  if (f_isinf(x)) { return x; }
  let s = f_split(x);
  return f_logk(s.f, s.k);
}`,
  },
  // log(1 + x): small x directly; otherwise log(u) of u = 1 + x plus the rounding of u, (x - (u - 1)) / u
  f_log1p: {
    deps: ['f_isnan', 'f_isinf', 'f_nan', 'f_inf', 'f_logk', 'f_split', 'f_one'],
    code: `fn f_log1p(x: f32) -> f32 {
  if (f_isnan(x) || x < -1.0f) { return f_nan(); }
  if (x == -1.0f) { return -f_inf(); }
  if (f_isinf(x)) { return x; }
  if (x > -0.29289323f && x < 0.41421357f) { return f_logk(x, 0); }
  let one = f_one();
  let u = x + one;
  let s = f_split(u);
  let c = select(x - (u - one), one - (u - x), s.k >= 2) / u;
  return f_logk(s.f, s.k) + c;
}`,
  },
  // tanh as x·P(x²)/Q(x²), degrees 13 and 6 (Eigen's float tanh): within 3.6e-7 relative (6 ulp
  // near ±1) of the correctly rounded value, checked at 4M points over [1e-11, 1e2]; x itself for
  // |x| < 4e-4 (exact there, ±0 kept) and ±1 past 7.905 (where the rational stops at 1 - 2.4e-7;
  // ±inf too). The builtin may lose digits near 0 or give NaN for large |x|. Branch-free and no
  // exp: on lavapipe every branch is a mask and test per SIMD group, and this costs about half of
  // tanh from expm1 (the fused tanh(1.5x+0.5)·x-1 kernel measured 1.5× faster).
  f_tanh: {
    deps: ['f_isnan', 'f_copysign'],
    code: `fn f_tanh(x: f32) -> f32 {
  let a = abs(x);
  let c = clamp(x, -7.9053111f, 7.9053111f);
  let x2 = c * c;
  var p = fma(x2, -2.76076848e-16f, 2.00018790e-13f);
  p = fma(p, x2, -8.60467152e-11f);
  p = fma(p, x2, 5.12229709e-8f);
  p = fma(p, x2, 1.48572236e-5f);
  p = fma(p, x2, 6.37261929e-4f);
  p = fma(p, x2, 4.89352456e-3f);
  var q = fma(x2, 1.19825839e-6f, 1.18534706e-4f);
  q = fma(q, x2, 2.26843463e-3f);
  q = fma(q, x2, 4.89352519e-3f);
  var v = select(c * p / q, f_copysign(1.0f, x), a > 7.9053111f);
  v = select(v, x, a < 4.0e-4f);
  return select(v, x, f_isnan(x));
}`,
  },
  f_sqrt: {
    deps: ['f_isnan', 'f_isinf', 'f_iszero', 'f_nan'],
    code: `fn f_sqrt(x: f32) -> f32 {
  if (f_isnan(x)) { return x; }
  if (f_iszero(x)) { return x; }
  if (x < 0.0f) { return f_nan(); }
  if (f_isinf(x)) { return x; }
  return sqrt(x);
}`,
  },
  // x = q pi/2 + r with |r| <= pi/4 (a little more at rounding ties), for finite x: Cephes' three-part
  // pi/4 below 8192, Payne-Hanek above (x times a 96-bit window of 2/pi's bits, in 32-bit integer
  // pieces, modulo 4 in 2.62 fixed point), so large arguments are reduced exactly
  f_trig_reduce: {
    deps: ['f_pow2i'],
    code: `struct Reduced { r: f32, q: i32 }
fn f_mul_hi(a: u32, b: u32) -> u32 {
  let p01 = (a & 0xffffu) * (b >> 16u);
  let p10 = (a >> 16u) * (b & 0xffffu);
  let mid = (((a & 0xffffu) * (b & 0xffffu)) >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return (a >> 16u) * (b >> 16u) + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
}
fn f_trig_reduce(x: f32) -> Reduced {
  let a = abs(x);
  if (a <= 8192.0f) {
    let j = round(a * 0.63661977f);
    let y = 2.0f * j;
    let r = ((a - y * 0.78515625f) - y * 2.4187564849853515625e-4f) - y * 3.77489497744594108e-8f;
    let q = i32(j);
    return Reduced(select(r, -r, x < 0.0f), select(q, -q, x < 0.0f));
  }
  // 2/pi's bits after 34 zero bits, so that the 96-bit window starting at bit e (hi:mid:lo) holds
  // the bits of (2/pi) 2^(e - 62) from 2^63 down to 2^-32 that x = ia 2^(e - 32) needs
  let T = array<u32, 8>(0x00000000u, 0x28be60dbu, 0x9391054au, 0x7f09d5f4u, 0x7d4d3770u, 0x36d8a566u, 0x4f10e410u, 0x7f9458eau);
  let bits = bitcast<u32>(a);
  let ia = ((bits & 0x007fffffu) << 8u) | 0x80000000u;
  let e0 = ((bits >> 23u) & 0xffu) - 126u;
  let i = e0 >> 5u;
  let e = e0 & 31u;
  var hi = T[i];
  var mid = T[i + 1u];
  var lo = T[i + 2u];
  let tmp = T[i + 3u];
  if (e != 0u) {
    hi = (hi << e) | (mid >> (32u - e));
    mid = (mid << e) | (lo >> (32u - e));
    lo = (lo << e) | (tmp >> (32u - e));
  }
  // p = ia * (hi:mid:lo) >> 32, modulo 2^64, in 2.62 fixed point: (H:L)
  let c = f_mul_hi(ia, lo);
  let ml = ia * mid;
  let L = ml + c;
  var H = f_mul_hi(ia, mid) + select(0u, 1u, L < c) + ia * hi;
  var q = i32(H >> 30u);
  H = H & 0x3fffffffu;
  if ((H & 0x20000000u) != 0u) {
    H = H - 0x40000000u;
    q = q + 1;
  }
  // the signed 64-bit fraction to a float: magnitude, normalized on its leading one
  let neg = (H & 0x80000000u) != 0u;
  var ml2 = L;
  var mh = H;
  if (neg) {
    ml2 = ~L + 1u;
    mh = ~H + select(0u, 1u, ml2 == 0u);
  }
  var top = 0u;
  var ex = 0;
  if (mh != 0u) {
    let sh = countLeadingZeros(mh);
    top = (mh << sh) | (ml2 >> (32u - sh));
    ex = -30 - i32(sh);
  } else if (ml2 != 0u) {
    let sh = countLeadingZeros(ml2);
    top = ml2 << sh;
    ex = -62 - i32(sh);
  }
  var r = f32(top) * f_pow2i(ex) * 1.5707963267948966f;
  if (neg) { r = -r; }
  return Reduced(select(r, -r, x < 0.0f), select(q, -q, x < 0.0f));
}`,
  },
  // Cephes' sinf/cosf polynomials on |r| <= pi/4
  f_sin_poly: {
    deps: [],
    code: `fn f_sin_poly(r: f32) -> f32 {
  let z = r * r;
  return ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f) * z * r + r;
}
fn f_cos_poly(r: f32) -> f32 {
  let z = r * r;
  return ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z + 4.166664568298827e-2f) * z * z - 0.5f * z + 1.0f;
}`,
  },
  f_sin: {
    deps: ['f_isnan', 'f_isinf', 'f_iszero', 'f_nan', 'f_trig_reduce', 'f_sin_poly'],
    code: `fn f_sin(x: f32) -> f32 {
  if (f_isnan(x) || f_isinf(x)) { return f_nan(); }
  if (f_iszero(x)) { return x; }
  let t = f_trig_reduce(x);
  let q = t.q & 3;
  let v = select(f_sin_poly(t.r), f_cos_poly(t.r), (q & 1) == 1);
  return select(v, -v, q >= 2);
}`,
  },
  f_cos: {
    deps: ['f_isnan', 'f_isinf', 'f_nan', 'f_trig_reduce', 'f_sin_poly'],
    code: `fn f_cos(x: f32) -> f32 {
  if (f_isnan(x) || f_isinf(x)) { return f_nan(); }
  let t = f_trig_reduce(x);
  let q = t.q & 3;
  let v = select(f_cos_poly(t.r), f_sin_poly(t.r), (q & 1) == 1);
  return select(v, -v, q == 1 || q == 2);
}`,
  },
  // Cephes' atanf: |x| reduced below tan(pi/8), then an odd polynomial
  f_atan: {
    deps: ['f_copysign'],
    code: `fn f_atan(x: f32) -> f32 {
  var a = abs(x);
  var y0 = 0.0f;
  if (a > 2.4142137f) {
    y0 = 1.5707964f;
    a = -1.0f / a;
  } else if (a > 0.41421357f) {
    y0 = 0.7853982f;
    a = (a - 1.0f) / (a + 1.0f);
  }
  let z = a * a;
  let r = y0 + ((((0.0805374449538f * z - 0.138776856032f) * z + 0.199777106478f) * z - 0.333329491539f) * z * a + a);
  return f_copysign(r, x);
}`,
  },
  // C's atan2, edge cases included (signed zeros, infinities)
  f_atan2: {
    deps: ['f_isnan', 'f_isinf', 'f_iszero', 'f_nan', 'f_atan', 'f_copysign'],
    code: `fn f_atan2(y: f32, x: f32) -> f32 {
  if (f_isnan(x) || f_isnan(y)) { return f_nan(); }
  let PI = 3.1415927f;
  let ys = bitcast<f32>((bitcast<u32>(y) & 0x80000000u) | 0x3f800000u);
  let xneg = (bitcast<u32>(x) & 0x80000000u) != 0u;
  if (f_iszero(y)) {
    if (xneg) { return ys * PI; }
    return y;
  }
  if (f_isinf(x)) {
    if (f_isinf(y)) { return ys * select(0.7853982f, 2.3561945f, xneg); }
    return select(f_copysign(0.0f, y), ys * PI, xneg);
  }
  if (f_isinf(y) || f_iszero(x)) { return ys * 1.5707964f; }
  let z = f_atan(y / x);
  if (xneg) { return z + ys * PI; }
  return z;
}`,
  },
  // integer-valued y: whether it is odd (|y| < 2^24 holds every odd float)
  f_isodd: { deps: [], code: 'fn f_isodd(y: f32) -> bool { return abs(y) < 16777216.0f && (i32(y) & 1) != 0; }' },
  // C's pow: pow(x, 0) = 1 and pow(1, y) = 1 even for NaN, pow(-1, ±inf) = 1, negative bases with
  // integer exponents; integer exponents of small magnitude multiply (exact where the result is)
  f_pow: {
    deps: ['f_isnan', 'f_isinf', 'f_iszero', 'f_nan', 'f_inf', 'f_isodd', 'f_exp', 'f_log', 'f_pow2i'],
    code: `fn f_pow(x: f32, y: f32) -> f32 {
  if (f_iszero(y) || x == 1.0f) { return 1.0f; }
  if (f_isnan(x) || f_isnan(y)) { return f_nan(); }
  let ax = abs(x);
  let yint = floor(y) == y;
  let odd = yint && f_isodd(y);
  let xneg = (bitcast<u32>(x) & 0x80000000u) != 0u;
  if (f_isinf(y)) {
    if (ax == 1.0f) { return 1.0f; }
    if ((ax > 1.0f) == (y > 0.0f)) { return f_inf(); }
    return 0.0f;
  }
  if (f_iszero(x) || f_isinf(x)) {
    // the magnitude is 0 or inf, the sign that of x for odd integer y
    let big = f_isinf(x) == (y > 0.0f);
    let m = select(0.0f, f_inf(), big);
    return select(m, -m, xneg && odd);
  }
  if (xneg && !yint) { return f_nan(); }
  let xb = bitcast<u32>(ax);
  if (yint && (xb & 0x7fffffu) == 0u && xb != 0u && abs(y) < 16777216.0f) {
    // a power of two to an integer power: exact, 2^(k y)
    let e = f32(i32(xb >> 23u) - 127) * y;
    var p = 0.0f;
    if (e > 127.0f) { p = f_inf(); } else if (e >= -126.0f) { p = f_pow2i(i32(e)); } else if (e >= -149.0f) { p = f_pow2i(i32(e) + 64) * 5.421011e-20f; }
    return select(p, -p, xneg && odd);
  }
  var r = 0.0f;
  if (yint && abs(y) <= 64.0f) {
    var e = u32(abs(y));
    var base = ax;
    r = 1.0f;
    while (e > 0u) {
      if ((e & 1u) != 0u) { r = r * base; }
      base = base * base;
      e = e >> 1u;
    }
    if (y < 0.0f) { r = 1.0f / r; }
  }
  // otherwise, and where the product over- or underflowed, exp(y log|x|)
  if (f_iszero(r) || f_isinf(r)) { r = f_exp(y * f_log(ax)); }
  return select(r, -r, xneg && odd);
}`,
  },
  // float → int32: truncates, saturates, NaN is 0
  f_to_i: {
    deps: ['f_isnan'],
    code: `fn f_to_i(x: f32) -> i32 {
  if (f_isnan(x)) { return 0; }
  if (x >= 2147483648.0f) { return 2147483647; }
  if (x <= -2147483648.0f) { return bitcast<i32>(0x80000000u); }
  return i32(x);
}`,
  },
  i_div: { deps: [], code: 'fn i_div(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } return a / b; }' },
  i_rem: { deps: [], code: 'fn i_rem(a: i32, b: i32) -> i32 { if (b == 0 || b == -1) { return 0; } return a % b; }' },
  // squares with wrap; a negative exponent gives 0 except for bases 1 and -1
  i_pow: {
    deps: [],
    code: `fn i_pow(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var r = 1;
  var base = a;
  var e = u32(b);
  while (e > 0u) {
    if ((e & 1u) != 0u) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}`,
  },
  i_shl: { deps: [], code: 'fn i_shl(a: i32, b: i32) -> i32 { if (u32(b) >= 32u) { return 0; } return a << u32(b); }' },
  i_shr: { deps: [], code: 'fn i_shr(a: i32, b: i32) -> i32 { if (u32(b) >= 32u) { return 0; } return bitcast<i32>(bitcast<u32>(a) >> u32(b)); }' },
  i_sar: { deps: [], code: 'fn i_sar(a: i32, b: i32) -> i32 { if (u32(b) >= 32u) { return a >> 31u; } return a >> u32(b); }' },
};

/** The source of `names` and everything they call, each once, callees first. */
export function helperSource(names: Iterable<string>): string {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (n: string) => {
    if (done.has(n)) return;
    done.add(n);
    const h = H[n];
    if (h === undefined) throw new Error(`internal: no WGSL helper ${n}`);
    for (const d of h.deps) visit(d);
    out.push(h.code);
  };
  for (const n of names) visit(n);
  return out.join('\n');
}
