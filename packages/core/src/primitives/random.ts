import { ShapedArray } from '../aval.js';
import { fail } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { ShapeRuleTable } from './rule-types.js';

export const randomShapeRules: ShapeRuleTable = {
  threefry2x32: (avals) => {
    const first = avals[0] as ShapedArray;
    if (avals.length !== 4) fail('threefry2x32', `expects 4 operands (k0, k1, x0, x1), got ${avals.length}`);
    for (const a of avals) {
      if (a.dtype !== 'int32' || !shapesEqual(a.shape, first.shape)) {
        fail('threefry2x32', `operands must be int32 of one shape, got ${avals.map(String).join(', ')}`);
      }
    }
    return [new ShapedArray(first.shape, 'int32'), new ShapedArray(first.shape, 'int32')];
  },
};
