import { ShapedArray } from '../aval.js';
import { castNumber, checkDType } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { checkShape, isPermutation, sizeOf } from '../shape.js';
import type { ShapeRuleTable } from './rule-types.js';

function checkLength(op: string, what: string, list: readonly number[], n: number, x: ShapedArray): void {
  if (list.length !== n) fail(op, `${what} has ${list.length} entries but the operand ${x} has rank ${n}`);
}

export const shapeOpShapeRules: ShapeRuleTable = {
  broadcast_in_dim: ([x], { shape, broadcastDimensions }) => {
    const a = x as ShapedArray;
    const out = checkShape('broadcast_in_dim', shape);
    checkLength('broadcast_in_dim', 'broadcastDimensions', broadcastDimensions, a.ndim, a);
    let prev = -1;
    broadcastDimensions.forEach((d, i) => {
      if (!Number.isInteger(d) || d < 0 || d >= out.length || d <= prev) {
        fail('broadcast_in_dim', `broadcastDimensions [${broadcastDimensions.join(',')}] must be increasing indices into ${shapeStr(out)}`);
      }
      prev = d;
      const s = a.shape[i] as number;
      if (s !== 1 && s !== out[d]) fail('broadcast_in_dim', `cannot broadcast ${a} to ${shapeStr(out)}: dimension ${i} (${s}) must be 1 or ${out[d]}`);
    });
    return [new ShapedArray(out, a.dtype)];
  },
  reshape: ([x], { newShape }) => {
    const a = x as ShapedArray;
    const out = checkShape('reshape', newShape);
    if (sizeOf(out) !== a.size) fail('reshape', `cannot reshape ${a} (${a.size} elements) into ${shapeStr(out)} (${sizeOf(out)} elements)`);
    return [new ShapedArray(out, a.dtype)];
  },
  transpose: ([x], { permutation }) => {
    const a = x as ShapedArray;
    if (!isPermutation(permutation, a.ndim)) fail('transpose', `[${permutation.join(',')}] is not a permutation of the ${a.ndim} axes of ${a}`);
    return [
      new ShapedArray(
        permutation.map((p) => a.shape[p] as number),
        a.dtype,
      ),
    ];
  },
  slice: ([x], { start, limit, strides }) => {
    const a = x as ShapedArray;
    checkLength('slice', 'start', start, a.ndim, a);
    checkLength('slice', 'limit', limit, a.ndim, a);
    checkLength('slice', 'strides', strides, a.ndim, a);
    const out = a.shape.map((d, i) => {
      const s = start[i] as number;
      const l = limit[i] as number;
      const st = strides[i] as number;
      if (!Number.isInteger(s) || !Number.isInteger(l) || s < 0 || l > d || s > l) {
        fail('slice', `bounds ${s}:${l} on axis ${i} are outside 0..${d} of ${a}`);
      }
      if (!Number.isInteger(st) || st < 1) fail('slice', `stride ${st} on axis ${i} must be a positive integer`);
      return Math.ceil((l - s) / st);
    });
    return [new ShapedArray(out, a.dtype)];
  },
  pad: ([x], { lo, hi, interior, value }) => {
    const a = x as ShapedArray;
    // the kernel stores the value as the operand's dtype; reject what int32 would wrap (1e10, NaN)
    castNumber('pad', value, a.dtype, ` (the padding value for ${a})`);
    checkLength('pad', 'lo', lo, a.ndim, a);
    checkLength('pad', 'hi', hi, a.ndim, a);
    checkLength('pad', 'interior', interior, a.ndim, a);
    const out = a.shape.map((d, i) => {
      const l = lo[i] as number;
      const h = hi[i] as number;
      const it = interior[i] as number;
      if (!Number.isInteger(l) || !Number.isInteger(h) || !Number.isInteger(it) || it < 0) {
        fail('pad', `padding (${l}, ${h}, interior ${it}) on axis ${i} must be integers with interior >= 0`);
      }
      const n = l + h + d + Math.max(0, d - 1) * it;
      if (n < 0) fail('pad', `negative padding (${l}, ${h}) on axis ${i} removes more than the ${d} elements of ${a}`);
      return n;
    });
    return [new ShapedArray(out, a.dtype)];
  },
  concatenate: (avals, { axis }) => {
    if (avals.length === 0) fail('concatenate', 'needs at least one array');
    const first = avals[0] as ShapedArray;
    if (!Number.isInteger(axis) || axis < 0 || axis >= first.ndim) fail('concatenate', `axis ${axis} is out of bounds for ${first}`);
    let total = 0;
    for (const a of avals) {
      const same = a.ndim === first.ndim && a.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!same || a.dtype !== first.dtype) {
        fail('concatenate', `arrays must match in dtype and in every dimension but axis ${axis}, got ${avals.map(String).join(', ')}`);
      }
      total += a.shape[axis] as number;
    }
    const out = [...first.shape];
    out[axis] = total;
    return [new ShapedArray(out, first.dtype)];
  },
  rev: ([x], { axes }) => {
    const a = x as ShapedArray;
    for (const ax of axes) if (!Number.isInteger(ax) || ax < 0 || ax >= a.ndim) fail('rev', `axis ${ax} is out of bounds for ${a}`);
    return [new ShapedArray(a.shape, a.dtype)];
  },
  iota: (_avals, { dtype, shape, dimension }) => {
    const out = checkShape('iota', shape);
    if (!Number.isInteger(dimension) || dimension < 0 || dimension >= out.length) fail('iota', `dimension ${dimension} is out of bounds for ${shapeStr(out)}`);
    if (checkDType('iota', dtype) === 'bool') fail('iota', 'dtype must be numeric, got bool');
    return [new ShapedArray(out, dtype)];
  },
};
