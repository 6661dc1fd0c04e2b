// Dispatches past 65535 workgroups in x go 2-D: elementwise kernels past 65535 × 64 elements,
// matmuls past 65535 tiles.
import { np } from '@tenfold/core';
import { describe, expect, it } from 'vitest';
import { adapter } from './gpu-env.js';

describe.skipIf(!adapter)('large dispatches', () => {
  it('an elementwise kernel over more than 65535 × 64 elements', async () => {
    const n = 65535 * 64 + 1000;
    using x = np.arange(n, undefined, 1, { dtype: 'int32', backend: 'webgpu' });
    using y = np.subtract(np.multiply(x, 3), 1);
    const got = (await y.data()) as Int32Array;
    expect(got.length).toBe(n);
    for (const i of [0, 1, 65535 * 64 - 1, 65535 * 64, n - 1]) expect(got[i]).toBe(3 * i - 1);
  });

  it('a batched matmul of more than 65535 tiles', async () => {
    const b = 70000;
    using x = np.reshape(np.arange(2 * b, undefined, 1, { dtype: 'float32', backend: 'webgpu' }), [b, 1, 2]);
    using y = np.ones([b, 2, 1], { dtype: 'float32', backend: 'webgpu' });
    using z = np.matmul(x, y);
    const got = (await z.data()) as Float32Array;
    for (const i of [0, 1, 65535, 65536, b - 1]) expect(got[i]).toBe(4 * i + 1);
  });
});
