// Shared by the WebGPU tests that run one computation on both backends and compare.
import { type Array, np } from '@tenfold/core';
import { expect } from 'vitest';

export type Backend = 'cpu' | 'webgpu';

/** Deterministic float32 values of `shape` on backend `b` (the same on both for one seed). */
export function param(shape: number[], seed: number, b: Backend): Array {
  const n = shape.reduce((p, x) => p * x, 1);
  return np.array(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 0.5),
    { shape, backend: b },
  );
}

/** `got` equals `want` in shape and dtype, and within atol + rtol·|want| element by element. */
export async function close(got: Array, want: Array, rtol = 1e-5, atol = 1e-6): Promise<void> {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const g = await got.data();
  const w = await want.data();
  const bad = [...w].flatMap((v, i) => (Math.abs((g[i] as number) - v) <= atol + rtol * Math.abs(v) ? [] : [`[${i}] ${g[i]} vs ${v}`]));
  expect(bad.slice(0, 5)).toEqual([]);
}
