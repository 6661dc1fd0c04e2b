// Reading the per-batch losses back to JavaScript. On the CPU a read costs nothing, so every loss
// is read as soon as its step ran. On WebGPU a read waits for the device to finish everything
// queued before it: reading every batch would stop the queue 300 times an epoch. There the losses
// stay on the device and are read in groups, and a group's read is awaited only when the next
// group is full, so the device runs the next steps while JavaScript waits for the values.
import type { Array } from '@tenfold/core';

export interface LossReader {
  /** A step's loss, still on the device; read later, in the order added. */
  add(loss: Array): void;
  /** The values whose reads are due (possibly none), in order. */
  due(): Promise<number[]>;
  /** Every value not yet returned, in order (at the end of an epoch or a stopped run). */
  drain(): Promise<number[]>;
}

const readAll = async (losses: readonly Array[]): Promise<number[]> => Promise.all(losses.map(async (l) => (await l.itemAsync()) as number));

/**
 * Reads groups of `groupSize` losses; with `overlap`, a full group's read starts at once and is
 * awaited when the next group is full (values come back up to two groups late).
 */
export function lossReader(groupSize: number, overlap: boolean): LossReader {
  let pending: Array[] = [];
  let inFlight: Promise<number[]> | undefined;
  const take = (): Array[] => {
    const group = pending;
    pending = [];
    return group;
  };
  return {
    add: (loss) => {
      pending.push(loss);
    },
    due: async () => {
      if (pending.length < groupSize) return [];
      if (!overlap) return readAll(take());
      const earlier = inFlight;
      inFlight = readAll(take());
      // awaited later: without a handler now, a failed read would be an unhandled rejection
      inFlight.catch(() => {});
      return earlier === undefined ? [] : earlier;
    },
    drain: async () => {
      const earlier = inFlight === undefined ? [] : await inFlight;
      inFlight = undefined;
      return [...earlier, ...(await readAll(take()))];
    },
  };
}
