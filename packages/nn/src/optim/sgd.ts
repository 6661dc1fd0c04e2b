import { np, TenfoldError } from '@tenfold/core';
import type { LearningRate, Moments, Optimizer, UpdateScalars } from './types.js';
import { checkLikeParams, checkLr, checkRange, lrAt, mapArrays, optimizerOf, scalarOf, scaleBy } from './util.js';

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
  const rate = checkLr(op, opts.lr);
  const momentum = checkRange(op, 'momentum', opts.momentum ?? 0, 0, Number.POSITIVE_INFINITY);
  const dampening = checkRange(op, 'dampening', opts.dampening ?? 0, 0, 1);
  const weightDecay = checkRange(op, 'weightDecay', opts.weightDecay ?? 0, 0, Number.POSITIVE_INFINITY);
  const nesterov = opts.nesterov ?? false;
  if (nesterov && (momentum <= 0 || dampening !== 0)) throw new TenfoldError(op, 'nesterov momentum requires momentum > 0 and dampening 0 (as torch)');
  return optimizerOf('sgd', {
    init: (params) => ({ count: 0, momentum: momentum === 0 ? null : (mapArrays(op, (p) => np.zerosLike(np.asArray(p)), params) as never) }),
    // torch's first step sets the buffer to the gradient itself (b = g, undampened); as scalars,
    // b = b·0 + g·1 there (the buffers start at zero), b·momentum + g·(1 − dampening) afterwards
    scalars: (count): UpdateScalars => {
      const lr = lrAt(op, rate, count);
      return momentum === 0 ? { lr } : { lr, bufferScale: count === 0 ? 0 : momentum, gradScale: count === 0 ? 1 : 1 - dampening };
    },
    updateWith(grads, state, params, s) {
      const buffers = state.momentum;
      if (momentum !== 0 && buffers === null) throw new TenfoldError(op, 'the state has no momentum buffers; make it with the same sgd(...) optimizer');
      checkLikeParams(op, params, buffers !== null && momentum !== 0 ? { gradients: grads, 'momentum buffers': buffers } : { gradients: grads });
      const lr = scalarOf(op, s, 'lr');
      const g = weightDecay === 0 ? grads : mapArrays(op, (gi, p) => np.add(gi, np.multiply(p, weightDecay)), grads, params);
      let buf: unknown = null;
      let direction = g;
      if (momentum !== 0) {
        const bufferScale = scalarOf(op, s, 'bufferScale');
        const gradScale = scalarOf(op, s, 'gradScale');
        // new arrays even on the first step: the state must not share objects with the gradients,
        // which the caller may dispose
        buf = mapArrays(op, (b, gi) => np.add(scaleBy(b, bufferScale), scaleBy(gi, gradScale)), buffers, g);
        direction = nesterov ? mapArrays(op, (gi, b) => np.add(gi, np.multiply(b, momentum)), g, buf) : buf;
      }
      const next = mapArrays(op, (p, d) => np.subtract(p, scaleBy(d, lr)), params, direction);
      return { params: next as typeof params, state: { momentum: buf as Moments<typeof params> | null } };
    },
  });
}
