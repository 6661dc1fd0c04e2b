import type { Array, ArrayLike } from '../array.js';
import { fresh } from '../concrete.js';
import { isFloatDType } from '../dtype.js';
import { fail } from '../errors.js';
import type { PrimitiveName } from '../primitives/params.js';
import { normalizeAxes, normalizeAxis, shapesEqual } from '../shape.js';
import { bind1 } from '../trace.js';
import { divide, exp, isfinite, log, multiply, subtract, where } from './elementwise.js';
import { normalizeIndexArray } from './indexing.js';
import { astype, backendOf, broadcastTo, onBackendOf } from './operands.js';
import { asArray, scalar } from './scalar.js';
import { reshape } from './shape.js';

export type Axis = number | readonly number[] | null | undefined;
export interface ReduceOptions {
  /** Keep reduced axes as length-1 dimensions (for broadcasting against the input). */
  keepdims?: boolean;
}

function keep(out: Array, x: Array, axes: readonly number[], keepdims: boolean | undefined): Array {
  if (!keepdims) return out;
  return reshape(
    out,
    x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
  );
}

function reduce(prim: PrimitiveName, op: string, x: ArrayLike, axis: Axis, opts: ReduceOptions = {}): Array {
  let a = asArray(x);
  const axes = normalizeAxes(op, axis, a.ndim);
  // NumPy sums booleans as integers
  if ((prim === 'reduce_sum' || prim === 'reduce_prod') && a.dtype === 'bool') a = astype(a, 'int32');
  if (a.size === 0 && (prim === 'reduce_max' || prim === 'reduce_min') && axes.some((ax) => a.shape[ax] === 0)) {
    fail(op, `zero-size array [${a.shape.join(',')}] has no ${op} along axes [${axes.join(',')}] (the reduction has no identity)`);
  }
  // no axes: the input itself, as a new array unless a cast made one already
  const out = axes.length === 0 ? (a === x ? fresh(a, op) : a) : bind1(prim as 'reduce_sum', [a], { axes });
  return keep(out, a, axes, opts.keepdims);
}

/** Sum over `axis` (all axes by default). @example np.sum(x, 0); x.sum([0, 1], { keepdims: true }) */
export const sum = (x: ArrayLike, axis?: Axis, opts?: ReduceOptions): Array => reduce('reduce_sum', 'sum', x, axis, opts);
/** Product over `axis`. @example np.prod(np.array([1, 2, 3])) // 6 */
export const prod = (x: ArrayLike, axis?: Axis, opts?: ReduceOptions): Array => reduce('reduce_prod', 'prod', x, axis, opts);
/** Maximum over `axis`; NaN propagates. @example np.max(x, -1) */
export const max = (x: ArrayLike, axis?: Axis, opts?: ReduceOptions): Array => reduce('reduce_max', 'max', x, axis, opts);
/** Minimum over `axis`; NaN propagates. @example np.min(x) */
export const min = (x: ArrayLike, axis?: Axis, opts?: ReduceOptions): Array => reduce('reduce_min', 'min', x, axis, opts);
/** any/all as max/min over bool; an empty input reduces to the identity (false / true), as NumPy. */
function boolReduce(prim: 'reduce_max' | 'reduce_min', op: string, x: ArrayLike, axis: Axis, opts: ReduceOptions = {}): Array {
  const a = astype(asArray(x), 'bool');
  if (a.size > 0) return reduce(prim, op, a, axis, opts);
  const axes = normalizeAxes(op, axis, a.ndim);
  const shape = a.shape.flatMap((d, i) => (!axes.includes(i) ? [d] : opts.keepdims ? [1] : []));
  return broadcastTo(scalar(prim === 'reduce_min', 'bool', backendOf([a])), shape);
}
/** Whether any element is true (false for none). @example np.any(np.greater(x, 0)) */
export const any = (x: ArrayLike, axis?: Axis, opts?: ReduceOptions): Array => boolReduce('reduce_max', 'any', x, axis, opts);
/** Whether all elements are true (true for none). @example np.all(np.isfinite(x)) */
export const all = (x: ArrayLike, axis?: Axis, opts?: ReduceOptions): Array => boolReduce('reduce_min', 'all', x, axis, opts);

/** Mean over `axis`; integers give float32. @example np.mean(x, 0) */
export function mean(x: ArrayLike, axis?: Axis, opts: ReduceOptions = {}): Array {
  const a = asArray(x);
  const axes = normalizeAxes('mean', axis, a.ndim);
  const n = axes.reduce((p, ax) => p * (a.shape[ax] as number), 1);
  const f = isFloatDType(a.dtype) ? a : astype(a, 'float32');
  return divide(sum(f, axes, opts), n);
}

export interface VarOptions extends ReduceOptions {
  /** Delta degrees of freedom: divide by N - ddof (0 = population variance, as NumPy). */
  ddof?: number;
}

/** Variance over `axis` (two-pass, numerically stable). @example np.var(x, 0, { ddof: 1 }) */
export function variance(x: ArrayLike, axis?: Axis, opts: VarOptions = {}): Array {
  const a = asArray(x);
  const f = isFloatDType(a.dtype) ? a : astype(a, 'float32');
  const axes = normalizeAxes('var', axis, a.ndim);
  const n = axes.reduce((p, ax) => p * (a.shape[ax] as number), 1);
  const centered = subtract(f, mean(f, axes, { keepdims: true }));
  return divide(sum(multiply(centered, centered), axes, opts), Math.max(0, n - (opts.ddof ?? 0)));
}

/** Standard deviation over `axis`. @example np.std(x) */
export function std(x: ArrayLike, axis?: Axis, opts: VarOptions = {}): Array {
  return bind1('sqrt', [variance(x, axis, opts)], {});
}

function argReduce(prim: 'argmax' | 'argmin', x: ArrayLike, axis: number | null | undefined, keepdims: boolean | undefined): Array {
  const x0 = asArray(x);
  let a = x0;
  let ax: number;
  if (axis === undefined || axis === null) {
    a = reshape(a, [a.size]);
    ax = 0;
  } else ax = normalizeAxis(prim, axis, a.ndim);
  // only the reduced axis must be non-empty (NumPy gives an empty result when another axis is 0)
  if (a.shape[ax] === 0) fail(prim, `attempt to get ${prim} of an empty sequence (shape [${x0.shape.join(',')}])`);
  const out = bind1(prim, [a], { axis: ax });
  // keepdims keeps x's rank: the reduced axis (every axis, without one) becomes 1
  return keepdims
    ? reshape(
        out,
        x0.shape.map((d, i) => (axis === undefined || axis === null || i === ax ? 1 : d)),
      )
    : out;
}

/** Index of the maximum (first occurrence; of the flattened array when `axis` is omitted). @example np.argmax(logits, -1) */
export const argmax = (x: ArrayLike, axis?: number | null, opts: ReduceOptions = {}): Array => argReduce('argmax', x, axis, opts.keepdims);
/** Index of the minimum. @example np.argmin(x) */
export const argmin = (x: ArrayLike, axis?: number | null, opts: ReduceOptions = {}): Array => argReduce('argmin', x, axis, opts.keepdims);

/**
 * log(sum(exp(x))) over `axis`, computed stably by shifting with the maximum.
 *
 * @example
 * np.logsumexp(np.array([1000, 1000])) // 1000.6931
 */
export function logsumexp(x: ArrayLike, axis?: Axis, opts: ReduceOptions = {}): Array {
  const a = asArray(x);
  const f = isFloatDType(a.dtype) ? a : astype(a, 'float32');
  const axes = normalizeAxes('logsumexp', axis, f.ndim);
  // an empty reduction is log(0) = -inf, as JAX (max has no identity there, so skip the shift)
  if (axes.some((ax) => f.shape[ax] === 0)) return log(sum(exp(f), axes, opts));
  const m = max(f, axes, { keepdims: true });
  // an infinite max would give inf - inf = NaN; shift by 0 there instead
  const shift = where(isfinite(m), m, 0);
  const s = log(sum(exp(subtract(f, broadcastTo(shift, f.shape))), axes, { keepdims: true }));
  const out = bind1('add', [s, shift], {});
  return opts.keepdims
    ? out
    : reshape(
        out,
        f.shape.filter((_, i) => !axes.includes(i)),
      );
}

/**
 * Indices that sort `x` along `axis` (stable; NaN last).
 *
 * @example
 * np.argsort(np.array([3, 1, 2])) // [1, 2, 0]
 */
export function argsort(x: ArrayLike, axis = -1, opts: { descending?: boolean } = {}): Array {
  const a = asArray(x);
  if (a.ndim === 0) return reshape(bind1('argsort', [reshape(a, [1])], { axis: 0, descending: false }), []);
  return bind1('argsort', [a], { axis: normalizeAxis('argsort', axis, a.ndim), descending: opts.descending ?? false });
}

/**
 * Sorted copy of `x` along `axis`.
 *
 * @example
 * np.sort(np.array([3, 1, 2])) // [1, 2, 3]
 */
export function sort(x: ArrayLike, axis = -1): Array {
  const a = asArray(x);
  if (a.ndim === 0) return a === x ? fresh(a, 'sort') : a;
  const ax = normalizeAxis('sort', axis, a.ndim);
  return takeAlongAxis(a, argsort(a, ax), ax);
}

/**
 * Picks values along `axis` at `indices` of the same rank, as np.take_along_axis: the other
 * dimensions of x and indices broadcast against each other. @example np.takeAlongAxis(x, np.argsort(x, 1), 1)
 */
export function takeAlongAxis(x: ArrayLike, indices: Array, axis: number): Array {
  let a = asArray(x);
  const ax = normalizeAxis('takeAlongAxis', axis, a.ndim);
  if (indices.ndim !== a.ndim) fail('takeAlongAxis', `indices must have the rank of x (${a.ndim}), got [${indices.shape.join(',')}]`);
  // the dimensions other than axis broadcast (NumPy); the result has indices' length along axis
  const outShape = a.shape.map((d, i) => {
    const k = indices.shape[i] as number;
    if (i === ax || d === k || d === 1 || k === 1) return i === ax ? k : Math.max(d, k);
    return fail(
      'takeAlongAxis',
      `x ${a.aval} and indices ${indices.aval} do not broadcast in dimension ${i} (${d} vs ${k}); the dimensions other than axis ${ax} must match or be 1`,
    );
  });
  const xShape = outShape.map((d, i) => (i === ax ? (a.shape[ax] as number) : d));
  if (!shapesEqual(a.shape, xShape)) a = broadcastTo(a, xShape);
  if (!shapesEqual(indices.shape, outShape)) indices = broadcastTo(indices, outShape);
  // flatten to one gather: linear index = sum over axes of position * stride
  const strides = a.shape.map((_, i) => a.shape.slice(i + 1).reduce((p, d) => p * d, 1));
  // negative indices wrap and concrete out-of-range ones throw, as in np.take / indexing
  const idx = normalizeIndexArray(indices, a.shape[ax] as number, ax, a.shape, 'takeAlongAxis');
  let linear: Array = multiply(idx, strides[ax] as number);
  for (let i = 0; i < a.ndim; i++) {
    if (i === ax) continue;
    const io = onBackendOf([a], () => bind1('iota', [], { dtype: 'int32', shape: [...outShape], dimension: i }));
    linear = bind1('add', [linear, multiply(io, strides[i] as number)], {});
  }
  return bind1('gather', [reshape(a, [a.size]), linear], { axis: 0 });
}
