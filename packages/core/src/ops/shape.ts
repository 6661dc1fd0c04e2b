import type { Array, ArrayLike } from '../array.js';
import { fresh } from '../concrete.js';
import { fail, shapeStr } from '../errors.js';
import { checkShape, normalizeAxes, normalizeAxis, shapesEqual, sizeOf } from '../shape.js';
import { bind1 } from '../trace.js';
import { castIfNeeded, resultDType } from './operands.js';
import { asArray } from './scalar.js';

/**
 * Gives `x` a new shape with the same elements; one dimension may be -1 (inferred).
 *
 * @example
 * np.reshape(np.arange(6), [2, 3]);
 * x.reshape(-1, 28 * 28);
 */
export function reshape(x: ArrayLike, shape: readonly number[]): Array {
  const a = asArray(x);
  if (!globalThis.Array.isArray(shape)) fail('reshape', `shape must be an array of integers, got ${String(shape)}`);
  const into = `cannot reshape ${shapeStr(a.shape)} (${a.size} elements) into ${shapeStr(shape)}`;
  const bad = shape.find((d) => d !== -1 && !(Number.isInteger(d) && d >= 0));
  if (bad !== undefined) fail('reshape', `${into}: dimension ${bad} is not an integer >= 0 (only -1 is allowed, to infer one dimension)`);
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1) fail('reshape', `${into}: only one dimension can be -1 (inferred)`);
  let target = [...shape];
  if (holes === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || a.size % known !== 0) fail('reshape', `${into}: the known dimensions (${known} elements) do not divide ${a.size}`);
    target = shape.map((d) => (d === -1 ? a.size / known : d));
  }
  checkShape('reshape', target);
  if (shapesEqual(target, a.shape)) return fresh(a, 'reshape');
  return bind1('reshape', [a], { newShape: target });
}

/** Flattens to one dimension. @example np.ravel(np.zeros([2, 3])).shape // [6] */
export function ravel(x: ArrayLike): Array {
  const a = asArray(x);
  return reshape(a, [a.size]);
}

/**
 * Permutes the axes (reverses them when `axes` is omitted).
 *
 * @example
 * np.transpose(np.zeros([2, 3, 4]), [2, 0, 1]).shape // [4, 2, 3]
 */
export function transpose(x: ArrayLike, axes?: readonly number[]): Array {
  const a = asArray(x);
  const perm = axes ? axes.map((ax) => normalizeAxis('transpose', ax, a.ndim)) : a.shape.map((_, i) => a.ndim - 1 - i);
  if (perm.length !== a.ndim || new Set(perm).size !== perm.length) {
    fail('transpose', `axes [${(axes ?? []).join(',')}] must be a permutation of the ${a.ndim} axes of [${a.shape.join(',')}]`);
  }
  if (perm.every((p, i) => p === i)) return fresh(a, 'transpose');
  return bind1('transpose', [a], { permutation: perm });
}

/**
 * Moves axis `source` to position `destination`, or each of several axes to its position (as
 * NumPy; the other axes keep their order). @example np.moveaxis(x, 0, -1); np.moveaxis(x, [0, 1], [-1, -2])
 */
export function moveaxis(x: ArrayLike, source: number | readonly number[], destination: number | readonly number[]): Array {
  const a = asArray(x);
  const src = (typeof source === 'number' ? [source] : [...source]).map((ax) => normalizeAxis('moveaxis', ax, a.ndim));
  const dst = (typeof destination === 'number' ? [destination] : [...destination]).map((ax) => normalizeAxis('moveaxis', ax, a.ndim));
  if (src.length !== dst.length) fail('moveaxis', `source and destination must have the same number of axes, got [${src.join(',')}] and [${dst.join(',')}]`);
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length)
    fail('moveaxis', `repeated axis in source [${src.join(',')}] or destination [${dst.join(',')}]`);
  const order = a.shape.map((_, i) => i).filter((i) => !src.includes(i));
  // insert in increasing destination order, so every axis lands where it was asked (NumPy's rule)
  const pairs = dst.map((d, k) => [d, src[k] as number] as const).sort((p, q) => p[0] - q[0]);
  for (const [d, sAx] of pairs) order.splice(d, 0, sAx);
  return transpose(a, order);
}

/** Swaps two axes. @example np.swapaxes(x, 0, 1) */
export function swapaxes(x: ArrayLike, axis1: number, axis2: number): Array {
  const a = asArray(x);
  const order = a.shape.map((_, i) => i);
  const i = normalizeAxis('swapaxes', axis1, a.ndim);
  const j = normalizeAxis('swapaxes', axis2, a.ndim);
  order[i] = j;
  order[j] = i;
  return transpose(a, order);
}

/**
 * Inserts length-1 axes at `axis` positions of the result.
 *
 * @example
 * np.expandDims(np.zeros([3]), 0).shape // [1, 3]
 */
export function expandDims(x: ArrayLike, axis: number | readonly number[]): Array {
  const a = asArray(x);
  const axes = typeof axis === 'number' ? [axis] : [...axis];
  const rank = a.ndim + axes.length;
  const norm = normalizeAxes('expandDims', axes, rank).sort((p, q) => p - q);
  const shape = [...a.shape];
  for (const ax of norm) shape.splice(ax, 0, 1);
  return reshape(a, shape);
}

/**
 * Removes length-1 axes (all of them, or those in `axis`).
 *
 * @example
 * np.squeeze(np.zeros([1, 3, 1])).shape // [3]
 */
export function squeeze(x: ArrayLike, axis?: number | readonly number[]): Array {
  const a = asArray(x);
  const axes =
    axis === undefined ? a.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', typeof axis === 'number' ? [axis] : axis, a.ndim);
  for (const ax of axes) {
    if (a.shape[ax] !== 1) fail('squeeze', `cannot squeeze axis ${ax} of size ${a.shape[ax]} in [${a.shape.join(',')}]; only length-1 axes can be removed`);
  }
  return reshape(
    a,
    a.shape.filter((_, i) => !axes.includes(i)),
  );
}

/**
 * Joins arrays along an existing axis (dtypes promoted).
 *
 * @example
 * np.concatenate([np.zeros([2, 3]), np.ones([1, 3])]).shape // [3, 3]
 */
export function concatenate(arrays: readonly ArrayLike[], axis = 0): Array {
  if (arrays.length === 0) fail('concatenate', 'needs at least one array');
  const dtype = resultDType(arrays);
  const xs = arrays.map((x) => castIfNeeded(asArray(x), dtype));
  const first = xs[0] as Array;
  if (first.ndim === 0) fail('concatenate', 'zero-dimensional arrays cannot be concatenated; use np.stack');
  const ax = normalizeAxis('concatenate', axis, first.ndim);
  if (xs.length === 1) return first === arrays[0] ? fresh(first, 'concatenate') : first;
  return bind1('concatenate', xs, { axis: ax });
}

/**
 * Joins arrays along a new axis.
 *
 * @example
 * np.stack([np.zeros([3]), np.ones([3])]).shape // [2, 3]
 */
export function stack(arrays: readonly ArrayLike[], axis = 0): Array {
  if (arrays.length === 0) fail('stack', 'needs at least one array');
  const xs = arrays.map((x) => asArray(x));
  const shape = (xs[0] as Array).shape;
  for (const x of xs) {
    if (!shapesEqual(x.shape, shape)) fail('stack', `all arrays must have the same shape, got ${xs.map((v) => shapeStr(v.shape)).join(', ')}`);
  }
  const ax = normalizeAxis('stack', axis, shape.length + 1);
  return concatenate(
    xs.map((x) => expandDims(x, ax)),
    ax,
  );
}

/**
 * Splits into equal sections (a number) or at the given indices.
 *
 * @example
 * const [a, b] = np.split(np.arange(6), 2); // [0,1,2], [3,4,5]
 * np.split(np.arange(6), [1, 4]);          // [0], [1,2,3], [4,5]
 */
export function split(x: ArrayLike, sections: number | readonly number[], axis = 0): Array[] {
  const a = asArray(x);
  const ax = normalizeAxis('split', axis, a.ndim);
  const n = a.shape[ax] as number;
  let bounds: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0 || n % sections !== 0) {
      fail('split', `axis ${ax} of length ${n} in ${shapeStr(a.shape)} cannot be split into ${sections} equal sections; pass split indices instead`);
    }
    bounds = Array_from(sections - 1, (i) => ((i + 1) * n) / sections);
  } else bounds = sections.map((b) => Math.min(n, Math.max(0, b < 0 ? b + n : b)));
  const edges = [0, ...bounds, n];
  const out: Array[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const start = a.shape.map(() => 0);
    const limit = [...a.shape];
    start[ax] = edges[i] as number;
    limit[ax] = Math.max(edges[i] as number, edges[i + 1] as number);
    out.push(bind1('slice', [a], { start, limit, strides: a.shape.map(() => 1) }));
  }
  return out;
}

function Array_from(n: number, f: (i: number) => number): number[] {
  return globalThis.Array.from({ length: n }, (_, i) => f(i));
}

/** Reverses the order of elements along `axis` (all axes when omitted). @example np.flip(x, 0) */
export function flip(x: ArrayLike, axis?: number | readonly number[]): Array {
  const a = asArray(x);
  const axes = normalizeAxes('flip', axis, a.ndim);
  if (axes.length === 0) return fresh(a, 'flip');
  return bind1('rev', [a], { axes });
}

/**
 * Pads with a constant. `padWidth` is one `[before, after]` pair per axis, a single pair (or a
 * list of one) for all axes, or a number.
 *
 * @example
 * np.pad(np.ones([2, 2]), 1).shape // [4, 4]
 */
export function pad(x: ArrayLike, padWidth: number | readonly [number, number] | readonly (readonly [number, number])[], constantValue = 0): Array {
  const a = asArray(x);
  const pairs: (readonly [number, number])[] =
    typeof padWidth === 'number'
      ? a.shape.map(() => [padWidth, padWidth] as const)
      : typeof padWidth[0] === 'number'
        ? a.shape.map(() => padWidth as readonly [number, number])
        : (padWidth as readonly (readonly [number, number])[]).length === 1
          ? a.shape.map(() => (padWidth as readonly (readonly [number, number])[])[0] as readonly [number, number]) // [[lo, hi]] for every axis, as NumPy
          : [...(padWidth as readonly (readonly [number, number])[])];
  if (pairs.length !== a.ndim) fail('pad', `padWidth has ${pairs.length} pairs for an array of rank ${a.ndim}`);
  for (const [l, h] of pairs)
    if (!Number.isInteger(l) || !Number.isInteger(h) || l < 0 || h < 0) fail('pad', `pad widths must be integers >= 0, got ${JSON.stringify(pairs)}`);
  return bind1('pad', [a], { lo: pairs.map((p) => p[0]), hi: pairs.map((p) => p[1]), interior: pairs.map(() => 0), value: constantValue });
}

/**
 * Repeats the whole array `reps` times along each axis.
 *
 * @example
 * np.tile(np.array([1, 2]), 2) // [1, 2, 1, 2]
 */
export function tile(x: ArrayLike, reps: number | readonly number[]): Array {
  let a = asArray(x);
  const r = typeof reps === 'number' ? [reps] : [...reps];
  for (const k of r) if (!Number.isInteger(k) || k < 0) fail('tile', `reps must be integers >= 0, got [${r.join(', ')}]`);
  while (a.ndim < r.length) a = expandDims(a, 0);
  while (r.length < a.ndim) r.unshift(1);
  // broadcast a new axis before each dim, then merge: [r0, d0, r1, d1, ...] → [r0*d0, ...]
  const interleaved = a.shape.flatMap((d) => [1, d]);
  const target = a.shape.flatMap((d, i) => [r[i] as number, d]);
  const b = bind1('broadcast_in_dim', [reshape(a, interleaved)], {
    shape: target,
    broadcastDimensions: target.map((_, i) => i),
  });
  return reshape(
    b,
    a.shape.map((d, i) => d * (r[i] as number)),
  );
}
