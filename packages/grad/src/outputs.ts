import { type Array, np } from '@tenfold/core';

/**
 * `outs`, with any that is one of `inputs` (an identity function's output) replaced by a new array
 * on the same storage: no transform returns its argument object, so disposing a result never
 * disposes an argument (as core's ops).
 */
export function distinctFrom(inputs: Iterable<unknown>, outs: readonly Array[]): Array[] {
  const ins = new Set(inputs);
  return outs.map((o) => (ins.has(o) ? np.array(o) : o));
}
