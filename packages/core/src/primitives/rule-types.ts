import type { ShapedArray } from '../aval.js';
import type { PrimitiveName, PrimitiveParams } from './params.js';

/** Computes output avals from input avals, validating shapes and dtypes (throws a clear error). */
export type ShapeRule<P extends PrimitiveName> = (avals: readonly ShapedArray[], params: PrimitiveParams[P]) => ShapedArray[];

export type ShapeRuleTable = Partial<{ [P in PrimitiveName]: ShapeRule<P> }>;
