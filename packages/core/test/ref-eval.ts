// Naive float64 references for the op table: plain loops over row-major JS number arrays, written
// independently of the library (no shared code with src/), so a bug cannot hide in both.

/** A float64 n-d array: row-major values and a shape. */
export interface RefArray {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export function refArray(shape: readonly number[], data: readonly number[]): RefArray {
  if (sizeOf(shape) !== data.length) throw new Error(`refArray: shape [${shape.join(',')}] needs ${sizeOf(shape)} values, got ${data.length}`);
  return { shape: [...shape], data: [...data] };
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i] as number;
  }
  return s;
}

/** The multi-index of flat position `i`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    idx[d] = i % n;
    i = Math.floor(i / n);
  }
  return idx;
}

export function ravelIndex(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * (shape[d] as number) + (idx[d] as number);
  return p;
}

function normAxis(axis: number, ndim: number): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) throw new Error(`ref: axis ${axis} out of range for rank ${ndim}`);
  return a;
}

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i;
      const d = s[i] as number;
      if (d !== 1) {
        if (out[k] !== 1 && out[k] !== d) throw new Error(`ref: cannot broadcast [${shapes.map((x) => x.join(',')).join('] [')}]`);
        out[k] = d;
      }
    }
  }
  return out;
}

/** Value of `x` at the (broadcast) output multi-index `idx`. */
function atBroadcast(x: RefArray, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  let p = 0;
  for (let d = 0; d < x.shape.length; d++) {
    const n = x.shape[d] as number;
    p = p * n + (n === 1 ? 0 : (idx[off + d] as number));
  }
  return x.data[p] as number;
}

/** Elementwise `f` over broadcast operands. */
export function mapRef(f: (...v: number[]) => number, ...xs: RefArray[]): RefArray {
  const shape = broadcastShape(...xs.map((x) => x.shape));
  const n = sizeOf(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data[i] = f(...xs.map((x) => atBroadcast(x, idx)));
  }
  return { shape, data };
}

/**
 * Reduces `axes` (all when null) by handing `f` the list of values of each output position, in
 * row-major order of the reduced axes.
 */
export function reduceRef(x: RefArray, axes: readonly number[] | null, f: (values: number[]) => number, keepdims = false): RefArray {
  const ax = axes === null ? x.shape.map((_, i) => i) : axes.map((a) => normAxis(a, x.shape.length));
  const outShapeKeep = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const buckets: number[][] = Array.from({ length: sizeOf(outShapeKeep) }, () => []);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (ax.includes(d) ? 0 : v));
    (buckets[ravelIndex(idx, outShapeKeep)] as number[]).push(x.data[i] as number);
  }
  const shape = keepdims ? outShapeKeep : x.shape.filter((_, i) => !ax.includes(i));
  return { shape, data: buckets.map(f) };
}

export const sumOf = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);
export const meanOf = (v: readonly number[]): number => sumOf(v) / v.length;
export const prodOf = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);
export const maxOf = (v: readonly number[]): number => {
  let m = -Infinity;
  for (const x of v) {
    if (Number.isNaN(x)) return Number.NaN;
    if (x > m) m = x;
  }
  return m;
};
export const minOf = (v: readonly number[]): number => -maxOf(v.map((x) => -x));
/** Population variance (ddof 0) or sample variance (ddof 1), two-pass in float64. */
export const varOf =
  (ddof: number) =>
  (v: readonly number[]): number => {
    const m = meanOf(v);
    return sumOf(v.map((x) => (x - m) * (x - m))) / Math.max(0, v.length - ddof);
  };
export const logsumexpOf = (v: readonly number[]): number => {
  const m = maxOf(v);
  if (!Number.isFinite(m)) return m === -Infinity ? -Infinity : m;
  return m + Math.log(sumOf(v.map((x) => Math.exp(x - m))));
};
/** Index of the first maximum (or minimum). */
export const argOf =
  (isMax: boolean) =>
  (v: readonly number[]): number => {
    let best = 0;
    for (let i = 1; i < v.length; i++) if (isMax ? (v[i] as number) > (v[best] as number) : (v[i] as number) < (v[best] as number)) best = i;
    return best;
  };

/** Applies `f` to every 1-d line along `axis`, which returns a line of the same length. */
export function alongAxisRef(x: RefArray, axis: number, f: (line: number[]) => number[]): RefArray {
  const ax = normAxis(axis, x.shape.length);
  const n = x.shape[ax] as number;
  const out = new Array<number>(x.data.length);
  const stride = stridesOf(x.shape)[ax] as number;
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    if (idx[ax] !== 0) continue;
    const positions = Array.from({ length: n }, (_, k) => i + k * stride);
    const line = f(positions.map((p) => x.data[p] as number));
    positions.forEach((p, k) => {
      out[p] = line[k] as number;
    });
  }
  return { shape: [...x.shape], data: out };
}

export function softmaxLine(line: readonly number[]): number[] {
  const m = maxOf(line);
  const e = line.map((v) => Math.exp(v - m));
  const s = sumOf(e);
  return e.map((v) => v / s);
}

export function logSoftmaxLine(line: readonly number[]): number[] {
  const lse = logsumexpOf(line);
  return line.map((v) => v - lse);
}

export function transposeRef(x: RefArray, perm?: readonly number[]): RefArray {
  const p = perm ? perm.map((a) => normAxis(a, x.shape.length)) : x.shape.map((_, i) => x.shape.length - 1 - i);
  const shape = p.map((a) => x.shape[a] as number);
  const data = new Array<number>(x.data.length);
  for (let i = 0; i < data.length; i++) {
    const outIdx = unravel(i, shape);
    const inIdx = new Array<number>(x.shape.length);
    p.forEach((a, k) => {
      inIdx[a] = outIdx[k] as number;
    });
    data[i] = x.data[ravelIndex(inIdx, x.shape)] as number;
  }
  return { shape, data };
}

export function reshapeRef(x: RefArray, shape: readonly number[]): RefArray {
  const known = sizeOf(shape.filter((d) => d !== -1));
  const target = shape.map((d) => (d === -1 ? x.data.length / known : d));
  return refArray(target, x.data);
}

export function concatRef(xs: readonly RefArray[], axis: number): RefArray {
  const first = xs[0] as RefArray;
  const ax = normAxis(axis, first.shape.length);
  const shape = [...first.shape];
  shape[ax] = sumOf(xs.map((x) => x.shape[ax] as number));
  const data = new Array<number>(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    let k = idx[ax] as number;
    for (const x of xs) {
      const n = x.shape[ax] as number;
      if (k < n) {
        const j = [...idx];
        j[ax] = k;
        data[i] = x.data[ravelIndex(j, x.shape)] as number;
        break;
      }
      k -= n;
    }
  }
  return { shape, data };
}

export function stackRef(xs: readonly RefArray[], axis: number): RefArray {
  const first = xs[0] as RefArray;
  const ax = normAxis(axis, first.shape.length + 1);
  const expanded = xs.map((x) => refArray([...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)], x.data));
  return concatRef(expanded, ax);
}

/** np.take: indices wrap when negative; flattened when `axis` is undefined. */
export function takeRef(x: RefArray, indices: RefArray, axis?: number): RefArray {
  const src = axis === undefined ? refArray([x.data.length], x.data) : x;
  const ax = axis === undefined ? 0 : normAxis(axis, x.shape.length);
  const n = src.shape[ax] as number;
  const shape = [...src.shape.slice(0, ax), ...indices.shape, ...src.shape.slice(ax + 1)];
  const data = new Array<number>(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    const before = idx.slice(0, ax);
    const ii = idx.slice(ax, ax + indices.shape.length);
    const after = idx.slice(ax + indices.shape.length);
    let k = indices.data[ravelIndex(ii, indices.shape)] as number;
    if (k < 0) k += n;
    data[i] = src.data[ravelIndex([...before, k, ...after], src.shape)] as number;
  }
  return { shape, data };
}

/** A one-hot last axis; labels outside [0, numClasses) give all zeros. */
export function oneHotRef(x: RefArray, numClasses: number): RefArray {
  const data: number[] = [];
  for (const v of x.data) for (let c = 0; c < numClasses; c++) data.push(v === c ? 1 : 0);
  return { shape: [...x.shape, numClasses], data };
}

/** Stable ascending argsort of each line along `axis`; NaN last. */
export function argsortLine(line: readonly number[]): number[] {
  const order = line.map((_, i) => i);
  order.sort((i, j) => {
    const u = line[i] as number;
    const v = line[j] as number;
    if (Number.isNaN(u) || Number.isNaN(v)) return Number.isNaN(u) ? (Number.isNaN(v) ? i - j : 1) : -1;
    return u < v ? -1 : u > v ? 1 : i - j;
  });
  return order;
}

/**
 * Naive Einstein summation: loops over every assignment of every label (letters only; implicit
 * output = labels used once, sorted).
 */
export function einsumRef(spec: string, ...xs: RefArray[]): RefArray {
  const [lhs, rhs] = spec.replace(/\s+/g, '').split('->') as [string, string | undefined];
  const terms = lhs.split(',').map((t) => [...t]);
  const sizes = new Map<string, number>();
  terms.forEach((t, k) => {
    t.forEach((l, d) => {
      sizes.set(l, (xs[k] as RefArray).shape[d] as number);
    });
  });
  const all = [...sizes.keys()];
  const counts = new Map<string, number>();
  for (const l of terms.flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
  const out = rhs === undefined ? all.filter((l) => counts.get(l) === 1).sort() : [...rhs];
  const outShape = out.map((l) => sizes.get(l) as number);
  const data = new Array<number>(sizeOf(outShape)).fill(0);
  const allShape = all.map((l) => sizes.get(l) as number);
  const total = sizeOf(allShape);
  for (let i = 0; i < total; i++) {
    const idx = unravel(i, allShape);
    const at = (l: string): number => idx[all.indexOf(l)] as number;
    let prod = 1;
    terms.forEach((t, k) => {
      const x = xs[k] as RefArray;
      prod *= x.data[ravelIndex(t.map(at), x.shape)] as number;
    });
    const o = ravelIndex(out.map(at), outShape);
    data[o] = (data[o] as number) + prod;
  }
  return { shape: outShape, data };
}

/** np.matmul with NumPy's rules: 1-d operands promoted and squeezed, batch dimensions broadcast. */
export function matmulRef(a: RefArray, b: RefArray): RefArray {
  const A = a.shape.length === 1 ? refArray([1, ...a.shape], a.data) : a;
  const B = b.shape.length === 1 ? refArray([...b.shape, 1], b.data) : b;
  const [m, k] = A.shape.slice(-2) as [number, number];
  const n = B.shape[B.shape.length - 1] as number;
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const shape = [...batch, m, n];
  const data = new Array<number>(sizeOf(shape));
  for (let o = 0; o < data.length; o++) {
    const idx = unravel(o, shape);
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let s = 0;
    for (let p = 0; p < k; p++) {
      s += atBroadcast(A, [...bi, i, p]) * atBroadcast(B, [...bi, p, j]);
    }
    data[o] = s;
  }
  let outShape = shape;
  if (a.shape.length === 1) outShape = [...outShape.slice(0, -2), n];
  if (b.shape.length === 1) outShape = a.shape.length === 1 ? [...batch] : [...batch, m];
  return refArray(outShape, data);
}

/** np.tensordot with explicit axis lists: free axes of `a`, then free axes of `b`. */
export function tensordotRef(a: RefArray, b: RefArray, axesA: readonly number[], axesB: readonly number[]): RefArray {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const la = a.shape.map((_, i) => letters[i] as string);
  const lb = b.shape.map((_, i) => letters[a.shape.length + i] as string);
  axesA.forEach((ax, k) => {
    lb[normAxis(axesB[k] as number, b.shape.length)] = la[normAxis(ax, a.shape.length)] as string;
  });
  const contracted = new Set(axesA.map((ax) => la[normAxis(ax, a.shape.length)]));
  const out = [...la.filter((l) => !contracted.has(l)), ...lb.filter((l) => !contracted.has(l))];
  return einsumRef(`${la.join('')},${lb.join('')}->${out.join('')}`, a, b);
}

/** np.dot: scalars multiply, ≤2-d is matmul, N-d sums the last axis of `a` with the second-to-last of `b`. */
export function dotRef(a: RefArray, b: RefArray): RefArray {
  if (a.shape.length === 0 || b.shape.length === 0) return mapRef((x, y) => x * y, a, b);
  if (b.shape.length <= 2) return matmulRef(a, b);
  return tensordotRef(a, b, [a.shape.length - 1], [b.shape.length - 2]);
}

/** Round half to even, from the definition (independent of the library's Math.round trick). */
export function roundHalfEvenRef(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** A finite double as an exact rational m · 2^e (m an integer). */
function toDyadic(v: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  return exp === 0 ? [sign * frac, -1074] : [sign * (frac | (1n << 52n)), exp - 1075];
}

/** floor(x / y) of the exact quotient (BigInt rationals, no rounding); y = 0 or non-finite inputs as IEEE x / y then floor. */
export function floorDivideRef(x: number, y: number): number {
  if (!Number.isFinite(x) || !Number.isFinite(y) || y === 0) return Math.floor(x / y);
  const [mx, ex] = toDyadic(x);
  const [my, ey] = toDyadic(y);
  let num = ex >= ey ? mx << BigInt(ex - ey) : mx;
  let den = ex >= ey ? my : my << BigInt(ey - ex);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const q = num / den; // truncates toward zero
  return Number(num % den !== 0n && num < 0n ? q - 1n : q);
}

/** NumPy's remainder (sign of the divisor). */
export function remainderRef(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

/**
 * erf(x) to float64 accuracy for |x| ≤ 6, from the series erf(x) = 2/√π e^{-x²} Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)),
 * whose terms are all positive (no cancellation). |x| > 6 gives ±1.
 */
export function erfRef(x: number): number {
  if (Number.isNaN(x)) return x;
  if (Math.abs(x) > 6) return Math.sign(x);
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

/** Inverse of {@link erfRef} by bisection then Newton, to float64 accuracy. */
export function erfinvRef(y: number): number {
  if (Number.isNaN(y) || Math.abs(y) > 1) return Number.NaN;
  if (Math.abs(y) === 1) return y * Infinity;
  if (y === 0) return y;
  let lo = y < 0 ? -6 : 0;
  let hi = y < 0 ? 0 : 6;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (erfRef(mid) < y) lo = mid;
    else hi = mid;
  }
  let x = (lo + hi) / 2;
  for (let i = 0; i < 3; i++) x -= (erfRef(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}
