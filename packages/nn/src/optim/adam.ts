import { np } from '@tenfold/core';
import type { AdamState, LearningRate, Optimizer } from './types.js';
import { checkLikeParams, checkLr, checkRange, divideBy, lrAt, mapArrays, optimizerOf, scalarOf, scaleBy } from './util.js';

/**
 * Options of {@link adam} and {@link adamw}, as `torch.optim.Adam` / `torch.optim.AdamW`.
 *
 * @example
 * adam({ lr: 3e-4, b2: 0.98, weightDecay: 1e-4 } satisfies AdamOptions);
 */
export interface AdamOptions {
  /** The learning rate: a number or a schedule `(step) => number` (default 1e-3). */
  lr?: LearningRate;
  /** Decay of the first-moment estimate (default 0.9). */
  b1?: number;
  /** Decay of the second-moment estimate (default 0.999). */
  b2?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /**
   * Weight decay (default 0 for adam, 1e-2 for adamw): adam adds weightDecay·p to the gradient
   * (L2, as torch.optim.Adam); adamw decays the weights directly, p ← p·(1 − lr·weightDecay).
   */
  weightDecay?: number;
}

function adamLike<K extends 'adam' | 'adamw'>(kind: K, opts: AdamOptions, decoupled: boolean): Optimizer<K> {
  const op = kind;
  const rate = checkLr(op, opts.lr ?? 1e-3);
  const b1 = checkRange(op, 'b1', opts.b1 ?? 0.9, 0, 1, true);
  const b2 = checkRange(op, 'b2', opts.b2 ?? 0.999, 0, 1, true);
  const eps = checkRange(op, 'eps', opts.eps ?? 1e-8, 0, Number.POSITIVE_INFINITY);
  const weightDecay = checkRange(op, 'weightDecay', opts.weightDecay ?? (decoupled ? 1e-2 : 0), 0, Number.POSITIVE_INFINITY);
  const zeros = (params: unknown) => mapArrays(op, (p) => np.zerosLike(np.asArray(p)), params);
  return optimizerOf(kind, {
    init: (params) => ({ count: 0, mu: zeros(params), nu: zeros(params) }) as never,
    // the bias corrections of step t = count + 1, in JS: stepSize = lr/(1 − b1ᵗ), √(1 − b2ᵗ)
    scalars: (count) => {
      const lr = lrAt(op, rate, count);
      const t = count + 1;
      const s = { stepSize: lr / (1 - b1 ** t), bc2Sqrt: Math.sqrt(1 - b2 ** t) };
      return decoupled && weightDecay !== 0 ? { ...s, decay: 1 - lr * weightDecay } : s;
    },
    updateWith(grads, state, params, s) {
      const { mu, nu } = state as Omit<AdamState<typeof params>, 'count'>;
      checkLikeParams(op, params, { gradients: grads, 'first moments (mu)': mu, 'second moments (nu)': nu });
      const stepSize = scalarOf(op, s, 'stepSize');
      const bc2Sqrt = scalarOf(op, s, 'bc2Sqrt');
      const g = decoupled || weightDecay === 0 ? grads : mapArrays(op, (gi, p) => np.add(gi, np.multiply(p, weightDecay)), grads, params);
      const decay = decoupled && weightDecay !== 0 ? scalarOf(op, s, 'decay') : 1;
      const decayed = decay === 1 ? params : mapArrays(op, (p) => scaleBy(p, decay), params);
      // torch: exp_avg.lerp_(grad, 1 - b1); exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
      const mu2 = mapArrays(op, (m, gi) => np.add(m, np.multiply(np.subtract(gi, m), 1 - b1)), mu, g);
      const nu2 = mapArrays(op, (v, gi) => np.add(np.multiply(v, b2), np.multiply(np.multiply(gi, gi), 1 - b2)), nu, g);
      const next = mapArrays(op, (p, m, v) => np.subtract(p, scaleBy(np.divide(m, np.add(divideBy(np.sqrt(v), bc2Sqrt), eps)), stepSize)), decayed, mu2, nu2);
      return { params: next as typeof params, state: { mu: mu2, nu: nu2 } as never };
    },
  });
}

/**
 * Adam, as `torch.optim.Adam`: with g = grad + weightDecay·p, m ← b1·m + (1 − b1)·g,
 * v ← b2·v + (1 − b2)·g², and at step t (1-based)
 * p ← p − lr/(1 − b1ᵗ) · m / (√v / √(1 − b2ᵗ) + eps). `lr` may be a schedule of the update count.
 *
 * @example
 * const opt = adam({ lr: 1e-3 });
 * let optState = opt.init(params);
 * ({ params, state: optState } = opt.update(grads, optState, params));
 */
export function adam(opts: AdamOptions = {}): Optimizer<'adam'> {
  return adamLike('adam', opts, false);
}

/**
 * AdamW, as `torch.optim.AdamW`: Adam with decoupled weight decay, p ← p·(1 − lr·weightDecay)
 * before the Adam step (weightDecay defaults to 1e-2, as torch).
 *
 * @example
 * const opt = adamw({ lr: 1e-3, weightDecay: 0.05 });
 */
export function adamw(opts: AdamOptions = {}): Optimizer<'adamw'> {
  return adamLike('adamw', opts, true);
}
