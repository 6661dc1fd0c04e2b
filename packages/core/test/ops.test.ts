// Value tests driven by the op table: every record, at every dtype it supports, on seeded random
// inputs from its domain, against the float64 reference; then dtype promotion.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DType, np, type Array as Tensor } from '../src/index.js';
import {
  argDTypes,
  assertClose,
  caseArbitrary,
  caseInputs,
  caseTolerance,
  checkCase,
  EPS,
  expectedOf,
  OP_TABLE,
  type OpCase,
  type OpRecord,
  shapesOf,
  tolerance,
} from './op-table.js';
import { erfinvRef, erfRef } from './ref-eval.js';

const RUNS = { seed: 42, numRuns: 30 };

const values = (x: Tensor): number[] => Array.from(x.dataSync());

describe('the op table', () => {
  it('has unique names, one domain per argument and shapes of the right arity', () => {
    const names = OP_TABLE.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of OP_TABLE) {
      expect(r.domain.length, r.name).toBe(r.arity);
      if (r.intDomain) expect(r.intDomain.length, r.name).toBe(r.arity);
      for (const shapes of shapesOf(r)) expect(shapes.length, r.name).toBe(r.arity);
      expect(r.dtypes.length, r.name).toBeGreaterThan(0);
    }
  });

  it('covers every elementwise np function and the listed array ops', () => {
    const apis = new Set(OP_TABLE.map((r) => r.api));
    const required = [
      // elementwise
      'add',
      'subtract',
      'multiply',
      'divide',
      'power',
      'maximum',
      'minimum',
      'arctan2',
      'remainder',
      'floorDivide',
      'negative',
      'exp',
      'log',
      'log1p',
      'expm1',
      'tanh',
      'sigmoid',
      'sqrt',
      'rsqrt',
      'sin',
      'cos',
      'tan',
      'abs',
      'sign',
      'floor',
      'ceil',
      'round',
      'square',
      'reciprocal',
      'erfinv',
      'equal',
      'notEqual',
      'less',
      'lessEqual',
      'greater',
      'greaterEqual',
      'where',
      'clip',
      'logicalAnd',
      'logicalOr',
      'logicalXor',
      'logicalNot',
      'isnan',
      'isinf',
      'isfinite',
      'relu',
      // reductions, contractions, data movement
      'sum',
      'mean',
      'max',
      'min',
      'prod',
      'var',
      'std',
      'logsumexp',
      'argmax',
      'argmin',
      'softmax',
      'logSoftmax',
      'matmul',
      'dot',
      'tensordot',
      'einsum',
      'reshape',
      'transpose',
      'concatenate',
      'stack',
      'take',
      'oneHot',
      'sort',
      'argsort',
    ];
    for (const api of required) {
      expect(apis.has(api), `no record for np.${api}`).toBe(true);
      expect(typeof (np as unknown as Record<string, unknown>)[api], `np.${api}`).toBe('function');
    }
  });

  it('tests a scalar and a size-0 case for every elementwise record', () => {
    for (const r of OP_TABLE.filter((x) => x.kind === 'elementwise')) {
      const shapes = shapesOf(r);
      expect(
        shapes.some((s) => s.every((d) => d.length === 0)),
        r.name,
      ).toBe(true);
      expect(
        shapes.some((s) => s.some((d) => d.includes(0))),
        r.name,
      ).toBe(true);
    }
  });

  it('derives tolerances from dtype, accuracy and reduction size', () => {
    expect(tolerance('int32')).toEqual({ atol: 0, rtol: 0 });
    expect(tolerance('bool', 100, 4)).toEqual({ atol: 0, rtol: 0 });
    expect(tolerance('float32', 1, 0)).toEqual({ atol: 0, rtol: 0 });
    expect(tolerance('float32').rtol).toBe(2 ** -23);
    expect(tolerance('float64', 16, 4).rtol).toBe(4 * 4 * 2 ** -52);
    expect(tolerance('float32', 100, 1).rtol).toBeCloseTo(10 * EPS.float32, 20);
  });

  it('assertClose matches NaN with NaN and equal infinities, and names the failing element', () => {
    const tol = tolerance('float32', 1, 1);
    assertClose([Number.NaN, Infinity, -Infinity, 1, 0], [Number.NaN, Infinity, -Infinity, 1 + 2 ** -24, -0], tol, 'ok');
    expect(() => assertClose([1, Infinity], [1, -Infinity], tol, 'inf')).toThrow(/element 1: actual Infinity, expected -Infinity/);
    expect(() => assertClose([1, Number.NaN], [1, 2], tol, 'nan')).toThrow(/element 1: actual NaN/);
    expect(() => assertClose(new Float32Array([0, 1, 2, 3]), [0, 1, 2, 3.001], tol, { op: 'exp', dtype: 'float32', shape: [2, 2] })).toThrow(
      /exp float32 → \[2,2\]: 1 of 4 elements differ; first element 3 \[1,1\]: actual 3, expected 3.001/,
    );
    // a magnitude widens the bound for cancelling sums
    assertClose([1e-7], [0], tol, 'sum', [1]);
    expect(() => assertClose([1e-6], [0], tol, 'sum', [1])).toThrow();
  });

  it('has an accurate erf/erfinv reference', () => {
    // erf(1), erf(0.5) to 16 digits (Abramowitz & Stegun table 7.1)
    expect(erfRef(1)).toBeCloseTo(0.8427007929497149, 15);
    expect(erfRef(0.5)).toBeCloseTo(0.5204998778130465, 15);
    for (const y of [-0.999, -0.5, 1e-8, 0.3, 0.9, 0.999]) expect(Math.abs(erfRef(erfinvRef(y)) - y)).toBeLessThan(4e-16);
  });
});

describe('values against float64 references', () => {
  for (const rec of OP_TABLE) {
    describe(rec.name, () => {
      for (const dtype of rec.dtypes) {
        it(dtype, () => {
          fc.assert(
            fc.property(caseArbitrary(rec, dtype), (c) => {
              checkCase(rec, dtype, c);
            }),
            RUNS,
          );
        });
      }
    });
  }
});

/** Scales the float arguments in `which` by `alpha` (bool and int arguments stay). */
function scaled(rec: OpRecord, c: OpCase, alpha: number, which: (k: number) => boolean): Tensor[] {
  const dtypes = argDTypes(rec, 'float64');
  return caseInputs(c).map((x, k) => (dtypes[k] === 'float64' && which(k) ? np.multiply(x, alpha) : x));
}

describe('linearity flags', () => {
  // Scaling by -2 is exact and commutes with rounding, so f(-2x) = -2 f(x) up to underflow; it
  // rules out abs/relu/max-like ops.
  for (const rec of OP_TABLE.filter((r) => (r.linear || r.multilinear) && r.dtypes.includes('float64'))) {
    it(rec.name, () => {
      fc.assert(
        fc.property(caseArbitrary(rec, 'float64'), (c) => {
          const expected = expectedOf(rec, c).data.map((v) => -2 * v);
          const tol = caseTolerance(rec, 'float64', c);
          const floatArgs = argDTypes(rec, 'float64').flatMap((d, k) => (d === 'float64' ? [k] : []));
          const groups = rec.linear ? [floatArgs] : floatArgs.map((k) => [k]);
          for (const g of groups) {
            const out = rec.fn(...scaled(rec, c, -2, (k) => g.includes(k)));
            assertClose(out.dataSync(), expected, tol, `${rec.name} scaled args [${g.join(',')}]`, expected.map(Math.abs));
          }
        }),
        { ...RUNS, numRuns: 10 },
      );
    });
  }
});

describe('dtype promotion', () => {
  const f32 = np.array([1.5, 2], { dtype: 'float32' });
  const f64 = np.array([1.5, 2], { dtype: 'float64' });
  const i32 = np.array([1, 2], { dtype: 'int32' });
  const b = np.array([true, false]);
  const cases: [string, () => Tensor, DType][] = [
    ['int32 + float32', () => np.add(i32, f32), 'float32'],
    ['float32 + float64', () => np.add(f32, f64), 'float64'],
    ['int32 + float64', () => np.add(i32, f64), 'float64'],
    ['bool + int32', () => np.add(b, i32), 'int32'],
    ['bool + float32', () => np.add(b, f32), 'float32'],
    ['float32 * 2 (weak int)', () => np.multiply(f32, 2), 'float32'],
    ['2 * float32 (weak int first)', () => np.multiply(2, f32), 'float32'],
    ['float32 * 2.5 (weak float)', () => np.multiply(f32, 2.5), 'float32'],
    ['float64 * 2.5', () => np.multiply(f64, 2.5), 'float64'],
    ['int32 * 2', () => np.multiply(i32, 2), 'int32'],
    ['int32 * 2.5', () => np.multiply(i32, 2.5), 'float32'],
    ['int32 + true', () => np.add(i32, true), 'int32'],
    ['bool * 2', () => np.multiply(b, 2), 'int32'],
    ['1 + 2 (two JS numbers)', () => np.add(1, 2), 'int32'],
    ['1 + 2.5 (two JS numbers)', () => np.add(1, 2.5), 'float32'],
    ['divide(int32, int32)', () => np.divide(i32, i32), 'float32'],
    ['divide(int32, 2)', () => np.divide(i32, 2), 'float32'],
    ['divide(float64, int32)', () => np.divide(f64, i32), 'float64'],
    ['floorDivide(int32, int32)', () => np.floorDivide(i32, i32), 'int32'],
    ['remainder(float32, 2)', () => np.remainder(f32, 2), 'float32'],
    ['power(int32, 2)', () => np.power(i32, 2), 'int32'],
    ['power(int32, 0.5)', () => np.power(i32, 0.5), 'float32'],
    ['maximum(int32, 1.5)', () => np.maximum(i32, 1.5), 'float32'],
    ['arctan2(int32, int32)', () => np.arctan2(i32, i32), 'float32'],
    ['exp(int32)', () => np.exp(i32), 'float32'],
    ['sqrt(bool)', () => np.sqrt(b), 'float32'],
    ['exp(float64)', () => np.exp(f64), 'float64'],
    ['abs(int32)', () => np.abs(i32), 'int32'],
    ['floor(int32)', () => np.floor(i32), 'int32'],
    ['negative(float64)', () => np.negative(f64), 'float64'],
    ['equal(float32, float32)', () => np.equal(f32, f32), 'bool'],
    ['less(int32, float32)', () => np.less(i32, f32), 'bool'],
    ['greater(float64, 1)', () => np.greater(f64, 1), 'bool'],
    ['notEqual(bool, bool)', () => np.notEqual(b, b), 'bool'],
    ['logicalAnd(float32, int32)', () => np.logicalAnd(f32, i32), 'bool'],
    ['where(bool, int32, 1.5)', () => np.where(b, i32, 1.5), 'float32'],
    ['where(bool, float32, int32)', () => np.where(b, f32, i32), 'float32'],
    ['sum(bool)', () => np.sum(b), 'int32'],
    ['sum(int32)', () => np.sum(i32), 'int32'],
    ['prod(bool)', () => np.prod(b), 'int32'],
    ['mean(int32)', () => np.mean(i32), 'float32'],
    ['mean(bool)', () => np.mean(b), 'float32'],
    ['mean(float64)', () => np.mean(f64), 'float64'],
    ['var(int32)', () => np.var(i32), 'float32'],
    ['max(int32)', () => np.max(i32), 'int32'],
    ['argmax(float32)', () => np.argmax(f32), 'int32'],
    ['softmax(int32)', () => np.softmax(i32), 'float32'],
    ['matmul(int32, float32)', () => np.matmul(i32, f32), 'float32'],
    ['matmul(bool, bool) is bool, as NumPy and jax.numpy', () => np.matmul(b, b), 'bool'],
    ['concatenate([int32, float32])', () => np.concatenate([i32, f32]), 'float32'],
    ['np.array of integers', () => np.array([1, 2]), 'int32'],
    ['np.array with a fraction', () => np.array([1, 2.5]), 'float32'],
    ['np.array of booleans', () => np.array([true]), 'bool'],
  ];
  for (const [name, f, dtype] of cases) {
    it(`${name} → ${dtype}`, () => {
      expect(f().dtype).toBe(dtype);
    });
  }

  it('weak scalars keep values and the array dtype', () => {
    expect(values(np.multiply(f32, 2.5))).toEqual([3.75, 5]);
    expect(values(np.multiply(i32, 2.5))).toEqual([2.5, 5]);
    expect(values(np.divide(i32, np.array([2, 2], { dtype: 'int32' })))).toEqual([0.5, 1]);
    // 0.1 rounds to float32 before it multiplies a float32 array (no float64 detour)
    expect(values(np.multiply(np.array([3], { dtype: 'float32' }), 0.1))).toEqual([Math.fround(3 * Math.fround(0.1))]);
    expect(values(np.add(i32, true))).toEqual([2, 3]);
  });

  it('rounds half to even, integer division floors, remainder takes the divisor sign', () => {
    expect(values(np.round(np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5], { dtype: 'float32' })))).toEqual([0, 2, 2, -0, -2, -2, 4]);
    expect(values(np.floorDivide(np.array([-7, 7, -7, 7]), np.array([2, 2, -2, -2])))).toEqual([-4, 3, 3, -4]);
    expect(values(np.remainder(np.array([-7, 7, -7, 7]), np.array([3, 3, -3, -3])))).toEqual([2, 1, -1, -2]);
    expect(values(np.remainder(np.array([-7.5, 7.5], { dtype: 'float64' }), 2))).toEqual([0.5, 1.5]);
  });

  it('float floor division is exact, as NumPy divmod: 1 // 0.1 is 9 and x = (x // y)·y + x % y', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = np.array([1, -1, 0.7, 5], { dtype });
      const y = np.array([0.1, 0.1, 0.1, -0.3], { dtype });
      const q = np.floorDivide(x, y);
      expect(values(q), dtype).toEqual([9, -10, 6, -17]);
      const back = values(np.add(np.multiply(q, y), np.remainder(x, y)));
      assertClose(back, values(x), tolerance(dtype, 2, 1), `divmod identity ${dtype}`, values(np.abs(x)));
    }
  });
});
