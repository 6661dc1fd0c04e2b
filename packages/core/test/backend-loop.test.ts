// lax.whileLoop on backends that read only asynchronously: one that runs loops itself
// (Backend.whileLoop, here a synchronous stand-in over the CPU backend, checking the contract of
// the steps) gives the CPU backend's results; one that does not is a clear error.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Array, type Backend, CpuBackend, type DataHandle, lax, np, registerBackend, type WhileLoopSteps, withBackend } from '@tenfold/core';
import { describe, expect, it } from 'vitest';

/** Collects garbage and lets finalizers run: arrays nobody disposed (the loop's initial counter) are released then. */
async function settle(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
}

function asyncCpu(name: string, runsLoops: boolean): Backend {
  const b = new CpuBackend({ name });
  Object.defineProperty(b, 'supportsSyncRead', { value: false });
  if (runsLoops) {
    (b as Backend).whileLoop = (loop: WhileLoopSteps): DataHandle[] => {
      let carry = loop.carry.map((c) => {
        b.retain(c.handle);
        return c.handle;
      });
      for (;;) {
        const c = loop.cond(carry);
        const go = b.readSync(c)[0] !== 0;
        b.release(c);
        if (!go) break;
        const next = loop.body(carry);
        for (const h of carry) b.release(h);
        carry = next;
      }
      loop.done();
      return carry;
    };
  }
  return b;
}

let loopsBackend: Backend | null = null;
registerBackend('async-loops', () => {
  loopsBackend = asyncCpu('async-loops', true);
  return loopsBackend;
});
registerBackend('async-noloops', () => asyncCpu('async-noloops', false));

const f = (v: Array, limit: Array) =>
  lax.whileLoop(
    ([i, s]: [Array, Array]) => np.logicalAnd(np.less(i, 20), np.less(np.sum(s), limit)),
    ([i, s]: [Array, Array]): [Array, Array] => [np.add(i, 1), np.add(np.multiply(s, 1.5), v)],
    [np.array(0, { dtype: 'int32' }), v],
  );

describe('whileLoop on a backend that reads asynchronously', () => {
  it('runs through Backend.whileLoop when the backend has it, equal to the CPU backend, leaking nothing', async () => {
    const run = (b: string) =>
      withBackend(b, () => {
        const v = np.array([0.5, 1, 0.25], { dtype: 'float32' });
        const limit = np.array(40, { dtype: 'float32' });
        const out = f(v, limit);
        // the loop keeps its own references to what its functions close over
        v.dispose();
        limit.dispose();
        return out;
      });
    const want = run('cpu');
    run('async-loops');
    await settle();
    const before = (loopsBackend as Backend).stats();
    const got = run('async-loops');
    expect(await got[0].data()).toEqual(await want[0].data());
    expect(await got[1].data()).toEqual(await want[1].data());
    for (const x of got) x.dispose();
    await settle();
    expect((loopsBackend as Backend).stats()).toEqual(before);
  });

  it('is a clear error on a backend that cannot run it', () => {
    withBackend('async-noloops', () => {
      const v = np.array([0.5, 1, 0.25], { dtype: 'float32' });
      expect(() => f(v, np.array(40, { dtype: 'float32' }))).toThrow(
        /^whileLoop: its predicate lives on the async-noloops backend, which reads asynchronously and does not run loops itself \(Backend\.whileLoop\)/,
      );
    });
  });
});
