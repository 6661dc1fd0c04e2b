import type { Array, ArrayLike } from '../array.js';
import { isConcrete } from '../concrete.js';
import { fail, shapeStr } from '../errors.js';
import { broadcastShapes, normalizeAxis, shapesEqual, stridesOf } from '../shape.js';
import { bind1 } from '../trace.js';
import { array } from './convert.js';
import { add, less, multiply, where } from './elementwise.js';
import { isArray } from './is-array.js';
import { astype, broadcastTo, onBackendOf } from './operands.js';
import { asArray } from './scalar.js';
import { ravel, reshape, transpose } from './shape.js';

/** A Python-style slice `start:stop:step`; omitted parts default as in Python. */
export class Slice {
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number | null;
  constructor(start: number | null = null, stop: number | null = null, step: number | null = null) {
    this.start = start;
    this.stop = stop;
    this.step = step;
  }
  /** Concrete (start, step, count) for an axis of length n, as Python's slice.indices. */
  resolve(n: number): { start: number; step: number; count: number } {
    const step = this.step ?? 1;
    if (!Number.isInteger(step) || step === 0) fail('index', `slice step must be a non-zero integer, got ${this.step}`);
    const clampIdx = (v: number | null, dflt: number, lo: number, hi: number): number => {
      if (v === null) return dflt;
      if (!Number.isInteger(v)) fail('index', `slice bounds must be integers, got ${v}`);
      const w = v < 0 ? v + n : v;
      return Math.min(hi, Math.max(lo, w));
    };
    if (step > 0) {
      const start = clampIdx(this.start, 0, 0, n);
      const stop = clampIdx(this.stop, n, 0, n);
      return { start, step, count: Math.max(0, Math.ceil((stop - start) / step)) };
    }
    const start = clampIdx(this.start, n - 1, -1, n - 1);
    const stop = clampIdx(this.stop, -1, -1, n - 1);
    return { start, step, count: Math.max(0, Math.ceil((stop - start) / step)) };
  }
}

/**
 * `np.slice(start, stop, step)`: a slice for {@link index} (any part may be null).
 *
 * @example
 * x.index(np.slice(1, 3))        // x[1:3]
 * x.index(np.slice(null, null, -1)) // x[::-1]
 */
export function slice(start: number | null = null, stop: number | null = null, step: number | null = null): Slice {
  return new Slice(start, stop, step);
}

/**
 * One index entry, as NumPy's: an integer (negative counts from the end), a {@link Slice} or a
 * string slice like `'1:3'`, `':'` or `'::-1'`, `'...'` (the remaining axes), `null` (a new axis),
 * or an integer/boolean Array or number list (advanced indexing).
 */
export type Index = number | Slice | string | null | Array | readonly number[];

function parseSliceString(s: string): Slice | '...' {
  if (s === '...') return '...';
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) fail('index', `'${s}' is not a slice; use forms like '1:3', ':', '::2' or '...'`);
  const num = (p: string | undefined): number | null => {
    if (p === undefined || p.trim() === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) fail('index', `slice bound '${p}' in '${s}' is not an integer`);
    return v;
  };
  return new Slice(num(parts[0]), num(parts[1]), num(parts[2]));
}

type Entry = { kind: 'int'; i: number } | { kind: 'slice'; s: Slice } | { kind: 'new' } | { kind: 'adv'; idx: Array };

function normalizeEntries(a: Array, indices: readonly Index[]): Entry[] {
  const entries: (Entry | '...')[] = [];
  for (const ix of indices) {
    if (ix === null) entries.push({ kind: 'new' });
    else if (typeof ix === 'number') {
      if (!Number.isInteger(ix)) fail('index', `index ${ix} is not an integer (array shape ${shapeStr(a.shape)}); use integers, slices or integer arrays`);
      entries.push({ kind: 'int', i: ix });
    } else if (typeof ix === 'string') {
      const p = parseSliceString(ix);
      entries.push(p === '...' ? '...' : { kind: 'slice', s: p });
    } else if (ix instanceof Slice) entries.push({ kind: 'slice', s: ix });
    else if (isArray(ix)) entries.push({ kind: 'adv', idx: ix });
    else if (globalThis.Array.isArray(ix)) entries.push({ kind: 'adv', idx: array(ix as number[], { dtype: 'int32' }) });
    else fail('index', `unsupported index ${String(ix)}`);
  }
  const ellipses = entries.filter((e) => e === '...').length;
  if (ellipses > 1) fail('index', `an index can only have a single ellipsis ('...'), got ${ellipses} for an array of shape ${shapeStr(a.shape)}`);
  // boolean masks consume as many axes as they have dimensions
  const consumed = entries.reduce((n, e) => (e === '...' || e.kind === 'new' ? n : n + (e.kind === 'adv' && e.idx.dtype === 'bool' ? e.idx.ndim : 1)), 0);
  if (consumed > a.ndim) fail('index', `too many indices for an array of shape ${shapeStr(a.shape)}: ${consumed} were given`);
  const fillCount = a.ndim - consumed;
  const out: Entry[] = [];
  for (const e of entries) {
    if (e === '...') for (let k = 0; k < fillCount; k++) out.push({ kind: 'slice', s: new Slice() });
    else out.push(e);
  }
  if (ellipses === 0) for (let k = 0; k < fillCount; k++) out.push({ kind: 'slice', s: new Slice() });
  checkMasks(a, out);
  // expand boolean masks into integer index arrays (needs concrete values: the result shape depends on them)
  const expanded = out.flatMap((e) => (e.kind === 'adv' && e.idx.dtype === 'bool' ? nonzero(e.idx).map((idx): Entry => ({ kind: 'adv', idx })) : [e]));
  // NumPy: next to an index array, integers are advanced indices too (0-d arrays). That decides
  // where the indexed dims go: x[0, :, [1, 2]] has shape [2, n] (separated: moved to the front).
  if (!expanded.some((e) => e.kind === 'adv')) return expanded;
  return expanded.map((e): Entry => (e.kind === 'int' ? { kind: 'adv', idx: array(e.i, { dtype: 'int32' }) } : e));
}

/** A boolean mask must have the shape of the dimensions it indexes (NumPy raises IndexError otherwise). */
function checkMasks(a: Array, entries: readonly Entry[]): void {
  let axis = 0;
  for (const e of entries) {
    if (e.kind === 'new') continue;
    if (e.kind !== 'adv' || e.idx.dtype !== 'bool') {
      axis++;
      continue;
    }
    const dims = a.shape.slice(axis, axis + e.idx.ndim);
    if (e.idx.ndim === 0)
      fail(
        'index',
        `a 0-d boolean index is not supported (array shape ${shapeStr(a.shape)}); use np.where, or index with a boolean array of the indexed dimensions' shape`,
      );
    if (!shapesEqual(dims, e.idx.shape)) {
      fail(
        'index',
        `boolean index of shape ${shapeStr(e.idx.shape)} does not match the dimensions ${shapeStr(dims)} it indexes (axes ${axis}..${axis + e.idx.ndim - 1} of an array of shape ${shapeStr(a.shape)}); a mask needs exactly their shape`,
      );
    }
    axis += e.idx.ndim;
  }
}

/**
 * Indices of the true (non-zero) elements, one int32 array per dimension. Needs concrete values.
 *
 * @example
 * np.nonzero(np.array([0, 3, 0, 4])) // [[1, 3]]
 */
export function nonzero(x: ArrayLike): Array[] {
  const a = asArray(x);
  if (!isConcrete(a)) fail('nonzero', 'the result shape depends on the values, so it cannot be traced; use np.where(mask, x, 0) inside transforms');
  const data = a.dataSync();
  const strides = stridesOf(a.shape);
  const cols: number[][] = a.shape.map(() => []);
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) continue;
    let r = i;
    for (let d = 0; d < a.ndim; d++) {
      const s = strides[d] as number;
      (cols[d] as number[]).push(Math.floor(r / s));
      r %= s;
    }
  }
  return onBackendOf([a], () => cols.map((c) => array(c, { dtype: 'int32' })));
}

/**
 * Wraps negative indices and, for concrete ones on a backend that reads synchronously, checks the
 * range with a clear error (elsewhere out-of-range indices clamp, as under jit in JAX).
 */
export function normalizeIndexArray(idx: Array, size: number, axis: number, shape: readonly number[], op = 'index'): Array {
  if (idx.dtype === 'float32' || idx.dtype === 'float64') fail(op, `index arrays must be integers or booleans, got ${idx.dtype}`);
  const ints = astype(idx, 'int32');
  if (isConcrete(ints) && ints.backend.supportsSyncRead) {
    const data = ints.dataSync();
    let negative = false;
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (v >= size || v < -size) fail(op, `index ${v} is out of bounds for axis ${axis} with size ${size} (array shape ${shapeStr(shape)})`);
      if (v < 0) negative = true;
    }
    return negative ? where(less(ints, 0), add(ints, size), ints) : ints;
  }
  return where(less(ints, 0), add(ints, size), ints);
}

/** NumPy indexing (`x[...]`); see {@link Index}. */
export function index(x: ArrayLike, indices: readonly Index[]): Array {
  const a = asArray(x);
  const entries = onBackendOf([a], () => normalizeEntries(a, indices));
  // Basic part: one slice over all consumed axes (integers as length-1 slices), reversals, then a
  // reshape that drops integer axes and inserts new ones.
  const start: number[] = [];
  const limit: number[] = [];
  const strides: number[] = [];
  const revAxes: number[] = [];
  const finalShape: number[] = [];
  const advanced: { pos: number; idx: Array; size: number; axis: number }[] = [];
  let axis = 0;
  let reversedShape = [...a.shape];
  for (const e of entries) {
    if (e.kind === 'new') {
      finalShape.push(1);
      continue;
    }
    const n = a.shape[axis] as number;
    if (e.kind === 'int') {
      if (e.i >= n || e.i < -n) fail('index', `index ${e.i} is out of bounds for axis ${axis} with size ${n} (array shape ${shapeStr(a.shape)})`);
      const i = e.i < 0 ? e.i + n : e.i;
      start.push(i);
      limit.push(i + 1);
      strides.push(1);
    } else if (e.kind === 'slice') {
      const { start: s, step, count } = e.s.resolve(n);
      if (step > 0) {
        start.push(s);
        limit.push(count === 0 ? s : s + (count - 1) * step + 1);
        strides.push(step);
      } else {
        revAxes.push(axis);
        const r = n - 1 - s;
        start.push(count === 0 ? 0 : r);
        limit.push(count === 0 ? 0 : r + (count - 1) * -step + 1);
        strides.push(-step);
      }
      finalShape.push(count);
    } else {
      start.push(0);
      limit.push(n);
      strides.push(1);
      advanced.push({ pos: finalShape.length, idx: e.idx, size: n, axis });
      finalShape.push(n);
    }
    axis++;
  }
  let b = a;
  if (revAxes.length > 0) b = bind1('rev', [b], { axes: revAxes });
  reversedShape = [...b.shape];
  const trivial = start.every((s, i) => s === 0 && limit[i] === reversedShape[i] && strides[i] === 1);
  if (!trivial) b = bind1('slice', [b], { start, limit, strides });
  b = reshape(b, finalShape);
  if (advanced.length === 0) return b;
  return gatherAdvanced(b, advanced, a.shape);
}

function gatherAdvanced(b: Array, advanced: { pos: number; idx: Array; size: number; axis: number }[], origShape: readonly number[]): Array {
  const idxs = advanced.map((v) => normalizeIndexArray(v.idx, v.size, v.axis, origShape));
  const S = broadcastShapes('index', ...idxs.map((i) => i.shape));
  const positions = advanced.map((v) => v.pos);
  const contiguous = positions.every((p, k) => k === 0 || p === (positions[k - 1] as number) + 1);
  const rest = b.shape.map((_, i) => i).filter((i) => !positions.includes(i));
  const q = contiguous ? (positions[0] as number) : 0;
  const order = [...rest.slice(0, q), ...positions, ...rest.slice(q)];
  const t = transpose(b, order);
  const sizes = advanced.map((v) => b.shape[v.pos] as number);
  // merge the advanced axes into one and index it with the linear position
  const merged = reshape(t, [...t.shape.slice(0, q), sizes.reduce((p, s) => p * s, 1), ...t.shape.slice(q + advanced.length)]);
  let linear: Array | null = null;
  let stride = 1;
  for (let k = advanced.length - 1; k >= 0; k--) {
    const term = multiply(broadcastTo(idxs[k] as Array, S), stride);
    linear = linear === null ? term : add(linear, term);
    stride *= sizes[k] as number;
  }
  return bind1('gather', [merged, linear as Array], { axis: q });
}

/**
 * Takes elements along `axis` (of the flattened array when omitted); negative indices wrap.
 *
 * @example
 * np.take(np.array([10, 20, 30]), np.array([2, 0])) // [30, 10]
 */
export function take(x: ArrayLike, indices: ArrayLike | readonly number[], axis?: number): Array {
  let a = asArray(x);
  let ax = 0;
  if (axis === undefined) a = ravel(a);
  else ax = normalizeAxis('take', axis, a.ndim);
  const idx = onBackendOf([a], () => (globalThis.Array.isArray(indices) ? array(indices as number[], { dtype: 'int32' }) : asArray(indices as ArrayLike)));
  return bind1('gather', [a, normalizeIndexArray(idx, a.shape[ax] as number, ax, a.shape, 'take')], { axis: ax });
}

/** The diagonal over axes i and j, appended as the last axis (used by einsum for repeated labels). */
export function gatherDiagonal(x: Array, i: number, j: number): Array {
  const n = x.shape[i] as number;
  const others = x.shape.map((_, k) => k).filter((k) => k !== i && k !== j);
  const t = transpose(x, [...others, i, j]);
  const flat = reshape(t, [...t.shape.slice(0, -2), n * n]);
  const diag = onBackendOf([x], () => multiply(bind1('iota', [], { dtype: 'int32', shape: [n], dimension: 0 }), n + 1));
  return bind1('gather', [flat, diag], { axis: flat.ndim - 1 });
}

/** The result of `x.at(...)`: functional updates that return a new array. */
export interface AtUpdater {
  /** The indexed values (same as `x.index(...)`). */
  get(): Array;
  /** A copy of `x` with the indexed elements set to `v` (broadcast). */
  set(v: ArrayLike): Array;
  /** A copy of `x` with `v` added at the indexed elements; repeated indices accumulate. */
  add(v: ArrayLike): Array;
}

/** Whether `from` broadcasts to `to` unchanged (NumPy's trailing alignment; size-1 dims stretch). */
function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  const off = to.length - from.length;
  return off >= 0 && from.every((d, i) => d === 1 || d === to[off + i]);
}

/** Implements `x.at(...)`: the linear positions of the indexed elements drive one scatter. */
export function at(x: ArrayLike, indices: readonly Index[]): AtUpdater {
  const a = asArray(x);
  const scatter = (prim: 'scatter' | 'scatter_add', v: ArrayLike): Array =>
    onBackendOf([a], () => {
      const positions = reshape(bind1('iota', [], { dtype: 'int32', shape: [a.size], dimension: 0 }), a.shape);
      const selected = index(positions, indices);
      const vals = isArray(v) ? astype(v, a.dtype) : asArray(v, a.dtype);
      const op = prim === 'scatter' ? 'at().set' : 'at().add';
      if (!broadcastsTo(vals.shape, selected.shape)) {
        fail(
          op,
          `values of shape ${shapeStr(vals.shape)} do not broadcast to the selection's shape ${shapeStr(selected.shape)} (of an array of shape ${shapeStr(a.shape)})`,
        );
      }
      const updates = reshape(broadcastTo(vals, selected.shape), [selected.size]);
      return reshape(bind1(prim, [ravel(a), ravel(selected), updates], { axis: 0 }), a.shape);
    });
  return {
    get: () => index(a, indices),
    set: (v) => scatter('scatter', v),
    add: (v) => scatter('scatter_add', v),
  };
}
