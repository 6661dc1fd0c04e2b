// grad of arrays on webgpu while the default backend is the cpu: the constants grad makes (the
// seed cotangent, zeros for arguments it does not differentiate) land on the arrays' backend.
import { type Array, defaultBackendName, np } from '@tenfold/core';
import { grad, vjp } from '@tenfold/grad';
import { describe, expect, it } from 'vitest';
import { adapter } from './gpu-env.js';

describe.skipIf(!adapter)('grad on a backend that is not the default', () => {
  it('grad and vjp of webgpu arrays give webgpu gradients equal to the cpu ones', async () => {
    expect(defaultBackendName()).toBe('cpu');
    const f = (w: Array, x: Array) => np.sum(np.tanh(np.multiply(w, x)));
    const w = np.array([0.5, -1, 2], { backend: 'webgpu', dtype: 'float32' });
    const x = np.array([1, 2, 3], { backend: 'webgpu', dtype: 'float32' });
    const g = grad(f)(w, x);
    const want = grad(f)(np.array([0.5, -1, 2], { dtype: 'float32' }), np.array([1, 2, 3], { dtype: 'float32' }));
    expect(globalThis.Array.from(await g.data())).toEqual(globalThis.Array.from(want.dataSync()).map((v) => expect.closeTo(v, 5)));
    const [, back] = vjp(f, w, x);
    const [gw] = back(np.array(1, { backend: 'webgpu', dtype: 'float32' })) as Array[];
    expect(globalThis.Array.from(await (gw as Array).data())).toEqual(globalThis.Array.from(want.dataSync()).map((v) => expect.closeTo(v, 5)));
  });
});
