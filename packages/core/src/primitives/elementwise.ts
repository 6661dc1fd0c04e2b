import { ShapedArray } from '../aval.js';
import { type DType, isFloatDType, checkDType as knownDType } from '../dtype.js';
import { fail } from '../errors.js';
import { shapesEqual } from '../shape.js';
import { type DTypeClass, ELEMENTWISE, type ElementwiseEntry, type ElementwisePrimitive } from './elementwise-table.js';
import type { PrimitiveName } from './params.js';
import type { ShapeRule, ShapeRuleTable } from './rule-types.js';

/** What `prim` asks of its inputs' dtype and how to fix it, when `dtype` does not qualify; undefined when it does. */
function dtypeProblem(accepts: DTypeClass, dtype: DType): string | undefined {
  if (accepts === 'float' && !isFloatDType(dtype)) return "needs floating-point inputs, got %; cast with astype('float32') first";
  if (accepts === 'intOrBool' && isFloatDType(dtype)) return "needs int32 or bool inputs, got %; cast with astype('int32') first";
  if (accepts === 'int' && dtype !== 'int32') return "needs int32 inputs, got %; cast with astype('int32') first";
  if (accepts === 'numeric' && dtype === 'bool') return 'is not defined for bool inputs, got %; cast to int32 or float32 first';
  return undefined;
}

/** Fails unless `prim` accepts `dtype`; runs on every op, so it allocates nothing unless it fails. */
function checkDType(prim: PrimitiveName, accepts: DTypeClass, dtype: DType, avals: readonly ShapedArray[]): void {
  const problem = dtypeProblem(accepts, dtype);
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

/** The shape/dtype rule of a table primitive: operands of one shape and dtype that its class accepts. */
function tableRule(prim: ElementwisePrimitive): ShapeRule<ElementwisePrimitive> {
  const entry: ElementwiseEntry = ELEMENTWISE[prim];
  return (avals) => {
    const a = entry.arity === 1 ? (avals[0] as ShapedArray) : sameShapeAndDType(prim, avals);
    checkDType(prim, entry.accepts, a.dtype, avals);
    return [new ShapedArray(a.shape, entry.bool ? 'bool' : a.dtype)];
  };
}

const rules: Record<string, ShapeRule<ElementwisePrimitive>> = {};
for (const p of Object.keys(ELEMENTWISE) as ElementwisePrimitive[]) rules[p] = tableRule(p);

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
