// conv on webgpu as an implicit GEMM (routines/conv.ts): random shapes and params (1-d and 2-d,
// strides, padding, lhs and rhs dilation, feature and batch groups; pixel and channel counts that
// are not tile multiples), gradients, NaN and Inf, a fused bias + relu, split reductions, and a
// grid of more than 65535 workgroups, each against the CPU backend within the float32 error bound
// of a K-term dot product: 2γ_K·Σ|x·w| per output, where Σ|x·w| is the same conv of |x| and |w|.
import { type Array, lax, np, withBackend } from '@tenfold/core';
import { grad, jit, vjp } from '@tenfold/grad';
import { seededUniform as rng } from '@tenfold/grad/testing';
import { describe, expect, it } from 'vitest';
import { convSettings } from '../src/routines/conv.js';
import { adapter } from './gpu-env.js';
import { onGpu } from './jitted.js';

type Backend = 'cpu' | 'webgpu';

/** float32's unit roundoff. */
const U = 2 ** -24;
const gamma = (K: number) => (K * U) / (1 - K * U);

const size = (shape: readonly number[]) => shape.reduce((p, x) => p * x, 1);

function values(shape: readonly number[], seed: number): Float32Array {
  return Float32Array.from({ length: size(shape) }, (_, i) => Math.sin(i * 1.7 + seed) * 0.8);
}

const on = (v: Float32Array, shape: readonly number[], b: Backend) => np.array(v, { shape: [...shape], backend: b });
const abs = (v: Float32Array) => v.map(Math.abs);

/** `got` equals `want` where `bound` (an array of the output's shape) bounds their difference; NaN and infinities exactly. */
async function within(got: Array, want: Array, bound: Float32Array | Float64Array, K: number, what: string): Promise<void> {
  expect(got.shape, what).toEqual(want.shape);
  const g = await got.data();
  const w = await want.data();
  const bad: string[] = [];
  w.forEach((v, i) => {
    const x = g[i] as number;
    const tol = 2 * gamma(K) * (bound[i] as number) * (1 + 1e-6) + Number.MIN_VALUE;
    const ok = Number.isNaN(v) ? Number.isNaN(x) : !Number.isFinite(v) ? x === v : Math.abs(x - v) <= tol;
    if (!ok) bad.push(`[${i}] webgpu ${x} cpu ${v} (bound ${tol})`);
  });
  expect(bad.slice(0, 5), what).toEqual([]);
}

type ConvOptions = NonNullable<Parameters<typeof lax.conv>[2]>;

interface Case {
  x: number[];
  w: number[];
  opts: ConvOptions;
}

/** A random conv: sizes small enough for the CPU, edges that cut tiles anywhere. */
function randomCase(r: () => number): Case {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const nd = int(1, 2);
  const kind = r();
  const G = kind < 0.2 ? int(2, 3) : 1;
  const BG = kind > 0.85 ? int(2, 3) : 1;
  const Cg = int(1, 6);
  const O = int(1, 9) * G * BG;
  const N = int(1, 3) * BG;
  const spatial = globalThis.Array.from({ length: nd }).map(() => int(1, 10));
  const window = globalThis.Array.from({ length: nd }).map(() => int(1, 4));
  const list = (p: number, hi: number) => globalThis.Array.from({ length: nd }).map(() => (r() < p ? int(2, hi) : 1));
  const pick = r();
  const padding: ConvOptions['padding'] =
    pick < 0.35 ? 'SAME' : pick < 0.55 ? 'VALID' : globalThis.Array.from({ length: nd }).map(() => [int(-1, 3), int(-1, 3)] as [number, number]);
  return {
    x: [N, Cg * G, ...spatial],
    w: [O, Cg, ...window],
    opts: { windowStrides: list(0.4, 3), padding, lhsDilation: list(0.25, 2), rhsDilation: list(0.3, 2), featureGroupCount: G, batchGroupCount: BG },
  };
}

/** The conv of the case on both backends and its bound (|x| conv |w| on the CPU). */
async function check({ x, w, opts }: Case, what: string, seed = 1): Promise<void> {
  const xv = values(x, seed);
  const wv = values(w, seed + 1);
  const want = withBackend('cpu', () => lax.conv(on(xv, x, 'cpu'), on(wv, w, 'cpu'), opts));
  const got = withBackend('webgpu', () => lax.conv(on(xv, x, 'webgpu'), on(wv, w, 'webgpu'), opts));
  const bound = (await withBackend('cpu', () => lax.conv(on(abs(xv), x, 'cpu'), on(abs(wv), w, 'cpu'), opts)).data()) as Float32Array;
  await within(got, want, bound, size(w.slice(1)), what);
}

const SAME = { padding: 'SAME' } as const;

describe.skipIf(!adapter)('conv as an implicit GEMM on webgpu', () => {
  it('random shapes and params equal the CPU within the K-term dot-product bound', async () => {
    const r = rng(14);
    for (let k = 0; k < 40; k++) {
      const c = randomCase(r);
      await check(c, `case ${k}: ${JSON.stringify(c)}`, k);
    }
  });

  it('tile edges: pixel and channel counts just off the tile sizes, one output, empty sums and outputs, a long reduction (split)', async () => {
    const t = convSettings.tiling;
    const n = convSettings.narrow;
    const TM = t.rm * t.wg;
    const cases: Case[] = [
      { x: [1, 3, 1, TM + 1], w: [t.rn + 1, 3, 1, 1], opts: {} },
      { x: [2, 5, 7, 9], w: [t.rn - 1, 5, 3, 3], opts: SAME },
      // at most narrow.rn output channels: the narrow tiling
      { x: [1, 3, 2, n.rm * n.wg + 1], w: [n.rn - 1, 3, 2, 1], opts: {} },
      { x: [1, 2, 3, 3], w: [1, 2, 3, 3], opts: {} },
      // no input channels (zeros), no window positions left (an empty output)
      { x: [2, 0, 4, 4], w: [3, 0, 3, 3], opts: SAME },
      { x: [2, 3, 2, 2], w: [3, 3, 3, 3], opts: {} },
      // few tiles and Cg·KH·KW = 1600: the input channels are split across workgroups
      { x: [1, 64, 6, 6], w: [4, 64, 5, 5], opts: SAME },
    ];
    for (const c of cases) await check(c, JSON.stringify(c));
  });

  it('int32 convs are exact', async () => {
    const ints = (shape: number[], seed: number, b: Backend) =>
      np.array(
        Int32Array.from({ length: size(shape) }, (_, i) => Math.round(Math.sin(i * 1.3 + seed) * 50)),
        { shape, backend: b },
      );
    const f = (b: Backend) => lax.conv(ints([2, 3, 6, 5], 1, b), ints([5, 3, 3, 2], 2, b), { windowStrides: [2, 1], padding: 'SAME' });
    const want = withBackend('cpu', () => f('cpu'));
    const got = withBackend('webgpu', () => f('webgpu'));
    expect(got.dtype).toBe('int32');
    expect(globalThis.Array.from(await got.data())).toEqual(globalThis.Array.from(await want.data()));
  });

  it('NaN and ±Inf in the input and the weights propagate as on the CPU (0·inf in the padding is NaN)', async () => {
    const x = [1, 2, 6, 6];
    const w = [3, 2, 3, 3];
    const xv = values(x, 3);
    const wv = values(w, 4);
    xv[7] = Number.NaN;
    xv[20] = Number.POSITIVE_INFINITY;
    xv[50] = Number.NEGATIVE_INFINITY;
    wv[40] = Number.POSITIVE_INFINITY; // a corner tap of channel 2's kernel: reaches the padding
    const want = withBackend('cpu', () => lax.conv(on(xv, x, 'cpu'), on(wv, w, 'cpu'), SAME));
    const got = withBackend('webgpu', () => lax.conv(on(xv, x, 'webgpu'), on(wv, w, 'webgpu'), SAME));
    const wd = await want.data();
    expect(wd.some(Number.isNaN) && wd.some((v) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY)).toBe(true);
    const finite = (v: Float32Array) => v.map((e) => (Number.isFinite(e) ? Math.abs(e) : 0));
    const bound = (await withBackend('cpu', () => lax.conv(on(finite(xv), x, 'cpu'), on(finite(wv), w, 'cpu'), SAME)).data()) as Float32Array;
    await within(got, want, bound, 18, 'NaN/Inf');
  });

  it('gradients (the transposed convs grad builds) equal the CPU within the bound of their own dot products', async () => {
    const cases: Case[] = [
      { x: [2, 3, 9, 8], w: [4, 3, 3, 3], opts: { windowStrides: [2, 2], padding: 'SAME' } },
      {
        x: [2, 4, 7, 7],
        w: [6, 2, 3, 2],
        opts: {
          featureGroupCount: 2,
          rhsDilation: [2, 1],
          padding: [
            [1, 2],
            [0, 1],
          ],
        },
      },
      { x: [4, 2, 6, 5], w: [4, 2, 2, 2], opts: { batchGroupCount: 2, lhsDilation: [2, 1] } },
      { x: [3, 2, 11], w: [5, 2, 4], opts: { windowStrides: [3], padding: 'SAME' } },
    ];
    for (const { x, w, opts } of cases) {
      const what = JSON.stringify({ x, w, opts });
      const xv = values(x, 5);
      const wv = values(w, 6);
      const grads = (b: Backend, xs: Float32Array, ws: Float32Array, ct: (shape: readonly number[]) => Float32Array) => {
        const [y, back] = vjp((a: Array, k: Array) => lax.conv(a, k, opts), on(xs, x, b), on(ws, w, b));
        return back(on(ct(y.shape), y.shape, b)) as Array[];
      };
      const ct = (s: number) => (shape: readonly number[]) => values(shape, s);
      const want = withBackend('cpu', () => grads('cpu', xv, wv, ct(7)));
      const got = withBackend('webgpu', () => grads('webgpu', xv, wv, ct(7)));
      const bound = withBackend('cpu', () => grads('cpu', abs(xv), abs(wv), (shape) => abs(ct(7)(shape))));
      // longer than any of the gradients' dot products (over output channels × window, or images × output pixels)
      const K = size(x) + size(w);
      for (const j of [0, 1]) await within(got[j] as Array, want[j] as Array, (await (bound[j] as Array).data()) as Float32Array, K, `${what} grad ${j}`);
    }
  });

  it('jit(grad) of a strided conv + bias + relu layer equals the CPU', async () => {
    const x = [3, 2, 9, 9];
    const w = [5, 2, 3, 3];
    const loss = (a: Array, k: Array, b: Array) =>
      np.sum(np.square(np.relu(np.add(lax.conv(a, k, { windowStrides: [2, 2], padding: 'SAME' }), np.reshape(b, [b.size, 1, 1])))));
    const args = (be: Backend) => [on(values(x, 1), x, be), on(values(w, 2), w, be), on(values([5], 3), [5], be)] as [Array, Array, Array];
    const g = jit(grad(loss, { argnums: [0, 1, 2] }));
    const want = withBackend('cpu', () => g(...args('cpu')));
    const got = withBackend('webgpu', () => g(...args('webgpu')));
    for (const j of [0, 1, 2]) {
      const gw = await (got[j] as Array).data();
      const ww = await (want[j] as Array).data();
      const scale = Math.max(...ww.map(Math.abs));
      // a conv, its two transposes and a square: a loose bound relative to the gradient's largest entry
      for (const [i, v] of ww.entries()) expect(Math.abs((gw[i] as number) - v), `grad ${j} [${i}]`).toBeLessThanOrEqual(1e-5 * scale);
    }
  });

  it('jitted relu(conv + bias) is one dispatch; with a split reduction two; both equal the CPU', async () => {
    const f = (x: Array, w: Array, b: Array) => np.relu(np.add(lax.conv(x, w, SAME), np.reshape(b, [b.size, 1, 1])));
    for (const [x, w, dispatches] of [
      [[3, 5, 9, 11], [19, 5, 3, 3], 1],
      [[1, 64, 6, 6], [4, 64, 5, 5], 2],
    ] as [number[], number[], number][]) {
      const xv = values(x, 8);
      const wv = values(w, 9);
      const bv = values([w[0] as number], 10);
      const args = (b: Backend) => [on(xv, x, b), on(wv, w, b), on(bv, [w[0] as number], b)] as [Array, Array, Array];
      const want = withBackend('cpu', () => jit(f)(...args('cpu')));
      const got = withBackend('webgpu', () => onGpu(f, args('webgpu')));
      expect([got.epilogues, got.dispatches], JSON.stringify(x)).toEqual([1, dispatches]);
      const bound = (await withBackend('cpu', () => lax.conv(on(abs(xv), x, 'cpu'), on(abs(wv), w, 'cpu'), SAME)).data()) as Float32Array;
      // the bias add rounds once more: relative to the result, below the bound's slack for these sizes
      const withBias = bound.map((v, i) => v + 2 * Math.abs(bv[Math.floor(i / ((x[2] as number) * (x[3] as number))) % (w[0] as number)] as number));
      await within(got.out, want, withBias, size(w.slice(1)), `relu(conv + b) ${x}`);
      expect(Math.max(...(await want.data()))).toBeGreaterThan(0.5);
    }
  });

  it('the direct kernel (kept for comparison) still applies an epilogue, as a kernel of its own', async () => {
    const f = (x: Array, w: Array, b: Array) => np.relu(np.add(lax.conv(x, w, SAME), np.reshape(b, [b.size, 1, 1])));
    const args = (b: Backend) =>
      [on(values([2, 3, 5, 4], 1), [2, 3, 5, 4], b), on(values([4, 3, 3, 3], 2), [4, 3, 3, 3], b), on(values([4], 3), [4], b)] as [Array, Array, Array];
    const want = withBackend('cpu', () => jit(f)(...args('cpu')));
    convSettings.implicitGemm = false;
    try {
      const got = withBackend('webgpu', () => onGpu(f, args('webgpu')));
      expect(got.dispatches).toBe(2);
      const g = await got.out.data();
      const w = await want.data();
      for (const [i, v] of w.entries()) expect(Math.abs((g[i] as number) - v)).toBeLessThan(1e-5);
    } finally {
      convSettings.implicitGemm = true;
    }
  });

  it('more than 65535 workgroups (a depthwise conv with 70000 groups) use a 2-d grid', async () => {
    const G = 70000;
    const xv = values([G], 11);
    const wv = values([G], 12);
    const f = (b: Backend) => lax.conv(on(xv, [1, G, 1], b), on(wv, [G, 1, 1], b), { featureGroupCount: G });
    const want = withBackend('cpu', () => f('cpu'));
    const got = withBackend('webgpu', () => f('webgpu'));
    // one product per output: exact
    expect(globalThis.Array.from(await got.data())).toEqual(globalThis.Array.from(await want.data()));
  });
});
