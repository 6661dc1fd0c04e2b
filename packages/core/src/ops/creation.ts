import type { Array, ArrayLike } from '../array.js';
import { getBackend, withBackend } from '../backend/backend.js';
import { type DType, defaultDTypeOf, isDType } from '../dtype.js';
import { fail } from '../errors.js';
import { checkShape } from '../shape.js';
import { bind1 } from '../trace.js';
import { asArray, scalar } from './convert.js';
import { add, astype, backendOf, broadcastTo, equal, multiply, onBackendOf } from './elementwise.js';
import { reshape } from './shape.js';

export interface CreationOptions {
  /** Element type (default float32). */
  dtype?: DType;
  /** Backend name (default: the current default backend). */
  backend?: string;
}

function checkDType(op: string, dtype: DType): DType {
  if (!isDType(dtype)) fail(op, `unknown dtype '${String(dtype)}'; use float32, float64, int32 or bool`);
  return dtype;
}

/**
 * An array of `shape` filled with `value`.
 *
 * @example
 * np.full([2, 3], 7, { dtype: 'int32' });
 */
export function full(shape: number | readonly number[], value: number | boolean, opts: CreationOptions = {}): Array {
  return filled('full', shape, value, opts);
}

/** `full` that reports errors as `op`. */
function filled(op: string, shape: number | readonly number[], value: number | boolean, opts: CreationOptions): Array {
  const s = checkShape(op, typeof shape === 'number' ? [shape] : shape);
  const dtype = checkDType(op, opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  return broadcastTo(scalar(value, dtype, getBackend(opts.backend)), s);
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
 * integers, else float32).
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
  const dtype = checkDType('arange', opts.dtype ?? ([lo, hi, step].every((v) => defaultDTypeOf(v) === 'int32') ? 'int32' : 'float32'));
  return withBackend(opts.backend, () => {
    const io = astype(bind1('iota', [], { dtype: 'int32', shape: [n], dimension: 0 }), dtype === 'bool' ? 'int32' : dtype);
    return astype(add(multiply(io, step), lo), dtype);
  });
}

/**
 * `num` evenly spaced values over [start, stop] (the end included unless `endpoint` is false).
 *
 * @example
 * np.linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, stop: number, num = 50, opts: CreationOptions & { endpoint?: boolean } = {}): Array {
  if (!Number.isInteger(num) || num < 0) fail('linspace', `num must be an integer >= 0, got ${num}`);
  const endpoint = opts.endpoint ?? true;
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const dtype = checkDType('linspace', opts.dtype ?? 'float32');
  return withBackend(opts.backend, () => {
    const io = bind1('iota', [], { dtype: dtype === 'float64' ? 'float64' : 'float32', shape: [num], dimension: 0 });
    let out = add(multiply(io, step), start);
    // pin the last value to `stop` exactly, as NumPy does
    if (endpoint && num > 1) {
      const last = equal(io, num - 1);
      out = bind1('select', [last, broadcastTo(asArray(stop, io.dtype), [num]), out], {});
    }
    return astype(out, dtype);
  });
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
  const classes = onBackendOf([a], () => bind1('iota', [], { dtype: 'int32', shape: [...a.shape, numClasses], dimension: a.ndim }));
  const labels = broadcastTo(reshape(astype(a, 'int32'), [...a.shape, 1]), [...a.shape, numClasses]);
  return astype(equal(labels, classes), checkDType('oneHot', opts.dtype ?? 'float32'));
}
