// Slicing and indexing (basic, advanced, boolean, functional updates) against the naive reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Array } from '../../src/array.js';
import { np } from '../../src/index.js';
import type { Index } from '../../src/ops/indexing.js';
import * as ref from '../reference.js';
import { arrayArb, axisArb, broadcastShapesArb, expectMatches, FC, refArb, shapeArb, toArray } from './helpers.js';

/** One index entry, described once and turned into both a tenfold Index and a reference index. */
type Spec =
  | { t: 'int'; i: number }
  | { t: 'slice'; start: number | null; stop: number | null; step: number | null; asString: boolean }
  | { t: 'ellipsis' }
  | { t: 'new' }
  | { t: 'array'; idx: ref.Ref; asList: boolean }
  | { t: 'mask'; mask: ref.Ref };

function toIndex(s: Spec): Index {
  switch (s.t) {
    case 'int':
      return s.i;
    case 'slice':
      return s.asString ? `${s.start ?? ''}:${s.stop ?? ''}${s.step === null ? '' : `:${s.step}`}` : np.slice(s.start, s.stop, s.step);
    case 'ellipsis':
      return '...';
    case 'new':
      return null;
    case 'array':
      return s.asList && s.idx.ndim === 1 ? s.idx.data : toArray(s.idx, 'int32');
    case 'mask':
      return toArray(s.mask, 'bool');
  }
}

function toRefIndex(s: Spec): ref.RefIndex {
  switch (s.t) {
    case 'int':
      return s.i;
    case 'slice':
      return { kind: 'slice', start: s.start, stop: s.stop, step: s.step };
    case 'ellipsis':
      return '...';
    case 'new':
      return null;
    case 'array':
      return { kind: 'array', idx: s.idx };
    case 'mask':
      return { kind: 'mask', mask: s.mask };
  }
}

const describeSpecs = (specs: readonly Spec[]) =>
  specs
    .map((s) =>
      s.t === 'int'
        ? String(s.i)
        : s.t === 'slice'
          ? `${s.start ?? ''}:${s.stop ?? ''}:${s.step ?? ''}`
          : s.t === 'ellipsis'
            ? '...'
            : s.t === 'new'
              ? 'None'
              : s.t === 'array'
                ? `idx${JSON.stringify(s.idx.toNested())}`
                : `mask${JSON.stringify(s.mask.toNested())}`,
    )
    .join(', ');

/** A slice over an axis of length n: bounds may be negative or past either end, steps negative. */
const sliceArb = (n: number): fc.Arbitrary<Spec> => {
  const bound = fc.option(fc.integer({ min: -n - 2, max: n + 2 }), { nil: null });
  return fc.record({
    t: fc.constant('slice' as const),
    start: bound,
    stop: bound,
    step: fc.option(fc.constantFrom(1, 2, 3, -1, -2, -3), { nil: null }),
    asString: fc.boolean(),
  });
};
const intArb = (n: number): fc.Arbitrary<Spec> => fc.integer({ min: -n, max: n - 1 }).map((i) => ({ t: 'int', i }));

/** Inserts up to two new axes (null) at random places. */
const withNewAxes = (specs: Spec[]): fc.Arbitrary<Spec[]> =>
  fc.array(fc.integer({ min: 0, max: specs.length }), { maxLength: 2 }).map((at) => {
    const out = [...specs];
    for (const p of at.sort((a, b) => b - a)) out.splice(p, 0, { t: 'new' });
    return out;
  });

/**
 * Basic indices for x: one entry per axis (integers only on non-empty axes), then either all kept,
 * the tail dropped (implied full slices), or a run replaced by '...'; plus new axes.
 */
const basicCase = arrayArb('float64').chain((x) =>
  fc
    .tuple(...x.shape.map((n) => (n > 0 ? fc.oneof(sliceArb(n), intArb(n)) : sliceArb(n))))
    .chain((perAxis) =>
      fc
        .tuple(fc.constantFrom('all', 'tail', 'ellipsis'), fc.integer({ min: 0, max: x.ndim }), fc.integer({ min: 0, max: x.ndim }))
        .map(([mode, a, b]): Spec[] => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          if (mode === 'tail') return perAxis.slice(0, lo);
          if (mode === 'ellipsis') return [...perAxis.slice(0, lo), { t: 'ellipsis' }, ...perAxis.slice(hi)];
          return perAxis;
        }),
    )
    .chain(withNewAxes)
    .map((specs) => ({ x, specs })),
);

/** An int index array of `shape` for an axis of length n (negative indices included). */
const indexArrayArb = (shape: number[], n: number): fc.Arbitrary<Spec> =>
  fc
    .tuple(fc.array(fc.integer({ min: -n, max: n - 1 }), { minLength: ref.sizeOf(shape), maxLength: ref.sizeOf(shape) }), fc.boolean())
    .map(([data, asList]) => ({ t: 'array', idx: new ref.Ref(shape, data), asList }));

/**
 * Advanced indices: x of rank 1–4 with non-empty axes; one or two axes get integer arrays (of
 * broadcast-compatible shapes), the others a slice or an integer or nothing; new axes may be
 * sprinkled in. The arrays end up adjacent or separated at random.
 */
const advancedCase = shapeArb({ minRank: 1, maxRank: 4, minDim: 1, maxDim: 4 }).chain((shape) =>
  fc
    .tuple(
      fc.shuffledSubarray([...shape.keys()], { minLength: 1, maxLength: Math.min(2, shape.length) }),
      broadcastShapesArb(2, { maxRank: 2, maxDim: 3 }),
      refArb(shape, 'float64'),
    )
    .chain(([advAxes, idxShapes, x]) =>
      fc
        .tuple(
          ...shape.map((n, axis) => {
            const k = advAxes.indexOf(axis);
            return k >= 0 ? indexArrayArb(idxShapes[k] as number[], n) : fc.oneof(sliceArb(n), intArb(n));
          }),
        )
        .chain((specs) => fc.integer({ min: Math.max(...advAxes) + 1, max: shape.length }).map((keep) => specs.slice(0, keep)))
        .chain(withNewAxes)
        .map((specs) => ({ x, specs })),
    ),
);

function check(x: ref.Ref, specs: Spec[], get: (a: Array, idx: Index[]) => Array = (a, idx) => a.index(...idx)): void {
  const expected = ref.index(x, specs.map(toRefIndex));
  try {
    expectMatches(get(toArray(x, 'float64'), specs.map(toIndex)), expected, 0, 'float64');
  } catch (e) {
    throw new Error(`x${JSON.stringify(x.shape)}[${describeSpecs(specs)}]: ${(e as Error).message}`);
  }
}

describe('basic indexing', () => {
  it('integers, slices (negative steps, out-of-range bounds), ... and new axes match the reference', () => {
    fc.assert(
      fc.property(basicCase, ({ x, specs }) => check(x, specs)),
      { ...FC, numRuns: 80 },
    );
  });

  it('reversing slices round trip: x[::-1][::-1] == x on every axis', () => {
    fc.assert(
      fc.property(arrayArb('int'), (x) => {
        const rev = x.shape.map(() => np.slice(null, null, -1));
        expectMatches(
          toArray(x, 'int32')
            .index(...rev)
            .index(...rev),
          x,
        );
      }),
      FC,
    );
  });

  it('an out-of-range integer index throws naming the axis and its size', () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3 }), fc.nat(), fc.integer({ min: 0, max: 3 }), fc.boolean(), (shape, axisSeed, over, negative) => {
        const axis = axisSeed % shape.length;
        const n = shape[axis] as number;
        const bad = negative ? -n - 1 - over : n + over;
        const idx: Index[] = [...new globalThis.Array(axis).fill(':'), bad];
        expect(() => np.zeros(shape).index(...idx)).toThrow(new RegExp(`^index: index ${bad} is out of bounds for axis ${axis} with size ${n}`));
      }),
      FC,
    );
  });

  it('too many indices throws', () => {
    expect(() => np.zeros([2, 3]).index(0, 0, 0)).toThrow(/^index: too many indices/);
  });
});

describe('advanced (integer array) indexing', () => {
  it('one or two index arrays, adjacent or separated, with slices, integers and new axes, follow NumPy', () => {
    fc.assert(
      fc.property(advancedCase, ({ x, specs }) => check(x, specs)),
      { ...FC, numRuns: 80 },
    );
  });

  it('an out-of-range index array throws naming the bad index', () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3, minDim: 1 }), fc.integer({ min: 0, max: 2 }), fc.boolean(), (shape, over, negative) => {
        const n = shape[0] as number;
        const bad = negative ? -n - 1 - over : n + over;
        expect(() => np.zeros(shape).index(np.array([0, bad], { dtype: 'int32' }))).toThrow(
          new RegExp(`index ${bad} is out of bounds for axis 0 with size ${n}`),
        );
      }),
      FC,
    );
  });
});

describe('boolean mask indexing', () => {
  it('a mask over a run of axes selects the true positions (in row-major order)', () => {
    const cases = shapeArb({ minRank: 1, maxRank: 4, maxDim: 4 }).chain((shape) =>
      fc
        .tuple(fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 1, max: shape.length }))
        .map(([a, k]) => [a, Math.min(shape.length, a + k)] as const)
        .chain(([a, b]) =>
          fc.tuple(refArb(shape, 'float64'), refArb(shape.slice(a, b), 'bool'), fc.boolean()).map(([x, mask, trailingSlice]) => {
            const specs: Spec[] = [
              ...shape.slice(0, a).map((): Spec => ({ t: 'slice', start: null, stop: null, step: null, asString: true })),
              { t: 'mask', mask },
            ];
            if (trailingSlice && b < shape.length) specs.push({ t: 'slice', start: null, stop: null, step: -1, asString: false });
            return { x, specs };
          }),
        ),
    );
    fc.assert(
      fc.property(cases, ({ x, specs }) => check(x, specs)),
      FC,
    );
  });

  it('a mask whose shape differs from the dimensions it indexes throws (NumPy: IndexError), also through .at()', () => {
    const x = np.reshape(np.arange(24), [2, 3, 4]);
    const mask = (v: boolean[]) => np.array(v, { dtype: 'bool' });
    const message = /boolean index of shape \[1\] does not match the dimensions \[2\] it indexes \(axes 0\.\.0 of an array of shape \[2,3,4\]\)/;
    expect(() => x.index(mask([true]))).toThrow(message);
    expect(() => x.index(mask([true, false, true]))).toThrow(/boolean index of shape \[3\] does not match the dimensions \[2\]/);
    expect(() => x.index(':', mask([true, false]))).toThrow(/boolean index of shape \[2\] does not match the dimensions \[3\] it indexes \(axes 1\.\.1/);
    expect(() => x.at(mask([true])).set(0)).toThrow(message);
    expect(() => np.arange(3).index(np.array(false, { dtype: 'bool' }))).toThrow(/a 0-d boolean index is not supported/);
    // the right shapes, after an ellipsis or a new axis, still work
    expect(x.index('...', mask([true, false, true, true])).shape).toEqual([2, 3, 3]);
    expect(x.index(null, mask([false, true])).shape).toEqual([1, 1, 3, 4]);
  });

  it('x[x > 0] gives the positive elements in order', () => {
    fc.assert(
      fc.property(arrayArb('int', { minRank: 1 }), (x) => {
        const a = toArray(x, 'int32');
        const got = a.index(np.greater(a, 0));
        const want = x.data.filter((v) => v > 0);
        expectMatches(got, new ref.Ref([want.length], want), 0, 'int32');
      }),
      FC,
    );
  });
});

/** Index specs for updates (basic or advanced), and values shaped like the selection or a scalar. */
const updateCase = fc.oneof(basicCase, advancedCase).chain(({ x, specs }) => {
  const selected = ref.index(x, specs.map(toRefIndex));
  return fc.tuple(fc.constant(x), fc.constant(specs), fc.oneof(refArb(selected.shape, 'dyadic'), refArb([], 'dyadic')));
});

describe('functional updates x.at(...)', () => {
  it('.add(v) accumulates repeated indices, as the reference', () => {
    fc.assert(
      fc.property(updateCase, ([x, specs, v]) => {
        const got = toArray(x, 'float64')
          .at(...specs.map(toIndex))
          .add(toArray(v, 'float64'));
        expectMatches(got, ref.indexUpdate(x, specs.map(toRefIndex), v, 'add'), 1e-12, 'float64');
      }),
      FC,
    );
  });

  it('.set(v) writes the selection (array values where every position is selected once)', () => {
    fc.assert(
      fc.property(updateCase, ([x, specs, v]) => {
        const positions = ref.index(
          new ref.Ref(
            x.shape,
            x.data.map((_, i) => i),
          ),
          specs.map(toRefIndex),
        );
        // with repeated positions the winner of a set is unspecified (as in JAX): use a scalar
        const value = new Set(positions.data).size === positions.size ? v : ref.Ref.scalar(v.data[0] ?? 1);
        const got = toArray(x, 'float64')
          .at(...specs.map(toIndex))
          .set(toArray(value, 'float64'));
        expectMatches(got, ref.indexUpdate(x, specs.map(toRefIndex), value, 'set'), 0, 'float64');
      }),
      FC,
    );
  });

  it('.get() is .index(), and updates leave the input unchanged', () => {
    fc.assert(
      fc.property(advancedCase, ({ x, specs }) => {
        const a = toArray(x, 'float64');
        check(x, specs, (arr, idx) => arr.at(...idx).get());
        a.at(...specs.map(toIndex)).add(1);
        expectMatches(a, x);
      }),
      FC,
    );
  });
});

describe('take and takeAlongAxis', () => {
  it('np.take along an axis (or the flattened array) with negative indices matches the reference', () => {
    const cases = arrayArb('float64', { minRank: 1, minDim: 1, maxRank: 3 }).chain((x) =>
      fc.option(axisArb(x.ndim), { nil: undefined }).chain((axis) => {
        const n = axis === undefined ? x.size : (x.shape[axis < 0 ? axis + x.ndim : axis] as number);
        return fc.tuple(
          fc.constant(x),
          fc.constant(axis),
          shapeArb({ maxRank: 2, maxDim: 3 }).chain((s) => indexArrayArb(s, n)),
        );
      }),
    );
    fc.assert(
      fc.property(cases, ([x, axis, spec]) => {
        const idx = (spec as { idx: ref.Ref }).idx;
        expectMatches(np.take(toArray(x, 'float64'), toArray(idx, 'int32'), axis), ref.take(x, idx, axis ?? null), 0, 'float64');
      }),
      FC,
    );
  });

  it('np.take with an out-of-range index throws', () => {
    expect(() => np.take(np.arange(3), [3])).toThrow(/index 3 is out of bounds for axis 0 with size 3/);
  });

  it('np.takeAlongAxis matches the reference (negative indices wrap, other dimensions broadcast)', () => {
    const cases = arrayArb('float64', { minRank: 1, minDim: 1, maxRank: 3 }).chain((x) =>
      axisArb(x.ndim).chain((axis) => {
        const ax = axis < 0 ? axis + x.ndim : axis;
        const n = x.shape[ax] as number;
        // each other dimension of the indices: x's size, 1, or (where x has 1) a larger size
        const otherDims = fc.tuple(...x.shape.map((d) => (d === 1 ? fc.integer({ min: 1, max: 3 }) : fc.constantFrom(d, 1))));
        return fc.tuple(fc.integer({ min: 0, max: 4 }), otherDims).chain(([m, dims]) => {
          const shape = x.shape.map((_, i) => (i === ax ? m : (dims[i] as number)));
          return fc.tuple(
            fc.constant(x),
            fc.constant(axis),
            fc.array(fc.integer({ min: -n, max: n - 1 }), { minLength: ref.sizeOf(shape), maxLength: ref.sizeOf(shape) }).map((d) => new ref.Ref(shape, d)),
          );
        });
      }),
    );
    fc.assert(
      fc.property(cases, ([x, axis, idx]) => {
        expectMatches(np.takeAlongAxis(toArray(x, 'float64'), toArray(idx, 'int32'), axis), ref.takeAlongAxis(x, idx, axis), 0, 'float64');
      }),
      FC,
    );
  });

  it('np.takeAlongAxis rejects other dimensions that do not broadcast', () => {
    expect(() => np.takeAlongAxis(np.zeros([2, 3]), np.zeros([3, 2], { dtype: 'int32' }), 1)).toThrow(
      'takeAlongAxis: x float32[2,3] and indices int32[3,2] do not broadcast in dimension 0 (2 vs 3); the dimensions other than axis 1 must match or be 1',
    );
  });

  it('argsort of int32 and bool keys is the stable sort, ascending and descending (extremes and long lines too)', () => {
    const stable = (keys: readonly number[], descending: boolean): number[] =>
      keys.map((_, i) => i).sort((i, j) => (descending ? (keys[j] as number) - (keys[i] as number) : (keys[i] as number) - (keys[j] as number)) || i - j);
    const extreme = fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0, -1, 1);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer(), extreme), { minLength: 1, maxLength: 300 }),
        fc.boolean(),
        (keys, descending) => {
          const got = [...np.argsort(np.array(keys, { dtype: 'int32' }), 0, { descending }).dataSync()];
          expect(got).toEqual(stable(keys, descending));
        },
      ),
      FC,
    );
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 100 }), fc.boolean(), (flags, descending) => {
        const got = [...np.argsort(np.array(flags, { dtype: 'bool' }), 0, { descending }).dataSync()];
        expect(got).toEqual(stable(flags.map(Number), descending));
      }),
      FC,
    );
    // a line of 100k keys with many ties
    const n = 100_000;
    const keys = [...new Int32Array(n)].map((_, i) => ((i * 7919) % 1013) - 500);
    expect([...np.argsort(np.array(keys, { dtype: 'int32' }), 0).dataSync()]).toEqual(stable(keys, false));
  });

  it('argsort then takeAlongAxis sorts each line', () => {
    fc.assert(
      fc.property(
        arrayArb('int', { minRank: 1, maxRank: 3 }).chain((x) => fc.tuple(fc.constant(x), axisArb(x.ndim))),
        ([x, axis]) => {
          const a = toArray(x, 'int32');
          const sorted = np.takeAlongAxis(a, np.argsort(a, axis), axis);
          const ax = axis < 0 ? axis + x.ndim : axis;
          // reference: sort each line along ax
          const moved = ref.moveaxis(x, ax, -1);
          const n = x.shape[ax] as number;
          const lines = [];
          for (let i = 0; i < moved.size; i += n) lines.push(...moved.data.slice(i, i + n).sort((p, q) => p - q));
          expectMatches(sorted, ref.moveaxis(new ref.Ref(moved.shape, lines), -1, ax), 0, 'int32');
        },
      ),
      FC,
    );
  });
});
