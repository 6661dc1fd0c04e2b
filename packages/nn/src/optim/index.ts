/**
 * Optimizers as pure folds, optax-style: `init(params) -> state`,
 * `update(grads, state, params) -> { params, state }`, over any parameter pytree; learning rates
 * may be schedules of the update count.
 *
 * @example
 * import { sgd, cosineDecay } from '@tenfold/nn';
 * const opt = sgd({ lr: cosineDecay(0.1, 5000), momentum: 0.9 });
 */
export { type AdamOptions, adam, adamw } from './adam.js';
export { constantSchedule, cosineDecay, exponentialDecay, joinSchedules, linearSchedule, stepDecay } from './schedules.js';
export { type SgdOptions, sgd } from './sgd.js';
export type {
  AdamState,
  LearningRate,
  Moments,
  OptArrays,
  Optimizer,
  OptimizerKind,
  OptimizerStates,
  OptState,
  Schedule,
  SgdState,
  UpdateResult,
  UpdateScalars,
} from './types.js';
