/**
 * Minibatches: shuffled index batches from a PRNG key (same key, same order) and gathering a batch
 * of every array of a data set along its first axis.
 */
import { type Array, lax, np, random, TenfoldError } from '@tenfold/core';

export interface ShuffledBatchesOptions {
  /** Shuffle with `random.permutation(key, n)` (default true); false keeps the order 0..n-1. */
  readonly shuffle?: boolean;
  /** Drop the last batch when it is smaller than `batchSize` (default false: keep it). */
  readonly dropLast?: boolean;
}

function checkCount(op: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > 2147483647) {
    throw new TenfoldError(op, `${name} must be an integer from ${min} to 2^31 - 1, got ${String(v)}`);
  }
  return v;
}

/**
 * How many batches {@link shuffledBatches} makes of `n` examples.
 *
 * @example
 * numBatches(10, 4);                      // 3
 * numBatches(10, 4, { dropLast: true });  // 2
 */
export function numBatches(n: number, batchSize: number, opts: { readonly dropLast?: boolean } = {}): number {
  checkCount('numBatches', 'n', n, 0);
  checkCount('numBatches', 'batchSize', batchSize, 1);
  return opts.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Splits the indices 0..n-1, shuffled by `random.permutation(key, n)`, into int32 [batchSize] index
 * arrays; the last one is smaller when `batchSize` does not divide `n` (dropped with `dropLast`).
 * The same key always gives the same batches: derive one key per epoch with {@link epochKey}.
 * The arrays live on the key's backend (nothing is read back to JS).
 *
 * @example
 * for (const idx of shuffledBatches(epochKey(key, epoch), 60000, 128)) {
 *   const { images, labels } = takeBatch(train, idx);
 *   ...
 * }
 */
export function shuffledBatches(key: Array, n: number, batchSize: number, opts: ShuffledBatchesOptions = {}): Array[] {
  const op = 'shuffledBatches';
  checkCount(op, 'n', n, 0);
  checkCount(op, 'batchSize', batchSize, 1);
  const count = numBatches(n, batchSize, opts);
  if (count === 0) return [];
  const order = (opts.shuffle ?? true) ? random.permutation(key, n) : np.arange(0, n, 1, { dtype: 'int32' });
  if (count === 1 && batchSize >= n) return [order];
  const out: Array[] = [];
  for (let b = 0; b < count; b++) {
    const start = b * batchSize;
    out.push(lax.slice(order, [start], [Math.min(n, start + batchSize)]));
  }
  return out;
}

/**
 * The key of epoch `epoch`: `random.foldIn(key, epoch)`, so every epoch has its own order and a
 * run restarted at epoch k sees the same order as before.
 *
 * @example
 * const batches = shuffledBatches(epochKey(dataKey, 3), n, 64);
 */
export function epochKey(key: Array, epoch: number): Array {
  return random.foldIn(key, epoch);
}

/** A data set: arrays of equal first dimension (e.g. `{ images, labels }`). */
export type Dataset = { readonly [name: string]: Array };

/**
 * Gathers the examples at `indices` from every array of `dataset`, along axis 0 (`np.take`).
 *
 * @example
 * const batch = takeBatch({ images, labels }, idx); // { images: [B, 784], labels: [B] }
 */
export function takeBatch<D extends { readonly [K in keyof D]: Array }>(dataset: D, indices: Array | readonly number[]): { [K in keyof D]: Array } {
  const entries = Object.entries(dataset) as [string, Array][];
  const first = entries[0];
  if (first !== undefined) {
    const n = first[1].shape[0];
    for (const [name, x] of entries) {
      if (x.ndim === 0 || x.shape[0] !== n) {
        throw new TenfoldError(
          'takeBatch',
          `every array needs the same first dimension: '${first[0]}' has ${n} examples but '${name}' has shape [${x.shape.join(',')}]`,
        );
      }
    }
  }
  return Object.fromEntries(entries.map(([name, x]) => [name, np.take(x, indices, 0)])) as { [K in keyof D]: Array };
}
