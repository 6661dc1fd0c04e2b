import type { Array, ArrayLike } from '../array.js';
import { fresh } from '../concrete.js';
import { type DType, isFloatDType } from '../dtype.js';
import { fail } from '../errors.js';
import type { PrimitiveName } from '../primitives/params.js';
import { broadcastShapes } from '../shape.js';
import { bind1 } from '../trace.js';
import { isArray } from './is-array.js';
import { backendOf, broadcastIfNeeded, broadcastTo, castIfNeeded, prepareOperands, resultDType } from './operands.js';
import { scalar } from './scalar.js';

// The public operand helpers are np functions too (np.astype, np.broadcastTo, np.resultDType).
export { astype, broadcastTo, resultDType } from './operands.js';

function binary(prim: PrimitiveName, op: string, x: ArrayLike, y: ArrayLike, dtype?: DType): Array {
  return bind1(prim, prepareOperands(op, [x, y], dtype), {} as never);
}

/** Ops that only make sense for floats promote integer and bool inputs to float32, as jax.numpy. */
function floatDType(args: readonly ArrayLike[]): DType {
  const d = resultDType(args);
  return isFloatDType(d) ? d : 'float32';
}

function unaryFloat(prim: PrimitiveName, x: ArrayLike): Array {
  return bind1(prim, prepareOperands(prim, [x], floatDType([x])), {} as never);
}

function unaryNumeric(prim: PrimitiveName, x: ArrayLike): Array {
  const [a] = prepareOperands(prim, [x]);
  if (a!.dtype === 'bool') fail(prim, `is not defined for bool inputs, got ${a!.aval}; cast with astype('int32') first`);
  return bind1(prim, [a!], {} as never);
}

/** Elementwise `x + y` with broadcasting; logical or for two bools (as NumPy and JAX). @example np.add(np.array([1, 2]), 1) // [2, 3] */
export const add = (x: ArrayLike, y: ArrayLike): Array => (resultDType([x, y], 'add') === 'bool' ? logicalOr(x, y) : binary('add', 'add', x, y));
/** Elementwise `x - y`. @example np.subtract(x, y) */
export const subtract = (x: ArrayLike, y: ArrayLike): Array => binary('sub', 'subtract', x, y);
/** Elementwise `x * y`; logical and for two bools. @example np.multiply(x, 2) // stays float32 for a float32 x */
export const multiply = (x: ArrayLike, y: ArrayLike): Array =>
  resultDType([x, y], 'multiply') === 'bool' ? logicalAnd(x, y) : binary('mul', 'multiply', x, y);
/** True division; integers give float32. @example np.divide(np.array([1, 2]), 2) // [0.5, 1] */
export const divide = (x: ArrayLike, y: ArrayLike): Array => binary('div', 'divide', x, y, floatDType([x, y]));
/** Floor division `x // y` as NumPy. @example np.floorDivide(np.array([-7, 7]), 2) // [-4, 3] */
export function floorDivide(x: ArrayLike, y: ArrayLike): Array {
  const d = resultDType([x, y], 'floorDivide');
  if (isFloatDType(d)) {
    // NumPy's divmod: x - fmod(x, y) is an exact multiple of y, so rounding (x - fmod) / y to the
    // nearest integer is exact where floor(x / y) can round across one (1 // 0.1 is 9, not 10);
    // it agrees with remainder, and inf // y is NaN as in NumPy
    const [a, b] = prepareOperands('floorDivide', [x, y], d);
    const mod = bind1('rem', [a!, b!], {});
    const q = divide(subtract(a!, mod), b!);
    const div = where(logicalAnd(notEqual(mod, 0), notEqual(less(mod, 0), less(b!, 0))), subtract(q, 1), q);
    const fl = floor(div);
    return where(equal(b!, 0), divide(a!, b!), where(greater(subtract(div, fl), 0.5), add(fl, 1), fl));
  }
  const [a, b] = prepareOperands('floorDivide', [x, y], d === 'bool' ? 'int32' : d);
  const q = bind1('div', [a!, b!], {});
  const r = bind1('rem', [a!, b!], {});
  // truncation rounds toward zero; step down when the remainder's sign differs from the divisor's
  const fix = logicalAnd(notEqual(r, 0), notEqual(less(r, 0), less(b!, 0)));
  return where(fix, subtract(q, 1), q);
}
/** Remainder with the sign of the divisor (Python's `%`, NumPy's `mod`). @example np.remainder(-7, 3) // 2 */
export function remainder(x: ArrayLike, y: ArrayLike): Array {
  const d = resultDType([x, y], 'remainder');
  const [a, b] = prepareOperands('remainder', [x, y], d === 'bool' ? 'int32' : d);
  const r = bind1('rem', [a!, b!], {});
  const fix = logicalAnd(notEqual(r, 0), notEqual(less(r, 0), less(b!, 0)));
  return where(fix, add(r, b!), r);
}
/** `x ** y`. @example np.power(np.array([2, 3]), 2) // [4, 9] */
export const power = (x: ArrayLike, y: ArrayLike): Array => binary('pow', 'power', x, y);
/** Elementwise maximum; NaN propagates. @example np.maximum(x, 0) */
export const maximum = (x: ArrayLike, y: ArrayLike): Array => binary('max', 'maximum', x, y);
/** Elementwise minimum; NaN propagates. @example np.minimum(x, 1) */
export const minimum = (x: ArrayLike, y: ArrayLike): Array => binary('min', 'minimum', x, y);
/** Elementwise atan2(y, x). @example np.arctan2(y, x) */
export const arctan2 = (y: ArrayLike, x: ArrayLike): Array => binary('atan2', 'arctan2', y, x, floatDType([y, x]));

/** `x == y` elementwise, as bool. @example np.equal(x, 0) */
export const equal = (x: ArrayLike, y: ArrayLike): Array => binary('eq', 'equal', x, y);
/** `x != y` elementwise. @example np.notEqual(x, 0) */
export const notEqual = (x: ArrayLike, y: ArrayLike): Array => binary('ne', 'notEqual', x, y);
/** `x < y` elementwise. @example np.less(x, 0) */
export const less = (x: ArrayLike, y: ArrayLike): Array => binary('lt', 'less', x, y);
/** `x <= y` elementwise. @example np.lessEqual(x, 0) */
export const lessEqual = (x: ArrayLike, y: ArrayLike): Array => binary('le', 'lessEqual', x, y);
/** `x > y` elementwise. @example np.greater(x, 0) */
export const greater = (x: ArrayLike, y: ArrayLike): Array => binary('gt', 'greater', x, y);
/** `x >= y` elementwise. @example np.greaterEqual(x, 0) */
export const greaterEqual = (x: ArrayLike, y: ArrayLike): Array => binary('ge', 'greaterEqual', x, y);

function logical(prim: 'and' | 'or' | 'xor', x: ArrayLike, y: ArrayLike): Array {
  return bind1(prim, prepareOperands(prim, [x, y], 'bool'), {});
}
/** Elementwise logical and (inputs cast to bool). @example np.logicalAnd(a, b) */
export const logicalAnd = (x: ArrayLike, y: ArrayLike): Array => logical('and', x, y);
/** Elementwise logical or. @example np.logicalOr(a, b) */
export const logicalOr = (x: ArrayLike, y: ArrayLike): Array => logical('or', x, y);
/** Elementwise logical xor. @example np.logicalXor(a, b) */
export const logicalXor = (x: ArrayLike, y: ArrayLike): Array => logical('xor', x, y);
/** Elementwise logical not. @example np.logicalNot(mask) */
export const logicalNot = (x: ArrayLike): Array => bind1('not', prepareOperands('logicalNot', [x], 'bool'), {});

/** `-x`. @example np.negative(x) */
export const negative = (x: ArrayLike): Array => unaryNumeric('neg', x);
/** `|x|`. @example np.abs(np.array([-1, 2])) // [1, 2] */
export const abs = (x: ArrayLike): Array => unaryNumeric('abs', x);
/** Sign (-1, 0, 1; NaN stays NaN). @example np.sign(x) */
export const sign = (x: ArrayLike): Array => unaryNumeric('sign', x);
/** Floor. @example np.floor(np.array([1.5, -1.5])) // [1, -2] */
export const floor = (x: ArrayLike): Array => unaryNumeric('floor', x);
/** Ceiling. @example np.ceil(x) */
export const ceil = (x: ArrayLike): Array => unaryNumeric('ceil', x);
/** Round half to even, as NumPy. @example np.round(np.array([0.5, 1.5, 2.5])) // [0, 2, 2] */
export const round = (x: ArrayLike): Array => unaryNumeric('round', x);
/** e^x. @example np.exp(x) */
export const exp = (x: ArrayLike): Array => unaryFloat('exp', x);
/** 2^x. @example np.exp2(np.array([3, -1])) // [8, 0.5] */
export const exp2 = (x: ArrayLike): Array => unaryFloat('exp2', x);
/** Natural log (log of a negative is NaN, of 0 is -inf). @example np.log(x) */
export const log = (x: ArrayLike): Array => unaryFloat('log', x);
/** log(1 + x), accurate near 0. @example np.log1p(x) */
export const log1p = (x: ArrayLike): Array => unaryFloat('log1p', x);
/** e^x - 1, accurate near 0. @example np.expm1(x) */
export const expm1 = (x: ArrayLike): Array => unaryFloat('expm1', x);
/** Hyperbolic tangent. @example np.tanh(x) */
export const tanh = (x: ArrayLike): Array => unaryFloat('tanh', x);
/** Logistic sigmoid 1 / (1 + e^-x). @example np.sigmoid(x) */
export const sigmoid = (x: ArrayLike): Array => unaryFloat('logistic', x);
/** Square root. @example np.sqrt(x) */
export const sqrt = (x: ArrayLike): Array => unaryFloat('sqrt', x);
/** 1 / sqrt(x). @example np.rsqrt(x) */
export const rsqrt = (x: ArrayLike): Array => unaryFloat('rsqrt', x);
/** Sine. @example np.sin(x) */
export const sin = (x: ArrayLike): Array => unaryFloat('sin', x);
/** Cosine. @example np.cos(x) */
export const cos = (x: ArrayLike): Array => unaryFloat('cos', x);
/** Tangent. @example np.tan(x) */
export const tan = (x: ArrayLike): Array => divide(sin(x), cos(x));
/** x². @example np.square(x) */
export const square = (x: ArrayLike): Array => multiply(x, x);
/** 1 / x. @example np.reciprocal(x) */
export const reciprocal = (x: ArrayLike): Array => divide(1, x);
/** Inverse error function. @example np.erfinv(x) */
export const erfinv = (x: ArrayLike): Array => unaryFloat('erf_inv', x);

/** Whether each element is finite (not NaN or ±inf). @example np.isfinite(x) */
export function isfinite(x: ArrayLike): Array {
  const [a] = prepareOperands('isfinite', [x]);
  if (!isFloatDType(a!.dtype)) return full_(a!, true);
  return bind1('is_finite', [a!], {});
}
/** Whether each element is NaN. @example np.isnan(np.array([1, NaN])) // [false, true] */
export function isnan(x: ArrayLike): Array {
  const [a] = prepareOperands('isnan', [x]);
  return notEqual(a!, a!);
}
/** Whether each element is ±inf. @example np.isinf(x) */
export function isinf(x: ArrayLike): Array {
  const [a] = prepareOperands('isinf', [x]);
  if (!isFloatDType(a!.dtype)) return full_(a!, false);
  return equal(abs(a!), Number.POSITIVE_INFINITY);
}

function full_(like: Array, value: boolean): Array {
  return broadcastTo(scalar(value, 'bool', backendOf([like])), like.shape);
}

/**
 * Picks `x` where `cond` is true and `y` elsewhere, with broadcasting.
 *
 * @example
 * np.where(np.greater(x, 0), x, 0) // relu
 */
export function where(cond: ArrayLike, x: ArrayLike, y: ArrayLike): Array {
  const dtype = resultDType([x, y], 'where');
  const backend = backendOf([cond, x, y]);
  const c = isArray(cond) ? castIfNeeded(cond, 'bool') : scalar(cond, 'bool', backend);
  const a = isArray(x) ? castIfNeeded(x, dtype) : scalar(x, dtype, backend);
  const b = isArray(y) ? castIfNeeded(y, dtype) : scalar(y, dtype, backend);
  const shape = broadcastShapes('where', c.shape, a.shape, b.shape);
  return bind1('select', [broadcastIfNeeded(c, shape), broadcastIfNeeded(a, shape), broadcastIfNeeded(b, shape)], {});
}

/**
 * Limits values to [min, max] (either bound may be omitted).
 *
 * @example
 * np.clip(x, 0, 1)
 */
export function clip(x: ArrayLike, min?: ArrayLike | null, max?: ArrayLike | null): Array {
  let out = isArray(x) ? x : prepareOperands('clip', [x])[0]!;
  if (min !== undefined && min !== null) out = maximum(out, min);
  if (max !== undefined && max !== null) out = minimum(out, max);
  return out === x ? fresh(out, 'clip') : out;
}
