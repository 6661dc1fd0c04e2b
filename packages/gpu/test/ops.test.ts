// Eager np/lax ops on the webgpu backend give the CPU backend's results: exactly for integer and
// bool results, random bits and movement ops; within float32 tolerance for float arithmetic.

import { type Array, type ConcreteArray, type DType, getBackend, lax, np, random, type TypedArray } from '@tenfold/core';
import type { WebGPUBackend } from '@tenfold/gpu';
import { describe, expect, it } from 'vitest';
import { adapter } from './gpu-env.js';
import { settle } from './settle.js';

type Backend = 'cpu' | 'webgpu';

/** Deterministic values in [lo, hi) (Weyl sequence), of length n. */
function values(n: number, lo = -3, hi = 3, seed = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * (((i + 1) * 0.6180339887 * seed + 0.123 * seed) % 1);
  return out;
}

function arr(shape: number[], b: Backend, opts: { lo?: number; hi?: number; seed?: number; dtype?: DType } = {}): Array {
  const n = shape.reduce((p, x) => p * x, 1);
  const v = values(n, opts.lo, opts.hi, opts.seed);
  const dtype = opts.dtype ?? 'float32';
  const data: TypedArray = dtype === 'int32' ? Int32Array.from(v, Math.round) : dtype === 'bool' ? Uint8Array.from(v, (x) => (x > 0 ? 1 : 0)) : v;
  return np.array(data, { shape, backend: b });
}

interface Tol {
  /** Exact equality (bit patterns of floats, NaN equal to NaN). */
  exact?: boolean;
  rtol?: number;
  atol?: number;
}

/** Runs `f` on both backends and compares shapes, dtypes and values. */
async function same(f: (b: Backend) => Array | Array[], tol: Tol = {}): Promise<void> {
  const cs = [f('cpu')].flat();
  const gs = [f('webgpu')].flat();
  expect(gs.length).toBe(cs.length);
  for (let k = 0; k < cs.length; k++) {
    const c = cs[k] as Array;
    const g = gs[k] as Array;
    expect(g.shape).toEqual(c.shape);
    expect(g.dtype).toBe(c.dtype);
    const want = await c.data();
    const got = await g.data();
    expect(got.constructor).toBe(want.constructor);
    if (tol.exact || c.dtype !== 'float32') {
      expect(globalThis.Array.from(got)).toEqual(globalThis.Array.from(want));
      continue;
    }
    const rtol = tol.rtol ?? 2e-6;
    const atol = tol.atol ?? 1e-6;
    const bad: string[] = [];
    for (let i = 0; i < want.length; i++) {
      const a = got[i] as number;
      const b = want[i] as number;
      if (Number.isNaN(b) ? !Number.isNaN(a) : !(Math.abs(a - b) <= atol + rtol * Math.abs(b) || a === b)) bad.push(`[${i}] webgpu ${a} cpu ${b}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  }
  for (const a of [...cs, ...gs]) a.dispose();
}

describe.skipIf(!adapter)('elementwise ops equal the CPU backend', () => {
  it('float unary ops', async () => {
    const unary: [string, (x: Array) => Array, number, number][] = [
      ['exp', np.exp, -10, 10],
      ['exp2', np.exp2, -10, 10],
      ['log', np.log, 0.01, 10],
      ['log1p', np.log1p, -0.9, 5],
      ['expm1', np.expm1, -5, 5],
      ['tanh', np.tanh, -5, 5],
      ['sigmoid', np.sigmoid, -10, 10],
      ['sqrt', np.sqrt, 0, 10],
      ['rsqrt', np.rsqrt, 0.01, 10],
      ['sin', np.sin, -100, 100],
      ['cos', np.cos, -100, 100],
      ['tan', np.tan, -1.5, 1.5],
      ['abs', np.abs, -3, 3],
      ['negative', np.negative, -3, 3],
      ['sign', np.sign, -3, 3],
      ['floor', np.floor, -3, 3],
      ['ceil', np.ceil, -3, 3],
      ['round', np.round, -3, 3],
      ['square', np.square, -3, 3],
      ['reciprocal', np.reciprocal, 0.1, 3],
      ['erfinv', np.erfinv, -0.999, 0.999],
      ['isfinite', np.isfinite, -3, 3],
    ];
    for (const [name, fn, lo, hi] of unary) {
      await same((b) => fn(arr([7, 13], b, { lo, hi })), { rtol: name === 'erfinv' || name === 'tan' ? 1e-5 : 2e-6 }).catch((e) => {
        throw new Error(`${name}: ${(e as Error).message}`);
      });
    }
  });

  it('binary ops with broadcasting', async () => {
    const binary: [string, (x: Array, y: Array) => Array][] = [
      ['add', np.add],
      ['subtract', np.subtract],
      ['multiply', np.multiply],
      ['divide', np.divide],
      ['power', (x, y) => np.power(np.abs(x), y)],
      ['maximum', np.maximum],
      ['minimum', np.minimum],
      ['arctan2', np.arctan2],
      ['remainder', np.remainder],
      ['floorDivide', np.floorDivide],
      ['greater', np.greater],
      ['lessEqual', np.lessEqual],
      ['equal', (x, y) => np.equal(np.round(x), np.round(y))],
    ];
    const shapes: [number[], number[]][] = [
      [
        [3, 1, 5],
        [4, 1],
      ],
      [[6], [2, 1, 6]],
      [[2, 3], []],
      [[1], [5, 4]],
    ];
    for (const [name, fn] of binary) {
      for (const [s1, s2] of shapes) {
        await same((b) => fn(arr(s1, b, { seed: 1 }), arr(s2, b, { seed: 2, lo: 0.5, hi: 2.5 })), { rtol: 1e-5 }).catch((e) => {
          throw new Error(`${name} ${JSON.stringify(s1)} ${JSON.stringify(s2)}: ${(e as Error).message}`);
        });
      }
    }
  });

  it('where, clip, casts and bool ops', async () => {
    await same((b) => np.where(np.greater(arr([4, 5], b), 0), arr([4, 5], b, { seed: 2 }), arr([5], b, { seed: 3 })));
    await same((b) => np.clip(arr([4, 5], b), -1, 0.5));
    await same((b) => arr([4, 5], b, { lo: -1e10, hi: 1e10 }).astype('int32'));
    await same((b) => arr([4, 5], b, { dtype: 'int32', lo: -1000, hi: 1000 }).astype('float32'));
    await same((b) => np.logicalXor(arr([3, 4], b, { dtype: 'bool' }), arr([4], b, { dtype: 'bool', seed: 2 })));
    await same((b) => np.logicalNot(arr([3, 4], b, { dtype: 'bool' })));
    await same((b) => lax.bitcastConvertType(arr([10], b), 'int32'));
  });

  it('int32 ops are exact (wrapping, division, shifts)', async () => {
    const big = (b: Backend, seed: number) => arr([8, 9], b, { dtype: 'int32', lo: -2e9, hi: 2e9, seed });
    const small = (b: Backend, seed: number) => arr([8, 9], b, { dtype: 'int32', lo: -40, hi: 40, seed });
    await same((b) => np.add(big(b, 1), big(b, 2)));
    await same((b) => np.multiply(big(b, 1), big(b, 2)));
    await same((b) => np.subtract(big(b, 1), small(b, 2)));
    await same((b) => np.floorDivide(big(b, 1), small(b, 2)));
    await same((b) => np.remainder(big(b, 1), small(b, 2)));
    await same((b) => np.power(small(b, 3), np.abs(small(b, 4))));
    await same((b) => lax.shiftLeft(big(b, 1), small(b, 2)));
    await same((b) => lax.shiftRightLogical(big(b, 1), small(b, 2)));
    await same((b) => lax.shiftRightArithmetic(big(b, 1), small(b, 2)));
    await same((b) => lax.bitwiseXor(big(b, 1), big(b, 2)));
    await same((b) => np.abs(big(b, 5)));
    await same((b) => np.maximum(big(b, 1), big(b, 2)));
  });
});

describe.skipIf(!adapter)('movement ops equal the CPU backend exactly', () => {
  it('transpose, reshape, broadcast', async () => {
    await same((b) => np.transpose(arr([2, 3, 4], b), [2, 0, 1]), { exact: true });
    await same((b) => np.transpose(arr([5, 7], b, { dtype: 'int32', lo: -9, hi: 9 })), { exact: true });
    await same((b) => np.reshape(np.transpose(arr([4, 6], b)), [3, 8]), { exact: true });
    await same((b) => lax.broadcastInDim(arr([3, 1], b), [2, 3, 5], [1, 2]), { exact: true });
    await same((b) => np.transpose(arr([2, 3, 4], b, { dtype: 'bool' }), [1, 2, 0]), { exact: true });
  });

  it('slice, flip, pad, concatenate', async () => {
    await same((b) => lax.slice(arr([6, 7], b), [1, 2], [6, 7], [2, 3]), { exact: true });
    await same((b) => arr([5, 6], b).index(np.slice(1, 4), np.slice(null, null, -2)), { exact: true });
    await same((b) => np.flip(arr([3, 4, 5], b), [0, 2]), { exact: true });
    await same(
      (b) =>
        np.pad(
          arr([3, 4], b),
          [
            [1, 2],
            [0, 3],
          ],
          7.5,
        ),
      { exact: true },
    );
    await same(
      (b) =>
        lax.pad(arr([3, 4], b, { dtype: 'int32', lo: -9, hi: 9 }), -1, [
          [1, -1, 2],
          [0, 2, 1],
        ]),
      { exact: true },
    );
    await same((b) => np.concatenate([arr([2, 3], b, { seed: 1 }), arr([4, 3], b, { seed: 2 }), arr([1, 3], b, { seed: 3 })], 0), { exact: true });
    await same((b) => np.concatenate([arr([2, 3], b, { seed: 1 }), arr([2, 5], b, { seed: 2 })], 1), { exact: true });
    await same((b) => np.concatenate([arr([2, 3], b, { dtype: 'bool' }), arr([2, 1], b, { dtype: 'bool', seed: 2 })], 1), { exact: true });
    await same((b) => np.arange(17, undefined, 1, { backend: b }), { exact: true });
  });
});

describe.skipIf(!adapter)('reductions equal the CPU backend', () => {
  it('over various axes, short and long (one invocation per output, and one workgroup per output)', async () => {
    const cases: [number[], number | number[] | undefined][] = [
      [[7, 9], 0],
      [[7, 9], 1],
      [
        [4, 5, 6],
        [0, 2],
      ],
      [[4, 5, 6], undefined],
      [[3, 1000], 1],
      [[1000, 3], 0],
      [
        [2, 3, 300, 2],
        [1, 2],
      ],
    ];
    for (const [shape, axis] of cases) {
      const n = axis === undefined ? shape.reduce((p, x) => p * x, 1) : [axis].flat().reduce((p, a) => p * (shape[a] as number), 1);
      const tol = { rtol: 1e-6 * Math.sqrt(n) + 1e-6, atol: 1e-5 * Math.sqrt(n) };
      await same((b) => np.sum(arr(shape, b), axis), tol);
      await same((b) => np.max(arr(shape, b), axis), { exact: true });
      await same((b) => np.min(arr(shape, b), axis), { exact: true });
      await same((b) => np.mean(arr(shape, b), axis), tol);
      await same((b) => np.prod(arr(shape, b, { lo: 0.9, hi: 1.1 }), axis), { rtol: 1e-6 * n + 1e-6 });
      await same((b) => np.sum(arr(shape, b, { dtype: 'int32', lo: -1e6, hi: 1e6 }), axis));
      await same((b) => np.max(arr(shape, b, { dtype: 'int32', lo: -1e6, hi: 1e6 }), axis));
      await same((b) => np.any(arr(shape, b, { dtype: 'bool', lo: -10, hi: 0.01 }), axis));
      await same((b) => np.all(arr(shape, b, { dtype: 'bool', lo: -0.01, hi: 10 }), axis));
    }
  });

  it('long reduced axes (1e6) in two passes (split over workgroups, then combined) equal the CPU', async () => {
    const n = 1_000_000;
    // positive values, so that a lost or doubled chunk shows; tolerance: float32 summation error bound
    const tol = (len: number, max: number) => ({ rtol: 0, atol: 1.2e-7 * len * max });
    await same((b) => np.sum(arr([n], b, { lo: 0, hi: 1 })), tol(n, 1));
    await same((b) => np.mean(arr([n], b, { lo: 0, hi: 1 })), tol(n, 1 / n));
    await same((b) => np.max(arr([n], b, { lo: -5, hi: 5 })), { exact: true });
    await same((b) => np.min(arr([n], b, { lo: -5, hi: 5 })), { exact: true });
    // strided: the reduced axis is not the innermost; several outputs
    await same((b) => np.sum(arr([250_000, 4], b, { lo: 0, hi: 1, seed: 2 }), 0), tol(250_000, 1));
    // exact: int32 (wrapping) and bool, a NaN far along
    await same((b) => np.sum(arr([n], b, { dtype: 'int32', lo: -1e4, hi: 1e4 })));
    await same((b) => np.any(arr([n], b, { dtype: 'bool', lo: -1e6, hi: 1 })));
    await same((b) => np.all(arr([n], b, { dtype: 'bool', lo: -1, hi: 1e6 })));
    const withNan = (b: Backend) => np.array(new Float32Array(n).fill(1).fill(Number.NaN, n - 7, n - 6), { backend: b });
    await same((b) => np.max(withNan(b)), { exact: true });
    await same((b) => np.sum(withNan(b)), { exact: true });
  });

  it('NaN propagates through max and sum', async () => {
    const withNan = (b: Backend) => np.array(new Float32Array([1, Number.NaN, 3, -2, 5, 0]), { shape: [2, 3], backend: b });
    await same((b) => np.max(withNan(b), 1), { exact: true });
    await same((b) => np.min(withNan(b), 0), { exact: true });
    await same((b) => np.sum(withNan(b)), { exact: true });
    await same((b) => np.max(np.array(new Float32Array(300).fill(-1).fill(Number.NaN, 150, 151), { backend: b })), { exact: true });
  });

  it('softmax and logsumexp compose', async () => {
    await same((b) => np.softmax(arr([5, 33], b, { lo: -20, hi: 20 }), -1), { rtol: 1e-5 });
    await same((b) => np.logsumexp(arr([5, 300], b, { lo: -20, hi: 20 }), 1), { rtol: 1e-5 });
  });
});

describe.skipIf(!adapter)('dot_general (tiled matmul) equals the CPU backend', () => {
  it('matmul of several shapes, multiples of the 32 tile or not', async () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [5, 7, 3],
      [33, 65, 31],
      [64, 64, 64],
      [1, 100, 1],
      [70, 1, 90],
      [2, 300, 3],
    ];
    for (const [m, k, n] of shapes) {
      await same((b) => np.matmul(arr([m, k], b, { seed: 1 }), arr([k, n], b, { seed: 2 })), { rtol: 1e-5, atol: 1e-5 * Math.sqrt(k) }).catch((e) => {
        throw new Error(`${m}x${k}x${n}: ${(e as Error).message}`);
      });
    }
  });

  it('batched, transposed and vector operands; einsum with batch dims anywhere', async () => {
    const t = { rtol: 1e-5, atol: 1e-5 };
    await same((b) => np.matmul(arr([3, 17, 9], b, { seed: 1 }), arr([3, 9, 40], b, { seed: 2 })), t);
    await same((b) => np.matmul(arr([9, 17], b, { seed: 1 }).T, arr([40, 9], b, { seed: 2 }).T), t);
    await same((b) => np.matmul(arr([9], b, { seed: 1 }), arr([9, 4], b, { seed: 2 })), t);
    await same((b) => np.matmul(arr([4, 9], b, { seed: 1 }), arr([9], b, { seed: 2 })), t);
    await same((b) => np.dot(arr([50], b, { seed: 1 }), arr([50], b, { seed: 2 })), t);
    await same((b) => np.einsum('bij,jbk->bik', arr([2, 3, 4], b, { seed: 1 }), arr([4, 2, 5], b, { seed: 2 })), t);
    await same((b) => np.einsum('ijk,ilk->jl', arr([3, 4, 5], b, { seed: 1 }), arr([3, 6, 5], b, { seed: 2 })), t);
    await same((b) => np.matmul(arr([2, 0], b), arr([0, 3], b)), { exact: true });
  });

  it('both tilings (registers, shared): edges, vec4 and scalar layouts of B and C, batches, int32', async () => {
    const backend = getBackend('webgpu') as WebGPUBackend;
    const initial = backend.matmulMode;
    try {
      for (const mode of ['registers', 'shared'] as const) {
        backend.matmulMode = mode;
        const t = { rtol: 1e-5, atol: 1e-4 };
        const cases: [string, (b: Backend) => Array][] = [
          // vec4 B and C, one tile and past its edges
          ['64x64x64', (b) => np.matmul(arr([64, 64], b, { seed: 1 }), arr([64, 64], b, { seed: 2 }))],
          ['70x33x132', (b) => np.matmul(arr([70, 33], b, { seed: 1 }), arr([33, 132], b, { seed: 2 }))],
          // N not a multiple of 4: scalar B and C
          ['17x40x19', (b) => np.matmul(arr([17, 40], b, { seed: 1 }), arr([40, 19], b, { seed: 2 }))],
          // B transposed (strided along n), A transposed (strided along k)
          ['x·Wᵀ', (b) => np.matmul(arr([65, 30], b, { seed: 1 }), arr([36, 30], b, { seed: 2 }).T)],
          ['Xᵀ·Y', (b) => np.matmul(arr([30, 65], b, { seed: 1 }).T, arr([30, 36], b, { seed: 2 }))],
          // batches, with a batch stride of B that is not 4-aligned
          ['batched', (b) => np.matmul(arr([3, 20, 9], b, { seed: 1 }), arr([3, 9, 68], b, { seed: 2 }))],
          ['batched, odd stride', (b) => np.matmul(arr([2, 21, 5], b, { seed: 1 }), arr([2, 5, 17], b, { seed: 2 }))],
          ['K = 0', (b) => np.matmul(arr([20, 0], b), arr([0, 24], b))],
        ];
        for (const [name, f] of cases) {
          await same(f, t).catch((e) => {
            throw new Error(`${mode} ${name}: ${(e as Error).message}`);
          });
        }
        await same((b) =>
          np.matmul(arr([37, 45], b, { dtype: 'int32', lo: -1e5, hi: 1e5, seed: 1 }), arr([45, 40], b, { dtype: 'int32', lo: -1e5, hi: 1e5, seed: 2 })),
        );
      }
    } finally {
      backend.matmulMode = initial;
    }
  });

  it('int32 matmul is exact (wrapping)', async () => {
    await same((b) =>
      np.matmul(arr([37, 45], b, { dtype: 'int32', lo: -1e5, hi: 1e5, seed: 1 }), arr([45, 19], b, { dtype: 'int32', lo: -1e5, hi: 1e5, seed: 2 })),
    );
  });
});

describe.skipIf(!adapter)('argmax, argmin and indexing routines equal the CPU backend exactly', () => {
  it('argmax and argmin: the first extreme, the first NaN winning', async () => {
    const ties = (b: Backend) => np.array(new Float32Array([1, 3, 3, -1, 0, 0, 2, 2]), { shape: [2, 4], backend: b });
    const nans = (b: Backend) => np.array(new Float32Array([1, Number.NaN, 5, Number.NaN, -2, 7]), { shape: [6], backend: b });
    for (const f of [np.argmax, np.argmin]) {
      await same((b) => f(arr([5, 7, 3], b), 1));
      await same((b) => f(arr([5, 7, 3], b), 0));
      await same((b) => f(arr([300], b, { dtype: 'int32', lo: -50, hi: 50 })));
      await same((b) => f(ties(b), 1));
      await same((b) => f(nans(b)));
      await same((b) => f(arr([4, 3], b, { dtype: 'bool' }), 1));
    }
  });

  // (np indexing with index arrays reads them with dataSync for its bounds check: not on webgpu yet)
  // (np.sort gathers through takeAlongAxis, whose index check reads with dataSync: not on webgpu yet)
  it('argsort: stable, NaN last ascending and first descending', async () => {
    const ties = (b: Backend) => np.array(new Float32Array([2, 1, 2, Number.NaN, 1, -0, 0, Number.NaN, 3]), { backend: b });
    await same((b) => np.argsort(ties(b)));
    await same((b) => lax.argsort(ties(b), 0, true));
    await same((b) => np.argsort(arr([4, 50, 3], b, { dtype: 'int32', lo: -5, hi: 5 }), 1));
    await same((b) => lax.argsort(arr([6, 5], b), 0, true));
    await same((b) => np.argsort(arr([7], b, { dtype: 'bool' })));
  });

  it('gather, with clamped indices', async () => {
    const idx = (b: Backend) => np.array([3, 0, 0, 2, 4], { dtype: 'int32', backend: b });
    await same((b) => lax.gather(arr([5, 6], b), idx(b), 0), { exact: true });
    await same((b) => lax.gather(arr([4, 5, 3], b, { dtype: 'int32', lo: -9, hi: 9 }), idx(b), 1), { exact: true });
    await same((b) => lax.gather(arr([5], b), np.array([-3, 7, 1], { dtype: 'int32', backend: b }), 0), { exact: true });
    await same(
      (b) =>
        lax.gather(
          arr([3, 4], b, { dtype: 'bool' }),
          np.array(
            [
              [1, 0],
              [2, 2],
            ],
            { dtype: 'int32', backend: b },
          ),
          0,
        ),
      { exact: true },
    );
  });

  it('scatter and scatter_add: duplicates in index order, out-of-range indices dropped', async () => {
    const idx = (b: Backend) => np.array([1, 3, 1, 9, -1, 1], { dtype: 'int32', backend: b });
    await same((b) => lax.scatterAdd(arr([5, 3], b), idx(b), arr([6, 3], b, { seed: 2 }), 0), { exact: true });
    await same((b) => lax.scatter(arr([5, 3], b), idx(b), arr([6, 3], b, { seed: 2 }), 0), { exact: true });
    await same((b) => lax.scatterAdd(arr([2, 5], b, { dtype: 'int32', lo: -9, hi: 9 }), idx(b), arr([2, 6], b, { dtype: 'int32', seed: 3 }), 1));
    await same((b) => lax.scatterAdd(arr([5], b, { dtype: 'bool' }), idx(b), arr([6], b, { dtype: 'bool', seed: 3 }), 0));
    await same((b) => arr([4, 3], b).at(2).set(-7), { exact: true });
  });
});

describe.skipIf(!adapter)('conv and reduce_window equal the CPU backend', () => {
  const t = { rtol: 1e-5, atol: 1e-5 };
  it('conv: strides, padding, dilations, feature and batch groups, 1-d and 2-d', async () => {
    const img = (b: Backend, shape = [2, 4, 7, 6]) => arr(shape, b, { seed: 1 });
    const ker = (b: Backend, shape = [3, 4, 3, 2]) => arr(shape, b, { seed: 2 });
    await same((b) => lax.conv(img(b), ker(b)), t);
    await same((b) => lax.conv(img(b), ker(b), { windowStrides: [2, 1], padding: 'SAME' }), t);
    await same(
      (b) =>
        lax.conv(img(b), ker(b), {
          padding: [
            [2, 1],
            [0, 3],
          ],
          rhsDilation: [2, 1],
        }),
      t,
    );
    await same(
      (b) =>
        lax.conv(img(b), ker(b), {
          lhsDilation: [2, 2],
          padding: [
            [1, 1],
            [1, 1],
          ],
        }),
      t,
    );
    await same((b) => lax.conv(img(b), ker(b, [6, 2, 3, 3]), { featureGroupCount: 2, padding: 'SAME' }), t);
    await same((b) => lax.conv(img(b, [4, 2, 5, 5]), ker(b, [6, 2, 2, 2]), { batchGroupCount: 2 }), t);
    await same((b) => lax.conv(img(b, [2, 3, 9]), ker(b, [4, 3, 3]), { windowStrides: [2], padding: 'SAME' }), t);
    await same((b) => lax.conv(arr([1, 1, 5, 5], b, { dtype: 'int32', lo: -9, hi: 9 }), arr([2, 1, 3, 3], b, { dtype: 'int32', lo: -9, hi: 9, seed: 2 })));
  });

  it('reduce_window max and sum (pooling), padded and dilated', async () => {
    const x = (b: Backend) => arr([2, 3, 8, 7], b);
    await same((b) => lax.reduceWindow(x(b), 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] }), { exact: true });
    await same((b) => lax.reduceWindow(x(b), 'max', [1, 1, 3, 3], { windowStrides: [1, 1, 2, 2], padding: 'SAME' }), { exact: true });
    await same((b) => lax.reduceWindow(x(b), 'sum', [1, 2, 3, 3], { padding: 'SAME', windowDilation: [1, 1, 2, 1] }), t);
    await same((b) => lax.reduceWindow(x(b), 'sum', [1, 1, 2, 2], { baseDilation: [1, 1, 2, 2] }), t);
    await same((b) => lax.reduceWindow(arr([10], b, { dtype: 'int32', lo: -99, hi: 99 }), 'max', [3], { padding: 'SAME' }));
    await same(
      (b) =>
        lax.reduceWindow(arr([6, 5], b, { lo: -5, hi: -1 }), 'max', [2, 2], {
          padding: [
            [1, 1],
            [1, 1],
          ],
        }),
      { exact: true },
    );
  });
});

describe.skipIf(!adapter)('threefry random bits equal the CPU backend exactly', () => {
  it('lax.threefry2x32 on extreme words', async () => {
    const words = (b: Backend, seed: number) => arr([1000], b, { dtype: 'int32', lo: -2147483648, hi: 2147483647, seed });
    await same((b) => lax.threefry2x32(words(b, 1), words(b, 2), words(b, 3), words(b, 4)));
  });

  it('the Random123 known-answer vector', async () => {
    const on = { backend: 'webgpu', dtype: 'int32' } as const;
    const ff = np.array([-1], on);
    const pi = (v: number[]) => np.array(v, on);
    const [y0, y1] = lax.threefry2x32(ff, ff, ff, ff);
    expect([...(await y0!.data()), ...(await y1!.data())].map((v) => v >>> 0)).toEqual([0x1cb996fc, 0xbb002be7]);
    const [z0, z1] = lax.threefry2x32(pi([0x13198a2e]), pi([0x03707344]), pi([0x243f6a88]), pi([0x85a308d3 | 0]));
    expect([...(await z0!.data()), ...(await z1!.data())].map((v) => v >>> 0)).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it('random.bits, uniform and normal', async () => {
    await same((b) => random.bits(withKey(b, 42), [3, 333]));
    await same((b) => random.uniform(withKey(b, 7), [1000]), { exact: true });
    await same((b) => random.normal(withKey(b, 7), [1000]), { rtol: 1e-5, atol: 1e-6 });
  });
});

function withKey(b: Backend, seed: number) {
  return random.key(np.array([seed], { dtype: 'int32', backend: b }).reshape([]));
}

describe.skipIf(!adapter)('the webgpu backend', () => {
  it('does not leak buffers: stats return to their baseline', async () => {
    const backend = getBackend('webgpu');
    const workload = async () => {
      using x = arr([64, 48], 'webgpu');
      using xt = x.T;
      using m = np.matmul(x, xt);
      using y = np.tanh(m);
      using p = np.pad(y, [
        [0, 0],
        [1, 1],
      ]);
      using q = p.index(np.slice(), np.slice(1, -1));
      using c = np.concatenate([y, q], 0);
      using z = np.sum(c, 1);
      using k = withKey('webgpu', 3);
      using u = random.uniform(k, [100]);
      using w = np.einsum('ijk,ilk->jl', arr([3, 4, 5], 'webgpu'), arr([3, 6, 5], 'webgpu'));
      return [await z.data(), await u.data(), await w.data()];
    };
    await workload(); // shared scalar constants are made once
    await settle();
    const before = backend.stats();
    for (let i = 0; i < 3; i++) await workload();
    await settle();
    expect(backend.stats()).toEqual(before);
  });

  it('alloc gives zeros even from a recycled pool buffer; write and read round-trip every dtype', async () => {
    const b = getBackend('webgpu');
    const garbage = b.write('float32', new Float32Array(1000).fill(7.5));
    b.release(garbage); // back to the pool
    const z = b.alloc('float32', 1000);
    expect(await b.read(z)).toEqual(new Float32Array(1000));
    b.release(z);
    const cases: [DType, TypedArray][] = [
      ['float32', new Float32Array([1.5, -0, Number.NaN, Number.NEGATIVE_INFINITY])],
      ['int32', new Int32Array([-2147483648, 2147483647, 0, -1])],
      ['bool', new Uint8Array([1, 0, 0, 1, 1])],
      ['int32', new Int32Array(0)],
    ];
    for (const [dtype, data] of cases) {
      const h = b.write(dtype, data);
      const back = await b.read(h);
      expect(back.constructor).toBe(data.constructor);
      expect(globalThis.Array.from(back)).toEqual(globalThis.Array.from(data));
      b.release(h);
    }
  });

  it('dataSync and item throw a clear error naming await x.data()', async () => {
    const x = np.array([1, 2], { dtype: 'float32', backend: 'webgpu' });
    expect(() => x.dataSync()).toThrow(/^dataSync: the webgpu backend reads asynchronously; use await x\.data\(\) instead/);
    expect(() => np.sum(x).item()).toThrow(/use await x\.data\(\)/);
    expect(await x.data()).toEqual(new Float32Array([1, 2]));
  });

  it('float64 is a clear error naming the CPU backend', () => {
    expect(() => np.array([1], { dtype: 'float64', backend: 'webgpu' })).toThrow(/float64/);
    const x = np.array([1.5], { dtype: 'float32', backend: 'webgpu' });
    expect(() => x.astype('float64')).toThrow(/float64 is not supported on the webgpu backend .*'cpu' backend/);
  });

  it('a routine it lacks is an error that names it', () => {
    const x = np.array([1, 3, 2], { dtype: 'float32', backend: 'webgpu' }) as ConcreteArray;
    const b = getBackend('webgpu');
    expect(() => b.routine('no_such_routine' as never, {} as never, [{ handle: x.handle, aval: x.aval }], [])).toThrow(
      /^no_such_routine: routine no_such_routine is not yet implemented on webgpu/,
    );
  });
});
