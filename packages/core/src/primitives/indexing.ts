import { ShapedArray } from '../aval.js';
import { fail } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { ShapeRuleTable } from './rule-types.js';

/** Shape of `operand` indexed along `axis` by `indices`: operand[:axis] + indices + operand[axis+1:]. */
export function gatherShape(operand: ShapedArray, indices: ShapedArray, axis: number): number[] {
  return [...operand.shape.slice(0, axis), ...indices.shape, ...operand.shape.slice(axis + 1)];
}

function checkGather(op: string, operand: ShapedArray, indices: ShapedArray, axis: number): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= operand.ndim) fail(op, `axis ${axis} is out of bounds for ${operand}`);
  if (indices.dtype !== 'int32') fail(op, `indices must be int32, got ${indices}`);
  if (operand.shape[axis] === 0 && indices.size > 0) fail(op, `cannot index the empty axis ${axis} of ${operand}`);
}

function scatterRule(op: 'scatter' | 'scatter_add') {
  return ([o, i, u]: readonly ShapedArray[], { axis }: { readonly axis: number }) => {
    const operand = o as ShapedArray;
    const indices = i as ShapedArray;
    const updates = u as ShapedArray;
    checkGather(op, operand, indices, axis);
    const want = gatherShape(operand, indices, axis);
    if (!shapesEqual(updates.shape, want) || updates.dtype !== operand.dtype) {
      fail(op, `updates must be ${operand.dtype}[${want.join(',')}] for ${operand} indexed by ${indices} on axis ${axis}, got ${updates}`);
    }
    return [new ShapedArray(operand.shape, operand.dtype)];
  };
}

export const indexingShapeRules: ShapeRuleTable = {
  gather: ([o, i], { axis }) => {
    const operand = o as ShapedArray;
    const indices = i as ShapedArray;
    checkGather('gather', operand, indices, axis);
    return [new ShapedArray(gatherShape(operand, indices, axis), operand.dtype)];
  },
  scatter_add: scatterRule('scatter_add'),
  scatter: scatterRule('scatter'),
};
