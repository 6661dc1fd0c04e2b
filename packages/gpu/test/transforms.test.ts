// The transforms of @tenfold/grad run on webgpu arrays as on the CPU: gradients of a small MLP's
// loss, a vmapped and a jitted function. (Run with webgpu as the default backend: some of grad's
// rules make their constants on the default backend rather than on their operands'.)
import { type Array, np, withBackend } from '@tenfold/core';
import { grad, jit, valueAndGrad, vmap } from '@tenfold/grad';
import { describe, it } from 'vitest';
import { type Backend, close, param } from './compare.js';
import { adapter } from './gpu-env.js';

describe.skipIf(!adapter)('transforms on webgpu', () => {
  it('valueAndGrad of an MLP loss equals the CPU backend', async () => {
    const run = (b: Backend) => {
      const params = { w1: param([6, 16], 1, b), b1: param([16], 2, b), w2: param([16, 3], 3, b) };
      const x = param([8, 6], 4, b);
      const labels = np.array([0, 2, 1, 2, 0, 1, 1, 0], { dtype: 'int32', backend: b });
      const loss = (p: typeof params) => {
        const h = np.tanh(np.add(np.matmul(x, p.w1), p.b1));
        const logp = np.logSoftmax(np.matmul(h, p.w2), -1);
        return np.negative(np.mean(np.sum(np.multiply(logp, np.oneHot(labels, 3)), -1)));
      };
      return valueAndGrad(loss)(params);
    };
    const [lc, gc] = withBackend('cpu', () => run('cpu'));
    const [lg, gg] = withBackend('webgpu', () => run('webgpu'));
    await close(lg, lc);
    for (const k of ['w1', 'b1', 'w2'] as const) await close(gg[k], gc[k], 1e-4, 1e-6);
  });

  it('vmap and jit', async () => {
    const f = (v: Array) => np.sum(np.multiply(np.sin(v), v));
    const run = (b: Backend) =>
      withBackend(b, () => {
        const xs = param([5, 7], 5, b);
        return [vmap(grad(f))(xs), jit(f)(xs), jit(f)(xs)];
      });
    const want = run('cpu');
    const got = run('webgpu');
    for (let i = 0; i < want.length; i++) await close(got[i] as Array, want[i] as Array);
  });
});
