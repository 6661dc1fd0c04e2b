// Two copies of core in one process: vi.resetModules() makes the next import evaluate core's
// modules again, as a second install under node_modules would: a second Array class.
import { readFileSync } from 'node:fs';
import { np, tree, version } from '@tenfold/core';
import { describe, expect, it, vi } from 'vitest';

type Core = typeof import('@tenfold/core');

async function secondCopy(): Promise<Core> {
  vi.resetModules();
  return (await import('@tenfold/core')) as Core;
}

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('an array from another copy of @tenfold/core', () => {
  it('is named as such by tree functions, with both versions and locations', async () => {
    const other = await secondCopy();
    const foreign = other.np.ones([2]);
    expect(foreign instanceof other.Array).toBe(true);
    expect(foreign instanceof np.ones([1]).constructor).toBe(false);
    let message = '';
    try {
      tree.leaves({ w: foreign });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(
      /^tree\.leaves: two copies of @tenfold\/core are loaded: the array at w was made by @tenfold\/core 0\.1\.0 \(file:\/\/.*\/packages\/core\/\)/,
    );
    expect(message).toContain('but this code runs @tenfold/core 0.1.0 (file://');
    expect(message).toContain('npm ls @tenfold/core');
    // at the root too (the case of grad(f)(x) with x from the other copy)
    expect(() => tree.flatten(foreign)).toThrow(/^tree\.flatten: two copies of @tenfold\/core are loaded: the array at the root was made by/);
  });

  it('is named as such by ops that take it as an operand', async () => {
    const other = await secondCopy();
    const foreign = other.np.array([1, 2]);
    expect(() => np.add(foreign as never, 1)).toThrow(/^add: two copies of @tenfold\/core are loaded/);
    expect(() => np.asArray(foreign as never)).toThrow(/^asArray: two copies of @tenfold\/core are loaded/);
    // and the other way round
    expect(() => other.tree.leaves([np.zeros([1])])).toThrow(/two copies of @tenfold\/core are loaded: the array at \[0\]/);
  });

  it('arrays of this copy and plain objects keep their usual behaviour', () => {
    expect(tree.leaves({ a: np.ones([1]), b: 2 })).toHaveLength(2);
    expect(() => tree.leaves(new Map())).toThrow(/^tree\.leaves: unsupported value at the root: an instance of Map/);
    // an object that only looks branded (not a copy's record) is an ordinary unsupported value
    const fake = { [Symbol.for('@tenfold/core.Array')]: 'x' };
    Object.setPrototypeOf(fake, {});
    expect(() => tree.leaves(fake)).toThrow(/unsupported value at the root/);
  });

  it("the version it names is package.json's", () => {
    expect(version).toBe(packageJson.version);
  });
});
