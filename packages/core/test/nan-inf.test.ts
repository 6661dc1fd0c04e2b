// NaN, ±inf and signed zeros behave as in NumPy (and jax.numpy): exact expected values, in both
// float dtypes. `toEqual` tells -0 from +0 and matches NaN with NaN, so zeros are written with
// their sign where it is specified.
import { describe, expect, it } from 'vitest';
import { type DType, np, type Array as Tensor } from '../src/index.js';

const NaN_ = Number.NaN;
const inf = Number.POSITIVE_INFINITY;
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

const vals = (x: Tensor): number[] => Array.from(x.dataSync());
const bools = (x: Tensor): boolean[] => Array.from(x.dataSync(), (v) => v !== 0);
/** The float value as stored in `dtype` (float32 rounds). */
const as = (dtype: DType, v: number): number => (dtype === 'float32' ? Math.fround(v) : v);

for (const dtype of ['float32', 'float64'] as const) {
  const arr = (v: number[] | number[][]): Tensor => np.array(v, { dtype });

  describe(`NaN and infinities (${dtype})`, () => {
    it('maximum/minimum propagate NaN from either side', () => {
      const x = arr([NaN_, 1, NaN_, 1, -inf]);
      const y = arr([1, NaN_, NaN_, inf, 2]);
      expect(vals(np.maximum(x, y))).toEqual([NaN_, NaN_, NaN_, inf, 2]);
      expect(vals(np.minimum(x, y))).toEqual([NaN_, NaN_, NaN_, 1, -inf]);
      expect(vals(np.relu(arr([NaN_, -inf, inf])))).toEqual([NaN_, 0, inf]);
      expect(vals(np.clip(arr([NaN_, inf, -inf, 0.5]), 0, 1))).toEqual([NaN_, 1, 0, 0.5]);
    });

    it('max/min reductions propagate NaN; infinities are ordinary extremes', () => {
      expect(vals(np.max(arr([1, NaN_, 3])))).toEqual([NaN_]);
      expect(vals(np.min(arr([1, NaN_, 3])))).toEqual([NaN_]);
      expect(vals(np.max(arr([NaN_, 1, 3])))).toEqual([NaN_]);
      expect(
        vals(
          np.max(
            arr([
              [1, NaN_],
              [2, 3],
            ]),
            1,
          ),
        ),
      ).toEqual([NaN_, 3]);
      expect(
        vals(
          np.min(
            arr([
              [1, NaN_],
              [2, 3],
            ]),
            0,
          ),
        ),
      ).toEqual([1, NaN_]);
      expect(vals(np.max(arr([-inf, -inf])))).toEqual([-inf]);
      expect(vals(np.min(arr([inf, 5, -inf])))).toEqual([-inf]);
    });

    it('argmax/argmin return the first NaN, else the first extreme', () => {
      expect(vals(np.argmax(arr([1, NaN_, 3, NaN_])))).toEqual([1]);
      expect(vals(np.argmin(arr([0, -inf, NaN_])))).toEqual([2]);
      expect(vals(np.argmax(arr([NaN_, 5])))).toEqual([0]);
      expect(
        vals(
          np.argmax(
            arr([
              [1, NaN_],
              [NaN_, 2],
              [NaN_, NaN_],
            ]),
            0,
          ),
        ),
      ).toEqual([1, 0]);
      expect(vals(np.argmax(arr([-inf, -inf])))).toEqual([0]);
      expect(vals(np.argmax(arr([1, inf, inf])))).toEqual([1]);
      expect(vals(np.argmin(arr([1, -inf, -inf])))).toEqual([1]);
    });

    it('comparisons with NaN are false, except notEqual', () => {
      const x = arr([NaN_, NaN_, 1]);
      const y = arr([NaN_, 1, NaN_]);
      expect(bools(np.equal(x, y))).toEqual([false, false, false]);
      expect(bools(np.less(x, y))).toEqual([false, false, false]);
      expect(bools(np.lessEqual(x, y))).toEqual([false, false, false]);
      expect(bools(np.greater(x, y))).toEqual([false, false, false]);
      expect(bools(np.greaterEqual(x, y))).toEqual([false, false, false]);
      expect(bools(np.notEqual(x, y))).toEqual([true, true, true]);
      // infinities compare as ordinary values; -0 equals +0
      expect(bools(np.equal(arr([inf, -inf, -0]), arr([inf, -inf, 0])))).toEqual([true, true, true]);
      expect(bools(np.less(arr([-inf, 1e30]), arr([inf, inf])))).toEqual([true, true]);
    });

    it('sort puts NaN last (stably) and keeps the sign of zero', () => {
      const x = arr([3, NaN_, 1, -inf, inf, NaN_, -0]);
      expect(vals(np.sort(x))).toEqual([-inf, -0, 1, 3, inf, NaN_, NaN_]);
      expect(vals(np.argsort(x))).toEqual([3, 6, 2, 0, 4, 1, 5]);
      // descending is JAX's ascending order reversed: NaN first, ties in their original order
      expect(vals(np.argsort(x, -1, { descending: true }))).toEqual([1, 5, 4, 0, 2, 6, 3]);
      expect(vals(np.argsort(arr([1, NaN_, 2, 1]), -1, { descending: true }))).toEqual([1, 2, 0, 3]);
      expect(
        vals(
          np.sort(
            arr([
              [NaN_, 2],
              [1, NaN_],
            ]),
            0,
          ),
        ),
      ).toEqual([1, 2, NaN_, NaN_]);
    });

    it('log, division and square roots at 0, negatives and infinities', () => {
      expect(vals(np.log(arr([0, -0, -1, inf, NaN_, 1])))).toEqual([-inf, -inf, NaN_, inf, NaN_, 0]);
      expect(vals(np.log1p(arr([-1, -2, inf, 0])))).toEqual([-inf, NaN_, inf, 0]);
      expect(vals(np.divide(arr([1, -1, 0, 0, 1, inf]), arr([0, 0, 0, -0, -0, inf])))).toEqual([inf, -inf, NaN_, NaN_, -inf, NaN_]);
      expect(vals(np.divide(arr([1, -1]), arr([inf, inf])))).toEqual([0, -0]);
      expect(vals(np.reciprocal(arr([0, -0, inf, -inf])))).toEqual([inf, -inf, 0, -0]);
      expect(vals(np.sqrt(arr([-1, -0, inf, -inf, 0])))).toEqual([NaN_, -0, inf, NaN_, 0]);
      expect(vals(np.rsqrt(arr([0, inf, -1])))).toEqual([inf, 0, NaN_]);
    });

    it('exp saturates to inf and underflows to 0', () => {
      expect(vals(np.exp(arr([1000, -1000, inf, -inf, NaN_])))).toEqual([inf, 0, inf, 0, NaN_]);
      // e^89 ≈ 4.5e38 overflows float32 (max ≈ 3.4e38) but not float64
      expect(vals(np.exp(arr([89])))).toEqual([dtype === 'float32' ? inf : Math.exp(89)]);
      expect(vals(np.expm1(arr([-inf, inf, 1000])))).toEqual([-1, inf, inf]);
    });

    it('tanh, sigmoid, sin and friends at infinities', () => {
      expect(vals(np.tanh(arr([inf, -inf, NaN_, -0])))).toEqual([1, -1, NaN_, -0]);
      expect(vals(np.sigmoid(arr([inf, -inf, NaN_, 0])))).toEqual([1, 0, NaN_, 0.5]);
      expect(vals(np.sin(arr([inf, -inf, NaN_])))).toEqual([NaN_, NaN_, NaN_]);
      expect(vals(np.cos(arr([inf])))).toEqual([NaN_]);
      expect(vals(np.tan(arr([inf])))).toEqual([NaN_]);
      expect(vals(np.erfinv(arr([1, -1, 1.5, NaN_, 0])))).toEqual([inf, -inf, NaN_, NaN_, 0]);
      expect(vals(np.arctan2(arr([0, -0, 0, inf, 1]), arr([-0, -0, 0, inf, 0])))).toEqual([
        as(dtype, Math.PI),
        as(dtype, -Math.PI),
        0,
        as(dtype, Math.PI / 4),
        as(dtype, Math.PI / 2),
      ]);
    });

    it('sign, abs, negative and rounding of NaN, infinities and signed zeros', () => {
      expect(vals(np.sign(arr([NaN_, inf, -inf, 2, -2])))).toEqual([NaN_, 1, -1, 1, -1]);
      // sign(±0) is a zero (NumPy gives +0, XLA keeps the sign): only compare as numbers
      expect(vals(np.sign(arr([0, -0]))).map((v) => v === 0)).toEqual([true, true]);
      expect(vals(np.abs(arr([-0, -inf, NaN_, -2])))).toEqual([0, inf, NaN_, 2]);
      expect(vals(np.negative(arr([0, -0, inf, NaN_])))).toEqual([-0, 0, -inf, NaN_]);
      for (const f of [np.round, np.floor, np.ceil]) {
        expect(vals(f(arr([inf, -inf, NaN_, -0])))).toEqual([inf, -inf, NaN_, -0]);
      }
      expect(vals(np.round(arr([-0.5, 0.5, -0.4])))).toEqual([-0, 0, -0]);
      expect(vals(np.ceil(arr([-0.5])))).toEqual([-0]);
    });

    it('power, remainder and floorDivide at the IEEE special cases', () => {
      // C99 pow: anything^0 = 1, 1^anything = 1, (-1)^±inf = 1
      expect(vals(np.power(arr([NaN_, 1, 1, -1, 0, 0, -8, 2]), arr([0, NaN_, inf, -inf, -1, 0, 1 / 3, -inf])))).toEqual([1, 1, 1, 1, inf, 1, NaN_, 0]);
      expect(vals(np.remainder(arr([1, inf, 1, -1, NaN_]), arr([0, 2, inf, inf, 1])))).toEqual([NaN_, NaN_, 1, inf, NaN_]);
      // floor division is NumPy's divmod: x / 0 for a zero divisor, NaN for an infinite dividend,
      // and -1 // inf = -1 (the remainder is inf)
      expect(vals(np.floorDivide(arr([1, -1, 0, inf, 1, -1, NaN_]), arr([0, 0, 0, 2, inf, inf, 1])))).toEqual([inf, -inf, NaN_, NaN_, 0, -1, NaN_]);
    });

    it('sums with inf and -inf give NaN; empty reductions give their identity', () => {
      expect(vals(np.sum(arr([inf, -inf])))).toEqual([NaN_]);
      expect(vals(np.sum(arr([inf, 1])))).toEqual([inf]);
      expect(vals(np.sum(arr([NaN_, 1])))).toEqual([NaN_]);
      expect(vals(np.mean(arr([inf, -inf])))).toEqual([NaN_]);
      expect(vals(np.prod(arr([0, inf])))).toEqual([NaN_]);
      expect(vals(np.var(arr([inf, 1])))).toEqual([NaN_]);
      expect(vals(np.std(arr([NaN_, 1])))).toEqual([NaN_]);
      expect(vals(np.sum(arr([])))).toEqual([0]);
      expect(vals(np.prod(arr([])))).toEqual([1]);
      // NumPy: the mean of nothing is NaN (0 / 0)
      expect(vals(np.mean(arr([])))).toEqual([NaN_]);
      expect(() => np.max(arr([]))).toThrow(/zero-size/);
      expect(() => np.argmax(arr([]))).toThrow(/empty/);
    });

    it('contractions: inf · 0 is NaN', () => {
      expect(vals(np.matmul(arr([[inf, 1]]), arr([[0], [1]])))).toEqual([NaN_]);
      expect(vals(np.dot(arr([inf, 1]), arr([1, -inf])))).toEqual([NaN_]);
      expect(vals(np.dot(arr([inf, 1]), arr([1, 1])))).toEqual([inf]);
    });

    it('where selects NaN only where it picks it', () => {
      const c = np.array([true, false, true]);
      expect(vals(np.where(c, arr([NaN_, NaN_, 1]), arr([2, 3, NaN_])))).toEqual([NaN_, 3, 1]);
    });

    it('logsumexp: all -inf gives -inf, an inf gives inf, NaN propagates', () => {
      expect(vals(np.logsumexp(arr([-inf, -inf])))).toEqual([-inf]);
      // an empty reduction is log(0), as JAX (not max's "no identity" error)
      expect(vals(np.logsumexp(arr([])))).toEqual([-inf]);
      expect(vals(np.logsumexp(np.zeros([2, 0]), 1))).toEqual([-inf, -inf]);
      expect(vals(np.logsumexp(arr([inf, 1])))).toEqual([inf]);
      expect(vals(np.logsumexp(arr([inf, -inf])))).toEqual([inf]);
      expect(vals(np.logsumexp(arr([-inf, 0])))).toEqual([0]);
      expect(vals(np.logsumexp(arr([NaN_, 1])))).toEqual([NaN_]);
      expect(
        vals(
          np.logsumexp(
            arr([
              [-inf, -inf],
              [0, -inf],
            ]),
            1,
          ),
        ),
      ).toEqual([-inf, 0]);
    });

    it('softmax and logSoftmax with -inf entries and infinite rows', () => {
      // -inf entries get probability 0 (masking)
      expect(vals(np.softmax(arr([-inf, 0, -inf])))).toEqual([0, 1, 0]);
      expect(vals(np.logSoftmax(arr([-inf, 0])))).toEqual([-inf, 0]);
      expect(
        vals(
          np.softmax(
            arr([
              [-inf, 0],
              [0, 0],
            ]),
            -1,
          ),
        ),
      ).toEqual([0, 1, 0.5, 0.5]);
      // stable for large finite inputs
      expect(vals(np.softmax(arr([1000, 1000])))).toEqual([0.5, 0.5]);
      expect(vals(np.logSoftmax(arr([1000, 0])))).toEqual([0, -1000]);
      // a row of -inf has no distribution: 0 / 0
      expect(vals(np.softmax(arr([-inf, -inf])))).toEqual([NaN_, NaN_]);
      expect(vals(np.logSoftmax(arr([-inf, -inf])))).toEqual([NaN_, NaN_]);
      // +inf: the non-finite max shifts by 0 (scipy.special.log_softmax's rule), so
      // logSoftmax = x - logsumexp(x) = [inf - inf, 1 - inf] and softmax = exp(logSoftmax)
      expect(vals(np.logSoftmax(arr([inf, 1])))).toEqual([NaN_, -inf]);
      expect(vals(np.softmax(arr([inf, 1])))).toEqual([NaN_, 0]);
      expect(vals(np.softmax(arr([NaN_, 1])))).toEqual([NaN_, NaN_]);
    });

    it('casts: NaN → int32 is 0, ±inf saturate; NaN → bool is true', () => {
      const x = arr([NaN_, inf, -inf, 3.7, -3.7, 2 ** 31, -(2 ** 31) - 1024, -0]);
      expect(vals(np.astype(x, 'int32'))).toEqual([0, INT_MAX, INT_MIN, 3, -3, INT_MAX, INT_MIN, 0]);
      expect(bools(np.astype(arr([NaN_, 0, -0, inf, -inf]), 'bool'))).toEqual([true, false, false, true, true]);
    });

    it('isnan / isinf / isfinite', () => {
      const x = arr([NaN_, inf, -inf, 0, -0, 1, -1e30]);
      expect(bools(np.isnan(x))).toEqual([true, false, false, false, false, false, false]);
      expect(bools(np.isinf(x))).toEqual([false, true, true, false, false, false, false]);
      expect(bools(np.isfinite(x))).toEqual([false, false, false, true, true, true, true]);
    });
  });
}

describe('NaN and infinities across dtypes', () => {
  it('integer arrays are never NaN or infinite', () => {
    const i = np.array([0, -5, INT_MAX], { dtype: 'int32' });
    expect(bools(np.isnan(i))).toEqual([false, false, false]);
    expect(bools(np.isinf(i))).toEqual([false, false, false]);
    expect(bools(np.isfinite(i))).toEqual([true, true, true]);
    expect(bools(np.isfinite(np.array([true, false])))).toEqual([true, true]);
  });

  it('integer division by zero: true division gives ±inf/NaN, floor division and remainder give 0', () => {
    const x = np.array([1, -1, 0], { dtype: 'int32' });
    const z = np.array([0, 0, 0], { dtype: 'int32' });
    expect(vals(np.divide(x, z))).toEqual([inf, -inf, NaN_]);
    expect(vals(np.floorDivide(x, z))).toEqual([0, 0, 0]);
    expect(vals(np.remainder(x, z))).toEqual([0, 0, 0]);
  });

  it('float32 overflows where float64 does not', () => {
    const big32 = np.array([3e38], { dtype: 'float32' });
    expect(vals(np.multiply(big32, 10))).toEqual([inf]);
    expect(vals(np.multiply(np.array([3e38], { dtype: 'float64' }), 10))).toEqual([3e39]);
    expect(vals(np.astype(np.array([1e39, -1e39, 1e-50], { dtype: 'float64' }), 'float32'))).toEqual([inf, -inf, 0]);
    expect(vals(np.sum(np.array([3e38, 3e38], { dtype: 'float32' })))).toEqual([inf]);
  });
});
