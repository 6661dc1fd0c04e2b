// Reductions over random axis subsets against the naive reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/dtype.js';
import { np } from '../../src/index.js';
import * as ref from '../reference.js';
import { arrayArb, axesArb, axisArb, EPS32, EPS64, expectMatches, FC, toArray } from './helpers.js';

/** A float array, an axis spec over it, and keepdims. */
const reductionCase = (kind: 'float64' | 'float32' | 'dyadic' | 'int' | 'bool', opts = {}) =>
  arrayArb(kind, opts).chain((x) => fc.tuple(fc.constant(x), axesArb(x.ndim), fc.boolean()));

/** Number of elements folded into each output element. */
const countOf = (x: ref.Ref, axes: readonly number[]) => axes.reduce((n, a) => n * (x.shape[a] as number), 1);

/**
 * Error bound for a float sum of `n` terms in a dtype with unit roundoff `eps`, whatever the
 * summation order: (n + 1)·(eps·Σ|x| + tiny) per output element (n - 1 additions plus the final
 * rounding; `tiny`, the smallest subnormal, covers the absolute error of results that underflow).
 */
function sumTolerance(x: ref.Ref, axes: readonly number[], keepdims: boolean, eps: number): ref.Ref {
  const n = countOf(x, axes);
  const tiny = eps === EPS32 ? 2 ** -149 : 2 ** -1074;
  return ref.reduce(x.map(Math.abs), axes, ref.sumOf, keepdims).map((s) => (n + 1) * (eps * s + tiny));
}

describe('sum, prod, max, min, mean', () => {
  it('float64 sums, means and exact max/min over random axes match the reference', () => {
    fc.assert(
      fc.property(reductionCase('float64'), ([x, { spec, axes }, keepdims]) => {
        const a = toArray(x, 'float64');
        const opts = { keepdims };
        expectMatches(np.sum(a, spec, opts), ref.reduce(x, axes, ref.sumOf, keepdims), sumTolerance(x, axes, keepdims, EPS64), 'float64');
        const n = countOf(x, axes);
        if (n > 0) {
          expectMatches(
            np.mean(a, spec, opts),
            ref.reduce(x, axes, ref.meanOf, keepdims),
            sumTolerance(x, axes, keepdims, EPS64).map((t) => t / n + 1e-300),
            'float64',
          );
          expectMatches(np.max(a, spec, opts), ref.reduce(x, axes, ref.maxOf, keepdims), 0, 'float64');
          expectMatches(np.min(a, spec, opts), ref.reduce(x, axes, ref.minOf, keepdims), 0, 'float64');
        } else if (x.size > 0 || axes.some((ax) => x.shape[ax] === 0)) {
          // an empty reduction: max/min have no identity
          expect(() => np.max(a, spec, opts)).toThrow(/^max: /);
          expect(() => np.min(a, spec, opts)).toThrow(/^min: /);
        }
      }),
      FC,
    );
  });

  it('float32 sums and means stay within (n+1)·2^-23·Σ|x| of the exact value', () => {
    fc.assert(
      fc.property(reductionCase('float32', { maxDim: 5 }), ([x, { spec, axes }, keepdims]) => {
        const a = toArray(x, 'float32');
        const n = countOf(x, axes);
        const tol = sumTolerance(x, axes, keepdims, EPS32);
        expectMatches(np.sum(a, spec, { keepdims }), ref.reduce(x, axes, ref.sumOf, keepdims), tol, 'float32');
        if (n > 0) {
          // the division by n adds one more rounding
          const mean = ref.reduce(x, axes, ref.meanOf, keepdims);
          const meanTol = new ref.Ref(
            tol.shape,
            tol.data.map((t, i) => t / n + EPS32 * Math.abs(mean.data[i] as number) + 2 ** -149),
          );
          expectMatches(np.mean(a, spec, { keepdims }), mean, meanTol, 'float32');
          expectMatches(np.max(a, spec, { keepdims }), ref.reduce(x, axes, ref.maxOf, keepdims), 0, 'float32');
        }
      }),
      FC,
    );
  });

  it('prod matches the reference within a relative n·eps bound', () => {
    fc.assert(
      fc.property(reductionCase('float64', { maxDim: 3 }), fc.constantFrom<DType>('float32', 'float64'), ([x, { spec, axes }, keepdims], dtype) => {
        const xs = dtype === 'float32' ? x.map(Math.fround) : x;
        const expected = ref.reduce(xs, axes, ref.prodOf, keepdims);
        const eps = dtype === 'float32' ? EPS32 : EPS64;
        const n = countOf(x, axes);
        const tol = expected.map((p) => (n + 1) * eps * Math.abs(p) + 1e-300);
        expectMatches(np.prod(toArray(xs, dtype), spec, { keepdims }), expected, tol, dtype);
      }),
      FC,
    );
  });

  it('dyadic values reduce exactly in both float dtypes', () => {
    fc.assert(
      fc.property(reductionCase('dyadic'), fc.constantFrom<DType>('float32', 'float64'), ([x, { spec, axes }, keepdims], dtype) => {
        expectMatches(np.sum(toArray(x, dtype), spec, { keepdims }), ref.reduce(x, axes, ref.sumOf, keepdims), 0, dtype);
      }),
      FC,
    );
  });

  it('int32 products wrap exactly at every step, past 2^53 too', () => {
    const wrap = (vs: number[]) => vs.reduce((p, v) => Math.imul(p, v), 1);
    const big = [100003, 100003, 100003, 100003];
    expect(np.prod(np.array(big, { dtype: 'int32' })).item()).toBe(wrap(big));
    expect(wrap(big)).toBe(-679156783);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -2147483648, max: 2147483647 }), { minLength: 1, maxLength: 12 }), (vs) => {
        expect(np.prod(np.array(vs, { dtype: 'int32' })).item()).toBe(wrap(vs));
      }),
      FC,
    );
  });

  it('int32 and bool: sum/prod stay int32 (bool sums count), max/min keep the dtype, mean is float32', () => {
    fc.assert(
      fc.property(reductionCase('int', { maxDim: 3 }), ([x, { spec, axes }, keepdims]) => {
        const a = toArray(x, 'int32');
        expectMatches(np.sum(a, spec, { keepdims }), ref.reduce(x, axes, ref.sumOf, keepdims), 0, 'int32');
        // products of up to 81 factors of |v| <= 20 overflow int32: compare in int32 arithmetic
        const wrapProd = (vs: number[]) => vs.reduce((p, v) => Math.imul(p, v), 1);
        expectMatches(np.prod(a, spec, { keepdims }), ref.reduce(x, axes, wrapProd, keepdims), 0, 'int32');
        const b = toArray(
          x.map((v) => (v > 0 ? 1 : 0)),
          'bool',
        );
        expectMatches(
          np.sum(b, spec, { keepdims }),
          ref.reduce(
            x.map((v) => (v > 0 ? 1 : 0)),
            axes,
            ref.sumOf,
            keepdims,
          ),
          0,
          'int32',
        );
        if (countOf(x, axes) > 0) {
          expectMatches(np.max(a, spec, { keepdims }), ref.reduce(x, axes, ref.maxOf, keepdims), 0, 'int32');
          expectMatches(np.min(a, spec, { keepdims }), ref.reduce(x, axes, ref.minOf, keepdims), 0, 'int32');
          expectMatches(np.mean(a, spec, { keepdims }), ref.reduce(x, axes, ref.meanOf, keepdims).map(Math.fround), 1e-5, 'float32');
        }
      }),
      FC,
    );
  });
});

describe('any, all', () => {
  it('match the reference, including empty reductions (any → false, all → true)', () => {
    fc.assert(
      fc.property(reductionCase('bool'), ([x, { spec, axes }, keepdims]) => {
        const a = toArray(x, 'bool');
        expectMatches(np.any(a, spec, { keepdims }), ref.reduce(x, axes, ref.anyOf, keepdims), 0, 'bool');
        expectMatches(np.all(a, spec, { keepdims }), ref.reduce(x, axes, ref.allOf, keepdims), 0, 'bool');
        // numbers are truthy when nonzero
        const f = toArray(x, 'float32');
        expectMatches(np.any(f, spec, { keepdims }), ref.reduce(x, axes, ref.anyOf, keepdims), 0, 'bool');
      }),
      FC,
    );
  });
});

describe('argmax, argmin', () => {
  it('give the first extreme index along an axis (int values make ties common)', () => {
    fc.assert(
      fc.property(
        arrayArb('int', { minRank: 1, maxDim: 4 }).chain((x) => fc.tuple(fc.constant(x), axisArb(x.ndim), fc.boolean())),
        ([x, axis, keepdims]) => {
          const ax = axis < 0 ? axis + x.ndim : axis;
          fc.pre(x.shape[ax] !== 0);
          const a = toArray(
            x.map((v) => v % 4),
            'float32',
          );
          const xs = x.map((v) => v % 4);
          expectMatches(np.argmax(a, axis, { keepdims }), ref.reduce(xs, [ax], ref.argmaxOf, keepdims), 0, 'int32');
          expectMatches(np.argmin(a, axis, { keepdims }), ref.reduce(xs, [ax], ref.argminOf, keepdims), 0, 'int32');
        },
      ),
      FC,
    );
  });

  it('without an axis index the flattened array (keepdims gives all-1 dims, as NumPy)', () => {
    fc.assert(
      fc.property(arrayArb('int', { minDim: 1, maxDim: 4 }), fc.boolean(), (x, keepdims) => {
        const a = toArray(x, 'int32');
        const want = (v: number) =>
          keepdims
            ? ref.reshape(
                ref.Ref.scalar(v),
                x.shape.map(() => 1),
              )
            : ref.Ref.scalar(v);
        expectMatches(np.argmax(a, null, { keepdims }), want(ref.argmaxOf(x.data)), 0, 'int32');
        expectMatches(np.argmin(a, undefined, { keepdims }), want(ref.argminOf(x.data)), 0, 'int32');
      }),
      FC,
    );
  });

  it('an empty axis throws, but other empty axes just give an empty result', () => {
    expect(() => np.argmax(np.zeros([3, 0]), 1)).toThrow(/^argmax: /);
    expect(() => np.argmin(np.zeros([0]))).toThrow(/^argmin: /);
    expect(np.argmax(np.zeros([0, 3]), 1).shape).toEqual([0]);
  });
});

describe('var, std, logsumexp', () => {
  it('var/std with ddof match the two-pass reference', () => {
    fc.assert(
      fc.property(reductionCase('float64', { maxDim: 4 }), fc.integer({ min: 0, max: 1 }), ([x, { spec, axes }, keepdims], ddof) => {
        const n = countOf(x, axes);
        fc.pre(n - ddof > 0);
        const a = toArray(x, 'float64');
        const v = ref.reduce(x, axes, ref.varOf(ddof), keepdims);
        const scale = ref.reduce(x.map(Math.abs), axes, ref.maxOf, keepdims);
        // the centered squares are each within a few ulps of 2·max|x|²
        const tol = scale.map((s) => 16 * (n + 2) * EPS64 * s * s + 1e-300);
        expectMatches(np.var(a, spec, { keepdims, ddof }), v, tol, 'float64');
        expectMatches(
          np.std(a, spec, { keepdims, ddof }),
          v.map(Math.sqrt),
          new ref.Ref(
            v.shape,
            v.data.map((w, i) => Math.sqrt(tol.data[i] as number) + 4 * EPS64 * Math.sqrt(w)),
          ),
          'float64',
        );
      }),
      FC,
    );
  });

  it('logsumexp matches the shifted reference, also for large and -inf inputs', () => {
    fc.assert(
      fc.property(
        reductionCase('float64', { maxDim: 4 }),
        fc.constantFrom(0, 1000, -1000),
        fc.boolean(),
        ([x, { spec, axes }, keepdims], offset, withNegInf) => {
          fc.pre(countOf(x, axes) > 0);
          // optionally make one element -inf (exp = 0): must not poison the result
          const xs = new ref.Ref(
            x.shape,
            x.data.map((v, i) => (withNegInf && i === 0 ? Number.NEGATIVE_INFINITY : v + offset)),
          );
          const expected = ref.reduce(xs, axes, ref.logsumexpOf, keepdims);
          const tol = expected.map((v) => (Number.isFinite(v) ? 64 * EPS64 * (Math.abs(v) + 1) : 0));
          expectMatches(np.logsumexp(toArray(xs, 'float64'), spec, { keepdims }), expected, tol, 'float64');
        },
      ),
      FC,
    );
  });
});
