export { convShape, windowOutputSize } from './conv.js';
export type { BinaryPrimitive, ComparisonPrimitive, UnaryPrimitive } from './elementwise.js';
export { BINARY_PRIMITIVES, COMPARISON_PRIMITIVES, UNARY_PRIMITIVES } from './elementwise.js';
export { gatherShape } from './indexing.js';
export * from './params.js';
export { abstractEval } from './registry.js';
export type { ShapeRule } from './rule-types.js';
