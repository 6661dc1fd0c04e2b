// Gradient checks of every op: the shared op table (differentiable records at order 2, the others
// at order 1, where their derivative is zero almost everywhere), the ops the table does not cover
// (indexing, split, pad, flip, tile...), ties, zeros, broadcasting, a classifier loss and an MLP.
import { type Array, type DType, lax, np } from '@tenfold/core';
import { grad, hessian } from '@tenfold/grad';
import { arrays, broadcastShapes, checkGrads, f64, jointArrays, numericalJvp, numericalVjp, uniform, type ValueDomain } from '@tenfold/grad/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argDTypes, type Domain, domainsFor, OP_TABLE, type OpRecord, type Shape, shapesOf, toArray, valueArbitrary } from '../../core/test/op-table.js';

const FC = { seed: 42, numRuns: 4, endOnFailure: true } as const;
/** Points closer than this to a kink (in the record's own distance) are not drawn. */
const KINK_MARGIN = 1e-3;

// ---------------------------------------------------------------------------------------------
// Cases from the op table, float64, with special values dropped (ties and exact kinks are tested
// on their own below: a central difference across a kink is meaningless at order 2)
// ---------------------------------------------------------------------------------------------

interface GradCase {
  readonly shapes: readonly Shape[];
  readonly dtypes: readonly DType[];
  readonly values: readonly (readonly number[])[];
}

const sizeOf = (s: Shape): number => s.reduce((p, d) => p * d, 1);

/** The values of every argument at each element of the broadcast result. */
function broadcastTuples(shapes: readonly Shape[], values: readonly (readonly number[])[]): number[][] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    out.push(Math.max(...shapes.map((s) => (d - (rank - s.length) >= 0 ? (s[d - (rank - s.length)] as number) : 1))));
  }
  const n = sizeOf(out);
  const tuples: number[][] = [];
  for (let i = 0; i < n; i++) {
    const idx: number[] = [];
    let r = i;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = r % (out[d] as number);
      r = Math.floor(r / (out[d] as number));
    }
    tuples.push(
      shapes.map((s, k) => {
        let flat = 0;
        s.forEach((len, j) => {
          const at = len === 1 ? 0 : (idx[j + rank - s.length] as number);
          flat = flat * len + at;
        });
        return (values[k] as number[])[flat] as number;
      }),
    );
  }
  return tuples;
}

function minGap(vs: readonly number[]): number {
  const s = [...vs].sort((a, b) => a - b);
  let g = Number.POSITIVE_INFINITY;
  for (let i = 1; i < s.length; i++) g = Math.min(g, (s[i] as number) - (s[i - 1] as number));
  return g;
}

const distToInteger = (v: number): number => Math.abs(v - Math.round(v));
/** Jumps of records without a `kinkDistance` in the table (their derivative is zero elsewhere). */
const EXTRA_KINKS: Record<string, (...xs: number[]) => number> = {
  floorDivide: (x, y) => distToInteger(x / y) * Math.abs(y),
  sign: (x) => Math.abs(x),
};

/** Far enough from kinks: the record's kink distance, or distinct values for ops with ties (max, sort). */
function awayFromKinks(rec: OpRecord, c: GradCase): boolean {
  const kd = rec.kind === 'elementwise' ? (rec.kinkDistance ?? EXTRA_KINKS[rec.name]) : undefined;
  if (kd) {
    return broadcastTuples(c.shapes, c.values).every((t) => kd(...t) >= KINK_MARGIN);
  }
  const tied = domainsFor(rec, 'float64').some((d) => d.kind === 'awayFromKinks');
  return !tied || c.values.every((v) => minGap(v) >= KINK_MARGIN);
}

/**
 * Shapes a record is differentiable at: a mean over nothing is NaN, and a variance of fewer than
 * two elements is 0 (std has a kink there, ddof = 1 divides by zero).
 */
function usableShapes(rec: OpRecord): readonly (readonly Shape[])[] {
  const all = shapesOf(rec);
  const least = { mean: 1, var: 2, std: 2 }[rec.api];
  if (least === undefined || rec.kind !== 'nd' || !rec.reductionSize) return all;
  const rs = rec.reductionSize;
  return all.filter((s) => rs(s) >= least);
}

/**
 * Values for gradient checks: uniform over the domain (the table's generator, built on fc.double,
 * favours tiny and extreme values, right for value tests but meaningless for finite differences).
 */
function gradValue(d: Domain, dtype: DType): fc.Arbitrary<number> {
  if (d.values || dtype === 'int32' || dtype === 'bool' || d.kind === 'integer' || d.kind === 'index') return valueArbitrary(d, dtype);
  const margin = d.avoidZero ?? 0;
  return uniform(d.min, d.max).map((v) => (Math.abs(v) < margin ? (v < 0 ? -margin : margin) : v));
}

function gradCaseArbitrary(rec: OpRecord): fc.Arbitrary<GradCase> {
  const domains = domainsFor(rec, 'float64');
  const dtypes = argDTypes(rec, 'float64');
  return fc
    .constantFrom(...usableShapes(rec))
    .chain((shapes) =>
      fc
        .tuple(...shapes.map((s, k) => fc.array(gradValue(domains[k] as Domain, dtypes[k] as DType), { minLength: sizeOf(s), maxLength: sizeOf(s) })))
        .map((values): GradCase => ({ shapes, dtypes, values })),
    )
    .filter((c) => awayFromKinks(rec, c));
}

function inputs(c: GradCase): Array[] {
  return c.shapes.map((s, k) => toArray(c.values[k] as number[], s, c.dtypes[k] as DType));
}

/** Looser tolerances where the implementation is only float32-accurate (erfinv's polynomial). */
function optsFor(rec: OpRecord): { atol?: number; rtol?: number } {
  return rec.accuracy === 'float32' ? { atol: 1e-4, rtol: 1e-4 } : {};
}

const floatRecords = OP_TABLE.filter((r) => r.dtypes.includes('float64'));
const differentiable = floatRecords.filter((r) => r.differentiable);
const zeroDerivative = floatRecords.filter((r) => !r.differentiable);

describe('op table: differentiable records, order 2, forward and reverse', () => {
  it('covers the table', () => {
    expect(differentiable.length).toBeGreaterThan(40);
  });
  for (const rec of differentiable) {
    it(rec.name, () => {
      fc.assert(
        fc.property(gradCaseArbitrary(rec), (c) => {
          checkGrads(rec.fn, inputs(c), { order: 2, ...optsFor(rec) });
        }),
        FC,
      );
    });
  }
});

describe('op table: non-differentiable records have zero derivatives (order 1)', () => {
  for (const rec of zeroDerivative) {
    it(rec.name, () => {
      fc.assert(
        fc.property(gradCaseArbitrary(rec), (c) => {
          checkGrads(rec.fn, inputs(c), { order: 1 });
        }),
        { ...FC, numRuns: 1 },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Ops the table does not cover
// ---------------------------------------------------------------------------------------------

interface Extra {
  readonly name: string;
  readonly shapes: readonly Shape[];
  readonly fn: (...xs: Array[]) => unknown;
  readonly domain?: ValueDomain;
  readonly order?: number;
}

const EXTRA: readonly Extra[] = [
  { name: 'index: int and strided slices', shapes: [[3, 5]], fn: (x) => x.index(1, np.slice(null, null, 2)) },
  { name: 'index: negative step, newaxis, ellipsis', shapes: [[3, 4, 2]], fn: (x) => x.index('...', np.slice(null, null, -1), null) },
  { name: 'index: slice bounds and negative index', shapes: [[4, 5]], fn: (x) => x.index(np.slice(1, -1), -2) },
  { name: 'index: integer array (repeated indices)', shapes: [[4, 3]], fn: (x) => x.index(np.array([2, 0, 2, -1])) },
  {
    name: 'index: integer array on axis 1',
    shapes: [[2, 4, 3]],
    fn: (x) =>
      x.index(
        np.slice(),
        np.array([
          [3, 1],
          [1, 1],
        ]),
      ),
  },
  {
    name: 'at().set',
    shapes: [
      [4, 3],
      [2, 3],
    ],
    fn: (x, u) => x.at(np.array([3, 0])).set(u as Array),
  },
  {
    // the last update for an index lands; the ones it overwrote have no effect and get no gradient
    name: 'at().set (repeated indices)',
    shapes: [
      [4, 3],
      [3, 3],
    ],
    fn: (x, u) => x.at(np.array([1, 1, 2])).set(u as Array),
  },
  {
    name: 'lax.scatter with repeated and out-of-range indices',
    shapes: [[5], [6]],
    fn: (x, u) => lax.scatter(x, np.array([0, 3, 0, 9, 3, 3], { dtype: 'int32' }), u as Array, 0),
  },
  {
    name: 'at().add (repeated indices)',
    shapes: [
      [4, 3],
      [3, 3],
    ],
    fn: (x, u) => x.at(np.array([1, 1, 2])).add(u as Array),
  },
  // out-of-range indices: a gather clamps, so the clamped positions were read and get the
  // cotangent; a scatter drops the update, whose gradient is then zero
  { name: 'lax.gather with out-of-range indices (clamped)', shapes: [[4, 3]], fn: (x) => lax.gather(x, np.array([0, 5, -1, 2], { dtype: 'int32' }), 0) },
  {
    name: 'lax.scatterAdd with out-of-range indices (dropped)',
    shapes: [
      [4, 3],
      [4, 3],
    ],
    fn: (x, u) => lax.scatterAdd(x, np.array([1, 7, -2, 1], { dtype: 'int32' }), u as Array, 0),
  },
  {
    name: 'lax.scatter with out-of-range indices (dropped)',
    shapes: [
      [3, 4],
      [3, 3],
    ],
    fn: (x, u) => lax.scatter(x, np.array([3, 0, -1], { dtype: 'int32' }), u as Array, 1),
  },
  { name: 'split into 3', shapes: [[6, 2]], fn: (x) => np.split(x, 3, 0) },
  { name: 'split at [1, 3] on axis 1', shapes: [[2, 5]], fn: (x) => np.split(x, [1, 3], 1) },
  {
    name: 'pad',
    shapes: [[2, 3]],
    fn: (x) =>
      np.pad(
        x,
        [
          [1, 0],
          [2, 1],
        ],
        0.5,
      ),
  },
  {
    name: 'lax.pad with interior and negative padding',
    shapes: [[3, 4]],
    fn: (x) =>
      lax.pad(x, 1.5, [
        [1, 2, 1],
        [-1, 1, 2],
      ]),
  },
  { name: 'lax.slice with strides', shapes: [[5, 6]], fn: (x) => lax.slice(x, [1, 0], [5, 5], [2, 3]) },
  { name: 'flip(axis=0)', shapes: [[3, 2]], fn: (x) => np.flip(x, 0) },
  { name: 'flip(all)', shapes: [[2, 3, 2]], fn: (x) => np.flip(x) },
  { name: 'tile', shapes: [[2, 3]], fn: (x) => np.tile(x, [2, 1, 2]) },
  { name: 'squeeze and expandDims', shapes: [[3, 1, 2]], fn: (x) => np.expandDims(np.squeeze(x, 1), 0) },
  { name: 'moveaxis and swapaxes', shapes: [[2, 3, 4]], fn: (x) => np.swapaxes(np.moveaxis(x, 0, -1), 0, 1) },
  { name: 'broadcastTo', shapes: [[3, 1]], fn: (x) => np.broadcastTo(x, [2, 3, 4]) },
  {
    name: 'takeAlongAxis',
    shapes: [[3, 4]],
    fn: (x) =>
      np.takeAlongAxis(
        x,
        np.array([
          [0, 3],
          [1, 1],
          [2, 0],
        ]),
        1,
      ),
  },
  { name: 'outer', shapes: [[3], [4]], fn: (x, y) => np.outer(x, y as Array) },
  {
    name: 'matmul, batched with broadcasting',
    shapes: [
      [2, 1, 3, 2],
      [3, 2, 4],
    ],
    fn: (x, y) => np.matmul(x, y as Array),
  },
  {
    name: 'dotGeneral with batch and two contracting dims',
    shapes: [
      [2, 3, 4, 2],
      [4, 2, 2, 3],
    ],
    fn: (x, y) =>
      lax.dotGeneral(x, y as Array, {
        contracting: [
          [2, 1],
          [0, 3],
        ],
        batch: [[0], [2]],
      }),
  },
  { name: 'var(keepdims) / std', shapes: [[3, 4]], fn: (x) => np.divide(np.var(x, 1, { keepdims: true }), np.std(x)) },
  { name: 'logsumexp(axis=[0, 2])', shapes: [[2, 3, 2]], fn: (x) => np.logsumexp(x, [0, 2]) },
  { name: 'softmax over two axes', shapes: [[2, 3, 2]], fn: (x) => np.softmax(x, [0, 2]) },
  { name: 'sigmoid, tanh, relu chain', shapes: [[5]], fn: (x) => np.relu(np.tanh(np.sigmoid(x))), domain: 'awayFromKinks' },
  { name: 'pytree output: [sum, {max}]', shapes: [[2, 3]], fn: (x) => [np.sum(x, 0), { m: np.max(x, 1) }], domain: 'awayFromKinks' },
  { name: 'lax.rev', shapes: [[3, 2]], fn: (x) => lax.rev(x, [0, 1]) },
  { name: 'lax.reduceMin over two axes', shapes: [[2, 3, 2]], fn: (x) => lax.reduceMin(x, [0, 2]), domain: 'awayFromKinks' },
  { name: 'mean of x times an int32 arange (promotion)', shapes: [[3, 4]], fn: (x) => np.mean(np.multiply(x, np.arange(4)), 0) },
];

describe('ops outside the table, order 2, forward and reverse', () => {
  for (const e of EXTRA) {
    it(e.name, () => {
      fc.assert(
        fc.property(jointArrays(e.shapes, { domain: e.domain ?? 'real' }), (xs) => {
          checkGrads(e.fn, xs, { order: e.order ?? 2 });
        }),
        { ...FC, numRuns: 3 },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Ties, zeros and other exact points
// ---------------------------------------------------------------------------------------------

describe('max/min ties: JAX rule (the tangent is averaged over the tied positions)', () => {
  // At a tie, the central difference along v is the mean of v over the tied entries, which is what
  // the rule gives; the derivative jumps there, so only order 1 makes sense.
  it('reductions', () => {
    const x = f64([
      [1, 3, 3],
      [2, -1, 2],
    ]);
    checkGrads((a) => np.max(a), [x], { order: 1 });
    checkGrads((a) => np.max(a, 1), [x], { order: 1 });
    checkGrads((a) => np.min(a, 1), [x], { order: 1 });
    checkGrads(
      (a) => np.max(a, 0),
      [
        f64([
          [2, 2, 2],
          [2, 2, 2],
        ]),
      ],
      { order: 1 },
    );
    const g = grad((a: Array) => np.max(a))(f64([1, 3, 3, 3]));
    expect(g.tolist()).toEqual([0, 1 / 3, 1 / 3, 1 / 3]);
  });
  it('maximum/minimum/clip at ties split the tangent in half', () => {
    const x = f64([1, 2, 0, -1]);
    const y = f64([1, 0, 0, 3]);
    checkGrads((a, b) => np.maximum(a, b), [x, y], { order: 1 });
    checkGrads((a, b) => np.minimum(a, b), [x, y], { order: 1 });
    expect(grad((a: Array) => np.sum(np.maximum(a, 0)))(f64([0, 1, -1])).tolist()).toEqual([0.5, 1, 0]);
    checkGrads((a) => np.clip(a, -1, 1), [f64([-1, 1, 0.5, 2])], { order: 1 });
  });
});

describe('kinks with a one-sided convention (as JAX)', () => {
  it('relu: derivative 0 at 0, as jax.nn.relu and PyTorch; NaN stays NaN', () => {
    expect(grad((a: Array) => np.sum(np.relu(a)))(f64([0, 1, -1, -0])).tolist()).toEqual([0, 1, 0, 0]);
    expect(np.relu(f64([Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -2, 3])).tolist()).toEqual([
      Number.NaN,
      0,
      Number.POSITIVE_INFINITY,
      0,
      3,
    ]);
    expect(np.relu(np.array([-2, 0, 5], { dtype: 'int32' })).tolist()).toEqual([0, 0, 5]);
  });
  it('abs: derivative 1 at 0 (JAX: select(x >= 0, t, -t)), and -1 at NaN', () => {
    expect(grad((a: Array) => np.sum(np.abs(a)))(f64([0, 2, -3, -0, Number.NaN])).tolist()).toEqual([1, 1, -1, 1, -1]);
  });
});

describe('prod with zeros', () => {
  it('one zero, two zeros, and zeros along an axis (order 2)', () => {
    checkGrads((a) => np.prod(a), [f64([2, 0, -1.5, 3])]);
    checkGrads((a) => np.prod(a), [f64([0, 2, 0, 3])]);
    checkGrads(
      (a) => np.prod(a, 1),
      [
        f64([
          [0, 1, 2],
          [0, 0, 3],
          [1, 2, 3],
        ]),
      ],
    );
    expect(grad((a: Array) => np.prod(a))(f64([2, 0, 3])).tolist()).toEqual([0, 6, 0]);
    expect(grad((a: Array) => np.prod(a))(f64([0, 0, 3])).tolist()).toEqual([0, 0, 0]);
  });
});

describe('power at exact exponents', () => {
  it('y = 0, 1, 2 and x > 0 (order 2)', () => {
    checkGrads((a, b) => np.power(a, b), [f64([0.5, 2, 1.5]), f64([0, 1, 2])]);
  });
  it('x = 0 with integer-valued exponents (order 1 in x)', () => {
    checkGrads((a) => np.power(a, f64([1, 2, 3])), [f64([0, 0, 0])], { order: 1 });
    expect(grad((a: Array) => np.sum(np.power(a, 0)))(f64([0, 1])).tolist()).toEqual([0, 0]);
  });
});

// ---------------------------------------------------------------------------------------------
// Broadcasting
// ---------------------------------------------------------------------------------------------

describe('broadcasting gradients', () => {
  it('add of [3, 1] and [4]: reduced over the broadcast axes', () => {
    const x = f64([[1], [2], [3]]);
    const y = f64([0.5, -1, 2, 4]);
    const f = (a: Array, b: Array) => np.sum(np.multiply(np.add(a, b), np.arange(12).reshape(3, 4)));
    const [gx, gy] = grad(f, { argnums: [0, 1] as const })(x, y);
    expect(gx.shape).toEqual([3, 1]);
    expect(gy.shape).toEqual([4]);
    expect(gx.tolist()).toEqual([[6], [22], [38]]);
    expect(gy.tolist()).toEqual([12, 15, 18, 21]);
    const [nx, ny] = numericalVjp(f, [x, y], f64(1)) as [Array, Array];
    for (const [g, n] of [
      [gx, nx],
      [gy, ny],
    ] as const) {
      const a = g.dataSync();
      const b = n.dataSync();
      a.forEach((v, i) => {
        expect(v).toBeCloseTo(b[i] as number, 6);
      });
    }
    checkGrads((a, b) => np.add(a, b), [x, y]);
  });

  const BINARY: readonly [string, (a: Array, b: Array) => Array, ValueDomain, ValueDomain][] = [
    ['add', np.add, 'real', 'real'],
    ['subtract', np.subtract, 'real', 'real'],
    ['multiply', np.multiply, 'real', 'real'],
    ['divide', np.divide, 'real', 'nonzero'],
    ['power', np.power, 'positive', 'real'],
    ['arctan2', np.arctan2, 'positive', 'real'],
    ['where(x > y)', (a, b) => np.where(np.greater(a, 0), a, b), 'awayFromKinks', 'real'],
  ];
  for (const [name, f, da, db] of BINARY) {
    it(`${name} over random broadcast-compatible shapes (order 2)`, () => {
      fc.assert(
        fc.property(
          broadcastShapes({ maxRank: 3, maxDim: 3 }).chain(([sa, sb]) => fc.tuple(arrays(sa, { domain: da }), arrays(sb, { domain: db }))),
          ([a, b]) => {
            checkGrads(f, [a, b]);
            const [ga, gb] = grad((p: Array, q: Array) => np.sum(f(p, q)), { argnums: [0, 1] as const })(a, b);
            expect(ga.shape).toEqual(a.shape);
            expect(gb.shape).toEqual(b.shape);
          },
        ),
        { ...FC, numRuns: 3 },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Losses and a small network
// ---------------------------------------------------------------------------------------------

/** Mean negative log-likelihood of integer labels under logSoftmax(logits). */
function nll(logits: Array, labels: Array): Array {
  const logp = np.logSoftmax(logits, -1);
  const picked = np.takeAlongAxis(logp, np.expandDims(labels, 1), 1);
  return np.negative(np.mean(picked));
}

describe('classifier losses', () => {
  it('logSoftmax + NLL with integer labels (order 2)', () => {
    fc.assert(
      fc.property(arrays([4, 3]), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }), (logits, ls) => {
        const labels = np.array(ls, { dtype: 'int32' });
        checkGrads(nll, [logits, labels]);
        // the known closed form: (softmax - onehot) / N
        const g = grad(nll)(logits, labels);
        const expected = np.divide(np.subtract(np.softmax(logits, -1), np.oneHot(labels, 3, { dtype: 'float64' })), 4);
        const a = g.dataSync();
        const b = expected.dataSync();
        a.forEach((v, i) => {
          expect(v).toBeCloseTo(b[i] as number, 12);
        });
      }),
      { ...FC, numRuns: 2 },
    );
  });
  it('one-hot cross-entropy with softmax probabilities (order 2)', () => {
    const logits = f64([
      [0.2, -1, 2],
      [1, 0.5, -0.5],
    ]);
    const onehot = f64([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    checkGrads((z, t) => np.negative(np.sum(np.multiply(t, np.log(np.softmax(z, -1))))), [logits, onehot]);
  });
});

interface Mlp {
  w1: Array;
  b1: Array;
  w2: Array;
  b2: Array;
  w3: Array;
  b3: Array;
}

function mlpLoss(p: Mlp, x: Array, labels: Array): Array {
  const h1 = np.relu(np.add(np.matmul(x, p.w1), p.b1));
  const h2 = np.relu(np.add(np.matmul(h1, p.w2), p.b2));
  return nll(np.add(np.matmul(h2, p.w3), p.b3), labels);
}

/** Deterministic small-ish values (a fixed LCG), so relu pre-activations are not near 0 by accident. */
function det(shape: Shape, seed: number, scale = 1): Array {
  let s = seed;
  const n = sizeOf(shape);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = (s / 2147483648 - 0.5) * 2 * scale;
  }
  return np.array(v, { shape: [...shape], dtype: 'float64' });
}

describe('MLP 8-5-4-3 (relu, logSoftmax, NLL)', () => {
  const params: Mlp = {
    w1: det([8, 5], 1, 0.6),
    b1: det([5], 2, 0.1),
    w2: det([5, 4], 3, 0.6),
    b2: det([4], 4, 0.1),
    w3: det([4, 3], 5, 0.8),
    b3: det([3], 6, 0.1),
  };
  const x = det([6, 8], 7);
  const labels = np.array([0, 2, 1, 1, 0, 2], { dtype: 'int32' });

  it('loss gradients w.r.t. the parameter tree and the inputs (order 2)', () => {
    checkGrads(mlpLoss, [params, x, labels]);
  });

  it('hessian w.r.t. w3 matches finite differences of the gradient, and is symmetric', () => {
    const f = (w: Array) => mlpLoss({ ...params, w3: w }, x, labels);
    const h = hessian(f)(params.w3);
    expect(h.shape).toEqual([4, 3, 4, 3]);
    const g = (w: Array) => grad(f)(w);
    const hd = h.dataSync();
    const n = 12;
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      const col = (numericalJvp(g, [params.w3], [np.array(e, { shape: [4, 3], dtype: 'float64' })]) as Array).dataSync();
      for (let i = 0; i < n; i++) {
        const got = hd[i * n + j] as number;
        expect(Math.abs(got - (col[i] as number))).toBeLessThan(1e-6 + 1e-6 * Math.abs(got));
        expect(Math.abs(got - (hd[j * n + i] as number))).toBeLessThan(1e-12);
      }
    }
  });
});
