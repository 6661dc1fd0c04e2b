// Internal helpers for the optimizers (not exported from the package).
import { type Array, Array as ArrayClass, np, TenfoldError, tree } from '@tenfold/core';
import type { LearningRate, OptArrays, Optimizer, OptimizerKind, OptState, UpdateScalars } from './types.js';

/** tree.map over trees whose leaves are arrays (or numbers), with the first tree's structure. */
export function mapArrays(op: string, f: (...xs: Array[]) => Array, first: unknown, ...rest: unknown[]): unknown {
  try {
    return tree.map((...leaves: unknown[]) => f(...(leaves as Array[])), first, ...rest);
  } catch (e) {
    if (e instanceof TenfoldError && e.message.includes('structure')) {
      throw new TenfoldError(op, `the gradients and optimizer state must have the parameters' structure: ${e.message}`);
    }
    throw e;
  }
}

/**
 * Fails unless every tree in `others` (gradients, moment buffers) has the parameters' structure
 * and, leaf by leaf, their shape and dtype: arithmetic would otherwise broadcast a wrong-shaped
 * gradient into the parameters, or promote them to another dtype, without a word.
 */
export function checkLikeParams(op: string, params: unknown, others: Readonly<Record<string, unknown>>): void {
  const [paramLeaves, paramDef] = tree.flattenWithPath(params);
  for (const [what, other] of Object.entries(others)) {
    const [leaves, def] = tree.flattenWithPath(other);
    if (!def.equals(paramDef)) throw new TenfoldError(op, `the ${what} must have the parameters' structure ${paramDef}, got ${def}`);
    leaves.forEach(([path, leaf], i) => {
      const p = paramLeaves[i]?.[1];
      if (!(leaf instanceof ArrayClass) || !(p instanceof ArrayClass)) return;
      if (leaf.shape.join() !== p.shape.join() || leaf.dtype !== p.dtype) {
        throw new TenfoldError(op, `the ${what} at ${path || 'the top'} is ${leaf.aval} but the parameter is ${p.aval}; they must match in shape and dtype`);
      }
    });
  }
}

/** The learning rate of update `count`. */
export function lrAt(op: string, lr: LearningRate, count: number): number {
  const v = typeof lr === 'function' ? lr(count) : lr;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TenfoldError(op, `the learning rate must be a finite number, got ${String(v)} at step ${count}`);
  return v;
}

export function checkLr(op: string, lr: unknown): LearningRate {
  if (typeof lr === 'function') return lr as LearningRate;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0)
    throw new TenfoldError(op, `lr must be a number >= 0 or a schedule (step) => number, got ${String(lr)}`);
  return lr;
}

export function checkRange(op: string, name: string, v: number, lo: number, hi: number, hiOpen = false): number {
  if (typeof v !== 'number' || !(v >= lo && (hiOpen ? v < hi : v <= hi))) {
    throw new TenfoldError(op, `${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${String(v)}`);
  }
  return v;
}

export function checkCount(op: string, count: unknown): number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new TenfoldError(op, `the state's count must be an integer >= 0, got ${String(count)}; pass the state init() or update() returned`);
  }
  return count;
}

/**
 * `x · s` in x's dtype: `s` is a JS number (eager updates) or a float scalar Array (a traced scalar
 * in a jitted step), cast to x's dtype when it differs. Multiplying by the number 1 returns x.
 */
export function scaleBy(x: Array, s: number | Array): Array {
  if (typeof s === 'number') return s === 1 ? x : np.multiply(x, s);
  return np.multiply(x, s.dtype === x.dtype ? s : np.astype(s, x.dtype));
}

/**
 * An {@link Optimizer} from its parts: `update` is `updateWith(grads, state without count, params,
 * scalars(count))` with the count checked and incremented, so eager and jitted updates run the
 * same array math.
 */
export function optimizerOf<K extends OptimizerKind>(
  kind: K,
  parts: {
    init: Optimizer<K>['init'];
    scalars: (count: number) => UpdateScalars;
    updateWith: Optimizer<K>['updateWith'];
  },
): Optimizer<K> {
  const scalars = (count: number): UpdateScalars => parts.scalars(checkCount(kind, count));
  return {
    kind,
    init: parts.init,
    scalars,
    updateWith: parts.updateWith,
    update(grads, state, params) {
      const { count, ...arrays } = state as OptState<typeof params, K> & { count: unknown };
      const s = scalars(count as number);
      const r = parts.updateWith(grads, arrays as unknown as OptArrays<typeof params, K>, params, s);
      return { params: r.params, state: { count: (count as number) + 1, ...r.state } as unknown as OptState<typeof params, K> };
    },
  };
}

/** The update scalar `name` of `scalars` (from `Optimizer.scalars`), or a clear error. */
export function scalarOf(op: string, scalars: UpdateScalars<number | Array>, name: string): number | Array {
  const v = scalars[name];
  if (v === undefined) throw new TenfoldError(op, `the update scalars have no '${name}'; pass the ones optimizer.scalars(count) returns`);
  return v;
}

/** `x / s` in x's dtype, `s` a JS number or a float scalar Array (see {@link scaleBy}). */
export function divideBy(x: Array, s: number | Array): Array {
  if (typeof s === 'number') return np.divide(x, s);
  return np.divide(x, s.dtype === x.dtype ? s : np.astype(s, x.dtype));
}
