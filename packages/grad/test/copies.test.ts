// grad meeting an array of a second copy of @tenfold/core (what a duplicate install under
// node_modules/@tenfold/grad gave: "tree.leaves: unsupported value at the root: an instance of
// ConcreteArray"): the error names the cause.
import { type Array, np } from '@tenfold/core';
import { grad, vmap } from '@tenfold/grad';
import { describe, expect, it, vi } from 'vitest';

describe('arrays from another copy of @tenfold/core', () => {
  it('grad and vmap say that two copies are loaded', async () => {
    vi.resetModules();
    const other = (await import('@tenfold/core')) as typeof import('@tenfold/core');
    const x = other.np.array([1, 2, 3], { dtype: 'float32' }) as unknown as Array;
    const f = (v: Array) => np.sum(np.multiply(v, v));
    expect(() => grad(f)(x)).toThrow(/^tree\.\w+: two copies of @tenfold\/core are loaded: the array at the root was made by @tenfold\/core 0\.1\.0/);
    expect(() => vmap(f)(x)).toThrow(/two copies of @tenfold\/core are loaded/);
    // the same call with this copy's array works
    expect(globalThis.Array.from(await grad(f)(np.array([1, 2, 3], { dtype: 'float32' })).data())).toEqual([2, 4, 6]);
  });
});
