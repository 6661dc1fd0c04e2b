// matmul, einsum and tensordot against brute-force references.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { np } from '../../src/index.js';
import * as ref from '../reference.js';
import { broadcastShapesArb, EPS32, expectMatches, FC, refArb, toArray } from './helpers.js';

const dim = fc.integer({ min: 0, max: 4 });
const f64 = (r: ref.Ref) => toArray(r, 'float64');

/**
 * matmul operands: broadcast-compatible batch shapes, inner dim k, and each operand optionally
 * 1-d (then without batch dims).
 */
const matmulCase = fc
  .record({
    batch: broadcastShapesArb(2, { maxRank: 2, maxDim: 3 }),
    m: dim,
    k: dim,
    n: dim,
    vecA: fc.boolean(),
    vecB: fc.boolean(),
  })
  .chain(({ batch: [ba, bb], m, k, n, vecA, vecB }) =>
    fc.tuple(refArb(vecA ? [k] : [...(ba as number[]), m, k], 'dyadic'), refArb(vecB ? [k] : [...(bb as number[]), k, n], 'dyadic')),
  );

describe('matmul', () => {
  it('matches the reference with batch broadcasting and 1-d operands (exact on dyadic float64)', () => {
    fc.assert(
      fc.property(matmulCase, ([a, b]) => {
        const want = ref.matmul(a, b);
        expectMatches(np.matmul(f64(a), f64(b)), want, 0, 'float64');
        expectMatches(f64(a).matmul(f64(b)), want, 0, 'float64');
      }),
      FC,
    );
  });

  it('float32 is within (k+1)·2^-23·Σ|a·b| of the exact product', () => {
    fc.assert(
      fc.property(
        matmulCase.chain(([a, b]) => fc.tuple(refArb(a.shape, 'float32'), refArb(b.shape, 'float32'))),
        ([a, b]) => {
          const k = a.shape[a.ndim - 1] as number;
          const tol = ref.matmul(a.map(Math.abs), b.map(Math.abs)).map((s) => (k + 1) * (EPS32 * s + 2 ** -149));
          expectMatches(np.matmul(toArray(a, 'float32'), toArray(b, 'float32')), ref.matmul(a, b), tol, 'float32');
        },
      ),
      FC,
    );
  });

  it('bool operands give bool products (an or of ands, as NumPy) in matmul, dot, tensordot and einsum', () => {
    const B = (v: boolean[][]) => np.array(v, { dtype: 'bool' });
    const a = B([
      [true, false],
      [false, false],
    ]);
    const b = B([
      [true, true],
      [false, true],
    ]);
    const want = [
      [true, true],
      [false, false],
    ];
    for (const out of [np.matmul(a, b), np.dot(a, b), np.tensordot(a, b, 1), np.einsum('ij,jk->ik', a, b)]) {
      expect(out.dtype).toBe('bool');
      expect(out.tolist()).toEqual(want);
    }
    // mixed with int32, the product counts
    expect(
      np.matmul(
        a,
        np.array([
          [1, 2],
          [3, 4],
        ]),
      ).dtype,
    ).toBe('int32');
  });

  it('int32 operands give exact int32 products', () => {
    fc.assert(
      fc.property(
        matmulCase.chain(([a, b]) => fc.tuple(refArb(a.shape, 'int'), refArb(b.shape, 'int'))),
        ([a, b]) => {
          expectMatches(np.matmul(toArray(a, 'int32'), toArray(b, 'int32')), ref.matmul(a, b), 0, 'int32');
        },
      ),
      FC,
    );
  });

  it('mismatched inner dimensions and 0-d operands throw', () => {
    expect(() => np.matmul(np.zeros([2, 3]), np.zeros([4, 2]))).toThrow(/^matmul: .*3 vs 4/);
    expect(() => np.matmul(np.zeros([2, 3]), 2 as never)).toThrow(/^matmul: /);
  });
});

/** One einsum spec and a generator of operand shapes for it (label sizes drawn once per case). */
interface EinsumSpec {
  spec: string;
  shapes: (size: (label: string) => number, ell: number[][]) => number[][];
}

const SPECS: EinsumSpec[] = [
  {
    spec: 'ij,jk->ik',
    shapes: (s) => [
      [s('i'), s('j')],
      [s('j'), s('k')],
    ],
  },
  {
    spec: 'ij,jk',
    shapes: (s) => [
      [s('i'), s('j')],
      [s('j'), s('k')],
    ],
  },
  {
    spec: 'bij,bjk->bik',
    shapes: (s) => [
      [s('b'), s('i'), s('j')],
      [s('b'), s('j'), s('k')],
    ],
  },
  { spec: 'ii->', shapes: (s) => [[s('i'), s('i')]] },
  { spec: 'ii->i', shapes: (s) => [[s('i'), s('i')]] },
  { spec: 'ij->ji', shapes: (s) => [[s('i'), s('j')]] },
  { spec: 'ij->', shapes: (s) => [[s('i'), s('j')]] },
  { spec: 'i,i->', shapes: (s) => [[s('i')], [s('i')]] },
  { spec: 'i,j->ij', shapes: (s) => [[s('i')], [s('j')]] },
  { spec: 'ij,j->i', shapes: (s) => [[s('i'), s('j')], [s('j')]] },
  {
    spec: 'ijk,kj->i',
    shapes: (s) => [
      [s('i'), s('j'), s('k')],
      [s('k'), s('j')],
    ],
  },
  {
    spec: 'ij,jk,kl->il',
    shapes: (s) => [
      [s('i'), s('j')],
      [s('j'), s('k')],
      [s('k'), s('l')],
    ],
  },
  {
    spec: '...ij,...jk->...ik',
    shapes: (s, [e1, e2]) => [
      [...(e1 as number[]), s('i'), s('j')],
      [...(e2 as number[]), s('j'), s('k')],
    ],
  },
  { spec: '...ij->...ji', shapes: (s, [e1]) => [[...(e1 as number[]), s('i'), s('j')]] },
];

const einsumCase = fc
  .record({
    which: fc.constantFrom(...SPECS),
    sizes: fc.dictionary(fc.constantFrom('i', 'j', 'k', 'l', 'b'), fc.integer({ min: 1, max: 4 })),
    ell: broadcastShapesArb(2, { maxRank: 2, maxDim: 3 }),
  })
  .chain(({ which, sizes, ell }) => {
    const shapes = which.shapes((l) => sizes[l] ?? 2, ell);
    return fc.tuple(fc.constant(which.spec), fc.tuple(...shapes.map((s) => refArb(s, 'dyadic'))));
  });

describe('einsum', () => {
  it('matches brute-force summation for matmul, batch, trace, diagonal, transpose, dot, outer, chains and ellipses', () => {
    fc.assert(
      fc.property(einsumCase, ([spec, xs]) => {
        try {
          expectMatches(np.einsum(spec, ...xs.map(f64)), ref.einsum(spec, ...xs), 0, 'float64');
        } catch (e) {
          throw new Error(`einsum('${spec}', ${xs.map((x) => `[${x.shape}]`).join(', ')}): ${(e as Error).message}`);
        }
      }),
      { ...FC, numRuns: 80 },
    );
  });
});

describe('einsum with ellipses', () => {
  it("'...' dims of different ranks align right and broadcast, as NumPy", () => {
    const ELLIPSIS = SPECS.filter((s) => s.spec.includes('...'));
    const cases = fc
      .record({
        which: fc.constantFrom(...ELLIPSIS),
        sizes: fc.dictionary(fc.constantFrom('i', 'j', 'k'), fc.integer({ min: 1, max: 3 })),
        ell: broadcastShapesArb(2, { minRank: 1, maxRank: 3, maxDim: 3 }),
      })
      .chain(({ which, sizes, ell }) =>
        fc.tuple(fc.constant(which.spec), fc.tuple(...which.shapes((l) => sizes[l] ?? 2, ell).map((s) => refArb(s, 'dyadic')))),
      );
    fc.assert(
      fc.property(cases, ([spec, xs]) => {
        try {
          expectMatches(np.einsum(spec, ...xs.map(f64)), ref.einsum(spec, ...xs), 0, 'float64');
        } catch (e) {
          throw new Error(`einsum('${spec}', ${xs.map((x) => `[${x.shape}]`).join(', ')}): ${(e as Error).message}`);
        }
      }),
      FC,
    );
  });
});

describe('tensordot', () => {
  it('contracting the last n axes of a with the first n of b matches the reference', () => {
    const cases = fc
      .record({
        free1: fc.array(dim, { maxLength: 2 }),
        shared: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        free2: fc.array(dim, { maxLength: 2 }),
      })
      .chain(({ free1, shared, free2 }) =>
        fc.tuple(refArb([...free1, ...shared], 'dyadic'), refArb([...shared, ...free2], 'dyadic'), fc.constant(shared.length)),
      );
    fc.assert(
      fc.property(cases, ([a, b, n]) => {
        const axesA = [...Array(n).keys()].map((i) => a.ndim - n + i);
        expectMatches(np.tensordot(f64(a), f64(b), n), ref.tensordot(a, b, axesA, [...Array(n).keys()]), 0, 'float64');
      }),
      FC,
    );
  });

  it('explicit axis lists (any order, negative allowed) match the reference', () => {
    const cases = fc
      .record({
        sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
        freeA: fc.array(dim, { maxLength: 2 }),
        freeB: fc.array(dim, { maxLength: 2 }),
      })
      .chain(({ sizes, freeA, freeB }) => {
        const rankA = sizes.length + freeA.length;
        const rankB = sizes.length + freeB.length;
        return fc
          .tuple(
            fc.shuffledSubarray([...Array(rankA).keys()], { minLength: sizes.length, maxLength: sizes.length }),
            fc.shuffledSubarray([...Array(rankB).keys()], { minLength: sizes.length, maxLength: sizes.length }),
            fc.boolean(),
          )
          .chain(([axA, axB, negative]) => {
            const shapeA: number[] = [];
            const shapeB: number[] = [];
            let fa = 0;
            let fb = 0;
            for (let d = 0; d < rankA; d++) shapeA.push(axA.includes(d) ? (sizes[axA.indexOf(d)] as number) : (freeA[fa++] as number));
            for (let d = 0; d < rankB; d++) shapeB.push(axB.includes(d) ? (sizes[axB.indexOf(d)] as number) : (freeB[fb++] as number));
            const specA = negative ? axA.map((d) => d - rankA) : axA;
            return fc.tuple(refArb(shapeA, 'dyadic'), refArb(shapeB, 'dyadic'), fc.constant(specA), fc.constant(axB));
          });
      });
    fc.assert(
      fc.property(cases, ([a, b, axA, axB]) => {
        expectMatches(np.tensordot(f64(a), f64(b), [axA, axB]), ref.tensordot(a, b, axA, axB), 0, 'float64');
      }),
      FC,
    );
  });
});
