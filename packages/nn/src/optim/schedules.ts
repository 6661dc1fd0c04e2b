import { TenfoldError } from '@tenfold/core';
import type { Schedule } from './types.js';

function checkSteps(op: string, name: string, n: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new TenfoldError(op, `${name} must be a positive integer, got ${String(n)}`);
  return n;
}

/**
 * A constant learning rate as a schedule.
 *
 * @example
 * constantSchedule(0.01)(1234); // 0.01
 */
export function constantSchedule(value: number): Schedule {
  return () => value;
}

/**
 * `init · gamma^⌊step / stepSize⌋`, as `torch.optim.lr_scheduler.StepLR` counted in updates (for
 * a decay every epoch pass stepSize = batches per epoch).
 *
 * @example
 * const lr = stepDecay(1.0, 469, 0.7); // ×0.7 every 469 updates (one MNIST epoch of 128)
 * lr(0); lr(469); // 1, 0.7
 */
export function stepDecay(init: number, stepSize: number, gamma = 0.1): Schedule {
  checkSteps('stepDecay', 'stepSize', stepSize);
  return (step) => init * gamma ** Math.floor(step / stepSize);
}

/**
 * `init · rate^(step / transitionSteps)` (optax's `exponential_decay`); with `staircase` the
 * exponent is floored. `rate` 0.5 with transitionSteps 1000 halves the rate every 1000 updates.
 *
 * @example
 * const lr = exponentialDecay(0.1, 0.5, { transitionSteps: 1000 });
 * lr(1000); // 0.05
 */
export function exponentialDecay(init: number, rate: number, opts: { transitionSteps?: number; staircase?: boolean } = {}): Schedule {
  const n = checkSteps('exponentialDecay', 'transitionSteps', opts.transitionSteps ?? 1);
  return (step) => init * rate ** (opts.staircase ? Math.floor(step / n) : step / n);
}

/**
 * Cosine decay from `init` to `alpha·init` over `decaySteps` updates, constant afterwards
 * (optax's `cosine_decay_schedule`): init·((1 − alpha)·½(1 + cos(π·min(step, T)/T)) + alpha).
 *
 * @example
 * const lr = cosineDecay(0.1, 4690); // 10 MNIST epochs of 128
 * lr(0); lr(2345); lr(4690); // 0.1, 0.05, 0
 */
export function cosineDecay(init: number, decaySteps: number, opts: { alpha?: number } = {}): Schedule {
  const T = checkSteps('cosineDecay', 'decaySteps', decaySteps);
  const alpha = opts.alpha ?? 0;
  return (step) => init * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, T)) / T)) + alpha);
}

/**
 * Linear interpolation from `init` to `end` over `steps` updates, then `end` (optax's
 * `linear_schedule`): a warmup when init < end.
 *
 * @example
 * const warmup = linearSchedule(0, 0.1, 500);
 * warmup(250); // 0.05
 */
export function linearSchedule(init: number, end: number, steps: number): Schedule {
  const n = checkSteps('linearSchedule', 'steps', steps);
  return (step) => init + (end - init) * (Math.min(Math.max(step, 0), n) / n);
}

/**
 * Runs `schedules[i]` from `boundaries[i - 1]` on, each restarted at step 0 (optax's
 * `join_schedules`): `boundaries` has one entry fewer than `schedules`, increasing.
 *
 * @example
 * const lr = joinSchedules([linearSchedule(0, 0.1, 500), cosineDecay(0.1, 4500)], [500]); // warmup, then cosine
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const op = 'joinSchedules';
  if (schedules.length === 0 || boundaries.length !== schedules.length - 1) {
    throw new TenfoldError(op, `expected one boundary fewer than schedules, got ${schedules.length} schedules and ${boundaries.length} boundaries`);
  }
  boundaries.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 0 || (i > 0 && b <= (boundaries[i - 1] as number))) {
      throw new TenfoldError(op, `boundaries must be increasing integers >= 0, got [${boundaries.join(', ')}]`);
    }
  });
  return (step) => {
    let i = 0;
    while (i < boundaries.length && step >= (boundaries[i] as number)) i++;
    const start = i === 0 ? 0 : (boundaries[i - 1] as number);
    return (schedules[i] as Schedule)(step - start);
  };
}
