import { ShapedArray } from '../aval.js';
import { type DType, isFloatDType, checkDType as knownDType } from '../dtype.js';
import { fail } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { PrimitiveName } from './params.js';
import type { ShapeRule, ShapeRuleTable } from './rule-types.js';

export const BINARY_PRIMITIVES = [
  'add',
  'sub',
  'mul',
  'div',
  'rem',
  'pow',
  'max',
  'min',
  'atan2',
  'and',
  'or',
  'xor',
  'shift_left',
  'shift_right_logical',
  'shift_right_arithmetic',
] as const;
export const COMPARISON_PRIMITIVES = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
export const UNARY_PRIMITIVES = [
  'neg',
  'not',
  'exp',
  'log',
  'log1p',
  'expm1',
  'tanh',
  'logistic',
  'sqrt',
  'rsqrt',
  'sin',
  'cos',
  'abs',
  'sign',
  'floor',
  'ceil',
  'round',
  'is_finite',
  'erf_inv',
] as const;

export type BinaryPrimitive = (typeof BINARY_PRIMITIVES)[number];
export type ComparisonPrimitive = (typeof COMPARISON_PRIMITIVES)[number];
export type UnaryPrimitive = (typeof UNARY_PRIMITIVES)[number];

/** Which dtypes each elementwise primitive accepts. */
const FLOAT_ONLY = new Set<PrimitiveName>(['exp', 'log', 'log1p', 'expm1', 'tanh', 'logistic', 'sqrt', 'rsqrt', 'sin', 'cos', 'atan2', 'erf_inv', 'is_finite']);
const INT_OR_BOOL_ONLY = new Set<PrimitiveName>(['and', 'or', 'xor', 'not']);
const INT_ONLY = new Set<PrimitiveName>(['shift_left', 'shift_right_logical', 'shift_right_arithmetic']);
const NUMERIC_ONLY = new Set<PrimitiveName>(['add', 'sub', 'mul', 'div', 'rem', 'pow', 'neg', 'abs', 'sign', 'floor', 'ceil', 'round']);

/** What `prim` asks of its inputs' dtype and how to fix it, when `dtype` does not qualify; undefined when it does. */
function dtypeProblem(prim: PrimitiveName, dtype: DType): string | undefined {
  if (FLOAT_ONLY.has(prim) && !isFloatDType(dtype)) return "needs floating-point inputs, got %; cast with astype('float32') first";
  if (INT_OR_BOOL_ONLY.has(prim) && isFloatDType(dtype)) return "needs int32 or bool inputs, got %; cast with astype('int32') first";
  if (INT_ONLY.has(prim) && dtype !== 'int32') return "needs int32 inputs, got %; cast with astype('int32') first";
  if (NUMERIC_ONLY.has(prim) && dtype === 'bool') return 'is not defined for bool inputs, got %; cast to int32 or float32 first';
  return undefined;
}

/** Fails unless `prim` accepts `dtype`; runs on every op, so it allocates nothing unless it fails. */
function checkDType(prim: PrimitiveName, dtype: DType, avals: readonly ShapedArray[]): void {
  const problem = dtypeProblem(prim, dtype);
  if (problem !== undefined) fail(prim, problem.replace('%', avals.map(String).join(' and ')));
}

function sameShapeAndDType(prim: PrimitiveName, avals: readonly ShapedArray[]): ShapedArray {
  const first = avals[0] as ShapedArray;
  for (const a of avals) {
    if (!shapesEqual(a.shape, first.shape) || a.dtype !== first.dtype) {
      fail(
        prim,
        `operands must have the same shape and dtype, got ${avals.map((x) => x.toString()).join(' and ')}; use the np.* functions for broadcasting and type promotion`,
      );
    }
  }
  return first;
}

function binaryRule(prim: BinaryPrimitive): ShapeRule<BinaryPrimitive> {
  return (avals) => {
    const a = sameShapeAndDType(prim, avals);
    checkDType(prim, a.dtype, avals);
    return [new ShapedArray(a.shape, a.dtype)];
  };
}

function comparisonRule(prim: ComparisonPrimitive): ShapeRule<ComparisonPrimitive> {
  return (avals) => {
    const a = sameShapeAndDType(prim, avals);
    return [new ShapedArray(a.shape, 'bool')];
  };
}

function unaryRule(prim: UnaryPrimitive): ShapeRule<UnaryPrimitive> {
  return ([a]) => {
    const x = a as ShapedArray;
    checkDType(prim, x.dtype, [x]);
    return [new ShapedArray(x.shape, prim === 'is_finite' ? 'bool' : x.dtype)];
  };
}

// The elementwise primitives share three parameterless rules.
const rules: Record<string, ShapeRule<BinaryPrimitive> | ShapeRule<ComparisonPrimitive> | ShapeRule<UnaryPrimitive>> = {};
for (const p of BINARY_PRIMITIVES) rules[p] = binaryRule(p);
for (const p of COMPARISON_PRIMITIVES) rules[p] = comparisonRule(p);
for (const p of UNARY_PRIMITIVES) rules[p] = unaryRule(p);

export const elementwiseShapeRules: ShapeRuleTable = {
  ...(rules as ShapeRuleTable),
  stop_gradient: ([x]) => [x as ShapedArray],
  select: ([pred, onTrue, onFalse]) => {
    const p = pred as ShapedArray;
    const t = onTrue as ShapedArray;
    const f = onFalse as ShapedArray;
    if (p.dtype !== 'bool') fail('select', `predicate must be bool, got ${p}`);
    if (!shapesEqual(p.shape, t.shape) || !shapesEqual(t.shape, f.shape) || t.dtype !== f.dtype) {
      fail('select', `predicate and branches must share one shape and the branches one dtype, got ${p}, ${t}, ${f}`);
    }
    return [new ShapedArray(t.shape, t.dtype)];
  },
  convert_element_type: ([x], { dtype }) => [new ShapedArray((x as ShapedArray).shape, knownDType('convert_element_type', dtype))],
  bitcast_convert_type: ([x], { dtype }) => {
    const a = x as ShapedArray;
    const ok = (d: DType) => d === 'int32' || d === 'float32';
    if (!ok(a.dtype) || !ok(dtype)) fail('bitcast_convert_type', `only between int32 and float32, got ${a.dtype} -> ${dtype}`);
    return [new ShapedArray(a.shape, dtype)];
  },
};
