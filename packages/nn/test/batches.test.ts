import { np, random, TenfoldError } from '@tenfold/core';
import { epochKey, numBatches, shuffledBatches, takeBatch } from '@tenfold/nn';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const values = (xs: { dataSync(): ArrayLike<number> }[]) => xs.map((x) => Array.from(x.dataSync()));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('shuffledBatches', () => {
  it('covers every index exactly once, in batches of batchSize with a partial last one (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 1000 }), (n, bs, seed) => {
        const batches = shuffledBatches(random.key(seed), n, bs);
        expect(batches.length).toBe(Math.ceil(n / bs));
        expect(batches.length).toBe(numBatches(n, bs));
        for (const b of batches) expect(b.dtype).toBe('int32');
        const sizes = batches.map((b) => b.shape[0]);
        expect(sizes.slice(0, -1).every((s) => s === bs)).toBe(true);
        expect(sizes[sizes.length - 1]).toBe(n - bs * (batches.length - 1));
        const all = values(batches).flat();
        expect([...all].sort((a, b) => a - b)).toEqual(range(n));
      }),
      { numRuns: 30 },
    );
  });

  it('keeps the partial last batch unless dropLast', () => {
    const key = random.key(1);
    expect(shuffledBatches(key, 10, 4).map((b) => b.shape[0])).toEqual([4, 4, 2]);
    expect(shuffledBatches(key, 10, 4, { dropLast: true }).map((b) => b.shape[0])).toEqual([4, 4]);
    expect(numBatches(10, 4, { dropLast: true })).toBe(2);
    expect(shuffledBatches(key, 8, 4, { dropLast: true }).map((b) => b.shape[0])).toEqual([4, 4]);
    expect(shuffledBatches(key, 3, 4, { dropLast: true })).toEqual([]);
    expect(shuffledBatches(key, 3, 4).map((b) => b.shape[0])).toEqual([3]);
    expect(shuffledBatches(key, 0, 4)).toEqual([]);
    // the kept batches of dropLast are the first batches of the full split
    expect(values(shuffledBatches(key, 10, 4, { dropLast: true }))).toEqual(values(shuffledBatches(key, 10, 4)).slice(0, 2));
  });

  it('is deterministic in the key and shuffles', () => {
    const a = values(shuffledBatches(random.key(7), 100, 16));
    const b = values(shuffledBatches(random.key(7), 100, 16));
    const c = values(shuffledBatches(random.key(8), 100, 16));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.flat()).not.toEqual(range(100));
    // the order is random.permutation's
    expect(a.flat()).toEqual(Array.from(random.permutation(random.key(7), 100).dataSync()));
  });

  it('shuffle: false keeps the order', () => {
    expect(values(shuffledBatches(random.key(0), 7, 3, { shuffle: false }))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('epochKey gives each epoch its own, reproducible order', () => {
    const key = random.key(3);
    const e0 = values(shuffledBatches(epochKey(key, 0), 50, 50))[0];
    const e1 = values(shuffledBatches(epochKey(key, 1), 50, 50))[0];
    expect(e0).not.toEqual(e1);
    expect(values(shuffledBatches(epochKey(key, 1), 50, 50))[0]).toEqual(e1);
    expect(Array.from(epochKey(key, 5).dataSync())).toEqual(Array.from(random.foldIn(key, 5).dataSync()));
  });

  it('rejects bad sizes', () => {
    const key = random.key(0);
    expect(() => shuffledBatches(key, 10, 0)).toThrow(TenfoldError);
    expect(() => shuffledBatches(key, -1, 2)).toThrow(/n must be an integer from 0/);
    expect(() => shuffledBatches(key, 2.5, 2)).toThrow(/n must be an integer/);
  });
});

describe('takeBatch', () => {
  it('gathers every array along axis 0', () => {
    const images = np.arange(0, 24, 1, { dtype: 'float32' }).reshape([6, 4]);
    const labels = np.array([10, 11, 12, 13, 14, 15]);
    const batch = takeBatch({ images, labels }, np.array([4, 1, 5]));
    expect(batch.images.shape).toEqual([3, 4]);
    expect(Array.from(batch.images.dataSync())).toEqual([16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23]);
    expect(Array.from(batch.labels.dataSync())).toEqual([14, 11, 15]);
    expect(Array.from(takeBatch({ labels }, [0, 2]).labels.dataSync())).toEqual([10, 12]);
  });

  it('gathers the batches of shuffledBatches (NCHW images)', () => {
    const images = np.arange(0, 5 * 4, 1, { dtype: 'float32' }).reshape([5, 1, 2, 2]);
    const labels = np.arange(0, 5, 1, { dtype: 'int32' });
    const seen: number[] = [];
    for (const idx of shuffledBatches(random.key(2), 5, 2)) {
      const { images: x, labels: y } = takeBatch({ images, labels }, idx);
      expect(x.shape).toEqual([idx.shape[0], 1, 2, 2]);
      const ys = Array.from(y.dataSync());
      expect(ys).toEqual(Array.from(idx.dataSync()));
      ys.forEach((l, i) => {
        expect(Array.from(x.dataSync()).slice(4 * i, 4 * i + 4)).toEqual([4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
      });
      seen.push(...ys);
    }
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects arrays of different lengths', () => {
    expect(() => takeBatch({ a: np.zeros([3, 2]), b: np.zeros([4]) }, [0])).toThrow(/'a' has 3 examples but 'b' has shape \[4\]/);
  });
});
