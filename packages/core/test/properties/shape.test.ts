// Shape manipulation: round trips and agreement with the naive reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { np } from '../../src/index.js';
import * as ref from '../reference.js';
import { arrayArb, axisArb, expectMatches, FC, permutationArb, refArb, shapeArb, toArray, toRef } from './helpers.js';

const f64 = (r: ref.Ref) => toArray(r, 'float64');

/**
 * Two shapes of one size: a list of factors grouped into dims two different ways (a factor list
 * shuffled and cut at random points), so reshape between them is always valid.
 */
const reshapePair = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 5 }).chain((factors) => {
  const cut = (fs: number[]) =>
    fc.array(fc.boolean(), { minLength: fs.length, maxLength: fs.length }).map((breaks) => {
      const dims: number[] = [];
      fs.forEach((f, i) => {
        if (i === 0 || breaks[i]) dims.push(f);
        else dims[dims.length - 1] = (dims[dims.length - 1] as number) * f;
      });
      return dims;
    });
  return fc.tuple(
    cut(factors),
    fc.shuffledSubarray(factors, { minLength: factors.length, maxLength: factors.length }).chain(cut),
    fc.integer({ min: 0, max: 3 }), // extra length-1 dims sprinkled into the target
  );
});

describe('reshape', () => {
  it('reshape(reshape(x, s), x.shape) == x and keeps row-major order', () => {
    fc.assert(
      fc.property(
        reshapePair.chain(([from, to, ones]) => fc.tuple(refArb(from, 'float64'), fc.constant([...to, ...new Array<number>(ones).fill(1)]))),
        ([x, to]) => {
          const y = np.reshape(f64(x), to);
          expectMatches(y, ref.reshape(x, to));
          expectMatches(np.reshape(y, x.shape), x);
        },
      ),
      FC,
    );
  });

  it('one -1 dimension is inferred', () => {
    fc.assert(
      fc.property(
        reshapePair.chain(([from, to]) => fc.tuple(refArb(from, 'int'), fc.constant(to), fc.integer({ min: 0, max: Math.max(0, to.length - 1) }))),
        ([x, to, hole]) => {
          fc.pre(to.length > 0 && (to[hole] as number) > 0);
          const spec = to.map((d, i) => (i === hole ? -1 : d));
          expectMatches(np.reshape(toArray(x, 'int32'), spec), ref.reshape(x, to));
        },
      ),
      FC,
    );
  });

  it('reshape to a different size throws naming reshape', () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, minDim: 1 }), (s) => {
        const bigger = [...s.slice(0, -1), (s[s.length - 1] as number) + 1];
        expect(() => np.reshape(np.zeros(s), bigger)).toThrow(/^reshape: /);
      }),
      FC,
    );
  });
});

describe('transpose and axis moves', () => {
  it('transpose by a permutation matches the reference, and its inverse undoes it', () => {
    fc.assert(
      fc.property(
        arrayArb('float64').chain((x) => fc.tuple(fc.constant(x), permutationArb(x.ndim))),
        ([x, perm]) => {
          const y = np.transpose(f64(x), perm);
          expectMatches(y, ref.transpose(x, perm));
          const inv = perm.map((_, i) => perm.indexOf(i));
          expectMatches(np.transpose(y, inv), x);
        },
      ),
      FC,
    );
  });

  it('transpose() reverses the axes, and .T matches', () => {
    fc.assert(
      fc.property(arrayArb('int'), (x) => {
        const rev = x.shape.map((_, i) => x.ndim - 1 - i);
        expectMatches(np.transpose(toArray(x, 'int32')), ref.transpose(x, rev));
        expectMatches(toArray(x, 'int32').T, ref.transpose(x, rev));
      }),
      FC,
    );
  });

  it('moveaxis and swapaxes match the reference (negative axes too)', () => {
    fc.assert(
      fc.property(
        arrayArb('float64', { minRank: 1 }).chain((x) => fc.tuple(fc.constant(x), axisArb(x.ndim), axisArb(x.ndim))),
        ([x, a, b]) => {
          expectMatches(np.moveaxis(f64(x), a, b), ref.moveaxis(x, a, b));
          expectMatches(np.swapaxes(f64(x), a, b), ref.swapaxes(x, a, b));
        },
      ),
      FC,
    );
  });
});

describe('moveaxis with several axes', () => {
  it('each source axis lands at its destination, the others keep their order (NumPy)', () => {
    const cases = arrayArb('float64', { minRank: 1, maxRank: 4, maxDim: 3 }).chain((x) =>
      fc
        .shuffledSubarray(
          x.shape.map((_, i) => i),
          { minLength: 0 },
        )
        .chain((src) =>
          fc.tuple(
            fc.constant(x),
            fc.constant(src),
            fc.shuffledSubarray(
              x.shape.map((_, i) => i),
              { minLength: src.length, maxLength: src.length },
            ),
          ),
        ),
    );
    fc.assert(
      fc.property(cases, ([x, src, dst]) => {
        // the permutation that definition gives: destinations first, then the rest in order
        const perm: (number | undefined)[] = x.shape.map(() => undefined);
        dst.forEach((d, k) => {
          perm[d] = src[k];
        });
        const rest = x.shape.map((_, i) => i).filter((i) => !src.includes(i));
        const full = perm.map((p) => (p === undefined ? (rest.shift() as number) : p));
        // negative spellings of the same axes give the same result
        const neg = (axes: number[]) => axes.map((a) => a - x.ndim);
        expectMatches(np.moveaxis(f64(x), src, neg(dst)), ref.transpose(x, full));
        expectMatches(np.moveaxis(f64(x), neg(src), dst), ref.transpose(x, full));
      }),
      FC,
    );
    expect(() => np.moveaxis(np.zeros([2, 3]), [0, 1], [1])).toThrow(/source and destination must have the same number of axes/);
    expect(() => np.moveaxis(np.zeros([2, 3]), [0, 0], [0, 1])).toThrow(/repeated axis/);
  });
});

describe('squeeze and expandDims', () => {
  it('expandDims inserts length-1 axes at result positions; squeeze of them is the identity', () => {
    const cases = arrayArb('int', { maxRank: 3 }).chain((x) =>
      fc
        .integer({ min: 1, max: 2 })
        .chain((k) => fc.shuffledSubarray([...Array(x.ndim + k).keys()], { minLength: k, maxLength: k }))
        .chain((axes) => fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }).map((neg) => ({ x, axes, neg }))),
    );
    fc.assert(
      fc.property(cases, ({ x, axes, neg }) => {
        const rank = x.ndim + axes.length;
        const spec = axes.map((a, i) => (neg[i] ? a - rank : a));
        const shape: number[] = [];
        let k = 0;
        for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : (x.shape[k++] as number));
        const y = np.expandDims(toArray(x, 'int32'), spec);
        expectMatches(y, ref.reshape(x, shape));
        expectMatches(np.squeeze(y, spec), x);
      }),
      FC,
    );
  });

  it('squeeze() drops every length-1 axis', () => {
    fc.assert(
      fc.property(arrayArb('int', { maxDim: 2 }), (x) => {
        expectMatches(
          np.squeeze(toArray(x, 'int32')),
          ref.reshape(
            x,
            x.shape.filter((d) => d !== 1),
          ),
        );
      }),
      FC,
    );
  });

  it('squeeze of an axis that is not length 1 throws', () => {
    expect(() => np.squeeze(np.zeros([2, 3]), 1)).toThrow(/^squeeze: .*axis 1 of size 3/);
  });
});

/** Several arrays equal in shape except along `axis`. */
const concatCase = shapeArb({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((base) =>
  fc.tuple(axisArb(base.length), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 })).chain(([axis, lens]) => {
    const ax = axis < 0 ? axis + base.length : axis;
    return fc.tuple(
      fc.constant(axis),
      fc.tuple(
        ...lens.map((n) =>
          refArb(
            base.map((d, i) => (i === ax ? n : d)),
            'float64',
          ),
        ),
      ),
    );
  }),
);

describe('concatenate, split, stack', () => {
  it('concatenate matches the reference; split at the boundaries gives the parts back', () => {
    fc.assert(
      fc.property(concatCase, ([axis, parts]) => {
        const ax = axis < 0 ? axis + (parts[0] as ref.Ref).ndim : axis;
        const joined = np.concatenate(parts.map(f64), axis);
        expectMatches(joined, ref.concatenate(parts, axis));
        const bounds: number[] = [];
        let at = 0;
        for (const p of parts.slice(0, -1)) {
          at += p.shape[ax] as number;
          bounds.push(at);
        }
        const back = np.split(joined, bounds, axis);
        expect(back.length).toBe(parts.length);
        back.forEach((b, i) => {
          expectMatches(b, parts[i] as ref.Ref);
        });
      }),
      FC,
    );
  });

  it('split into equal sections then concatenate is the identity', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 })).chain(([sections, per]) =>
          shapeArb({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((s) =>
            axisArb(s.length).chain((axis) => {
              const shape = [...s];
              shape[axis < 0 ? axis + s.length : axis] = sections * per;
              return fc.tuple(refArb(shape, 'float64'), fc.constant(sections), fc.constant(axis));
            }),
          ),
        ),
        ([x, sections, axis]) => {
          const parts = np.split(f64(x), sections, axis);
          expect(parts.length).toBe(sections);
          expectMatches(np.concatenate(parts, axis), x);
        },
      ),
      FC,
    );
  });

  it('stack matches the reference for every axis, negative included', () => {
    fc.assert(
      fc.property(
        shapeArb({ maxRank: 3, maxDim: 3 }).chain((s) =>
          fc.tuple(fc.array(refArb(s, 'float64'), { minLength: 1, maxLength: 4 }), fc.integer({ min: -(s.length + 1), max: s.length })),
        ),
        ([xs, axis]) => {
          expectMatches(np.stack(xs.map(f64), axis), ref.stack(xs, axis));
        },
      ),
      FC,
    );
  });
});

describe('flip, pad, tile', () => {
  it('flip over a subset of axes matches the reference, and flipping twice is the identity', () => {
    fc.assert(
      fc.property(
        arrayArb('float64').chain((x) => fc.tuple(fc.constant(x), fc.subarray([...Array(x.ndim).keys()]))),
        ([x, axes]) => {
          const y = np.flip(f64(x), axes);
          expectMatches(y, ref.flip(x, axes));
          expectMatches(np.flip(y, axes), x);
        },
      ),
      FC,
    );
  });

  it('flip() reverses every axis', () => {
    fc.assert(
      fc.property(arrayArb('int'), (x) => {
        expectMatches(np.flip(toArray(x, 'int32')), ref.flip(x, [...Array(x.ndim).keys()]));
      }),
      FC,
    );
  });

  it('pad with per-axis pairs and a constant matches the reference', () => {
    const pairArb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(
        arrayArb('float64', { maxRank: 3, maxDim: 4 }).chain((x) =>
          fc.tuple(fc.constant(x), fc.array(pairArb, { minLength: x.ndim, maxLength: x.ndim }), fc.integer({ min: -5, max: 5 })),
        ),
        ([x, pairs, value]) => {
          expectMatches(np.pad(f64(x), pairs, value), ref.pad(x, pairs, value));
        },
      ),
      FC,
    );
  });

  it('pad with one number, one pair or a list of one pair applies it to every axis', () => {
    fc.assert(
      fc.property(arrayArb('int', { minRank: 1, maxRank: 3, maxDim: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), (x, lo, hi) => {
        const a = toArray(x, 'int32');
        expectMatches(
          np.pad(a, lo),
          ref.pad(
            x,
            x.shape.map(() => [lo, lo]),
            0,
          ),
        );
        expectMatches(
          np.pad(a, [lo, hi]),
          ref.pad(
            x,
            x.shape.map(() => [lo, hi]),
            0,
          ),
        );
        // a list of one pair too, as NumPy's ((lo, hi),)
        expectMatches(
          np.pad(a, [[lo, hi]]),
          ref.pad(
            x,
            x.shape.map(() => [lo, hi]),
            0,
          ),
        );
      }),
      FC,
    );
  });

  it('tile matches the reference (reps shorter or longer than the rank)', () => {
    fc.assert(
      fc.property(arrayArb('float64', { maxRank: 3, maxDim: 3 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }), (x, reps) => {
        expectMatches(np.tile(f64(x), reps), ref.tile(x, reps));
      }),
      FC,
    );
  });

  it('ravel and flatten give the data in row-major order', () => {
    fc.assert(
      fc.property(arrayArb('float64'), (x) => {
        expectMatches(np.ravel(f64(x)), new ref.Ref([x.size], x.data));
        expect(toRef(f64(x).flatten()).data).toEqual(x.data);
      }),
      FC,
    );
  });
});
