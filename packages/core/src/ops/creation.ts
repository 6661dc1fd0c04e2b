import type { Array, ArrayLike } from '../array.js';
import { getBackend, withBackend } from '../backend/backend.js';
import { allocTyped, checkDType, type DType, defaultDTypeOf, INT32_MAX, INT32_MIN } from '../dtype.js';
import { fail } from '../errors.js';
import { checkShape, checkSize } from '../shape.js';
import { bind1 } from '../trace.js';
import { fromNumbers } from './convert.js';
import { add, equal, multiply } from './elementwise.js';
import { astype, backendOf, broadcastTo, onBackendOf } from './operands.js';
import { asArray, scalar } from './scalar.js';
import { reshape } from './shape.js';

export interface CreationOptions {
  /** Element type (default float32; for `full`, from the fill value). */
  dtype?: DType;
  /** Backend name (default: the current default backend). */
  backend?: string;
}

/**
 * An array of `shape` filled with `value`. Without a dtype it follows the value, as jax.numpy:
 * a boolean gives bool, an integer in int32 range int32, anything else float32. JS has no
 * separate float literal, so `np.full([2], 7.0)` is int32 too: pass `{ dtype: 'float32' }` when a
 * float array is meant.
 *
 * @example
 * np.full([2, 3], 7);                       // int32
 * np.full([2], 0.5);                        // float32
 * np.full([2], 1, { dtype: 'float32' });    // float32
 */
export function full(shape: number | readonly number[], value: number | boolean, opts: CreationOptions = {}): Array {
  return filled('full', shape, value, { ...opts, dtype: opts.dtype ?? defaultDTypeOf(value) });
}

/** `full` that reports errors as `op` (float32 unless `opts` says, as zeros and ones). */
function filled(op: string, shape: number | readonly number[], value: number | boolean, opts: CreationOptions): Array {
  const s = checkShape(op, typeof shape === 'number' ? [shape] : shape);
  const dtype = checkDType(op, opts.dtype ?? 'float32');
  checkSize(op, s, dtype);
  return broadcastTo(scalar(value, dtype, getBackend(opts.backend), op), s);
}

/** Zeros of `shape` (float32 by default). @example np.zeros([2, 3]) */
export const zeros = (shape: number | readonly number[], opts: CreationOptions = {}): Array => filled('zeros', shape, 0, opts);
/** Ones of `shape`. @example np.ones([3], { dtype: 'int32' }) */
export const ones = (shape: number | readonly number[], opts: CreationOptions = {}): Array => filled('ones', shape, 1, opts);
/** Zeros with the shape and dtype of `x`. @example np.zerosLike(params.w) */
export const zerosLike = (x: Array, opts: CreationOptions = {}): Array => full(x.shape, 0, { dtype: x.dtype, backend: backendOf([x]).name, ...opts });
/** Ones with the shape and dtype of `x`. @example np.onesLike(x) */
export const onesLike = (x: Array, opts: CreationOptions = {}): Array => full(x.shape, 1, { dtype: x.dtype, backend: backendOf([x]).name, ...opts });
/** `value` with the shape and dtype of `x`. @example np.fullLike(x, 0.5) */
export const fullLike = (x: Array, value: number | boolean, opts: CreationOptions = {}): Array =>
  full(x.shape, value, { dtype: x.dtype, backend: backendOf([x]).name, ...opts });

/**
 * Evenly spaced values in [start, stop) with `step`, as NumPy (int32 when all arguments are
 * integers, else float32). Integer arguments whose values do not fit int32 are an error (pass a
 * float dtype); `stop` itself is excluded, so `arange(2147483640, 2147483648)` is int32.
 *
 * @example
 * np.arange(5)          // [0, 1, 2, 3, 4]
 * np.arange(1, 2, 0.25) // [1, 1.25, 1.5, 1.75]
 */
export function arange(start: number, stop?: number, step = 1, opts: CreationOptions = {}): Array {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  for (const v of [lo, hi, step]) if (!Number.isFinite(v)) fail('arange', `arguments must be finite numbers, got start=${lo}, stop=${hi}, step=${step}`);
  if (step === 0) fail('arange', 'step must not be zero');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const ints = [lo, hi, step].every(Number.isInteger);
  const dtype = checkDType('arange', opts.dtype ?? (ints ? 'int32' : 'float32'));
  checkSize('arange', [n], dtype);
  const last = lo + (n - 1) * step;
  const fits = (v: number): boolean => Math.trunc(v) >= INT32_MIN && Math.trunc(v) <= INT32_MAX;
  if (dtype === 'int32' && n > 0 && !(fits(lo) && fits(last))) {
    fail('arange', `the values ${lo}..${last} do not fit int32 (${INT32_MIN}..${INT32_MAX}); pass { dtype: 'float64' } or 'float32'`);
  }
  return withBackend(opts.backend, () => {
    const io = bind1('iota', [], { dtype: 'int32', shape: [n], dimension: 0 });
    // int32 arithmetic wraps mod 2^32, so io * (step wrapped to int32) + lo lands on the true
    // values (they fit) even where step itself or an intermediate product does not
    if (ints && dtype === 'int32') return add(multiply(io, step | 0), lo);
    return astype(add(multiply(astype(io, dtype === 'bool' ? 'int32' : dtype), step), lo), dtype);
  });
}

/**
 * `num` evenly spaced values over [start, stop] (the end included unless `endpoint` is false),
 * as NumPy: `start + i * step` computed in float64 and rounded once to the dtype (so float32
 * element 9 of linspace(0, 1, 11) is float32(0.9)), the endpoint exactly `stop`; an int32 dtype
 * floors (NumPy >= 1.20 and JAX: linspace(-5, 0, 4) → [-5, -4, -2, 0]).
 *
 * @example
 * np.linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, stop: number, num = 50, opts: CreationOptions & { endpoint?: boolean } = {}): Array {
  if (!Number.isInteger(num) || num < 0) fail('linspace', `num must be an integer >= 0, got ${num}`);
  const endpoint = opts.endpoint ?? true;
  const dtype = checkDType('linspace', opts.dtype ?? 'float32');
  checkSize('linspace', [num], dtype);
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const values = allocTyped('float64', num);
  for (let i = 0; i < num; i++) values[i] = start + i * step;
  if (endpoint && num > 1) values[num - 1] = stop;
  if (dtype === 'int32') for (let i = 0; i < num; i++) values[i] = Math.floor(values[i] as number);
  return fromNumbers('linspace', values, [num], dtype, getBackend(opts.backend));
}

/**
 * The identity matrix (or ones on the `k`-th diagonal) of shape [n, m].
 *
 * @example
 * np.eye(3);
 * np.eye(2, 3, 1);
 */
export function eye(n: number, m?: number, k = 0, opts: CreationOptions = {}): Array {
  const cols = m ?? n;
  checkShape('eye', [n, cols]);
  const dtype = checkDType('eye', opts.dtype ?? 'float32');
  checkSize('eye', [n, cols], dtype);
  return withBackend(opts.backend, () => {
    const rows = bind1('iota', [], { dtype: 'int32', shape: [n, cols], dimension: 0 });
    const colsI = bind1('iota', [], { dtype: 'int32', shape: [n, cols], dimension: 1 });
    return astype(equal(add(rows, k), colsI), dtype);
  });
}

/**
 * One-hot encoding: a new last axis of length `numClasses` (indices outside the range give a row
 * of zeros, as jax.nn.one_hot).
 *
 * @example
 * np.oneHot(np.array([0, 2]), 3) // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(x: ArrayLike, numClasses: number, opts: { dtype?: DType } = {}): Array {
  const a = asArray(x);
  if (!Number.isInteger(numClasses) || numClasses < 0) fail('oneHot', `numClasses must be an integer >= 0, got ${numClasses}`);
  const dtype = checkDType('oneHot', opts.dtype ?? 'float32');
  checkSize('oneHot', [...a.shape, numClasses], dtype);
  const classes = onBackendOf([a], () => bind1('iota', [], { dtype: 'int32', shape: [...a.shape, numClasses], dimension: a.ndim }));
  const labels = broadcastTo(reshape(astype(a, 'int32'), [...a.shape, 1]), [...a.shape, numClasses]);
  return astype(equal(labels, classes), dtype);
}
