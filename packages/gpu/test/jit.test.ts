// jit programs on webgpu: the kernel program core compiles (fused kernels, routines with their
// epilogues, control-flow host steps) runs on the webgpu backend and equals the CPU backend; one
// program execution and the read of its result are one queue submission, one dispatch per step;
// repeated calls leave no buffers behind.
import { type Array, getBackend, lax, np, withBackend } from '@tenfold/core';
import { webgpuBackend } from '@tenfold/gpu';
import { jit, valueAndGrad } from '@tenfold/grad';
import { describe, expect, it } from 'vitest';
import { type Backend, close, param } from './compare.js';
import { adapter } from './gpu-env.js';
import { settle } from './settle.js';

type Layer = { w: Array; b: Array };

const loss = (p: Layer[], x: Array, labels: Array): Array => {
  let h = x;
  p.forEach((l, i) => {
    h = np.add(np.matmul(h, l.w), l.b);
    if (i < p.length - 1) h = np.relu(h);
  });
  return np.negative(np.mean(np.takeAlongAxis(np.logSoftmax(h, -1), np.expandDims(labels, 1), 1)));
};

/** One SGD step of an MLP: the loss and the new parameters. */
const sgdStep = (p: Layer[], x: Array, labels: Array): [Array, Layer[]] => {
  const [l, g] = valueAndGrad(loss)(p, x, labels) as [Array, Layer[]];
  return [l, p.map((pi, i) => ({ w: np.subtract(pi.w, np.multiply((g[i] as Layer).w, 0.1)), b: np.subtract(pi.b, np.multiply((g[i] as Layer).b, 0.1)) }))];
};

function mlp(b: Backend): { params: Layer[]; x: Array; labels: Array } {
  const dims = [12, 32, 5];
  const params = dims.slice(1).map((d, i) => ({ w: param([dims[i] as number, d], 2 * i + 1, b), b: param([d], 2 * i + 2, b) }));
  const x = param([16, 12], 9, b);
  const labels = np.array(
    Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 5),
    { backend: b },
  );
  return { params, x, labels };
}

const disposeLayers = (ls: readonly Layer[]) => {
  for (const l of ls) {
    l.w.dispose();
    l.b.dispose();
  }
};

describe.skipIf(!adapter)('jit programs on webgpu', () => {
  it('an MLP train step (valueAndGrad + SGD) equals the CPU backend over several steps', async () => {
    const run = (b: Backend) =>
      withBackend(b, () => {
        const step = jit(sgdStep);
        let { params, x, labels } = mlp(b);
        const losses: Array[] = [];
        for (let k = 0; k < 4; k++) {
          const [l, next] = step(params, x, labels);
          disposeLayers(params);
          params = next;
          losses.push(l);
        }
        const program = step.lower(params, x, labels).program;
        return { losses, params, program, stats: step.stats };
      });
    const want = run('cpu');
    const got = run('webgpu');
    // the program has fused kernels and routines (matmul, gather), and traced once; the bias adds,
    // a relu mask and the SGD updates (W - lr·dW) are epilogues of its matmuls (run in their shaders)
    const kinds = new Set(got.program.steps.map((s) => s.kind));
    expect(kinds.has('kernel') && kinds.has('routine')).toBe(true);
    expect(got.program.steps.filter((s) => s.kind === 'routine' && s.epilogue !== undefined).length).toBeGreaterThanOrEqual(4);
    expect(got.stats.traces).toBe(1);
    for (let k = 0; k < want.losses.length; k++) await close(got.losses[k] as Array, want.losses[k] as Array);
    for (let i = 0; i < want.params.length; i++) {
      await close((got.params[i] as Layer).w, (want.params[i] as Layer).w, 1e-4, 1e-6);
      await close((got.params[i] as Layer).b, (want.params[i] as Layer).b, 1e-4, 1e-6);
    }
  });

  it('one step and the read of its loss are one queue submission; repeated steps leak no buffers', async () => {
    const backend = webgpuBackend();
    const stats = () => getBackend('webgpu').stats();
    await withBackend('webgpu', async () => {
      const step = jit(sgdStep);
      let { params, x, labels } = mlp('webgpu');
      const one = async () => {
        const [l, next] = step(params, x, labels);
        disposeLayers(params);
        params = next;
        const v = (await l.data())[0] as number;
        l.dispose();
        return v;
      };
      await one(); // compiles, and makes the shared scalar constants once
      // every kernel and routine of this program is one dispatch: a matmul's epilogue adds none
      const program = step.lower(params, x, labels).program;
      const work = program.steps.filter((s) => s.kind === 'kernel' || s.kind === 'routine').length;
      await settle();
      const before = stats();
      const q0 = backend.queueStats();
      let last = Number.POSITIVE_INFINITY;
      for (let k = 0; k < 5; k++) {
        const v = await one();
        expect(v).toBeLessThan(last); // the loss decreases
        last = v;
      }
      const q1 = backend.queueStats();
      expect(q1.submissions - q0.submissions).toBe(5);
      expect(q1.dispatches - q0.dispatches).toBe(5 * work);
      await settle();
      expect(stats()).toEqual(before);
      disposeLayers(params);
      x.dispose();
      labels.dispose();
    });
  });

  it('with one submission per dispatch (batchLimit 1) the results are the same', async () => {
    const backend = webgpuBackend();
    const run = () =>
      withBackend('webgpu', () => {
        const { params, x, labels } = mlp('webgpu');
        const [l, next] = jit(sgdStep)(params, x, labels);
        return [l, ...next.flatMap((n) => [n.w, n.b])];
      });
    const want = run();
    const limit = backend.batchLimit;
    backend.batchLimit = 1;
    const q0 = backend.queueStats();
    try {
      const got = run();
      const q1 = backend.queueStats();
      // each dispatch its own submission (buffer clears are submissions of their own too)
      expect(q1.submissions - q0.submissions).toBeGreaterThanOrEqual(q1.dispatches - q0.dispatches);
      for (let i = 0; i < want.length; i++) await close(got[i] as Array, want[i] as Array, 0, 0);
    } finally {
      backend.batchLimit = limit;
    }
  });

  it('scan and foriLoop (host steps of the program) run under jit on webgpu', async () => {
    const f = (x: Array, xs: Array) => {
      const [c, ys] = lax.scan((carry: Array, row: Array): [Array, Array] => [np.add(np.tanh(np.multiply(carry, 0.9)), row), np.sum(carry)], x, xs);
      const g = lax.foriLoop(0, 3, (i, v: Array) => np.add(np.multiply(v, 0.5), np.astype(i, 'float32')), c);
      return [g, ys];
    };
    const run = (b: Backend) => withBackend(b, () => jit(f)(param([6], 1, b), param([5, 6], 2, b)));
    const want = run('cpu');
    const got = run('webgpu');
    for (let i = 0; i < want.length; i++) await close(got[i] as Array, want[i] as Array);
  });

  it('cond and switch run every branch and select on the device (webgpu cannot read the index synchronously)', async () => {
    const f = (v: Array, k: Array) => [
      lax.cond(
        np.greater(np.sum(v), 0),
        (u: Array) => np.sin(u),
        (u: Array) => np.cos(u),
        v,
      ),
      lax.switch(k, [(u: Array) => np.negative(u), (u: Array) => np.exp(u), (u: Array) => np.square(u)], v),
    ];
    for (const k of [-1, 1, 2, 7]) {
      for (const seed of [3, 4]) {
        const run = (b: Backend) =>
          withBackend(b, () => [
            ...(f(param([4], seed, b), np.array(k, { dtype: 'int32' })) as Array[]),
            ...(jit(f)(param([4], seed, b), np.array(k, { dtype: 'int32' })) as Array[]),
          ]);
        const want = run('cpu');
        const got = run('webgpu');
        for (let i = 0; i < want.length; i++) await close(got[i] as Array, want[i] as Array);
      }
    }
    withBackend('webgpu', () => {
      const x = param([4], 3, 'webgpu');
      const k = np.array(1, { dtype: 'int32' });
      const jf = jit(f);
      for (const r of jf(x, k) as Array[]) r.dispose(); // (compiled: its constants stay)
      const before = getBackend('webgpu').stats().liveBuffers;
      for (const r of jf(x, k) as Array[]) r.dispose(); // every branch's outputs and masks released
      expect(getBackend('webgpu').stats().liveBuffers).toBe(before);
      k.dispose();
      x.dispose();
    });
  });

  it('whileLoop runs under jit on webgpu (the backend runs the loop: Backend.whileLoop) and equals the CPU backend', async () => {
    const viaWhile = (v: Array) =>
      lax.whileLoop(
        (s: Array) => np.less(np.sum(s), 100),
        (s: Array) => np.multiply(s, 2),
        v,
      );
    const run = (b: Backend) => withBackend(b, () => jit(viaWhile)(np.abs(param([4], 3, b))));
    await close(run('webgpu'), run('cpu'));
  });
});
