// Type promotion: the dtype lattice bool < int32 < float32 < float64, and weakly typed JS scalars.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTYPES, type DType } from '../../src/dtype.js';
import { np } from '../../src/index.js';
import * as ref from '../reference.js';
import { broadcastShapesArb, expectMatches, FC, kindFor, refArb, roundTo, shapeArb, toArray } from './helpers.js';

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
const promote = (a: DType, b: DType): DType => (RANK[a] >= RANK[b] ? a : b);

/** The table for an array of dtype `d` next to a JS scalar (weakly typed, as JAX). */
function withScalar(d: DType, s: number | boolean): DType {
  if (typeof s === 'boolean') return d; // a boolean never widens
  if (d === 'float32' || d === 'float64') return d; // a number never widens a float array
  if (!Number.isInteger(s)) return 'float32'; // a fraction makes int/bool arrays float32
  return d === 'bool' ? 'int32' : d; // an integer takes the array's dtype (bool becomes int32)
}

/** JS scalars of each flavour. */
const scalarArb = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.integer({ min: -80, max: 80 }).map((v) => v / 8 + 1 / 16), // never an integer, exact in float32
  fc.boolean(),
);

const dtypeArb = fc.constantFrom(...DTYPES);
const smallShape = shapeArb({ maxRank: 3, maxDim: 3 });

describe('type promotion', () => {
  it('the table covers every pair of array dtypes (np.resultDType, np.maximum, np.where, np.concatenate)', () => {
    for (const a of DTYPES) {
      for (const b of DTYPES) {
        const want = promote(a, b);
        const x = np.ones([2], { dtype: a });
        const y = np.ones([2], { dtype: b });
        expect(np.resultDType([x, y]), `${a} with ${b}`).toBe(want);
        expect(np.maximum(x, y).dtype, `maximum(${a}, ${b})`).toBe(want);
        expect(np.where(true, x, y).dtype, `where(${a}, ${b})`).toBe(want);
        expect(np.concatenate([x, y]).dtype, `concatenate(${a}, ${b})`).toBe(want);
        if (want !== 'bool') {
          expect(np.add(x, y).dtype, `add(${a}, ${b})`).toBe(want);
          expect(np.multiply(y, x).dtype, `multiply(${b}, ${a})`).toBe(want);
        }
      }
    }
  });

  it('values of mixed-dtype arithmetic are those of the promoted dtype (with broadcasting)', () => {
    const cases = fc
      .tuple(dtypeArb, dtypeArb)
      .filter(([da, db]) => promote(da, db) !== 'bool')
      .chain(([da, db]) =>
        broadcastShapesArb(2, { maxRank: 3, maxDim: 3 }).chain(([s1, s2]) =>
          fc.tuple(fc.constant(da), fc.constant(db), refArb(s1 as number[], kindFor(da)), refArb(s2 as number[], kindFor(db))),
        ),
      );
    fc.assert(
      fc.property(cases, ([da, db, a, b]) => {
        const out = promote(da, db);
        const x = toArray(a, da);
        const y = toArray(b, db);
        // the inputs' values are exact in either dtype; the reference result is rounded once
        expectMatches(
          np.add(x, y),
          roundTo(
            ref.elementwise((p, q) => p + q, a, b),
            out,
          ),
          0,
          out,
        );
        expectMatches(
          np.multiply(y, x),
          roundTo(
            ref.elementwise((p, q) => q * p, a, b),
            out,
          ),
          0,
          out,
        );
      }),
      FC,
    );
  });

  it('a JS scalar is weakly typed: it takes the array dtype unless a fraction meets an int/bool array', () => {
    fc.assert(
      fc.property(
        dtypeArb.chain((d) => smallShape.chain((s) => fc.tuple(fc.constant(d), refArb(s, kindFor(d))))),
        scalarArb,
        fc.boolean(),
        ([d, a], s, scalarFirst) => {
          const want = withScalar(d, s);
          const x = toArray(a, d);
          expect(np.resultDType(scalarFirst ? [s, x] : [x, s])).toBe(want);
          expect(np.where(true, scalarFirst ? s : x, scalarFirst ? x : s).dtype).toBe(want);
          expect(np.maximum(x, s).dtype).toBe(want);
          if (want !== 'bool') {
            const out = scalarFirst ? np.add(s, x) : np.add(x, s);
            const sv = typeof s === 'boolean' ? (s ? 1 : 0) : s;
            expectMatches(
              out,
              roundTo(
                ref.elementwise((p) => p + roundTo(ref.Ref.scalar(sv), want).data[0]!, a),
                want,
              ),
              0,
              want,
            );
          }
        },
      ),
      FC,
    );
  });

  it('two bare scalars: integers give int32, any fraction gives float32', () => {
    fc.assert(
      fc.property(
        scalarArb.filter((v) => typeof v === 'number'),
        scalarArb.filter((v) => typeof v === 'number'),
        (p, q) => {
          const a = p as number;
          const b = q as number;
          const want: DType = Number.isInteger(a) && Number.isInteger(b) ? 'int32' : 'float32';
          expect(np.resultDType([a, b])).toBe(want);
          const out = np.add(a, b);
          expect(out.dtype).toBe(want);
          expect(out.shape).toEqual([]);
          expect(out.item()).toBe(want === 'int32' ? a + b : Math.fround(a + b));
        },
      ),
      FC,
    );
  });

  it('true division of ints and bools gives float32; floats keep their width', () => {
    for (const d of DTYPES) {
      const x = np.ones([2], { dtype: d });
      expect(np.divide(x, x).dtype, d).toBe(d === 'float64' ? 'float64' : 'float32');
      expect(np.divide(x, 2).dtype, `${d} / 2`).toBe(d === 'float64' ? 'float64' : 'float32');
    }
  });
});
