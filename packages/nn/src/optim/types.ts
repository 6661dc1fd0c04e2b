import type { Array, tree } from '@tenfold/core';

/**
 * A learning-rate schedule: the learning rate of update number `step` (0 for the first update,
 * then 1, 2, ...: the optimizer state's `count` before the update). It runs in JS on the host
 * (`Optimizer.scalars`), never traced, so any JS function works, in a jitted step too.
 *
 * @example
 * const lr: Schedule = (step) => (step < 1000 ? 0.1 : 0.01);
 */
export type Schedule = (step: number) => number;

/**
 * A learning rate: a constant, or a {@link Schedule} of the update count.
 *
 * @example
 * sgd({ lr: 0.01 });
 * sgd({ lr: cosineDecay(0.1, 10_000) });
 */
export type LearningRate = number | Schedule;

/**
 * A pytree of arrays with the structure of the parameters `P` (gradients, momentum buffers,
 * moment estimates): `P` with every leaf an Array.
 *
 * @example
 * const grads: Moments<Params> = grad(lossFn)(params, batch);
 */
export type Moments<P> = tree.MapLeaves<P, Array>;

/**
 * The state of {@link sgd}: the update count and the momentum buffers (`null` without momentum).
 *
 * @example
 * const s: SgdState<Params> = sgd({ lr: 0.1, momentum: 0.9 }).init(params); // { count: 0, momentum: zeros }
 */
export type SgdState<P> = {
  /** Updates done so far (the schedule's step). */
  count: number;
  /** One buffer per parameter; `null` when momentum is 0. */
  momentum: Moments<P> | null;
};

/**
 * The state of {@link adam} / {@link adamw}: the update count and the moment estimates.
 *
 * @example
 * const s: AdamState<Params> = adam().init(params); // { count: 0, mu: zeros, nu: zeros }
 */
export type AdamState<P> = {
  /** Updates done so far (the schedule's step; t − 1 in the bias corrections). */
  count: number;
  /** First-moment (mean) estimates, one per parameter. */
  mu: Moments<P>;
  /** Second-moment (uncentered variance) estimates, one per parameter. */
  nu: Moments<P>;
};

/**
 * The optimizer states by optimizer kind, as a type-level map from the parameters' type `P` (a
 * "higher-kinded" lookup, as fp-ts's `URItoKind`): `OptState<P, 'sgd'>` is `SgdState<P>`. Add your
 * own optimizer's state by declaration merging (`declare module '@tenfold/nn' { interface
 * OptimizerStates<P> { mine: MyState<P> } }`); a state holds its update count as `count: number`
 * (the host side of the update, see {@link Optimizer}) and Arrays otherwise.
 *
 * @example
 * type S = OptimizerStates<Params>['adam']; // AdamState<Params>
 */
export interface OptimizerStates<P> {
  sgd: SgdState<P>;
  adam: AdamState<P>;
  adamw: AdamState<P>;
}

/**
 * The kinds of optimizers: the keys of {@link OptimizerStates}.
 *
 * @example
 * const kind: OptimizerKind = sgd({ lr: 0.1 }).kind; // 'sgd'
 */
export type OptimizerKind = keyof OptimizerStates<unknown>;

/**
 * The state of an optimizer of kind `K` for parameters of type `P`.
 *
 * @example
 * type S = OptState<[DenseParams, null, DenseParams], 'adam'>; // { count; mu; nu }
 */
export type OptState<P, K extends OptimizerKind> = OptimizerStates<P>[K];

/**
 * The per-update scalars of an optimizer (the learning rate its schedule gives, bias corrections,
 * first-step factors), by name: computed in JS on the host from the update count by
 * `Optimizer.scalars`, and fed to `Optimizer.updateWith` as JS numbers (eager) or as scalar
 * Arrays (inside a jitted step, where they are traced: one compiled program serves every step).
 *
 * @example
 * const s: UpdateScalars = sgd({ lr: cosineDecay(0.1, 100), momentum: 0.9 }).scalars(50); // { lr: 0.05, ... }
 */
export type UpdateScalars<T = number> = Readonly<Record<string, T>>;

/**
 * The array part of an optimizer state: the state without its host-side update `count` (what
 * `Optimizer.updateWith` reads and returns, and what a jitted train step traces).
 *
 * @example
 * type A = OptArrays<Params, 'adam'>; // { mu: Moments<Params>; nu: Moments<Params> }
 */
export type OptArrays<P, K extends OptimizerKind> = Omit<OptState<P, K>, 'count'>;

/**
 * The result of `Optimizer.update`: the new parameters and the new optimizer state.
 *
 * @example
 * const { params: next, state }: UpdateResult<Params, SgdState<Params>> = opt.update(grads, optState, params);
 */
export interface UpdateResult<P, S> {
  readonly params: P;
  readonly state: S;
}

/**
 * An optimizer as a pure fold, optax-style: `init(params)` makes its state (typed from the
 * parameters' type) and `update(grads, state, params)` returns the next parameters and state.
 * Nothing is mutated; params may be any pytree of float arrays (its leaves come back as Arrays).
 *
 * An update is split in two, so that it can run inside `jit` without retracing every step: the
 * state's `count` (a JS number, the schedule's step) stays on the host, where `scalars(count)`
 * evaluates the learning-rate schedule and every other per-step number in JS; `updateWith` is the
 * array math, with those scalars as its inputs and no JS branch on the count. `update` is exactly
 * `updateWith(grads, stateWithoutCount, params, scalars(count))` with `count + 1`.
 * (`trainStep(lossFn, optimizer, { jit: true })` passes them as traced scalar Arrays.)
 *
 * @example
 * const opt = sgd({ lr: 0.01, momentum: 0.9 });
 * let state = opt.init(params);
 * ({ params, state } = opt.update(grads, state, params));
 */
export interface Optimizer<K extends OptimizerKind> {
  /** Which optimizer (selects the state type in {@link OptimizerStates}). */
  readonly kind: K;
  /** The initial state for `params` (zeros for buffers, `count` 0). */
  init<P>(params: P): OptState<P, K>;
  /** One step: the new parameters and state, from the gradients (same structure as params). */
  update<P>(grads: Moments<P>, state: OptState<P, K>, params: P): UpdateResult<P, OptState<P, K>>;
  /**
   * The scalars of update number `count` (0 for the first), computed in JS: the learning rate from
   * its schedule and the optimizer's other per-step numbers. Throws for a count that is not an
   * integer >= 0, or a schedule that gives a non-finite rate.
   */
  scalars(count: number): UpdateScalars;
  /**
   * The array math of one update, given `scalars(count)`: the new parameters and state arrays (the
   * state without `count`). The scalars may be JS numbers or float scalar Arrays (traced ones
   * inside `jit`); no JS value is read from any Array, so it traces once for every step.
   */
  updateWith<P>(grads: Moments<P>, state: OptArrays<P, K>, params: P, scalars: UpdateScalars<number | Array>): UpdateResult<P, OptArrays<P, K>>;
}
