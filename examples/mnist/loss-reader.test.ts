import { np } from '@tenfold/core';
import { describe, expect, it } from 'vitest';
import { lossReader } from './loss-reader.js';

/** Adds the values one by one, collecting what `due()` returns after each, then `drain()`. */
async function readBack(values: readonly number[], groupSize: number, overlap: boolean): Promise<number[][]> {
  const reader = lossReader(groupSize, overlap);
  const out: number[][] = [];
  for (const v of values) {
    reader.add(np.array(v));
    out.push(await reader.due());
  }
  out.push(await reader.drain());
  return out;
}

describe('lossReader', () => {
  it('a group of one reads every loss at once', async () => {
    expect(await readBack([1, 2, 3], 1, false)).toEqual([[1], [2], [3], []]);
  });

  it('reads full groups, and the rest at drain', async () => {
    expect(await readBack([1, 2, 3, 4, 5], 2, false)).toEqual([[], [1, 2], [], [3, 4], [], [5]]);
  });

  it('with overlap, a group comes back when the next one is full; drain returns the rest in order', async () => {
    expect(await readBack([1, 2, 3, 4, 5, 6, 7], 2, true)).toEqual([[], [], [], [1, 2], [], [3, 4], [], [5, 6, 7]]);
  });

  it('keeps NaN and Infinity as they are (the run stops on them)', async () => {
    expect((await readBack([Number.NaN, Number.POSITIVE_INFINITY], 2, true)).flat()).toEqual([Number.NaN, Number.POSITIVE_INFINITY]);
  });
});
