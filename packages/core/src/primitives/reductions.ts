import { ShapedArray } from '../aval.js';
import { fail } from '../errors.js';
import type { ShapeRuleTable } from './rule-types.js';

function checkAxes(op: string, x: ShapedArray, axes: readonly number[]): void {
  const seen = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < 0 || a >= x.ndim) fail(op, `axis ${a} is out of bounds for ${x} (axes must be normalized to 0..${x.ndim - 1})`);
    if (seen.has(a)) fail(op, `repeated axis ${a} for ${x}`);
    seen.add(a);
  }
}

function reduceRule(op: string) {
  return ([x]: readonly ShapedArray[], { axes }: { readonly axes: readonly number[] }) => {
    const a = x as ShapedArray;
    checkAxes(op, a, axes);
    if ((op === 'reduce_sum' || op === 'reduce_prod') && a.dtype === 'bool') fail(op, `is not defined for bool ${a}; cast first`);
    if ((op === 'reduce_max' || op === 'reduce_min') && a.size === 0) {
      const empty = axes.some((ax) => a.shape[ax] === 0);
      if (empty) fail(op, `zero-size reduction over ${a} has no identity; pass an initial value or reduce a non-empty axis`);
    }
    return [
      new ShapedArray(
        a.shape.filter((_, i) => !axes.includes(i)),
        a.dtype,
      ),
    ];
  };
}

function argRule(op: string) {
  return ([x]: readonly ShapedArray[], { axis }: { readonly axis: number }) => {
    const a = x as ShapedArray;
    checkAxes(op, a, [axis]);
    if (a.shape[axis] === 0) fail(op, `cannot take ${op} of an empty axis ${axis} of ${a}`);
    return [
      new ShapedArray(
        a.shape.filter((_, i) => i !== axis),
        'int32',
      ),
    ];
  };
}

export const reductionShapeRules: ShapeRuleTable = {
  reduce_sum: reduceRule('reduce_sum'),
  reduce_max: reduceRule('reduce_max'),
  reduce_min: reduceRule('reduce_min'),
  reduce_prod: reduceRule('reduce_prod'),
  argmax: argRule('argmax'),
  argmin: argRule('argmin'),
  argsort: ([x], { axis }) => {
    const a = x as ShapedArray;
    checkAxes('argsort', a, [axis]);
    return [new ShapedArray(a.shape, 'int32')];
  },
};
