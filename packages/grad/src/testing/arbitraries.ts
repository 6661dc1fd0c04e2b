import { type Array, type DType, np, type TypedArray } from '@tenfold/core';
import fc from 'fast-check';

/** A shape: one length per axis. */
export type Shape = readonly number[];

export interface ShapeOptions {
  /** Fewest axes (default 0: scalars included). */
  minRank?: number;
  /** Most axes (default 3). */
  maxRank?: number;
  /** Smallest axis length (default 1; 0 gives empty arrays). */
  minDim?: number;
  /** Largest axis length (default 4). */
  maxDim?: number;
}

/**
 * Shapes with `minRank..maxRank` axes of lengths `minDim..maxDim`. Small defaults keep arrays tiny,
 * as finite-difference gradient checks need.
 *
 * @example
 * fc.assert(fc.property(shapes({ maxRank: 2 }), (s) => s.length <= 2));
 */
export function shapes(opts: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 3, minDim = 1, maxDim = 4 } = opts;
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * Pairs of NumPy-broadcast-compatible shapes: the result shape is drawn first, then each operand
 * keeps a suffix of its axes with every length either the result's or 1. Both operands being
 * stretched somewhere (`[3, 1]` with `[4]`) is common, which is what broadcasting gradients
 * (sums over the stretched axes) need.
 *
 * @example
 * fc.assert(fc.property(broadcastShapes(), ([a, b]) => np.add(np.zeros(a), np.zeros(b)).ndim === Math.max(a.length, b.length)));
 */
export function broadcastShapes(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  const { minRank = 0, maxRank = 3, minDim = 1, maxDim = 4 } = opts;
  const operand = (out: number[]): fc.Arbitrary<number[]> =>
    fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
  return shapes({ minRank, maxRank, minDim, maxDim }).chain((out) => fc.tuple(operand(out), operand(out)));
}

/**
 * Where values are drawn from:
 * - `'real'`: [-3, 3];
 * - `'positive'`: [0.25, 4] (log, sqrt, rsqrt, power's base, divisors);
 * - `'nonzero'`: ±[0.25, 3];
 * - `'bounded'`: [-0.9, 0.9], well inside (-1, 1) (erfinv, arctanh);
 * - `'unit'`: [0.05, 0.95], well inside (0, 1) (probabilities);
 * - `'awayFromKinks'`: distinct values, at least 0.04 from every multiple of 0.1 (so from 0,
 *   ±0.5, ±1 and every integer) and at least 0.08 apart, in [-3, 3] (wider for large arrays): safe
 *   for finite differences of relu, abs, max/min (no ties), sort, clip and floor-like ops.
 */
export type ValueDomain = 'real' | 'positive' | 'nonzero' | 'bounded' | 'unit' | 'awayFromKinks';

export interface ArrayOptions {
  /** Element type (default float64, for gradient checks). */
  dtype?: DType;
  /** Where values come from (default 'real'). */
  domain?: ValueDomain;
  /** Override the domain's lower bound ('real', 'positive', 'bounded', 'unit'). */
  min?: number;
  /** Override the domain's upper bound. */
  max?: number;
  /** The backend the arrays are created on (default: the current default backend). */
  backend?: string;
}

const RANGES: Record<Exclude<ValueDomain, 'awayFromKinks' | 'nonzero'>, [number, number]> = {
  real: [-3, 3],
  positive: [0.25, 4],
  bounded: [-0.9, 0.9],
  unit: [0.05, 0.95],
};

/**
 * Uniform values on a fine grid of [lo, hi]. fc.double draws uniformly over representable
 * doubles, so most of its values in [-3, 3] are tiny (|x| < 1e-150): useless for finite
 * differences, where such values sit on kinks and underflow.
 */
export function uniform(lo: number, hi: number): fc.Arbitrary<number> {
  const steps = 1 << 24;
  return fc.integer({ min: 0, max: steps }).map((k) => lo + ((hi - lo) * k) / steps);
}

function sizeOf(shape: Shape): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** `n` values from `domain` (jointly: 'awayFromKinks' values are distinct across all of them). */
export function values(n: number, opts: ArrayOptions = {}): fc.Arbitrary<number[]> {
  const domain = opts.domain ?? 'real';
  const isInt = opts.dtype === 'int32';
  const isBool = opts.dtype === 'bool';
  if (isBool) return fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n });
  if (domain === 'awayFromKinks') {
    // grid points k·0.1 + 0.05 (k distinct), jittered by at most 0.01
    const half = Math.max(30, Math.ceil(n / 2) + 1);
    return fc
      .tuple(
        fc.uniqueArray(fc.integer({ min: -half, max: half - 1 }), { minLength: n, maxLength: n }),
        fc.array(uniform(-0.01, 0.01), { minLength: n, maxLength: n }),
      )
      .map(([ks, js]) => ks.map((k, i) => Math.round((k * 0.1 + 0.05) * 1e6) / 1e6 + (isInt ? 0 : (js[i] as number))))
      .map((vs) => (isInt ? vs.map((v) => Math.round(v * 10)) : vs));
  }
  if (domain === 'nonzero') {
    const lo = opts.min ?? 0.25;
    const hi = opts.max ?? 3;
    const mag = isInt ? fc.integer({ min: Math.max(1, Math.ceil(lo)), max: Math.max(1, Math.floor(hi)) }) : uniform(lo, hi);
    return fc.array(
      fc.tuple(fc.boolean(), mag).map(([neg, m]) => (neg ? -m : m)),
      { minLength: n, maxLength: n },
    );
  }
  const [lo0, hi0] = RANGES[domain];
  const lo = opts.min ?? lo0;
  const hi = opts.max ?? hi0;
  const one = isInt ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }) : uniform(lo, hi);
  return fc.array(one, { minLength: n, maxLength: n });
}

function typed(dtype: DType, vs: readonly number[]): TypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(vs);
    case 'float64':
      return Float64Array.from(vs);
    case 'int32':
      return Int32Array.from(vs);
    default:
      return Uint8Array.from(vs);
  }
}

function build(shape: Shape, vs: readonly number[], opts: ArrayOptions): Array {
  const dtype = opts.dtype ?? 'float64';
  return np.array(typed(dtype, vs), { shape: [...shape], dtype, ...(opts.backend ? { backend: opts.backend } : {}) });
}

/**
 * tenfold Arrays of `shape` (a fixed shape or an arbitrary of shapes) with values from
 * `opts.domain`, float64 by default.
 *
 * @example
 * fc.assert(fc.property(arrays([3, 2], { domain: 'positive' }), (x) => {
 *   checkGrads((a) => np.log(a), [x]);
 * }), { seed: 42, numRuns: 5 });
 */
export function arrays(shape: Shape | fc.Arbitrary<Shape>, opts: ArrayOptions = {}): fc.Arbitrary<Array> {
  const shapeArb = shape instanceof fc.Arbitrary ? shape : fc.constant(shape);
  return shapeArb.chain((s) => values(sizeOf(s), opts).map((vs) => build(s, vs, opts)));
}

/**
 * Several arrays drawn together, so that 'awayFromKinks' keeps their values distinct across all of
 * them (for `maximum(x, y)`, `clip(x, lo, hi)`...). Same options as {@link arrays}.
 *
 * @example
 * fc.assert(fc.property(jointArrays([[3], [3]], { domain: 'awayFromKinks' }), ([x, y]) => {
 *   checkGrads((a, b) => np.maximum(a, b), [x, y]);
 * }), { seed: 42, numRuns: 5 });
 */
export function jointArrays(shapeList: readonly Shape[], opts: ArrayOptions = {}): fc.Arbitrary<Array[]> {
  const sizes = shapeList.map(sizeOf);
  const total = sizes.reduce((p, n) => p + n, 0);
  return values(total, opts).map((vs) => {
    let at = 0;
    return shapeList.map((s, i) => {
      const part = vs.slice(at, at + (sizes[i] as number));
      at += sizes[i] as number;
      return build(s, part, opts);
    });
  });
}

/**
 * A float64 array from plain values, for hand-written gradient checks.
 *
 * @example
 * checkGrads((x) => np.max(x), [f64([1, 3, 3])], { order: 1 }); // a tie: JAX's rule splits the tangent
 */
export function f64(data: readonly number[] | readonly (readonly number[])[] | number, shape?: Shape): Array {
  if (typeof data === 'number') return np.array(Float64Array.of(data), { shape: [], dtype: 'float64' });
  const flat = (data as readonly (number | readonly number[])[]).flat() as number[];
  const s = shape ?? (globalThis.Array.isArray(data[0]) ? [data.length, (data[0] as readonly number[]).length] : [data.length]);
  return np.array(Float64Array.from(flat), { shape: [...s], dtype: 'float64' });
}
