import { bytesPerElement, type DType, formatBytes } from './dtype.js';
import { fail, shapeStr } from './errors.js';

export type Shape = readonly number[];

/** Checks that every dimension is a finite non-negative integer. */
export function checkShape(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) fail(op, `shape must be an array of integers, got ${String(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isFinite(d)) {
      fail(op, `shape ${shapeStr(shape)} has a non-finite dimension ${String(d)}; dimensions must be integers >= 0`);
    }
    if (!Number.isInteger(d)) fail(op, `shape ${shapeStr(shape)} has a fractional dimension ${d}; dimensions must be integers >= 0`);
    if (d < 0) fail(op, `shape ${shapeStr(shape)} has a negative dimension ${d}; dimensions must be integers >= 0`);
  }
  return [...shape];
}

/** The most elements one array may hold: indices are int32, and JS caps typed-array lengths near here. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Checks that an array of `shape` and `dtype` can be allocated, naming its element and byte counts. */
export function checkSize(op: string, shape: Shape, dtype: DType): void {
  const n = sizeOf(shape);
  if (n <= MAX_ELEMENTS) return;
  fail(
    op,
    `shape ${shapeStr(shape)} has ${n} elements (${formatBytes(n * bytesPerElement(dtype))} as ${dtype}), over the ${MAX_ELEMENTS} elements one array can hold; use a smaller shape`,
  );
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C order) strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i] as number;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of several shapes; throws naming the op and all shapes when they clash. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  // the common case of every eager binary op on same-shaped arrays, without the general loop
  if (shapes.length === 2 && shapesEqual(shapes[0] as Shape, shapes[1] as Shape)) return [...(shapes[0] as Shape)];
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i] as number;
      const o = out[off + i] as number;
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else {
        fail(
          op,
          `shapes ${shapes.map(shapeStr).join(', ')} cannot be broadcast together (dimension ${off + i - rank} is ${o} vs ${d}); sizes must match or be 1`,
        );
      }
    }
  }
  return out;
}

/** Resolves a possibly negative axis against `ndim`. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis)) fail(op, `axis ${axis} is not an integer (array of rank ${ndim}; valid axes: ${-ndim}..${ndim - 1})`);
  if (axis < -ndim || axis >= ndim) {
    fail(op, `axis ${axis} is out of bounds for an array of rank ${ndim} (valid: ${-ndim}..${ndim - 1})`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Resolves a list of axes (or all axes when undefined/null), rejecting repeats and non-numbers. */
export function normalizeAxes(op: string, axes: number | readonly number[] | null | undefined, ndim: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  // callers from JS (or through `as`) may pass anything; say what an axis argument may be
  if (!Array.isArray(list) || list.some((a) => typeof a !== 'number')) {
    fail(op, `axis must be an integer, a list of integers, or null/undefined for all axes, got ${describe(axes)} (array of rank ${ndim})`);
  }
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(out).size !== out.length) fail(op, `repeated axis in [${list.join(',')}] for an array of rank ${ndim}; each axis may appear once`);
  return out;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}' (string)`;
  if (Array.isArray(v)) return `[${v.map((e) => (typeof e === 'string' ? `'${e}'` : String(e))).join(',')}]`;
  return `${String(v)} (${typeof v})`;
}

export function isPermutation(perm: readonly number[], n: number): boolean {
  if (perm.length !== n) return false;
  const seen = new Array<boolean>(n).fill(false);
  for (const p of perm) {
    if (!Number.isInteger(p) || p < 0 || p >= n || seen[p]) return false;
    seen[p] = true;
  }
  return true;
}
