// A while loop on the device (Backend.whileLoop): the predicate of each step is read back
// asynchronously, and the next step is recorded when it arrives. Work issued after the loop waits
// in the device's Sequencer meanwhile, so it sees the final carry, which is copied into the output
// buffers the loop returned at once.
import type { DataHandle, WhileLoopSteps } from '@tenfold/core';
import type { Sequencer } from './sequencer.js';

/** What a loop needs from its device. */
export interface LoopDevice {
  readonly seq: Sequencer;
  retain(h: DataHandle): void;
  release(h: DataHandle): void;
  /** Records a copy of the 4-byte scalar `h` for reading, submits the recorded work, and resolves to its bits. */
  readScalar(h: DataHandle): Promise<number>;
  /** Records a copy of `from` into `to` (of the same size). */
  copy(from: DataHandle, to: DataHandle): void;
  /** Why the device is unusable, or null. */
  dead(): string | null;
  /** Records why a loop failed; the next read throws it. */
  fail(message: string): void;
  /** Failures and device errors so far (only grows): a loop stops when one came during it. */
  failures(): number;
}

/** Runs the loop of `steps` into `outs` (one new buffer per carry buffer), after the work issued before it. */
export function runWhile(dev: LoopDevice, steps: WhileLoopSteps, outs: readonly DataHandle[]): void {
  let carry = steps.carry.map((c) => {
    dev.retain(c.handle);
    return c.handle;
  });
  let mark = 0;
  let finished = false;
  const finish = (error: Error | null, report = true) => {
    if (finished) return;
    finished = true;
    try {
      if (error === null) for (let i = 0; i < carry.length; i++) dev.copy(carry[i] as DataHandle, outs[i] as DataHandle);
      else if (report && dev.dead() === null) dev.fail(error.message);
    } finally {
      for (const h of carry) dev.release(h);
      carry = [];
      steps.done();
    }
  };
  // a failed read of the predicate: the device is gone (the sequencer was cancelled) or the loop ends
  const lost = (e: Error) => {
    if (dev.dead() !== null) finish(e);
    else dev.seq.resume(() => finish(e));
  };
  const check = () => {
    let pending: Promise<number>;
    try {
      const c = steps.cond(carry);
      try {
        pending = dev.readScalar(c);
      } finally {
        dev.release(c);
      }
    } catch (e) {
      finish(e as Error);
      return;
    }
    dev.seq.busy = true;
    pending.then((go) => {
      if (dev.dead() !== null) finish(new Error(dev.dead() as string));
      else dev.seq.resume(() => next(go !== 0));
    }, lost);
  };
  const next = (go: boolean) => {
    // an error inside the loop (a nested loop's, the device's) leaves the predicate meaningless
    if (dev.failures() > mark) return finish(new Error('stopped after an error'), false);
    if (!go) return finish(null);
    try {
      const after = steps.body(carry);
      for (const h of carry) dev.release(h);
      carry = after;
    } catch (e) {
      return finish(e as Error);
    }
    dev.seq.submit({ run: check, fail: (e) => finish(e) });
  };
  dev.seq.submit({
    run: () => {
      mark = dev.failures();
      check();
    },
    fail: (e) => finish(e),
  });
}
