/**
 * A tiny naive n-d array for checking tenfold against: float64 numbers in a flat row-major list
 * plus a shape, and every operation written as the most obvious loop over multi-indices. Nothing
 * here is fast or clever on purpose: each function should be checkable by reading it.
 *
 * Booleans are stored as 0/1. Index arrays are Refs holding integers.
 */

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Every multi-index of `shape`, in row-major order (the last index varies fastest). */
export function allIndices(shape: Shape): number[][] {
  const out: number[][] = [];
  if (sizeOf(shape) === 0) return out;
  const idx = shape.map(() => 0);
  for (;;) {
    out.push([...idx]);
    let d = shape.length - 1;
    while (d >= 0) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (shape[d] as number)) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return out;
  }
}

/** Row-major flat position of `idx` in `shape` (checks bounds). */
export function flatIndex(shape: Shape, idx: readonly number[]): number {
  if (idx.length !== shape.length) throw new Error(`reference: index [${idx}] has the wrong rank for shape [${shape}]`);
  let flat = 0;
  for (let d = 0; d < shape.length; d++) {
    const i = idx[d] as number;
    const n = shape[d] as number;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`reference: index [${idx}] is out of bounds for shape [${shape}]`);
    flat = flat * n + i;
  }
  return flat;
}

export class Ref {
  readonly shape: number[];
  readonly data: number[];

  constructor(shape: Shape, data: readonly number[]) {
    if (sizeOf(shape) !== data.length) throw new Error(`reference: shape [${shape}] needs ${sizeOf(shape)} values, got ${data.length}`);
    this.shape = [...shape];
    this.data = [...data];
  }

  /** An array whose element at each multi-index is `f(index)`. */
  static fromFn(shape: Shape, f: (idx: number[]) => number): Ref {
    return new Ref(
      shape,
      allIndices(shape).map((idx) => f(idx)),
    );
  }

  static scalar(v: number): Ref {
    return new Ref([], [v]);
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.data.length;
  }

  get(idx: readonly number[]): number {
    return this.data[flatIndex(this.shape, idx)] as number;
  }

  set(idx: readonly number[], v: number): void {
    this.data[flatIndex(this.shape, idx)] = v;
  }

  map(f: (v: number) => number): Ref {
    return new Ref(this.shape, this.data.map(f));
  }

  /** Nested JS arrays, for readable failure messages. */
  toNested(): unknown {
    const build = (d: number, offset: number): unknown => {
      if (d === this.ndim) return this.data[offset];
      const stride = sizeOf(this.shape.slice(d + 1));
      return Array.from({ length: this.shape[d] as number }, (_, i) => build(d + 1, offset + i * stride));
    };
    return build(0, 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Broadcasting and elementwise ops

/** NumPy broadcasting of shapes (right-aligned; sizes equal or 1), or null when they clash. */
export function broadcastShapes(...shapes: Shape[]): number[] | null {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    let size = 1;
    for (const s of shapes) {
      const k = d - (rank - s.length);
      if (k < 0) continue;
      const n = s[k] as number;
      if (n === 1) continue;
      if (size !== 1 && size !== n) return null;
      size = n;
    }
    out.push(size);
  }
  return out;
}

/** `x` repeated to `shape` (x's dims are right-aligned; a size-1 dim reads index 0). */
export function broadcastTo(x: Ref, shape: Shape): Ref {
  const lead = shape.length - x.ndim;
  if (lead < 0) throw new Error(`reference: cannot broadcast [${x.shape}] to [${shape}]`);
  return Ref.fromFn(shape, (idx) => x.get(x.shape.map((n, k) => (n === 1 ? 0 : (idx[k + lead] as number)))));
}

/** `f` applied elementwise to the broadcast operands. */
export function elementwise(f: (...vs: number[]) => number, ...xs: Ref[]): Ref {
  const shape = broadcastShapes(...xs.map((x) => x.shape));
  if (shape === null) throw new Error(`reference: shapes ${xs.map((x) => `[${x.shape}]`).join(', ')} do not broadcast`);
  const bs = xs.map((x) => broadcastTo(x, shape));
  return Ref.fromFn(shape, (idx) => f(...bs.map((b) => b.get(idx))));
}

export function where(cond: Ref, x: Ref, y: Ref): Ref {
  return elementwise((c, a, b) => (c !== 0 ? a : b), cond, x, y);
}

// ---------------------------------------------------------------------------------------------
// Shape ops

export function reshape(x: Ref, shape: Shape): Ref {
  return new Ref(shape, x.data);
}

/** Output axis k is input axis perm[k]. */
export function transpose(x: Ref, perm: readonly number[]): Ref {
  return Ref.fromFn(
    perm.map((p) => x.shape[p] as number),
    (idx) => {
      const src = new Array<number>(x.ndim);
      perm.forEach((p, k) => {
        src[p] = idx[k] as number;
      });
      return x.get(src);
    },
  );
}

/** Resolves a possibly negative axis. */
export function axisOf(axis: number, ndim: number): number {
  return axis < 0 ? axis + ndim : axis;
}

export function moveaxis(x: Ref, source: number, destination: number): Ref {
  const s = axisOf(source, x.ndim);
  const d = axisOf(destination, x.ndim);
  const order = x.shape.map((_, i) => i).filter((i) => i !== s);
  order.splice(d, 0, s);
  return transpose(x, order);
}

export function swapaxes(x: Ref, a: number, b: number): Ref {
  const i = axisOf(a, x.ndim);
  const j = axisOf(b, x.ndim);
  return Ref.fromFn(
    x.shape.map((n, k) => (k === i ? (x.shape[j] as number) : k === j ? (x.shape[i] as number) : n)),
    (idx) => {
      const src = [...idx];
      src[i] = idx[j] as number;
      src[j] = idx[i] as number;
      return x.get(src);
    },
  );
}

export function flip(x: Ref, axes: readonly number[]): Ref {
  const ax = axes.map((a) => axisOf(a, x.ndim));
  return Ref.fromFn(x.shape, (idx) => x.get(idx.map((i, d) => (ax.includes(d) ? (x.shape[d] as number) - 1 - i : i))));
}

/** Constant padding with [before, after] per axis. */
export function pad(x: Ref, pairs: readonly (readonly [number, number])[], value: number): Ref {
  const shape = x.shape.map((n, d) => n + (pairs[d] as readonly [number, number])[0] + (pairs[d] as readonly [number, number])[1]);
  return Ref.fromFn(shape, (idx) => {
    const src = idx.map((i, d) => i - (pairs[d] as readonly [number, number])[0]);
    return src.every((s, d) => s >= 0 && s < (x.shape[d] as number)) ? x.get(src) : value;
  });
}

export function concatenate(xs: readonly Ref[], axis: number): Ref {
  const first = xs[0] as Ref;
  const ax = axisOf(axis, first.ndim);
  const shape = [...first.shape];
  shape[ax] = xs.reduce((n, x) => n + (x.shape[ax] as number), 0);
  return Ref.fromFn(shape, (idx) => {
    let i = idx[ax] as number;
    for (const x of xs) {
      const n = x.shape[ax] as number;
      if (i < n) {
        const src = [...idx];
        src[ax] = i;
        return x.get(src);
      }
      i -= n;
    }
    throw new Error('reference: concatenate index past the end');
  });
}

export function stack(xs: readonly Ref[], axis: number): Ref {
  const first = xs[0] as Ref;
  const ax = axisOf(axis, first.ndim + 1);
  const shape = [...first.shape];
  shape.splice(ax, 0, xs.length);
  return Ref.fromFn(shape, (idx) => {
    const src = [...idx];
    const [which] = src.splice(ax, 1);
    return (xs[which as number] as Ref).get(src);
  });
}

/** NumPy's tile: the shorter of (ndim, reps) is padded with leading 1s. */
export function tile(x: Ref, reps: readonly number[]): Ref {
  const rank = Math.max(x.ndim, reps.length);
  const xs = [...new Array<number>(rank - x.ndim).fill(1), ...x.shape];
  const rs = [...new Array<number>(rank - reps.length).fill(1), ...reps];
  const base = reshape(x, xs);
  return Ref.fromFn(
    xs.map((n, d) => n * (rs[d] as number)),
    (idx) => base.get(idx.map((i, d) => i % (xs[d] as number))),
  );
}

// ---------------------------------------------------------------------------------------------
// Reductions

/**
 * Applies `f` to the list of values reduced into each output element (in row-major order of the
 * reduced axes). Output shape drops `axes`, or keeps them as 1 with `keepdims`.
 */
export function reduce(x: Ref, axes: readonly number[], f: (values: number[]) => number, keepdims = false): Ref {
  const ax = axes.map((a) => axisOf(a, x.ndim));
  const kept = x.shape.map((_, d) => d).filter((d) => !ax.includes(d));
  const outShape = keepdims ? x.shape.map((n, d) => (ax.includes(d) ? 1 : n)) : kept.map((d) => x.shape[d] as number);
  return Ref.fromFn(outShape, (outIdx) => {
    const values: number[] = [];
    // sort the reduced axes so values come in row-major order of the input
    const sortedAx = [...ax].sort((p, q) => p - q);
    const sortedShape = sortedAx.map((d) => x.shape[d] as number);
    for (const r of allIndices(sortedShape)) {
      const src = new Array<number>(x.ndim);
      kept.forEach((d, k) => {
        src[d] = keepdims ? (outIdx[d] as number) : (outIdx[k] as number);
      });
      sortedAx.forEach((d, k) => {
        src[d] = r[k] as number;
      });
      values.push(x.get(src));
    }
    return f(values);
  });
}

export const sumOf = (vs: number[]): number => vs.reduce((a, b) => a + b, 0);
export const prodOf = (vs: number[]): number => vs.reduce((a, b) => a * b, 1);
export const maxOf = (vs: number[]): number => (vs.some((v) => Number.isNaN(v)) ? Number.NaN : Math.max(...vs));
export const minOf = (vs: number[]): number => (vs.some((v) => Number.isNaN(v)) ? Number.NaN : Math.min(...vs));
export const anyOf = (vs: number[]): number => (vs.some((v) => v !== 0) ? 1 : 0);
export const allOf = (vs: number[]): number => (vs.every((v) => v !== 0) ? 1 : 0);
export const meanOf = (vs: number[]): number => sumOf(vs) / vs.length;
/** Population variance with `ddof` degrees of freedom removed. */
export const varOf =
  (ddof: number) =>
  (vs: number[]): number => {
    const m = meanOf(vs);
    return sumOf(vs.map((v) => (v - m) * (v - m))) / Math.max(0, vs.length - ddof);
  };
export const logsumexpOf = (vs: number[]): number => {
  const m = Math.max(...vs);
  if (!Number.isFinite(m)) return Math.log(sumOf(vs.map((v) => Math.exp(v))));
  return m + Math.log(sumOf(vs.map((v) => Math.exp(v - m))));
};
/** First index of the maximum (minimum) in the list. */
export const argmaxOf = (vs: number[]): number => vs.indexOf(Math.max(...vs));
export const argminOf = (vs: number[]): number => vs.indexOf(Math.min(...vs));

/** arg-reduction along one axis (the flattened array when axis is null). */
export function argReduce(x: Ref, axis: number | null, f: (vs: number[]) => number): Ref {
  if (axis === null) return Ref.scalar(f(x.data));
  return reduce(x, [axis], f);
}

// ---------------------------------------------------------------------------------------------
// Indexing

/** Python's slice.indices(n) expanded to the list of positions it visits. */
export function sliceIndices(n: number, start: number | null, stop: number | null, step: number | null): number[] {
  const st = step ?? 1;
  if (st === 0) throw new Error('reference: slice step 0');
  const lower = st > 0 ? 0 : -1;
  const upper = st > 0 ? n : n - 1;
  const clamp = (v: number | null, dflt: number): number => {
    if (v === null) return dflt;
    let w = v < 0 ? v + n : v;
    if (w < lower) w = lower;
    if (w > upper) w = upper;
    return w;
  };
  const begin = clamp(start, st > 0 ? lower : upper);
  const end = clamp(stop, st > 0 ? upper : lower);
  const out: number[] = [];
  if (st > 0) for (let i = begin; i < end; i += st) out.push(i);
  else for (let i = begin; i > end; i += st) out.push(i);
  return out;
}

export interface RefSlice {
  kind: 'slice';
  start: number | null;
  stop: number | null;
  step: number | null;
}

/**
 * One index entry: an integer, a slice, '...', null (new axis), an integer index array
 * (`{ kind: 'array' }`) or a boolean mask (`{ kind: 'mask' }`, values 0/1).
 */
export type RefIndex = number | RefSlice | '...' | null | { kind: 'array'; idx: Ref } | { kind: 'mask'; mask: Ref };

/** Positions of the nonzero elements, one list per dimension (row-major order). */
export function nonzero(x: Ref): number[][] {
  const cols: number[][] = x.shape.map(() => []);
  for (const idx of allIndices(x.shape)) {
    if (x.get(idx) === 0) continue;
    idx.forEach((i, d) => {
      (cols[d] as number[]).push(i);
    });
  }
  return cols;
}

/** An index entry before its axis is known. */
type Entry = { kind: 'int'; i: number } | { kind: 'slice'; s: RefSlice } | { kind: 'new' } | { kind: 'adv'; idx: Ref };
/** An entry resolved against its input axis. */
type Resolved =
  | { kind: 'int'; axis: number; i: number }
  | { kind: 'slice'; axis: number; positions: number[] }
  | { kind: 'new' }
  | { kind: 'adv'; axis: number; idx: Ref };

const FULL: RefSlice = { kind: 'slice', start: null, stop: null, step: null };

/**
 * NumPy indexing `x[indices]`.
 *
 * - Basic: integers drop their axis, slices keep it (Python start/stop/step semantics), null adds
 *   a length-1 axis, '...' stands for as many full slices as needed; missing trailing axes are
 *   full slices.
 * - Advanced: integer arrays (and boolean masks, as their nonzero() arrays) broadcast together to
 *   a shape B; when any is present, integers count as advanced (0-d arrays) too. If the advanced
 *   entries are adjacent, B replaces them in place; if they are separated (by a slice or null),
 *   B goes to the front.
 */
export function index(x: Ref, indices: readonly RefIndex[]): Ref {
  // 1. masks become one integer array per mask dimension
  const expanded: (Entry | '...')[] = [];
  for (const ix of indices) {
    if (ix === '...') expanded.push('...');
    else if (ix === null) expanded.push({ kind: 'new' });
    else if (typeof ix === 'number') expanded.push({ kind: 'int', i: ix });
    else if (ix.kind === 'mask') for (const col of nonzero(ix.mask)) expanded.push({ kind: 'adv', idx: new Ref([col.length], col) });
    else if (ix.kind === 'array') expanded.push({ kind: 'adv', idx: ix.idx });
    else expanded.push({ kind: 'slice', s: ix });
  }
  // 2. '...' (or the end, without one) stands for full slices over the remaining axes
  const consumed = expanded.filter((e) => e !== '...' && e.kind !== 'new').length;
  if (consumed > x.ndim) throw new Error('reference: too many indices');
  const fill: Entry[] = Array.from({ length: x.ndim - consumed }, () => ({ kind: 'slice', s: FULL }));
  const at = expanded.indexOf('...');
  const entries = (at < 0 ? [...expanded, ...fill] : [...expanded.slice(0, at), ...fill, ...expanded.slice(at + 1)]) as Entry[];
  // 3. resolve each entry against its input axis; with any advanced index, integers are advanced
  const hasAdv = entries.some((e) => e.kind === 'adv');
  let axis = 0;
  const resolved: Resolved[] = [];
  for (const e of entries) {
    if (e.kind === 'new') {
      resolved.push(e);
      continue;
    }
    const n = x.shape[axis] as number;
    const check = (i: number): number => {
      if (!Number.isInteger(i) || i < -n || i >= n) throw new Error(`reference: index ${i} out of bounds for axis ${axis} of size ${n}`);
      return i < 0 ? i + n : i;
    };
    if (e.kind === 'int') resolved.push(hasAdv ? { kind: 'adv', axis, idx: Ref.scalar(check(e.i)) } : { kind: 'int', axis, i: check(e.i) });
    else if (e.kind === 'adv') resolved.push({ kind: 'adv', axis, idx: e.idx.map(check) });
    else resolved.push({ kind: 'slice', axis, positions: sliceIndices(n, e.s.start, e.s.stop, e.s.step) });
    axis++;
  }
  // 4. the advanced block: broadcast shape B, placed in place (adjacent) or in front (separated)
  const advPos = resolved.flatMap((r, k) => (r.kind === 'adv' ? [k] : []));
  const advArrays = resolved.flatMap((r) => (r.kind === 'adv' ? [r.idx] : []));
  const B = broadcastShapes(...advArrays.map((a) => a.shape));
  if (B === null) throw new Error('reference: index arrays do not broadcast');
  const advB = advArrays.map((a) => broadcastTo(a, B));
  const adjacent = advPos.every((p, k) => k === 0 || p === (advPos[k - 1] as number) + 1);
  // output dims: entry k (a slice or new axis) or dimension d of B
  type Dim = { entry: number } | { b: number };
  const basic: Dim[] = resolved.flatMap((r, k) => (r.kind === 'slice' || r.kind === 'new' ? [{ entry: k }] : []));
  const block: Dim[] = B.map((_, d) => ({ b: d }));
  let dims: Dim[];
  if (advPos.length === 0) dims = basic;
  else if (adjacent) {
    const first = advPos[0] as number;
    const before = basic.filter((d) => (d as { entry: number }).entry < first);
    dims = [...before, ...block, ...basic.slice(before.length)];
  } else dims = [...block, ...basic];
  const dimSize = (dim: Dim): number => {
    if ('b' in dim) return B[dim.b] as number;
    const r = resolved[dim.entry] as Resolved;
    return r.kind === 'slice' ? r.positions.length : 1;
  };
  // 5. each output element reads one input element
  return Ref.fromFn(dims.map(dimSize), (outIdx) => {
    const bIdx = dims.flatMap((dim, o) => ('b' in dim ? [outIdx[o] as number] : []));
    const src = new Array<number>(x.ndim);
    let advK = 0;
    resolved.forEach((r, k) => {
      if (r.kind === 'int') src[r.axis] = r.i;
      else if (r.kind === 'adv') src[r.axis] = (advB[advK++] as Ref).get(bIdx);
      else if (r.kind === 'slice') {
        const o = dims.findIndex((dim) => 'entry' in dim && dim.entry === k);
        src[r.axis] = r.positions[outIdx[o] as number] as number;
      }
    });
    return x.get(src);
  });
}

/** `x.at[indices].set(v)` / `.add(v)`: the indexed elements (found by indexing the positions). */
export function indexUpdate(x: Ref, indices: readonly RefIndex[], v: Ref, mode: 'set' | 'add'): Ref {
  const positions = new Ref(
    x.shape,
    x.data.map((_, i) => i),
  );
  const selected = index(positions, indices);
  const updates = broadcastTo(v, selected.shape);
  const out = new Ref(x.shape, x.data);
  selected.data.forEach((p, k) => {
    out.data[p] = mode === 'set' ? (updates.data[k] as number) : (out.data[p] as number) + (updates.data[k] as number);
  });
  return out;
}

/** np.take: `x` indexed along `axis` (the flattened `x` when axis is null); negatives wrap. */
export function take(x: Ref, idx: Ref, axis: number | null): Ref {
  if (axis === null) return index(reshape(x, [x.size]), [{ kind: 'array', idx }]);
  const ax = axisOf(axis, x.ndim);
  const lead: RefIndex[] = new Array(ax).fill(0).map(() => ({ kind: 'slice', start: null, stop: null, step: null }));
  return index(x, [...lead, { kind: 'array', idx }]);
}

/**
 * np.take_along_axis: out[i...] = x[i... with axis replaced by indices[i...]], the dimensions
 * other than axis broadcast (a size-1 dimension of either side reads its only element).
 */
export function takeAlongAxis(x: Ref, indices: Ref, axis: number): Ref {
  const ax = axisOf(axis, x.ndim);
  const shape = x.shape.map((d, i) => (i === ax ? (indices.shape[i] as number) : Math.max(d, indices.shape[i] as number)));
  return Ref.fromFn(shape, (idx) => {
    const at = (s: readonly number[]) => idx.map((v, d) => (s[d] === 1 ? 0 : v));
    const src = at(x.shape);
    const i = indices.get(at(indices.shape));
    src[ax] = i < 0 ? i + (x.shape[ax] as number) : i;
    return x.get(src);
  });
}

// ---------------------------------------------------------------------------------------------
// Contractions

/** NumPy matmul: 1-d operands become matrices (and the added axis is removed), batch dims broadcast. */
export function matmul(a: Ref, b: Ref): Ref {
  const A = a.ndim === 1 ? reshape(a, [1, a.shape[0] as number]) : a;
  const B = b.ndim === 1 ? reshape(b, [b.shape[0] as number, 1]) : b;
  const [m, k] = A.shape.slice(-2) as [number, number];
  const [k2, n] = B.shape.slice(-2) as [number, number];
  if (k !== k2) throw new Error('reference: matmul inner dims differ');
  const batch = broadcastShapes(A.shape.slice(0, -2), B.shape.slice(0, -2));
  if (batch === null) throw new Error('reference: matmul batch dims do not broadcast');
  const Ab = broadcastTo(A, [...batch, m, k]);
  const Bb = broadcastTo(B, [...batch, k, n]);
  let out = Ref.fromFn([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let s = 0;
    for (let t = 0; t < k; t++) s += Ab.get([...bi, i, t]) * Bb.get([...bi, t, j]);
    return s;
  });
  if (a.ndim === 1) out = reshape(out, [...out.shape.slice(0, -2), n]);
  if (b.ndim === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}

/** np.tensordot with explicit axis lists: free axes of a, then free axes of b. */
export function tensordot(a: Ref, b: Ref, axesA: readonly number[], axesB: readonly number[]): Ref {
  const ca = axesA.map((d) => axisOf(d, a.ndim));
  const cb = axesB.map((d) => axisOf(d, b.ndim));
  const freeA = a.shape.map((_, d) => d).filter((d) => !ca.includes(d));
  const freeB = b.shape.map((_, d) => d).filter((d) => !cb.includes(d));
  const contractShape = ca.map((d) => a.shape[d] as number);
  return Ref.fromFn([...freeA.map((d) => a.shape[d] as number), ...freeB.map((d) => b.shape[d] as number)], (idx) => {
    let s = 0;
    for (const c of allIndices(contractShape)) {
      const ia = new Array<number>(a.ndim);
      const ib = new Array<number>(b.ndim);
      freeA.forEach((d, k) => {
        ia[d] = idx[k] as number;
      });
      freeB.forEach((d, k) => {
        ib[d] = idx[freeA.length + k] as number;
      });
      ca.forEach((d, k) => {
        ia[d] = c[k] as number;
      });
      cb.forEach((d, k) => {
        ib[d] = c[k] as number;
      });
      s += a.get(ia) * b.get(ib);
    }
    return s;
  });
}

/**
 * Einstein summation by brute force: every assignment of every label is visited; output labels
 * index the result, the others are summed. '...' covers the leading unnamed dims (right-aligned
 * and broadcast across operands). Without '->' the output is '...' then the labels used once, sorted.
 */
export function einsum(spec: string, ...xs: Ref[]): Ref {
  const [lhs, rhs] = spec.replace(/\s+/g, '').split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  const ellRank = Math.max(0, ...terms.map((t, i) => (t.includes('...') ? (xs[i] as Ref).ndim - (t.length - 3) : 0)));
  const ellLabels = Array.from({ length: ellRank }, (_, k) => `#${k}`);
  const labelsOf = (t: string, x: Ref): string[] => {
    if (!t.includes('...')) return [...t];
    const at = t.indexOf('...');
    const r = x.ndim - (t.length - 3);
    return [...t.slice(0, at), ...ellLabels.slice(ellRank - r), ...t.slice(at + 3)];
  };
  const inputs = terms.map((t, i) => labelsOf(t, xs[i] as Ref));
  const sizes = new Map<string, number>();
  inputs.forEach((ls, i) => {
    ls.forEach((l, k) => {
      const n = (xs[i] as Ref).shape[k] as number;
      const prev = sizes.get(l);
      if (prev !== undefined && prev !== n && prev !== 1 && n !== 1) throw new Error(`reference: einsum label ${l} sizes differ`);
      sizes.set(l, prev === undefined || prev === 1 ? n : prev);
    });
  });
  let output: string[];
  if (rhs === undefined) {
    const count = (l: string) => inputs.flat().filter((m) => m === l).length;
    output = [...ellLabels, ...[...new Set(inputs.flat())].filter((l) => !l.startsWith('#') && count(l) === 1).sort()];
  } else if (rhs.includes('...')) {
    const at = rhs.indexOf('...');
    output = [...rhs.slice(0, at), ...ellLabels, ...rhs.slice(at + 3)];
  } else output = [...rhs];
  const summed = [...sizes.keys()].filter((l) => !output.includes(l));
  const summedShape = summed.map((l) => sizes.get(l) as number);
  return Ref.fromFn(
    output.map((l) => sizes.get(l) as number),
    (outIdx) => {
      let s = 0;
      for (const sIdx of allIndices(summedShape)) {
        const value = (l: string): number => (output.includes(l) ? (outIdx[output.indexOf(l)] as number) : (sIdx[summed.indexOf(l)] as number));
        let p = 1;
        inputs.forEach((ls, i) => {
          const x = xs[i] as Ref;
          p *= x.get(ls.map((l, k) => ((x.shape[k] as number) === 1 ? 0 : value(l))));
        });
        s += p;
      }
      return s;
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Convolution and pooling

/** Length of a window sweep over an input of `size` (dilated by `baseDil`, padded) with a dilated window. */
export function windowCount(size: number, window: number, stride: number, pad: readonly [number, number], baseDil: number, winDil: number): number {
  const dilatedIn = size === 0 ? 0 : (size - 1) * baseDil + 1;
  const padded = dilatedIn + pad[0] + pad[1];
  const span = (window - 1) * winDil + 1;
  if (padded < span) return 0;
  return Math.floor((padded - span) / stride) + 1;
}

/** TF/JAX 'SAME' padding: output ceil(size / stride), the odd extra pad on the high side. */
export function samePadding(size: number, window: number, stride: number, winDil: number): [number, number] {
  const span = (window - 1) * winDil + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + span - size);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * Position in the original input that padded+dilated coordinate `p` reads, or -1 for padding
 * and for the holes that base dilation inserts.
 */
function sourceOf(p: number, padLo: number, baseDil: number, size: number): number {
  const q = p - padLo;
  if (q < 0 || q % baseDil !== 0) return -1;
  const i = q / baseDil;
  return i < size ? i : -1;
}

export interface RefConvOptions {
  strides: readonly number[];
  padding: readonly (readonly [number, number])[];
  lhsDilation: readonly number[];
  rhsDilation: readonly number[];
  featureGroupCount: number;
  batchGroupCount: number;
}

/**
 * XLA ConvGeneralDilated in NCHW/OIHW (any number of spatial dims), by direct loops:
 *
 *   out[n, o, y...] = Σ_{i, k...} lhs[img, c, src...] · rhs[o, i, k...]
 *
 * where the output channel o belongs to feature group fg = o / (O / G) (reading input channels
 * c = fg·(C/G) + i) and batch group bg = o / (O / BG) (reading image img = bg·(N/BG) + n), and
 * src[d] is the input position that y[d]·stride + k[d]·rhsDil lands on in the padded, lhs-dilated
 * input (skipped when it is padding or a dilation hole).
 */
export function conv(lhs: Ref, rhs: Ref, o: RefConvOptions): Ref {
  const [N, C] = lhs.shape as [number, number];
  const [O, I] = rhs.shape as [number, number];
  const inSp = lhs.shape.slice(2);
  const win = rhs.shape.slice(2);
  const G = o.featureGroupCount;
  const BG = o.batchGroupCount;
  if (C !== I * G) throw new Error('reference: conv channels do not match the groups');
  const outSp = inSp.map((n, d) =>
    windowCount(n, win[d] as number, o.strides[d] as number, o.padding[d] as [number, number], o.lhsDilation[d] as number, o.rhsDilation[d] as number),
  );
  const outN = N / BG;
  return Ref.fromFn([outN, O, ...outSp], ([n, oc, ...y]) => {
    const fg = Math.floor((oc as number) / (O / G));
    const bg = Math.floor((oc as number) / (O / BG));
    const img = bg * outN + (n as number);
    let s = 0;
    for (let i = 0; i < I; i++) {
      const c = fg * I + i;
      for (const k of allIndices(win)) {
        const src = y.map((yd, d) =>
          sourceOf(
            yd * (o.strides[d] as number) + (k[d] as number) * (o.rhsDilation[d] as number),
            (o.padding[d] as [number, number])[0],
            o.lhsDilation[d] as number,
            inSp[d] as number,
          ),
        );
        if (src.some((v) => v < 0)) continue;
        s += lhs.get([img, c, ...src]) * rhs.get([oc as number, i, ...k]);
      }
    }
    return s;
  });
}

export interface RefWindowOptions {
  strides: readonly number[];
  padding: readonly (readonly [number, number])[];
  baseDilation: readonly number[];
  windowDilation: readonly number[];
}

/** XLA ReduceWindow with max (init -inf) or sum (init 0); padding and dilation holes hold the init value. */
export function reduceWindow(x: Ref, op: 'max' | 'sum', window: readonly number[], o: RefWindowOptions): Ref {
  const outShape = x.shape.map((n, d) =>
    windowCount(n, window[d] as number, o.strides[d] as number, o.padding[d] as [number, number], o.baseDilation[d] as number, o.windowDilation[d] as number),
  );
  return Ref.fromFn(outShape, (y) => {
    const values: number[] = [];
    for (const k of allIndices(window)) {
      const src = y.map((yd, d) =>
        sourceOf(
          yd * (o.strides[d] as number) + (k[d] as number) * (o.windowDilation[d] as number),
          (o.padding[d] as [number, number])[0],
          o.baseDilation[d] as number,
          x.shape[d] as number,
        ),
      );
      if (src.every((v) => v >= 0)) values.push(x.get(src));
    }
    return op === 'max' ? values.reduce((a, b) => (b > a || Number.isNaN(b) ? b : a), Number.NEGATIVE_INFINITY) : sumOf(values);
  });
}
