import type { ShapedArray } from '../aval.js';
import { contractionShapeRules } from './contractions.js';
import { controlShapeRules } from './control.js';
import { convShapeRules } from './conv.js';
import { customShapeRules } from './custom.js';
import { elementwiseShapeRules } from './elementwise.js';
import { indexingShapeRules } from './indexing.js';
import type { PrimitiveName, PrimitiveParams } from './params.js';
import { randomShapeRules } from './random.js';
import { reductionShapeRules } from './reductions.js';
import type { ShapeRule, ShapeRuleTable } from './rule-types.js';
import { shapeOpShapeRules } from './shape-ops.js';

const shapeRules: ShapeRuleTable = {
  ...elementwiseShapeRules,
  ...reductionShapeRules,
  ...shapeOpShapeRules,
  ...contractionShapeRules,
  ...indexingShapeRules,
  ...convShapeRules,
  ...randomShapeRules,
  ...customShapeRules,
  ...controlShapeRules,
};

/** Runs the shape rule of `prim`: the single place where every primitive's inputs are validated. */
export function abstractEval<P extends PrimitiveName>(prim: P, avals: readonly ShapedArray[], params: PrimitiveParams[P]): ShapedArray[] {
  const rule = shapeRules[prim] as ShapeRule<P> | undefined;
  if (!rule) throw new Error(`internal: primitive ${prim} has no shape rule`);
  return rule(avals, params);
}
