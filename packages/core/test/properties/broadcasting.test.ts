// Broadcasting of the elementwise np functions against the naive reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/dtype.js';
import { TenfoldError } from '../../src/errors.js';
import { np } from '../../src/index.js';
import * as ref from '../reference.js';
import { broadcastShapesArb, expectMatches, FC, kindFor, refArb, roundTo, shapeArb, toArray } from './helpers.js';

const NUMERIC: DType[] = ['int32', 'float32', 'float64'];

/** Operands of broadcast-compatible shapes with values natural for `dtype`. */
const operands = (count: number) =>
  fc
    .constantFrom(...NUMERIC)
    .chain((dtype) => broadcastShapesArb(count).chain((shapes) => fc.tuple(fc.constant(dtype), fc.tuple(...shapes.map((s) => refArb(s, kindFor(dtype)))))));

/** Two shapes of equal rank that clash on one axis (sizes differ and neither is 1), with broadcastable rest. */
const clashingShapes = shapeArb({ minRank: 1, maxRank: 4, maxDim: 4 }).chain((base) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: base.length - 1 }),
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 0, max: base.length }),
    )
    .filter(([, a, b]) => a !== b)
    .map(([axis, a, b, drop]) => {
      const s1 = [...base];
      const s2 = [...base];
      s1[axis] = a;
      s2[axis] = b;
      // the second may be shorter, as long as it still has the clashing axis
      return [s1, s2.slice(Math.min(drop, axis))] as const;
    }),
);

describe('broadcasting', () => {
  it('np.add, np.subtract, np.multiply, np.maximum match the reference on broadcast shapes', () => {
    const ops = [
      ['add', np.add, (a: number, b: number) => a + b],
      ['subtract', np.subtract, (a: number, b: number) => a - b],
      ['multiply', np.multiply, (a: number, b: number) => a * b],
      ['maximum', np.maximum, (a: number, b: number) => Math.max(a, b)],
    ] as const;
    fc.assert(
      fc.property(operands(2), fc.constantFrom(...ops), ([dtype, [a, b]], [, f, r]) => {
        // float32 and float64 results of one + - * are exactly the correctly rounded value
        const [x, y] = [a as ref.Ref, b as ref.Ref];
        expectMatches(f(toArray(x, dtype), toArray(y, dtype)), roundTo(ref.elementwise(r, x, y), dtype), 0, dtype);
      }),
      FC,
    );
  });

  it('np.where broadcasts the condition and both branches together', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...NUMERIC)
          .chain((dtype) =>
            broadcastShapesArb(3).chain(([sc, sx, sy]) =>
              fc.tuple(fc.constant(dtype), refArb(sc as number[], 'bool'), refArb(sx as number[], kindFor(dtype)), refArb(sy as number[], kindFor(dtype))),
            ),
          ),
        ([dtype, c, x, y]) => {
          expectMatches(np.where(toArray(c, 'bool'), toArray(x, dtype), toArray(y, dtype)), ref.where(c, x, y), 0, dtype);
        },
      ),
      FC,
    );
  });

  it('np.broadcastTo gives the reference broadcast', () => {
    fc.assert(
      fc.property(
        broadcastShapesArb(2).chain(([s1, s2]) => {
          const target = ref.broadcastShapes(s1 as number[], s2 as number[]) as number[];
          return fc.tuple(refArb(s1 as number[], 'int'), fc.constant(target));
        }),
        ([x, target]) => {
          expectMatches(np.broadcastTo(toArray(x, 'int32'), target), ref.broadcastTo(x, target), 0, 'int32');
        },
      ),
      FC,
    );
  });

  it('incompatible shapes throw a TenfoldError naming the op and both shapes', () => {
    const ops = [
      ['add', np.add],
      ['multiply', np.multiply],
      ['subtract', np.subtract],
    ] as const;
    fc.assert(
      fc.property(clashingShapes, fc.constantFrom(...ops), fc.boolean(), ([s1, s2], [name, f], swap) => {
        expect(ref.broadcastShapes(s1, s2)).toBeNull();
        const [p, q] = swap ? [s2, s1] : [s1, s2];
        let err: unknown;
        try {
          f(np.zeros(p), np.zeros(q));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TenfoldError);
        const msg = (err as Error).message;
        expect(msg.startsWith(`${name}:`)).toBe(true);
        expect(msg).toContain(`[${p.join(',')}]`);
        expect(msg).toContain(`[${q.join(',')}]`);
      }),
      FC,
    );
  });

  it('np.where with clashing shapes names where and the shapes', () => {
    fc.assert(
      fc.property(clashingShapes, ([s1, s2]) => {
        expect(() => np.where(np.zeros(s1, { dtype: 'bool' }), np.zeros(s2), 0)).toThrow(new RegExp(`^where: .*\\[${s1.join(',')}\\].*\\[${s2.join(',')}\\]`));
      }),
      FC,
    );
  });
});
