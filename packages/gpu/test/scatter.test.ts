// scatter and scatter_add on WebGPU (routines/scatter.ts) against the CPU backend, bit for bit:
// random shapes and axes, duplicate-heavy and out-of-range indices, every dtype; the gradients that
// transpose a gather into a scatter_add; a size the old per-element scan of all indices made slow.
import { type Array, type DType, getBackend, lax, np, withBackend } from '@tenfold/core';
import { grad } from '@tenfold/grad';
import { seededUniform as rng } from '@tenfold/grad/testing';
import { describe, expect, it } from 'vitest';
import { DIRECT_MAX } from '../src/routines/scatter.js';
import { adapter } from './gpu-env.js';
import { settle } from './settle.js';

type Backend = 'cpu' | 'webgpu';

function values(dtype: DType, size: number, r: () => number): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'int32') return Int32Array.from({ length: size }, () => Math.floor((r() - 0.5) * 2 ** 32)); // sums wrap
  if (dtype === 'bool') return Uint8Array.from({ length: size }, () => (r() < 0.3 ? 1 : 0));
  // magnitudes spread over a few decades, so the order of the sums shows in the rounding
  return Float32Array.from({ length: size }, () => (r() - 0.5) * 10 ** Math.floor(r() * 6 - 2));
}

interface Case {
  shape: number[];
  axis: number;
  idx: Int32Array;
  dtype: DType;
  x: ArrayLike<number>;
  upd: ArrayLike<number>;
}

function randomCase(r: () => number, dtype: DType): Case {
  const rank = 1 + Math.floor(r() * 3);
  const shape = globalThis.Array.from({ length: rank }, () => 1 + Math.floor(r() * 6));
  const axis = Math.floor(r() * rank);
  const n = shape[axis] as number;
  // both paths: each output element scanning the indices (m <= DIRECT_MAX) and the sort
  const m = r() < 0.4 ? Math.floor(r() * (DIRECT_MAX + 1)) : DIRECT_MAX + 1 + Math.floor(r() * 150);
  // duplicate-heavy: few distinct rows, some out of range on both sides (dropped)
  const spread = r() < 0.5 ? 2 : n + 4;
  const idx = Int32Array.from({ length: m }, () => Math.floor(r() * spread) - (spread > 2 ? 2 : 0));
  const updShape = shape.map((d, k) => (k === axis ? m : d));
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  return { shape, axis, idx, dtype, x: values(dtype, size(shape), r), upd: values(dtype, size(updShape), r) };
}

function run(c: Case, b: Backend, op: 'scatter' | 'scatterAdd'): Array {
  const updShape = c.shape.map((d, k) => (k === c.axis ? c.idx.length : d));
  const x = np.array(c.x as never, { shape: c.shape, dtype: c.dtype, backend: b });
  const i = np.array(c.idx, { shape: [c.idx.length], backend: b });
  const u = np.array(c.upd as never, { shape: updShape, dtype: c.dtype, backend: b });
  const y = lax[op](x, i, u, c.axis);
  for (const a of [x, i, u]) a.dispose();
  return y;
}

async function bits(a: Array): Promise<number[]> {
  const d = await a.data();
  a.dispose();
  return d instanceof Float32Array ? globalThis.Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length)) : globalThis.Array.from(d as ArrayLike<number>);
}

describe.skipIf(!adapter)('scatter and scatter_add on webgpu', () => {
  it('equal the CPU bit for bit over random shapes, axes and indices', async () => {
    await settle();
    const before = getBackend('webgpu').stats();
    const r = rng(14);
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      for (let k = 0; k < 12; k++) {
        const c = randomCase(r, dtype);
        for (const op of ['scatterAdd', 'scatter'] as const) {
          const what = `${op} ${dtype} shape [${c.shape}] axis ${c.axis} idx [${globalThis.Array.from(c.idx)}]`;
          expect(await bits(run(c, 'webgpu', op)), what).toEqual(await bits(run(c, 'cpu', op)));
        }
      }
    }
    await settle();
    expect(getBackend('webgpu').stats()).toEqual(before); // the sort's scratch buffers are returned
  });

  it('adds many updates to a few rows in index order (int32 wraps), across sort blocks', async () => {
    const r = rng(7);
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      // 700: mostly one row; 3000: several sort blocks and the global steps that merge them
      for (const [m, pick] of [
        [700, () => (r() < 0.9 ? 2 : 0)],
        [3000, () => Math.floor(r() * 7) - 1],
      ] as [number, () => number][]) {
        const c: Case = {
          shape: [3, 5, 2],
          axis: 1,
          idx: Int32Array.from({ length: m }, pick),
          dtype,
          x: values(dtype, 30, r),
          upd: values(dtype, 3 * m * 2, r),
        };
        expect(await bits(run(c, 'webgpu', 'scatterAdd'))).toEqual(await bits(run(c, 'cpu', 'scatterAdd')));
        expect(await bits(run(c, 'webgpu', 'scatter'))).toEqual(await bits(run(c, 'cpu', 'scatter')));
      }
    }
  });

  it('1e5 updates into 1e5 rows (minutes with the old per-element scan)', async () => {
    const r = rng(3);
    const n = 100_000;
    const c: Case = {
      shape: [n],
      axis: 0,
      idx: Int32Array.from({ length: n }, () => Math.floor(r() * n)),
      dtype: 'float32',
      x: values('float32', n, r),
      upd: values('float32', n, r),
    };
    expect(await bits(run(c, 'webgpu', 'scatterAdd'))).toEqual(await bits(run(c, 'cpu', 'scatterAdd')));
  });

  it('the gradients of max pooling and of np.take equal the CPU', async () => {
    const r = rng(5);
    const xs = values('float32', 2 * 3 * 8 * 8, r);
    const pool = (x: Array) =>
      np.sum(np.multiply(lax.reduceWindow(x, 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] }), np.arange(96).reshape([2, 3, 4, 4])));
    const idx = Int32Array.from({ length: 50 }, () => Math.floor(r() * 8));
    const weights = values('float32', 2 * 3 * 5 * 10 * 8, r);
    // distinct weights (made on the host: sin may differ in the last bit), so the sums of repeated indices round differently in another order
    const take = (x: Array) => np.sum(np.multiply(np.take(x, np.array(idx, { shape: [5, 10] }), 2), np.array(weights, { shape: [2, 3, 5, 10, 8] })));
    for (const f of [pool, take]) {
      const on = (b: Backend) => withBackend(b, () => grad(f)(np.array(xs, { shape: [2, 3, 8, 8] })));
      expect(await bits(on('webgpu'))).toEqual(await bits(on('cpu')));
    }
  });
});
