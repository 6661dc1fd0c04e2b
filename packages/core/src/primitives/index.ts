export { type ConvGeometry, convGeometry, convShape, windowOutputSize } from './conv.js';
export {
  BINARY_PRIMITIVES,
  COMPARISON_PRIMITIVES,
  type DTypeClass,
  ELEMENTWISE,
  type ElementwiseEntry,
  type ElementwisePrimitive,
  elementwiseEntry,
  UNARY_PRIMITIVES,
} from './elementwise-table.js';
export { gatherShape } from './indexing.js';
export * from './params.js';
export { abstractEval } from './registry.js';
export type { ShapeRule } from './rule-types.js';
