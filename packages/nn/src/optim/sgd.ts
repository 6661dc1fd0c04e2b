import { np, TenfoldError } from '@tenfold/core';
import type { LearningRate, Moments, Optimizer } from './types.js';
import { checkCount, checkLikeParams, checkLr, checkRange, lrAt, mapArrays } from './util.js';

/**
 * Options of {@link sgd}, as `torch.optim.SGD`.
 *
 * @example
 * sgd({ lr: 0.01, momentum: 0.9, nesterov: true } satisfies SgdOptions);
 */
export interface SgdOptions {
  /** The learning rate: a number, or a schedule `(step) => number` of the update count. */
  lr: LearningRate;
  /** Momentum factor (default 0: plain SGD, no buffer). */
  momentum?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0, as torch). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient: g + weightDecay·p (default 0). */
  weightDecay?: number;
  /** Dampening of the momentum's gradient term (default 0). */
  dampening?: number;
}

/**
 * Stochastic gradient descent, exactly as `torch.optim.SGD`: with g = grad + weightDecay·p, the
 * momentum buffer is b = g on the first step and b = momentum·b + (1 − dampening)·g afterwards;
 * the step direction is g + momentum·b with `nesterov`, else b (g itself without momentum); then
 * p ← p − lr·direction. `lr` may be a schedule of the update count.
 *
 * @example
 * const opt = sgd({ lr: 0.01, momentum: 0.9 });
 * let optState = opt.init(params);
 * const grads = grad(lossFn)(params, batch);
 * ({ params, state: optState } = opt.update(grads, optState, params));
 * sgd({ lr: stepDecay(0.1, 1000, 0.5), momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 */
export function sgd(opts: SgdOptions): Optimizer<'sgd'> {
  const op = 'sgd';
  const lr = checkLr(op, opts.lr);
  const momentum = checkRange(op, 'momentum', opts.momentum ?? 0, 0, Number.POSITIVE_INFINITY);
  const dampening = checkRange(op, 'dampening', opts.dampening ?? 0, 0, 1);
  const weightDecay = checkRange(op, 'weightDecay', opts.weightDecay ?? 0, 0, Number.POSITIVE_INFINITY);
  const nesterov = opts.nesterov ?? false;
  if (nesterov && (momentum <= 0 || dampening !== 0)) throw new TenfoldError(op, 'nesterov momentum requires momentum > 0 and dampening 0 (as torch)');
  return {
    kind: 'sgd',
    init: (params) => ({ count: 0, momentum: momentum === 0 ? null : (mapArrays(op, (p) => np.zerosLike(np.asArray(p)), params) as never) }),
    update(grads, state, params) {
      const count = checkCount(op, state.count);
      checkLikeParams(op, params, count > 0 && state.momentum !== null ? { gradients: grads, 'momentum buffers': state.momentum } : { gradients: grads });
      const rate = lrAt(op, lr, count);
      const g = weightDecay === 0 ? grads : mapArrays(op, (gi, p) => np.add(gi, np.multiply(p, weightDecay)), grads, params);
      let buf: unknown = null;
      let direction = g;
      if (momentum !== 0) {
        if (state.momentum === null) throw new TenfoldError(op, 'the state has no momentum buffers; make it with the same sgd(...) optimizer');
        // the first buffer is the gradient itself, as torch, but as new arrays: the state must not
        // share objects with the gradients the caller may dispose
        buf =
          count === 0
            ? mapArrays(op, (gi) => np.array(gi), g)
            : mapArrays(op, (b, gi) => np.add(np.multiply(b, momentum), np.multiply(gi, 1 - dampening)), state.momentum, g);
        direction = nesterov ? mapArrays(op, (gi, b) => np.add(gi, np.multiply(b, momentum)), g, buf) : buf;
      }
      const next = mapArrays(op, (p, d) => np.subtract(p, np.multiply(d, rate)), params, direction);
      return { params: next as typeof params, state: { count: count + 1, momentum: buf as Moments<typeof params> | null } };
    },
  };
}
