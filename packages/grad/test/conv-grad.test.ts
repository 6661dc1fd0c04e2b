// Reverse mode through conv, reduce_window_sum and reduce_window_max: the transpose rules of
// conv (w.r.t. lhs and rhs) and reduce_window_sum, and max pooling's JVP-gather path, checked
// against central finite differences and against the JVP through ⟨vjp(u), v⟩ = ⟨u, jvp(v)⟩.
import { type Array, lax, np } from '@tenfold/core';
import { grad, hessian, jacfwd, jacrev, jvp, vjp } from '@tenfold/grad';
import { seededUniform as rng } from '@tenfold/grad/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const FC = { seed: 42, numRuns: 25 } as const;

/*
 * Tolerances. Central differences in float64 with eps = 1e-6 err by about eps²·|f'''| (truncation)
 * plus 1e-16·|f|/eps (rounding). Every function here is piecewise (bi)linear in the perturbed
 * argument, so the truncation term vanishes away from ReLU/max kinks, and the rounding term is
 * about 1e-10 of the scale Σ|u_i·f_i| of the projected output ⟨u, f⟩. We allow 1e-6 of that scale
 * (plus 1e-6 absolute), which leaves ample room yet catches any wrong index or missing term (those
 * give errors of the order of the values themselves). The inner-product identity is exact up to
 * float64 rounding of sums of a few hundred terms: we allow 1e-9 of the scale of its terms.
 */
const EPS = 1e-6;
const FD_TOL = 1e-6;
const DUAL_TOL = 1e-9;

type Pair = [number, number];

function randn(shape: readonly number[], r: () => number): Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = 2 * r() - 1;
  return np.array(data, { shape: [...shape] });
}

function values(x: Array): Float64Array {
  return x.dataSync() as Float64Array;
}

/** x + a·v, computed outside the library (the finite differences should not depend on it). */
function axpy(x: Array, a: number, v: Array): Array {
  const xs = values(x);
  const vs = values(v);
  return np.array(
    xs.map((xi, i) => xi + a * (vs[i] as number)),
    { shape: [...x.shape] },
  );
}

function inner(a: Array, b: Array): number {
  expect(a.shape).toEqual(b.shape);
  const as = values(a);
  const bs = values(b);
  let s = 0;
  for (let i = 0; i < as.length; i++) s += (as[i] as number) * (bs[i] as number);
  return s;
}

function absInner(a: Array, b: Array): number {
  const as = values(a);
  const bs = values(b);
  let s = 0;
  for (let i = 0; i < as.length; i++) s += Math.abs((as[i] as number) * (bs[i] as number));
  return s;
}

/** ⟨u, (f(x + eps·v) − f(x − eps·v)) / 2eps⟩ and the scale Σ|u_i·f(x)_i| of its rounding error. */
function fdProjected(f: (x: Array) => Array, x: Array, v: Array, u: Array): [number, number] {
  const fd = (inner(u, f(axpy(x, EPS, v))) - inner(u, f(axpy(x, -EPS, v)))) / (2 * EPS);
  return [fd, absInner(u, f(x))];
}

function expectClose(actual: number, expected: number, scale: number, rel: number, what: string): void {
  const err = Math.abs(actual - expected);
  const tol = rel * (1 + scale);
  if (!(err <= tol)) throw new Error(`${what}: got ${actual}, expected ${expected} (error ${err} > tolerance ${tol})`);
}

// ---------------------------------------------------------------------------------------------
// conv

interface ConvCase {
  nsp: number;
  N: number;
  C: number;
  O: number;
  G: number;
  BG: number;
  spatial: number[];
  window: number[];
  strides: number[];
  padding: 'SAME' | 'VALID' | Pair[];
  lhsDilation: number[];
  rhsDilation: number[];
  seed: number;
}

const perDim = <T>(n: number, a: fc.Arbitrary<T>) => fc.array(a, { minLength: n, maxLength: n });
const int = (min: number, max: number) => fc.noBias(fc.integer({ min, max }));

/**
 * Random small convolutions: N 1–3, C and O 1–4, feature groups G dividing C and O, or batch
 * groups BG dividing N and O; 1 or 2 spatial dims of 1–7, kernels 1–3, strides 1–3, kernel and
 * input dilation 1–2, padding pairs 0–2 per side (or 'SAME' / 'VALID').
 */
const convCaseArb: fc.Arbitrary<ConvCase> = fc
  .record({
    nsp: int(1, 2),
    groups: fc.oneof(
      { weight: 2, arbitrary: fc.constant<[number, number]>([1, 1]) },
      { weight: 2, arbitrary: fc.tuple(int(2, 4), fc.constant(1)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant(1), int(2, 3)) },
    ),
    a: int(1, 4),
    b: int(1, 4),
    c: int(1, 3),
    seed: fc.integer(),
  })
  .chain(({ nsp, groups: [G, BG], a, b, c, seed }) => {
    // C = G·Cg ≤ 4 and O = G·Og ≤ 4 (feature groups); N = BG·Nb ≤ 3 and O = BG·Ob ≤ 4 (batch groups)
    const C = G * (1 + ((a - 1) % Math.floor(4 / G)));
    const O = G * BG * (1 + ((b - 1) % Math.floor(4 / (G * BG))));
    const N = BG * (1 + ((c - 1) % Math.floor(3 / BG)));
    return fc
      .record({
        spatial: perDim(nsp, int(1, 7)),
        window: perDim(nsp, int(1, 3)),
        strides: perDim(nsp, int(1, 3)),
        lhsDilation: perDim(nsp, int(1, 2)),
        rhsDilation: perDim(nsp, int(1, 2)),
        pads: perDim(nsp, fc.tuple(int(0, 2), int(0, 2))),
        padKind: fc.constantFrom('pairs', 'pairs', 'pairs', 'SAME', 'VALID'),
      })
      .map((p) => ({
        nsp,
        N,
        C,
        O,
        G,
        BG,
        spatial: p.spatial,
        window: p.window,
        strides: p.strides,
        padding: p.padKind === 'pairs' ? (p.pads as Pair[]) : (p.padKind as 'SAME' | 'VALID'),
        lhsDilation: p.lhsDilation,
        rhsDilation: p.rhsDilation,
        seed,
      }));
  });

function convOf(k: ConvCase): (x: Array, w: Array) => Array {
  return (x, w) =>
    lax.conv(x, w, {
      windowStrides: k.strides,
      padding: k.padding,
      lhsDilation: k.lhsDilation,
      rhsDilation: k.rhsDilation,
      featureGroupCount: k.G,
      batchGroupCount: k.BG,
    });
}

/** Checks both transposes of one conv against finite differences and the JVP. */
function checkConv(k: ConvCase): void {
  const r = rng(k.seed);
  const x = randn([k.N, k.C, ...k.spatial], r);
  const w = randn([k.O, k.C / k.G, ...k.window], r);
  const f = convOf(k);
  const [y, back] = vjp(f, x, w);
  const u = randn(y.shape, r);
  const [gx, gw] = back(u);
  // exactly the primal shapes, also when the windows do not reach the end of the input
  expect(gx.shape).toEqual(x.shape);
  expect(gw.shape).toEqual(w.shape);
  const vx = randn(x.shape, r);
  const vw = randn(w.shape, r);
  const zx = np.zerosLike(x);
  const zw = np.zerosLike(w);

  // w.r.t. the lhs
  const [fdx, sx] = fdProjected((xx) => f(xx, w), x, vx, u);
  expectClose(inner(gx, vx), fdx, sx, FD_TOL, 'lhs vs finite differences');
  const [, tx] = jvp(f, [x, w], [vx, zw]);
  expectClose(inner(gx, vx), inner(u, tx), absInner(gx, vx) + absInner(u, tx), DUAL_TOL, 'lhs: ⟨vjp(u), v⟩ vs ⟨u, jvp(v)⟩');

  // w.r.t. the rhs
  const [fdw, sw] = fdProjected((ww) => f(x, ww), w, vw, u);
  expectClose(inner(gw, vw), fdw, sw, FD_TOL, 'rhs vs finite differences');
  const [, tw] = jvp(f, [x, w], [zx, vw]);
  expectClose(inner(gw, vw), inner(u, tw), absInner(gw, vw) + absInner(u, tw), DUAL_TOL, 'rhs: ⟨vjp(u), v⟩ vs ⟨u, jvp(v)⟩');
}

/** Dense reference of conv's cotangents for G = BG = 1, lhsDilation 1, by direct loops (2-d only). */
function naiveConvVjp(x: Array, w: Array, u: Array, strides: number[], pads: Pair[], dil: number[]): [Float64Array, Float64Array] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, , KH, KW] = w.shape as [number, number, number, number];
  const [, , OH, OW] = u.shape as [number, number, number, number];
  const xs = values(x);
  const ws = values(w);
  const us = values(u);
  const gx = new Float64Array(xs.length);
  const gw = new Float64Array(ws.length);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const g = us[((n * O + o) * OH + oh) * OW + ow] as number;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const h = oh * (strides[0] as number) - pads[0]![0] + kh * (dil[0] as number);
                const ww = ow * (strides[1] as number) - pads[1]![0] + kw * (dil[1] as number);
                if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                const xi = ((n * C + c) * H + h) * W + ww;
                const wi = ((o * C + c) * KH + kh) * KW + kw;
                gx[xi]! += g * (ws[wi] as number);
                gw[wi]! += g * (xs[xi] as number);
              }
        }
  return [gx, gw];
}

function expectArrayClose(a: Array, b: Float64Array, tol: number): void {
  const as = values(a);
  expect(as.length).toBe(b.length);
  as.forEach((v, i) => {
    if (!(Math.abs(v - (b[i] as number)) <= tol)) throw new Error(`element ${i}: got ${v}, expected ${b[i]}`);
  });
}

describe('conv transpose rules', () => {
  it('vjp of lax.conv w.r.t. lhs and rhs matches finite differences and the JVP (random configs)', () => {
    fc.assert(
      fc.property(convCaseArb, (k) => {
        checkConv(k);
      }),
      FC,
    );
  });

  it('handles strides whose windows stop short of the input end: the lhs cotangent keeps the input shape', () => {
    // H = 7, window 2, stride 3: windows start at 0 and 3 → rows 5 and 6 are never read
    const r = rng(1);
    const x = randn([1, 2, 7, 6], r);
    const w = randn([3, 2, 2, 2], r);
    const strides = [3, 2];
    const pads: Pair[] = [
      [0, 0],
      [1, 0],
    ];
    const [y, back] = vjp((a: Array, b: Array) => lax.conv(a, b, { windowStrides: strides, padding: pads }), x, w);
    expect(y.shape).toEqual([1, 3, 2, 3]);
    const u = randn(y.shape, r);
    const [gx, gw] = back(u);
    expect(gx.shape).toEqual([1, 2, 7, 6]);
    const [nx, nw] = naiveConvVjp(x, w, u, strides, pads, [1, 1]);
    expectArrayClose(gx, nx, 1e-12);
    expectArrayClose(gw, nw, 1e-12);
    // the unread rows get exactly zero
    const g = values(gx);
    for (let c = 0; c < 2; c++) for (let h = 5; h < 7; h++) for (let ww = 0; ww < 6; ww++) expect(g[(c * 7 + h) * 6 + ww]).toBe(0);
  });

  it("matches a direct loop reference with 'SAME' (asymmetric) padding, stride and kernel dilation", () => {
    const r = rng(2);
    const x = randn([2, 3, 6, 5], r);
    const w = randn([4, 3, 3, 2], r);
    const strides = [2, 2];
    const dil = [2, 1];
    const padding = lax.resolvePadding('conv', 'SAME', [6, 5], [3, 2], strides, dil) as Pair[];
    // H: out 3, dilated window 5 → total (3−1)·2 + 5 − 6 = 3 → [1, 2]; W: out 3, window 2 → total 1 → [0, 1]
    expect(padding).toEqual([
      [1, 2],
      [0, 1],
    ]);
    const [y, back] = vjp((a: Array, b: Array) => lax.conv(a, b, { windowStrides: strides, padding: 'SAME', rhsDilation: dil }), x, w);
    const u = randn(y.shape, r);
    const [gx, gw] = back(u);
    const [nx, nw] = naiveConvVjp(x, w, u, strides, padding, dil);
    expectArrayClose(gx, nx, 1e-12);
    expectArrayClose(gw, nw, 1e-12);
  });

  it('handles negative (cropping) padding and padding wider than the window', () => {
    for (const padding of [[[-1, 2]] as Pair[], [[2, -1]] as Pair[], [[3, 3]] as Pair[]]) {
      for (const lhsDil of [1, 2]) {
        checkConv({
          nsp: 1,
          N: 2,
          C: 2,
          O: 3,
          G: 1,
          BG: 1,
          spatial: [5],
          window: [2],
          strides: [2],
          padding,
          lhsDilation: [lhsDil],
          rhsDilation: [1],
          seed: 7,
        });
      }
    }
  });

  it('batch groups with several images per group (N = BG·Nb, Nb > 1: the group-major batch order matters)', () => {
    checkConv({
      nsp: 2,
      N: 4,
      C: 2,
      O: 4,
      G: 1,
      BG: 2,
      spatial: [5, 4],
      window: [2, 3],
      strides: [2, 1],
      padding: [
        [1, 0],
        [1, 2],
      ],
      lhsDilation: [1, 2],
      rhsDilation: [2, 1],
      seed: 11,
    });
    checkConv({
      nsp: 1,
      N: 6,
      C: 3,
      O: 3,
      G: 1,
      BG: 3,
      spatial: [6],
      window: [3],
      strides: [2],
      padding: 'SAME',
      lhsDilation: [1],
      rhsDilation: [1],
      seed: 12,
    });
  });

  it('gives zero cotangents when the output is empty', () => {
    const x = np.ones([1, 1, 2], { dtype: 'float64' });
    const w = np.ones([1, 1, 3], { dtype: 'float64' });
    const [y, back] = vjp((a: Array, b: Array) => lax.conv(a, b), x, w);
    expect(y.shape).toEqual([1, 1, 0]);
    const [gx, gw] = back(np.zeros([1, 1, 0], { dtype: 'float64' }));
    expect(values(gx)).toEqual(new Float64Array(2));
    expect(values(gw)).toEqual(new Float64Array(3));
  });

  it('grad through a conv with respect to both operands (argnums)', () => {
    const r = rng(3);
    const x = randn([2, 4, 5, 5], r);
    const w = randn([4, 2, 3, 3], r);
    const loss = (a: Array, b: Array) => np.sum(np.square(lax.conv(a, b, { padding: 'SAME', featureGroupCount: 2 })));
    const [gx, gw] = grad(loss, { argnums: [0, 1] as const })(x, w);
    const vx = randn(x.shape, r);
    const vw = randn(w.shape, r);
    const one = np.ones([], { dtype: 'float64' });
    const [fx, sx] = fdProjected((a) => loss(a, w), x, vx, one);
    const [fw, sw] = fdProjected((b) => loss(x, b), w, vw, one);
    // loss is quadratic: eps²·f''' = 0, only rounding error remains
    expectClose(inner(gx, vx), fx, sx, FD_TOL, 'd/dx');
    expectClose(inner(gw, vw), fw, sw, FD_TOL, 'd/dw');
  });
});

// ---------------------------------------------------------------------------------------------
// reduce_window

interface PoolCase {
  shape: number[];
  window: number[];
  strides: number[];
  padding: 'SAME' | 'VALID' | Pair[];
  baseDilation: number[];
  windowDilation: number[];
  seed: number;
}

/**
 * Pooling over a 2-d [H, W] array or a 4-d NCHW one (window 1 on N and C): windows 1–3, strides
 * 1–3, padding 0–2 per side or 'SAME'. For max (`forMax`) the padding stays below the window, so
 * that no window lies entirely in the padding (its max would be −∞ and differences NaN), and
 * there is no dilation; for sum the base and window dilation are 1–2.
 */
function poolCaseArb(forMax: boolean): fc.Arbitrary<PoolCase> {
  return fc.record({ rank4: fc.boolean(), seed: fc.integer() }).chain(({ rank4, seed }) => {
    const lead = rank4 ? 2 : 0;
    return fc
      .record({
        leadShape: perDim(lead, int(1, 3)),
        spatial: perDim(2, int(1, 7)),
        window: perDim(2, int(1, 3)),
        strides: perDim(2, int(1, 3)),
        pads: perDim(2, fc.tuple(int(0, 2), int(0, 2))),
        baseDilation: perDim(2, int(1, forMax ? 1 : 2)),
        windowDilation: perDim(2, int(1, forMax ? 1 : 2)),
        padKind: fc.constantFrom('pairs', 'pairs', 'SAME', 'VALID'),
      })
      .map((p) => {
        const pads = p.pads.map(([lo, hi], i) => (forMax ? [Math.min(lo, p.window[i]! - 1), Math.min(hi, p.window[i]! - 1)] : [lo, hi])) as Pair[];
        const ones = new globalThis.Array<number>(lead).fill(1);
        return {
          shape: [...p.leadShape, ...p.spatial],
          window: [...ones, ...p.window],
          strides: [...ones, ...p.strides],
          padding: p.padKind === 'pairs' ? ([...ones.map((): Pair => [0, 0]), ...pads] as Pair[]) : (p.padKind as 'SAME' | 'VALID'),
          baseDilation: [...ones, ...p.baseDilation],
          windowDilation: [...ones, ...p.windowDilation],
          seed,
        };
      });
  });
}

function poolOf(op: 'sum' | 'max', k: PoolCase): (x: Array) => Array {
  return (x) =>
    lax.reduceWindow(x, op, k.window, { windowStrides: k.strides, padding: k.padding, baseDilation: k.baseDilation, windowDilation: k.windowDilation });
}

function checkPool(op: 'sum' | 'max', k: PoolCase): void {
  const r = rng(k.seed);
  const x = randn(k.shape, r);
  const f = poolOf(op, k);
  const [y, back] = vjp(f, x);
  const u = randn(y.shape, r);
  const [gx] = back(u);
  expect(gx.shape).toEqual(x.shape);
  const v = randn(x.shape, r);
  const [fd, s] = fdProjected(f, x, v, u);
  expectClose(inner(gx, v), fd, s, FD_TOL, `${op} pool vs finite differences`);
  const [, t] = jvp(f, [x], [v]);
  expectClose(inner(gx, v), inner(u, t), absInner(gx, v) + absInner(u, t), DUAL_TOL, `${op} pool: ⟨vjp(u), v⟩ vs ⟨u, jvp(v)⟩`);
  if (op === 'max') {
    // grad of ⟨u, maxpool(x)⟩ is the same cotangent, through valueAndGrad's scalar path
    const g = grad((a: Array) => np.sum(np.multiply(f(a), u)))(x);
    expectArrayClose(g, values(gx), 1e-12);
  }
}

describe('reduce_window gradients', () => {
  it('reduce_window_sum: vjp matches finite differences and the JVP (2-d and NCHW, dilations)', () => {
    fc.assert(
      fc.property(poolCaseArb(false), (k) => {
        checkPool('sum', k);
      }),
      FC,
    );
  });

  it('reduce_window_max: grad (JVP gather + transpose) matches finite differences and the JVP', () => {
    fc.assert(
      fc.property(poolCaseArb(true), (k) => {
        checkPool('max', k);
      }),
      FC,
    );
  });

  it('reduce_window_sum with a stride that skips the last rows gives them zero cotangent', () => {
    const x = np.array([0, 1, 2, 3, 4, 5, 6], { dtype: 'float64' });
    const [y, back] = vjp((a: Array) => lax.reduceWindow(a, 'sum', [2], { windowStrides: [3] }), x);
    expect(values(y)).toEqual(new Float64Array([1, 7]));
    const [g] = back(np.array([1, 10], { dtype: 'float64' }));
    expect(values(g)).toEqual(new Float64Array([1, 1, 0, 10, 10, 0, 0]));
  });
});

// ---------------------------------------------------------------------------------------------
// a tiny CNN

describe('a tiny CNN', () => {
  it('grad of conv → relu → max pool → sum matches finite differences', () => {
    const r = rng(4);
    const x = randn([2, 3, 6, 6], r);
    const w = randn([4, 3, 3, 3], r);
    const b = randn([1, 4, 1, 1], r);
    const loss = (xx: Array, ww: Array, bb: Array) => {
      const h = np.add(lax.conv(xx, ww, { padding: 'SAME', windowStrides: [1, 1] }), bb);
      const a = np.maximum(h, 0);
      const p = lax.reduceWindow(a, 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] });
      return np.sum(np.square(p));
    };
    const [gx, gw, gb] = grad(loss, { argnums: [0, 1, 2] as const })(x, w, b);
    expect(gx.shape).toEqual(x.shape);
    expect(gw.shape).toEqual(w.shape);
    expect(gb.shape).toEqual(b.shape);
    const one = np.ones([], { dtype: 'float64' });
    // piecewise quadratic: away from kinks eps²·f''' = 0, so only rounding error (scale Σ|loss terms|)
    for (let trial = 0; trial < 3; trial++) {
      const vx = randn(x.shape, r);
      const vw = randn(w.shape, r);
      const vb = randn(b.shape, r);
      const [fx, sx] = fdProjected((a) => loss(a, w, b), x, vx, one);
      const [fw, sw] = fdProjected((a) => loss(x, a, b), w, vw, one);
      const [fb, sb] = fdProjected((a) => loss(x, w, a), b, vb, one);
      expectClose(inner(gx, vx), fx, sx, FD_TOL, 'd loss / dx');
      expectClose(inner(gw, vw), fw, sw, FD_TOL, 'd loss / dw');
      expectClose(inner(gb, vb), fb, sb, FD_TOL, 'd loss / db');
    }
  });
});

describe('composition', () => {
  it('jacrev equals jacfwd, and the Hessian (transposes under JVP) is 2·JᵀJ, for conv → sum pool', () => {
    const w = np.array([[[0.3, -0.7, 1.1]], [[0.5, 0.2, -0.4]]], { dtype: 'float64' }); // [O=2, C=1, 3]
    const linear = (x: Array) =>
      np.ravel(
        lax.reduceWindow(lax.conv(np.reshape(x, [1, 1, 6]), w, { padding: 'SAME', windowStrides: [2] }), 'sum', [1, 1, 2], {
          padding: [
            [0, 0],
            [0, 0],
            [1, 0],
          ],
        }),
      );
    const x = np.array([0.1, -0.2, 0.3, 0.7, -1.1, 0.4], { dtype: 'float64' });
    const jf = jacfwd(linear)(x);
    const jr = jacrev(linear)(x);
    expectArrayClose(jr, values(jf), 1e-12);
    const h = hessian((a: Array) => np.sum(np.square(linear(a))))(x);
    expectArrayClose(h, values(np.multiply(np.matmul(np.transpose(jf), jf), 2)), 1e-12);
  });
});
