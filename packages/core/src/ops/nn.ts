import type { Array, ArrayLike } from '../array.js';
import { isFloatDType } from '../dtype.js';
import { normalizeAxes } from '../shape.js';
import { divide, exp, isfinite, lessEqual, subtract, where } from './elementwise.js';
import { astype } from './operands.js';
import { logsumexp, max, sum } from './reductions.js';
import { asArray } from './scalar.js';

function asFloat(x: ArrayLike): Array {
  const a = asArray(x);
  return isFloatDType(a.dtype) ? a : astype(a, 'float32');
}

/**
 * max(x, 0), NaN staying NaN. Its derivative at 0 is 0, as jax.nn.relu and PyTorch (not the
 * half-and-half split of np.maximum at a tie). @example np.relu(np.array([-1, 2])) // [0, 2]
 */
export function relu(x: ArrayLike): Array {
  const a = asArray(x);
  // x ≤ 0 is false for NaN, which passes through
  return where(lessEqual(a, 0), 0, a);
}

/**
 * Softmax over `axis` (default last), stable for large inputs (shifted by the max).
 *
 * @example
 * np.softmax(np.array([1000, 1000])) // [0.5, 0.5]
 */
export function softmax(x: ArrayLike, axis: number | readonly number[] = -1): Array {
  const a = asFloat(x);
  const axes = normalizeAxes('softmax', axis, a.ndim);
  const m = max(a, axes, { keepdims: true });
  const e = exp(subtract(a, where(isfinite(m), m, 0)));
  return divide(e, sum(e, axes, { keepdims: true }));
}

/**
 * log(softmax(x)) over `axis` (default last), computed as x - logsumexp(x) so it never takes the
 * log of an underflowed zero.
 *
 * @example
 * np.logSoftmax(logits, -1)
 */
export function logSoftmax(x: ArrayLike, axis: number | readonly number[] = -1): Array {
  const a = asFloat(x);
  const axes = normalizeAxes('logSoftmax', axis, a.ndim);
  return subtract(a, logsumexp(a, axes, { keepdims: true }));
}
