// jitted elementwise kernels of a constant size that is a multiple of 4 run on vec4s on webgpu
// (wgsl/vector.ts): they equal the CPU backend for float32, int32 and bool, with NaN and ±inf,
// next to sizes that take the scalar path and an input read both at its own index and elsewhere.
import { type Array, np, withBackend } from '@tenfold/core';
import { jit } from '@tenfold/grad';
import { describe, expect, it } from 'vitest';
import type { Backend } from './compare.js';
import { adapter } from './gpu-env.js';

/** Values with NaN, ±inf, ±0 and large magnitudes among smooth ones. */
function values(n: number): Float32Array {
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 30, -30, 9.99, 10.01, 1e-6];
  return Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? (special[(i >> 3) % special.length] as number) : Math.sin(i * 0.37) * 4));
}

const cases: [string, (x: Array, k: Array) => Array][] = [
  ['tanh(1.5x+0.5)*x-1', (x) => np.subtract(np.multiply(np.tanh(np.add(np.multiply(x, 1.5), 0.5)), x), 1)],
  ['tanh', (x) => np.tanh(x)],
  ['bool in and out', (x) => np.logicalAnd(np.greater(x, 0), np.logicalNot(np.isnan(x)))],
  ['where on a bool', (x) => np.where(np.less(x, 1), x, np.multiply(x, 2))],
  ['int32', (_x, k) => np.add(np.multiply(k, 3), 7)],
  ['own index and reversed', (x) => np.add(x, np.flip(x, 0))],
];

/** Equal dtypes and shapes; NaN where the CPU has NaN, ±inf alike, others within 1e-5 relative. */
async function same(got: Array, want: Array): Promise<void> {
  expect([got.dtype, got.shape]).toEqual([want.dtype, want.shape]);
  const g = await got.data();
  const w = await want.data();
  const bad = [...w].flatMap((v, i) => {
    const x = g[i] as number;
    const ok = Number.isNaN(v) ? Number.isNaN(x) : Number.isFinite(v) ? Math.abs(x - v) <= 1e-6 + 1e-5 * Math.abs(v) : x === v;
    return ok ? [] : [`[${i}] ${x} vs ${v}`];
  });
  expect(bad.slice(0, 5)).toEqual([]);
}

describe.skipIf(!adapter)('vec4 elementwise kernels on webgpu', () => {
  for (const n of [4096, 4094, 12, 8]) {
    for (const [name, f] of cases) {
      it(`${name}, n = ${n}, equals the CPU backend`, async () => {
        const run = (b: Backend) =>
          withBackend(b, () => {
            const x = np.array(values(n), { backend: b });
            const k = np.array(
              Int32Array.from({ length: n }, (_, i) => i - 100),
              { backend: b },
            );
            return jit(f)(x, k);
          });
        await same(run('webgpu'), run('cpu'));
      });
    }
  }
});
