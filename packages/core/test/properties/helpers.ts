// Shared fast-check arbitraries and comparisons for the property tests against test/reference.ts.
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Array as TArray } from '../../src/array.js';
import type { DType } from '../../src/dtype.js';
import { np } from '../../src/index.js';
import { Ref, sizeOf } from '../reference.js';

/** Every property is seeded (reproducible) and small (the whole directory stays fast). */
export const FC = { seed: 42, numRuns: 40 } as const;
export const fcParams = (numRuns: number = FC.numRuns) => ({ seed: FC.seed, numRuns });

/** float32 machine epsilon and float64's, for error bounds. */
export const EPS32 = 2 ** -23;
export const EPS64 = 2 ** -52;

// ---------------------------------------------------------------------------------------------
// Arbitraries

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  minDim?: number;
  maxDim?: number;
}

/** Shapes of rank 0–4 with dims 0–5 by default. */
export function shapeArb({ minRank = 0, maxRank = 4, minDim = 0, maxDim = 5 }: ShapeOptions = {}): fc.Arbitrary<number[]> {
  // noBias: fast-check would otherwise favour 0 and 1, leaving few interesting shapes
  return fc.array(fc.noBias(fc.integer({ min: minDim, max: maxDim })), { minLength: minRank, maxLength: maxRank });
}

/**
 * The kinds of values an array can be filled with:
 * - dyadic: multiples of 1/8 in [-4, 4]: sums and products of a few stay exact in float32 and float64
 * - float64: any double in [-8, 8]
 * - float32: any float32 in [-8, 8]
 * - int: integers in [-20, 20]
 * - bool: 0 or 1
 */
export type ValueKind = 'dyadic' | 'float64' | 'float32' | 'int' | 'bool';

export function valueArb(kind: ValueKind): fc.Arbitrary<number> {
  switch (kind) {
    case 'dyadic':
      return fc.integer({ min: -32, max: 32 }).map((v) => v / 8);
    case 'float64':
      return fc.double({ min: -8, max: 8, noNaN: true });
    case 'float32':
      return fc.float({ min: -8, max: 8, noNaN: true });
    case 'int':
      return fc.integer({ min: -20, max: 20 });
    case 'bool':
      return fc.integer({ min: 0, max: 1 });
  }
}

/** The natural value kind for a dtype (its values exactly representable in it). */
export function kindFor(dtype: DType): ValueKind {
  return dtype === 'bool' ? 'bool' : dtype === 'int32' ? 'int' : dtype;
}

/** A reference array of the given shape filled with values of `kind`. */
export function refArb(shape: readonly number[], kind: ValueKind): fc.Arbitrary<Ref> {
  const n = sizeOf(shape);
  return fc.array(valueArb(kind), { minLength: n, maxLength: n }).map((data) => new Ref(shape, data));
}

/** A random shape and an array of it. */
export function arrayArb(kind: ValueKind, shape: ShapeOptions = {}): fc.Arbitrary<Ref> {
  return shapeArb(shape).chain((s) => refArb(s, kind));
}

/**
 * `count` shapes that broadcast together: a base shape, then per operand a suffix of it (so ranks
 * differ) with some dims (one in four) replaced by 1.
 */
export function broadcastShapesArb(count: number, opts: ShapeOptions = {}): fc.Arbitrary<number[][]> {
  return shapeArb(opts).chain((base) =>
    fc.tuple(
      ...Array.from({ length: count }, () =>
        fc
          .tuple(
            fc.noBias(fc.integer({ min: 0, max: base.length })),
            fc.array(
              fc.noBias(fc.integer({ min: 0, max: 3 })).map((v) => v === 0),
              { minLength: base.length, maxLength: base.length },
            ),
          )
          .map(([rank, ones]) => base.slice(base.length - rank).map((d, i) => (ones[i + base.length - rank] ? 1 : d))),
      ),
    ),
  );
}

/** A permutation of 0..n-1. */
export function permutationArb(n: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray(
    Array.from({ length: n }, (_, i) => i),
    { minLength: n, maxLength: n },
  );
}

/** An axis of an array of rank `ndim` >= 1, possibly written negatively. */
export function axisArb(ndim: number): fc.Arbitrary<number> {
  return fc.integer({ min: -ndim, max: ndim - 1 });
}

/**
 * A reduction axis spec for rank `ndim`: null (all), one axis, or a list of distinct axes (in any
 * order, each possibly negative). `axes` is the normalized list.
 */
export function axesArb(ndim: number): fc.Arbitrary<{ spec: number | number[] | null; axes: number[] }> {
  const all = Array.from({ length: ndim }, (_, i) => i);
  const list = fc
    .shuffledSubarray(all)
    .chain((axes) => fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }).map((neg) => ({ axes, neg })))
    .map(({ axes, neg }) => ({ spec: axes.map((a, i) => (neg[i] ? a - ndim : a)), axes }));
  const options: fc.Arbitrary<{ spec: number | number[] | null; axes: number[] }>[] = [fc.constant({ spec: null, axes: all }), list];
  if (ndim > 0) options.push(axisArb(ndim).map((a) => ({ spec: a, axes: [a < 0 ? a + ndim : a] })));
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------------------------
// Conversions and comparisons

/** A tenfold array holding the reference's values as `dtype`. */
export function toArray(r: Ref, dtype: DType): TArray {
  return np.array(r.data as number[], { dtype }).reshape(r.shape);
}

/** The values of a tenfold array as a reference array (booleans as 0/1). */
export function toRef(x: TArray): Ref {
  return new Ref(x.shape, Array.from(x.dataSync() as ArrayLike<number>));
}

/** Rounds reference values to what `dtype` stores. */
export function roundTo(r: Ref, dtype: DType): Ref {
  if (dtype === 'float32') return r.map(Math.fround);
  if (dtype === 'int32') return r.map((v) => v | 0);
  if (dtype === 'bool') return r.map((v) => (v !== 0 ? 1 : 0));
  return r;
}

const same = (a: number, e: number) => a === e || (Number.isNaN(a) && Number.isNaN(e));

/**
 * Checks `actual` has the shape of `expected` and matching values: exactly (NaN equals NaN), or
 * within `tol` (a number, or a reference array of per-element bounds).
 */
export function expectMatches(actual: TArray, expected: Ref, tol: number | Ref = 0, dtype?: DType): void {
  expect(actual.shape).toEqual(expected.shape);
  if (dtype !== undefined) expect(actual.dtype).toBe(dtype);
  const got = actual.dataSync();
  for (let i = 0; i < expected.size; i++) {
    const a = got[i] as number;
    const e = expected.data[i] as number;
    const t = typeof tol === 'number' ? tol : (tol.data[i] as number);
    const ok = same(a, e) || Math.abs(a - e) <= t;
    if (!ok) {
      expect.fail(
        `element ${i} of shape [${expected.shape}] differs: got ${a}, expected ${e} (tolerance ${t})\n` +
          `got      ${JSON.stringify(toRef(actual).toNested())}\nexpected ${JSON.stringify(expected.toNested())}`,
      );
    }
  }
}
