// Matmul epilogues on webgpu: the elementwise consumer that core's jit attaches to a dot_general step
// (a bias add, an activation, an optimizer update) runs inside the matmul's shader, one dispatch for
// both, and the results equal the CPU backend's (which runs the epilogue as a kernel of its own)
// within the float32 error bound of a K-term dot product; NaN and Inf propagate as on the CPU.
import { type Array, np, withBackend } from '@tenfold/core';
import { webgpuBackend } from '@tenfold/gpu';
import { jit } from '@tenfold/grad';
import { describe, expect, it } from 'vitest';
import { adapter } from './gpu-env.js';
import { onGpu } from './jitted.js';

type Backend = 'cpu' | 'webgpu';

/** float32's unit roundoff. */
const U = 2 ** -24;

/** Deterministic values in [-scale, scale), as an array of `shape`. */
function param(shape: number[], seed: number, b: Backend, scale = 1): Array {
  const n = shape.reduce((p, x) => p * x, 1);
  return np.array(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * scale),
    { shape, backend: b },
  );
}

function ints(shape: number[], seed: number, b: Backend): Array {
  const n = shape.reduce((p, x) => p * x, 1);
  return np.array(
    Int32Array.from({ length: n }, (_, i) => Math.round(Math.sin(i * 1.3 + seed) * 1e4)),
    { shape, backend: b },
  );
}

/**
 * Compares webgpu's `got` with the CPU's `want` where `bound[i]` bounds their difference: NaN
 * where `want` is NaN, infinities exactly.
 */
async function within(got: Array, want: Array, bound: (i: number, w: number) => number): Promise<void> {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const g = await got.data();
  const w = await want.data();
  const bad: string[] = [];
  w.forEach((v, i) => {
    const x = g[i] as number;
    const ok = Number.isNaN(v) ? Number.isNaN(x) : !Number.isFinite(v) ? x === v : Math.abs(x - v) <= bound(i, v);
    if (!ok) bad.push(`[${i}] webgpu ${x} cpu ${v}`);
  });
  expect(bad.slice(0, 5)).toEqual([]);
}

/**
 * The difference two float32 evaluations of a K-term dot product may have, in any summation order,
 * with or without fused multiply-adds: each is within γ_K·Σ|a_k·b_k| of the exact value (γ_K =
 * K·u/(1 - K·u)), so the two within 2γ_K of it; `|x|·|w|` (computed in float64 here) is that sum per
 * output. An epilogue adds `ops` roundings relative to the result.
 */
function dotBound(x: Float32Array, w: Float32Array, nb: number, M: number, K: number, N: number, ops: number): (i: number, v: number) => number {
  const gamma = (K * U) / (1 - K * U);
  const s = new Float64Array(nb * M * N);
  for (let b = 0; b < nb; b++)
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += Math.abs(x[(b * M + m) * K + k] as number) * Math.abs(w[(b * K + k) * N + n] as number);
        s[(b * M + m) * N + n] = acc;
      }
  return (i, v) => 2 * gamma * (s[i] as number) + ops * U * Math.abs(v) + Number.MIN_VALUE;
}

const biasRelu = (x: Array, w: Array, b: Array) => np.relu(np.add(np.matmul(x, w), b));

describe.skipIf(!adapter)('matmul epilogues on webgpu', () => {
  it('relu(x·w + b): one dispatch, equal to the CPU within the dot-product bound, in both tilings and the direct shader', async () => {
    const backend = webgpuBackend();
    const initial = backend.matmulMode;
    // [batch, M, K, N], the bias shape, and the tilings: vec4 C, scalar C (N % 4 != 0), the direct
    // shader (M < 16), a batched product with a bias per row (its index is the output's middle loop);
    // the 'shared' tiling once (its epilogue is the same loop as the 'registers' one)
    const cases: [number, number, number, number, number[], readonly ('registers' | 'shared')[]][] = [
      [1, 40, 24, 36, [36], ['registers', 'shared']],
      [1, 20, 17, 19, [19], ['registers']],
      [1, 5, 30, 7, [7], ['registers']],
      [3, 20, 12, 20, [20, 1], ['registers']],
    ];
    try {
      for (const [nb, M, K, N, bs, modes] of cases) {
        for (const mode of modes) {
          backend.matmulMode = mode;
          const xs = nb === 1 ? [M, K] : [nb, M, K];
          const ws = nb === 1 ? [K, N] : [nb, K, N];
          const args = (b: Backend) => [param(xs, 1, b), param(ws, 2, b), param(bs, 3, b)] as [Array, Array, Array];
          const want = withBackend('cpu', () => jit(biasRelu)(...args('cpu')));
          const ga = args('webgpu');
          const got = withBackend('webgpu', () => onGpu(biasRelu, ga));
          const what = `${mode} ${xs}·${ws} + [${bs}]`;
          expect([got.steps, got.epilogues, got.dispatches], what).toEqual([1, 1, 1]);
          const x = (await ga[0].data()) as Float32Array;
          const w = (await ga[1].data()) as Float32Array;
          await within(got.out, want, dotBound(x, w, nb, M, K, N, 1));
          // a wrong bias index (or none) is off by far more than the bound
          expect(Math.max(...(await want.data()))).toBeGreaterThan(0.5);
        }
      }
    } finally {
      backend.matmulMode = initial;
    }
  });

  it('an epilogue with float constants (sigmoid) and an int32 one (exact)', async () => {
    const sig = (x: Array, w: Array) => np.sigmoid(np.matmul(x, w));
    const want = withBackend('cpu', () => jit(sig)(param([24, 10], 4, 'cpu', 3), param([10, 20], 5, 'cpu', 3)));
    const got = withBackend('webgpu', () => onGpu(sig, [param([24, 10], 4, 'webgpu', 3), param([10, 20], 5, 'webgpu', 3)]));
    expect(got.dispatches).toBe(1);
    // sigmoid's derivative is at most 1/4; exp, the add and the division round a few times
    const gamma = (10 * U) / (1 - 10 * U);
    await within(got.out, want, () => 2 * gamma * 10 * 9 * 0.25 + 8 * U);
    const affine = (x: Array, w: Array, b: Array) => np.subtract(np.multiply(np.matmul(x, w), 3), b);
    const iargs = (b: Backend) => [ints([20, 9], 1, b), ints([9, 17], 2, b), ints([17], 3, b)] as [Array, Array, Array];
    const iwant = withBackend('cpu', () => jit(affine)(...iargs('cpu')));
    const igot = withBackend('webgpu', () => onGpu(affine, iargs('webgpu')));
    expect([igot.epilogues, igot.dispatches]).toEqual([1, 1]);
    expect(globalThis.Array.from(await igot.out.data())).toEqual(globalThis.Array.from(await iwant.data()));
  });

  it('NaN and ±Inf in the bias propagate as on the CPU (relu(-inf) = 0, relu(NaN) = NaN)', async () => {
    const bias = (b: Backend) =>
      np.array(
        Float32Array.from({ length: 36 }, (_, i) => [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3e38, 0.5][i % 5] as number),
        { backend: b },
      );
    // the first case's shapes (its shader is reused); |x·w| < 24e37: no product or partial sum
    // overflows, but 3e38 + x·w may
    const args = (b: Backend) => [param([40, 24], 6, b, 1e37), param([24, 36], 7, b), bias(b)] as [Array, Array, Array];
    const want = withBackend('cpu', () => jit(biasRelu)(...args('cpu')));
    const got = withBackend('webgpu', () => onGpu(biasRelu, args('webgpu')));
    expect(got.dispatches).toBe(1);
    const w = await want.data();
    // every class occurs: NaN, +Inf (from +Inf and from the overflow of 3e38 + x·w), 0 (from -Inf), finite values
    expect(w.some(Number.isNaN) && w.includes(Number.POSITIVE_INFINITY) && w.includes(0) && w.some((v) => Number.isFinite(v) && v > 1e30)).toBe(true);
    const x = (await args('cpu')[0].data()) as Float32Array;
    const wv = (await args('cpu')[1].data()) as Float32Array;
    await within(got.out, want, dotBound(x, wv, 1, 40, 24, 36, 1));
  });

  it("an epilogue with more inputs than the matmul shader can bind runs as its own kernel (the adapter's storage-buffer limit)", async () => {
    const limit = webgpuBackend().report?.limits.maxStorageBuffersPerShaderStage ?? 8;
    // A, B and C leave limit - 3 bindings: the epilogue's inputs other than the product
    for (const [extra, dispatches] of [
      [limit - 3, 1],
      [limit - 2, 2],
    ] as const) {
      const f = (x: Array, w: Array, ...bs: Array[]) => bs.reduce((acc, b) => np.add(acc, b), np.matmul(x, w));
      const args = (b: Backend): [Array, Array, ...Array[]] => [
        param([20, 6], 1, b),
        param([6, 16], 2, b),
        ...globalThis.Array.from({ length: extra }, (_, j) => param([16], 10 + j, b)),
      ];
      const want = withBackend('cpu', () => jit(f)(...args('cpu')));
      const got = withBackend('webgpu', () => onGpu(f, args('webgpu')));
      expect([got.epilogues, got.dispatches]).toEqual([1, dispatches]);
      // |x|, |w| < 1 (K = 6), |b| < 1: each bias add rounds a partial sum below 6 + extra
      await within(got.out, want, () => 2 * ((6 * U) / (1 - 6 * U)) * 6 + 2 * extra * U * (6 + extra));
    }
  });
});
