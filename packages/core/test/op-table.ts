// One record per op: what it computes (a float64 reference), on which inputs (a domain per
// argument), for which dtypes, and how exact it must be. Value tests (ops.test.ts) run every record;
// gradient, vmap and cross-backend tests are meant to reuse the same table, the same input
// generator (`caseArbitrary`) and the same checker (`checkCase` with their own evaluation).
import fc from 'fast-check';
import { type DType, np, type Array as Tensor, type TypedArray } from '../src/index.js';
import type { RefArray } from './ref-eval.js';
import * as R from './ref-eval.js';

export type Shape = readonly number[];

// ---------------------------------------------------------------------------------------------
// Domains
// ---------------------------------------------------------------------------------------------

/**
 * What an argument's values are:
 * - `real`: any value in [min, max];
 * - `positive`: values in [min, max] with min ≥ 0 (log, sqrt...);
 * - `nonzero`: [min, max] but never within `avoidZero` of 0 (divisors);
 * - `awayFromKinks`: [min, max]; the op has kinks or jumps (abs, max, floor...) located by the
 *   record's `kinkDistance`, which gradient tests use to skip points too close to one;
 * - `integer`: integer values, also for float dtypes;
 * - `bool`: a bool argument whatever the tested dtype (where's condition);
 * - `index`: int32 indices whatever the tested dtype (take, oneHot).
 */
export type DomainKind = 'real' | 'positive' | 'nonzero' | 'awayFromKinks' | 'integer' | 'bool' | 'index';

export interface Domain {
  readonly kind: DomainKind;
  readonly min: number;
  readonly max: number;
  /** Values closer than this to 0 are pushed out to ±avoidZero (int32: 0 is never drawn). */
  readonly avoidZero?: number;
  /** Values mixed into the samples (ties, exact halves, NaN/inf for the isnan family); non-integers are dropped for int32. */
  readonly special?: readonly number[];
  /** Sample only from these values (e.g. power-of-two divisors that keep x / y exact). */
  readonly values?: readonly number[];
  /** A fixed dtype for this argument, whatever dtype the record is tested at. */
  readonly dtype?: DType;
}

export const D = {
  real: (min = -3, max = 3, special: readonly number[] = []): Domain => ({ kind: 'real', min, max, special }),
  positive: (min = 0.01, max = 10, special: readonly number[] = []): Domain => ({ kind: 'positive', min, max, special }),
  nonzero: (min = -3, max = 3, margin = 0.25): Domain => ({ kind: 'nonzero', min, max, avoidZero: margin }),
  awayFromKinks: (min = -3, max = 3, special: readonly number[] = []): Domain => ({ kind: 'awayFromKinks', min, max, special }),
  integer: (min: number, max: number, avoidZero = false): Domain => ({
    kind: avoidZero ? 'nonzero' : 'integer',
    min,
    max,
    ...(avoidZero ? { avoidZero: 1 } : {}),
  }),
  choice: (kind: DomainKind, values: readonly number[]): Domain => ({ kind, min: Math.min(...values), max: Math.max(...values), values }),
  bool: (): Domain => ({ kind: 'bool', min: 0, max: 1, dtype: 'bool' }),
  index: (min: number, max: number): Domain => ({ kind: 'index', min, max, dtype: 'int32' }),
};

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

interface RecordBase {
  /** Unique name, with the parameters baked into `fn` (e.g. `sum(axis=1)`). */
  readonly name: string;
  /** The np function exercised. */
  readonly api: string;
  readonly arity: number;
  /** Calls the public np function. */
  readonly fn: (...xs: Tensor[]) => Tensor;
  /** One per argument (used for every dtype but int32 when `intDomain` is given). */
  readonly domain: readonly Domain[];
  /** Domain to draw int32 inputs from, when the float one makes no sense for integers. */
  readonly intDomain?: readonly Domain[];
  /** Input dtypes the record is tested at (arguments with a fixed `Domain.dtype` keep theirs). */
  readonly dtypes: readonly DType[];
  /** The result dtype for inputs of dtype `d`. */
  readonly outDType: (d: DType) => DType;
  /** A meaningful gradient w.r.t. the float arguments (almost everywhere: see `kinkDistance`). */
  readonly differentiable: boolean;
  /** Jointly linear in the float arguments (bool/int arguments held fixed): f(αx, αy) = α f(x, y). */
  readonly linear: boolean;
  /** Linear in each float argument separately (multiply, matmul, einsum...). */
  readonly multilinear: boolean;
  /**
   * Accuracy in units of machine epsilon, before the reduction-size factor (see {@link tolerance}):
   * 0 exact (data movement, comparisons, max, floor...), 1 one correctly rounded IEEE operation or
   * an exactly rounded sum term, 4 transcendental or composite (libm and GPU intrinsics promise a
   * few ulps; composites round several intermediates).
   */
  readonly ulps: number;
  /** The implementation is only float32-accurate, even for float64 (erfinv's polynomial). */
  readonly accuracy?: 'float32';
  /**
   * An absolute error floor beyond the result's own underflow (see {@link tolerance}), for ops
   * whose intermediates underflow: std squares its inputs, so sqrt(smallest normal).
   */
  readonly atol?: (dtype: 'float32' | 'float64') => number;
}

export interface ElementwiseRecord extends RecordBase {
  readonly kind: 'elementwise';
  /** The float64 reference on one element of each (broadcast) argument. */
  readonly ref: (...xs: number[]) => number;
  /** Argument shape tuples to test (defaults by arity, with broadcasting, scalars and size 0). */
  readonly shapes?: readonly (readonly Shape[])[];
  /** Distance from the nearest kink/jump (0 on it); absent for smooth ops. */
  readonly kinkDistance?: (...xs: number[]) => number;
}

export interface NdRecord extends RecordBase {
  readonly kind: 'nd';
  /** The float64 reference on whole arrays (naive loops from ref-eval.ts). */
  readonly ref: (...xs: RefArray[]) => RefArray;
  readonly shapes: readonly (readonly Shape[])[];
  /** How many terms each output sums (scales the tolerance); 1 when absent. */
  readonly reductionSize?: (shapes: readonly Shape[]) => number;
  /**
   * Per output element, the size of the quantities the result is computed from, where rounding
   * error lives: Σ|terms| for sums and contractions (they can cancel to a result far smaller than
   * their rounding error). The relative tolerance applies to max(|expected|, magnitude).
   */
  readonly magnitude?: (expected: RefArray, ...xs: RefArray[]) => readonly number[];
}

export type OpRecord = ElementwiseRecord | NdRecord;

const FLOATS: readonly DType[] = ['float32', 'float64'];
const NUMERIC: readonly DType[] = ['float32', 'float64', 'int32'];
const ALL: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

const same = (d: DType): DType => d;
const toFloat = (d: DType): DType => (d === 'float64' ? 'float64' : 'float32');
const toBool = (): DType => 'bool';
const toInt = (): DType => 'int32';
const sumDType = (d: DType): DType => (d === 'bool' ? 'int32' : d);

export const DEFAULT_SHAPES: Record<number, readonly (readonly Shape[])[]> = {
  1: [[[]], [[0]], [[7]], [[2, 3]], [[2, 0, 3]], [[1, 4, 1]]],
  2: [
    [[], []],
    [[0], [0]],
    [[5], [5]],
    [
      [2, 3],
      [2, 3],
    ],
    [[2, 3], [3]],
    [
      [2, 1],
      [1, 3],
    ],
    [[4], []],
    [[], [2, 2]],
    [
      [0, 3],
      [1, 3],
    ],
  ],
  3: [
    [[], [], []],
    [[0], [0], [0]],
    [[4], [4], [4]],
    [[2, 3], [3], []],
    [
      [2, 1],
      [1, 3],
      [2, 3],
    ],
    [[3], [], [1]],
  ],
};

type EwSpec = Omit<ElementwiseRecord, 'kind' | 'api' | 'differentiable' | 'linear' | 'multilinear' | 'ulps' | 'outDType'> &
  Partial<Pick<ElementwiseRecord, 'api' | 'differentiable' | 'linear' | 'multilinear' | 'ulps' | 'outDType'>>;
function ew(spec: EwSpec): ElementwiseRecord {
  return {
    kind: 'elementwise',
    api: spec.name,
    differentiable: false,
    linear: false,
    multilinear: false,
    ulps: 0,
    outDType: same,
    ...spec,
  };
}

type NdSpec = Omit<NdRecord, 'kind' | 'differentiable' | 'linear' | 'multilinear' | 'ulps' | 'outDType'> &
  Partial<Pick<NdRecord, 'differentiable' | 'linear' | 'multilinear' | 'ulps' | 'outDType'>>;
function nd(spec: NdSpec): NdRecord {
  return { kind: 'nd', differentiable: false, linear: false, multilinear: false, ulps: 0, outDType: same, ...spec };
}

const distToInteger = (x: number): number => Math.abs(x - Math.round(x));
const SMOOTH = { differentiable: true } as const;

const ELEMENTWISE: ElementwiseRecord[] = [
  // binary arithmetic
  ew({
    name: 'add',
    arity: 2,
    fn: (x, y) => np.add(x, y),
    ref: (x, y) => x + y,
    domain: [D.real(), D.real()],
    dtypes: NUMERIC,
    ulps: 1,
    linear: true,
    ...SMOOTH,
  }),
  ew({
    name: 'subtract',
    arity: 2,
    fn: (x, y) => np.subtract(x, y),
    ref: (x, y) => x - y,
    domain: [D.real(), D.real()],
    dtypes: NUMERIC,
    ulps: 1,
    linear: true,
    ...SMOOTH,
  }),
  ew({
    name: 'multiply',
    arity: 2,
    fn: (x, y) => np.multiply(x, y),
    ref: (x, y) => x * y,
    domain: [D.real(), D.real()],
    dtypes: NUMERIC,
    ulps: 1,
    multilinear: true,
    ...SMOOTH,
  }),
  ew({
    name: 'divide',
    arity: 2,
    fn: (x, y) => np.divide(x, y),
    ref: (x, y) => x / y,
    domain: [D.real(), D.nonzero()],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 1,
    ...SMOOTH,
  }),
  ew({
    name: 'power',
    arity: 2,
    fn: (x, y) => np.power(x, y),
    ref: (x, y) => x ** y,
    domain: [D.positive(0.1, 3), D.real(-3, 3, [0, 1, 2, 0.5])],
    intDomain: [D.integer(-4, 4), D.integer(0, 5)],
    dtypes: NUMERIC,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({
    name: 'maximum',
    arity: 2,
    fn: (x, y) => np.maximum(x, y),
    ref: Math.max,
    domain: [D.awayFromKinks(-3, 3, [0, 1, -1]), D.awayFromKinks(-3, 3, [0, 1, -1])],
    dtypes: ALL,
    kinkDistance: (x, y) => Math.abs(x - y),
    ...SMOOTH,
  }),
  ew({
    name: 'minimum',
    arity: 2,
    fn: (x, y) => np.minimum(x, y),
    ref: Math.min,
    domain: [D.awayFromKinks(-3, 3, [0, 1, -1]), D.awayFromKinks(-3, 3, [0, 1, -1])],
    dtypes: ALL,
    kinkDistance: (x, y) => Math.abs(x - y),
    ...SMOOTH,
  }),
  ew({
    name: 'arctan2',
    arity: 2,
    fn: (y, x) => np.arctan2(y, x),
    ref: Math.atan2,
    domain: [D.awayFromKinks(-3, 3, [0, 1, -1]), D.awayFromKinks(-3, 3, [0, 1, -1])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    // the branch cut along the negative x axis, and the origin
    kinkDistance: (y, x) => (x < 0 ? Math.abs(y) : Math.hypot(x, y)),
    ...SMOOTH,
  }),
  ew({
    name: 'remainder',
    arity: 2,
    fn: (x, y) => np.remainder(x, y),
    ref: R.remainderRef,
    domain: [D.awayFromKinks(-5, 5, [0, 3, -3, 1.5]), D.nonzero()],
    intDomain: [D.integer(-10, 10), D.integer(-4, 4, true)],
    dtypes: NUMERIC,
    ulps: 1,
    kinkDistance: (x, y) => distToInteger(x / y) * Math.abs(y),
    ...SMOOTH,
  }),
  ew({
    name: 'floorDivide',
    arity: 2,
    fn: (x, y) => np.floorDivide(x, y),
    ref: R.floorDivideRef,
    // 1 // 0.1 is 9: the exact quotient is just below 10 (0.1 is stored a little above 1/10)
    domain: [D.real(-5, 5, [0, 1, -1, 2.5, 3]), { ...D.nonzero(-3, 3, 0.1), special: [0.1, -0.1, 0.3, 0.5] }],
    intDomain: [D.integer(-10, 10), D.integer(-4, 4, true)],
    dtypes: NUMERIC,
  }),
  // comparisons and logic
  ...(
    [
      ['equal', np.equal, (x: number, y: number) => x === y],
      ['notEqual', np.notEqual, (x: number, y: number) => x !== y],
      ['less', np.less, (x: number, y: number) => x < y],
      ['lessEqual', np.lessEqual, (x: number, y: number) => x <= y],
      ['greater', np.greater, (x: number, y: number) => x > y],
      ['greaterEqual', np.greaterEqual, (x: number, y: number) => x >= y],
    ] as const
  ).map(([name, f, cmp]) =>
    ew({
      name,
      arity: 2,
      fn: (x, y) => f(x, y),
      ref: (x, y) => Number(cmp(x, y)),
      domain: [D.real(-2, 2, [0, 1, -1, 0.5]), D.real(-2, 2, [0, 1, -1, 0.5])],
      dtypes: ALL,
      outDType: toBool,
    }),
  ),
  ...(
    [
      ['logicalAnd', np.logicalAnd, (x: boolean, y: boolean) => x && y],
      ['logicalOr', np.logicalOr, (x: boolean, y: boolean) => x || y],
      ['logicalXor', np.logicalXor, (x: boolean, y: boolean) => x !== y],
    ] as const
  ).map(([name, f, op]) =>
    ew({
      name,
      arity: 2,
      fn: (x, y) => f(x, y),
      ref: (x, y) => Number(op(x !== 0, y !== 0)),
      domain: [D.real(-2, 2, [0]), D.real(-2, 2, [0])],
      dtypes: ['bool', 'int32', 'float32'],
      outDType: toBool,
    }),
  ),
  ew({
    name: 'logicalNot',
    arity: 1,
    fn: (x) => np.logicalNot(x),
    ref: (x) => Number(x === 0),
    domain: [D.real(-2, 2, [0])],
    dtypes: ['bool', 'int32', 'float32'],
    outDType: toBool,
  }),
  ew({
    name: 'where',
    arity: 3,
    fn: (c, x, y) => np.where(c, x, y),
    ref: (c, x, y) => (c !== 0 ? x : y),
    domain: [D.bool(), D.real(), D.real()],
    dtypes: ALL,
    linear: true,
    ...SMOOTH,
  }),
  ew({
    name: 'clip(x, -1, 1)',
    api: 'clip',
    arity: 1,
    fn: (x) => np.clip(x, -1, 1),
    ref: (x) => Math.min(Math.max(x, -1), 1),
    domain: [D.awayFromKinks(-2, 2, [-1, 1, 0])],
    dtypes: NUMERIC,
    kinkDistance: (x) => Math.min(Math.abs(x + 1), Math.abs(x - 1)),
    ...SMOOTH,
  }),
  ew({
    name: 'clip(x, lo, hi)',
    api: 'clip',
    arity: 3,
    fn: (x, lo, hi) => np.clip(x, lo, hi),
    ref: (x, lo, hi) => Math.min(Math.max(x, lo), hi),
    domain: [D.awayFromKinks(-2, 2), D.awayFromKinks(-2, 0), D.awayFromKinks(0, 2)],
    dtypes: NUMERIC,
    kinkDistance: (x, lo, hi) => Math.min(Math.abs(x - lo), Math.abs(x - hi)),
    ...SMOOTH,
  }),
  // unary
  ew({ name: 'negative', arity: 1, fn: (x) => np.negative(x), ref: (x) => -x, domain: [D.real(-3, 3, [0])], dtypes: NUMERIC, linear: true, ...SMOOTH }),
  ew({ name: 'exp', arity: 1, fn: (x) => np.exp(x), ref: Math.exp, domain: [D.real(-10, 10)], dtypes: NUMERIC, outDType: toFloat, ulps: 4, ...SMOOTH }),
  ew({
    name: 'log',
    arity: 1,
    fn: (x) => np.log(x),
    ref: Math.log,
    domain: [D.positive(0.01, 10, [1])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({
    name: 'log1p',
    arity: 1,
    fn: (x) => np.log1p(x),
    ref: Math.log1p,
    domain: [D.real(-0.9, 5, [0])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({
    name: 'expm1',
    arity: 1,
    fn: (x) => np.expm1(x),
    ref: Math.expm1,
    domain: [D.real(-5, 5, [0])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({
    name: 'exp2',
    arity: 1,
    fn: (x) => np.exp2(x),
    ref: (x) => 2 ** x,
    domain: [D.real(-5, 5, [0, 3, -1])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({ name: 'tanh', arity: 1, fn: (x) => np.tanh(x), ref: Math.tanh, domain: [D.real(-5, 5, [0])], dtypes: NUMERIC, outDType: toFloat, ulps: 4, ...SMOOTH }),
  ew({
    name: 'sigmoid',
    arity: 1,
    fn: (x) => np.sigmoid(x),
    // the form that never overflows, unlike the library's 1 / (1 + e^-x)
    ref: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    domain: [D.real(-10, 10, [0])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({
    name: 'sqrt',
    arity: 1,
    fn: (x) => np.sqrt(x),
    ref: Math.sqrt,
    domain: [D.positive(0, 10, [0, 1, 4])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 1,
    kinkDistance: (x) => x,
    ...SMOOTH,
  }),
  ew({
    name: 'rsqrt',
    arity: 1,
    fn: (x) => np.rsqrt(x),
    ref: (x) => 1 / Math.sqrt(x),
    domain: [D.positive(0.01, 10, [1])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({
    name: 'sin',
    arity: 1,
    fn: (x) => np.sin(x),
    ref: Math.sin,
    domain: [D.real(-6.5, 6.5, [0, Math.PI])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({
    name: 'cos',
    arity: 1,
    fn: (x) => np.cos(x),
    ref: Math.cos,
    domain: [D.real(-6.5, 6.5, [0, Math.PI / 2])],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 4,
    ...SMOOTH,
  }),
  ew({ name: 'tan', arity: 1, fn: (x) => np.tan(x), ref: Math.tan, domain: [D.real(-1.5, 1.5, [0])], dtypes: NUMERIC, outDType: toFloat, ulps: 4, ...SMOOTH }),
  ew({
    name: 'abs',
    arity: 1,
    fn: (x) => np.abs(x),
    ref: Math.abs,
    domain: [D.awayFromKinks(-3, 3, [0])],
    dtypes: NUMERIC,
    kinkDistance: (x) => Math.abs(x),
    ...SMOOTH,
  }),
  ew({ name: 'sign', arity: 1, fn: (x) => np.sign(x), ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), domain: [D.real(-3, 3, [0])], dtypes: NUMERIC }),
  ew({
    name: 'floor',
    arity: 1,
    fn: (x) => np.floor(x),
    ref: Math.floor,
    domain: [D.awayFromKinks(-5, 5, [0, 1, -1, 2.5, -2.5])],
    dtypes: NUMERIC,
    kinkDistance: distToInteger,
  }),
  ew({
    name: 'ceil',
    arity: 1,
    fn: (x) => np.ceil(x),
    ref: Math.ceil,
    domain: [D.awayFromKinks(-5, 5, [0, 1, -1, 2.5, -2.5])],
    dtypes: NUMERIC,
    kinkDistance: distToInteger,
  }),
  ew({
    name: 'round',
    arity: 1,
    fn: (x) => np.round(x),
    ref: R.roundHalfEvenRef,
    // exact halves test the ties-to-even rule
    domain: [D.awayFromKinks(-5, 5, [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 0])],
    dtypes: NUMERIC,
    kinkDistance: (x) => distToInteger(x - 0.5),
  }),
  ew({ name: 'square', arity: 1, fn: (x) => np.square(x), ref: (x) => x * x, domain: [D.real()], dtypes: NUMERIC, ulps: 1, ...SMOOTH }),
  ew({
    name: 'reciprocal',
    arity: 1,
    fn: (x) => np.reciprocal(x),
    ref: (x) => 1 / x,
    domain: [D.nonzero()],
    dtypes: NUMERIC,
    outDType: toFloat,
    ulps: 1,
    ...SMOOTH,
  }),
  ew({
    name: 'erfinv',
    arity: 1,
    fn: (x) => np.erfinv(x),
    ref: R.erfinvRef,
    domain: [D.real(-0.999, 0.999, [0, 0.5, -0.9])],
    dtypes: FLOATS,
    ulps: 4,
    accuracy: 'float32',
    ...SMOOTH,
  }),
  ew({
    name: 'relu',
    arity: 1,
    fn: (x) => np.relu(x),
    ref: (x) => Math.max(x, 0),
    domain: [D.awayFromKinks(-3, 3, [0])],
    dtypes: NUMERIC,
    kinkDistance: Math.abs,
    ...SMOOTH,
  }),
  ...(
    [
      ['isnan', np.isnan, Number.isNaN],
      ['isinf', np.isinf, (x: number) => Math.abs(x) === Infinity],
      ['isfinite', np.isfinite, Number.isFinite],
    ] as const
  ).map(([name, f, pred]) =>
    ew({
      name,
      arity: 1,
      fn: (x) => f(x),
      ref: (x) => Number(pred(x)),
      domain: [D.real(-3, 3, [Number.NaN, Infinity, -Infinity, 0])],
      dtypes: NUMERIC,
      outDType: toBool,
    }),
  ),
];

// --- non-elementwise ---

const abs = (x: RefArray): RefArray => R.refArray(x.shape, x.data.map(Math.abs));
const sq = (x: RefArray): RefArray =>
  R.refArray(
    x.shape,
    x.data.map((v) => v * v),
  );
/** Σ|terms|: the reference applied to |inputs| (for sums and contractions, which are multilinear). */
const termMagnitude =
  (ref: (...xs: RefArray[]) => RefArray) =>
  (_out: RefArray, ...xs: RefArray[]): number[] => [...ref(...xs.map(abs)).data];
const axesSize =
  (axes: readonly number[] | null) =>
  (shapes: readonly Shape[]): number => {
    const s = shapes[0] as Shape;
    return axes === null ? R.sizeOf(s) : axes.reduce((p, a) => p * (s[a < 0 ? a + s.length : a] as number), 1);
  };

const REDUCE_ALL: readonly (readonly Shape[])[] = [[[]], [[0]], [[5]], [[2, 3]], [[2, 0, 3]], [[3, 4, 2]]];
const REDUCE_AXIS1: readonly (readonly Shape[])[] = [[[2, 3]], [[2, 0]], [[3, 4, 2]], [[1, 5, 2]], [[0, 3, 2]]];
const REDUCE_AXIS02: readonly (readonly Shape[])[] = [[[3, 4, 2]], [[2, 0, 3]], [[1, 1, 1]], [[2, 3, 4]]];
const REDUCE_AXIS0: readonly (readonly Shape[])[] = [[[5]], [[2, 3]], [[0, 3]], [[3, 0]], [[4, 2]]];
// max/min/argmax/logsumexp have no identity: every reduced axis is non-empty
const NONEMPTY_ALL: readonly (readonly Shape[])[] = [[[]], [[1]], [[5]], [[2, 3]], [[3, 4, 2]]];
const NONEMPTY_AXIS1: readonly (readonly Shape[])[] = [[[2, 3]], [[3, 4, 2]], [[1, 5, 2]], [[0, 3, 2]]];
const TIES = D.awayFromKinks(-2, 2, [0, 1, -1]);

function reduction(
  api: 'sum' | 'mean' | 'prod',
  axes: readonly number[] | null,
  shapes: readonly (readonly Shape[])[],
  opts: { keepdims?: boolean } = {},
): NdRecord {
  const f = { sum: R.sumOf, mean: R.meanOf, prod: R.prodOf }[api];
  const ref = (x: RefArray) => R.reduceRef(x, axes, f, opts.keepdims);
  const axisArg = axes === null ? undefined : axes.length === 1 ? axes[0] : axes;
  return nd({
    name: `${api}(axis=${axes === null ? 'all' : axes.join(',')}${opts.keepdims ? ', keepdims' : ''})`,
    api,
    arity: 1,
    fn: (x) => np[api](x, axisArg, opts),
    ref,
    domain: [api === 'prod' ? D.real(-2, 2) : D.real()],
    dtypes: ALL,
    outDType: api === 'mean' ? toFloat : sumDType,
    shapes,
    reductionSize: axesSize(axes),
    ulps: api === 'mean' ? 2 : 1,
    // a sum can cancel; a product cannot
    ...(api === 'prod' ? {} : { magnitude: termMagnitude(ref) }),
    linear: api !== 'prod',
    differentiable: true,
  });
}

function extremum(api: 'max' | 'min', axis: number | null, shapes: readonly (readonly Shape[])[]): NdRecord {
  return nd({
    name: `${api}(axis=${axis ?? 'all'})`,
    api,
    arity: 1,
    fn: (x) => np[api](x, axis),
    ref: (x) => R.reduceRef(x, axis === null ? null : [axis], api === 'max' ? R.maxOf : R.minOf),
    domain: [TIES],
    dtypes: ALL,
    shapes,
    differentiable: true,
  });
}

function argExtremum(api: 'argmax' | 'argmin', axis: number | null, shapes: readonly (readonly Shape[])[]): NdRecord {
  const f = R.argOf(api === 'argmax');
  return nd({
    name: `${api}(axis=${axis ?? 'flat'})`,
    api,
    arity: 1,
    fn: (x) => np[api](x, axis),
    ref: (x) => (axis === null ? R.reduceRef(x, null, f) : R.reduceRef(x, [axis], f)),
    domain: [TIES],
    dtypes: ALL,
    outDType: toInt,
    shapes,
  });
}

function variance(api: 'var' | 'std', axes: readonly number[] | null, ddof: number, shapes: readonly (readonly Shape[])[]): NdRecord {
  const v = R.varOf(ddof);
  const f = api === 'var' ? v : (xs: readonly number[]) => Math.sqrt(v(xs));
  const axisArg = axes === null ? undefined : axes.length === 1 ? axes[0] : axes;
  return nd({
    name: `${api}(axis=${axes === null ? 'all' : axes.join(',')}, ddof=${ddof})`,
    api,
    arity: 1,
    fn: (x) => np[api](x, axisArg, { ddof }),
    ref: (x) => R.reduceRef(x, axes, f),
    domain: [D.real()],
    dtypes: NUMERIC,
    outDType: toFloat,
    shapes,
    reductionSize: axesSize(axes),
    ulps: 4,
    // two-pass: the centring rounds at the scale of the values, so the error is relative to
    // mean(x²) (≥ var), or its square root for std
    magnitude: (_out, x) => R.reduceRef(sq(x), axes, R.meanOf).data.map((m) => (api === 'var' ? m : Math.sqrt(m))),
    ...(api === 'std' ? { atol: (d: 'float32' | 'float64') => Math.sqrt(TINY[d]) } : {}),
    differentiable: true,
  });
}

function logsumexpRecord(axes: readonly number[] | null, shapes: readonly (readonly Shape[])[]): NdRecord {
  return nd({
    name: `logsumexp(axis=${axes === null ? 'all' : axes.join(',')})`,
    api: 'logsumexp',
    arity: 1,
    fn: (x) => np.logsumexp(x, axes ?? undefined),
    ref: (x) => R.reduceRef(x, axes, R.logsumexpOf),
    domain: [D.real(-5, 5)],
    dtypes: NUMERIC,
    outDType: toFloat,
    shapes,
    reductionSize: axesSize(axes),
    ulps: 4,
    // log(Σ e^(x-m)) + m: the log is accurate to ulps in absolute terms (its argument is in [1, n]),
    // the final add rounds at the scale of the result
    magnitude: (out, x) => {
      const n = axesSize(axes)([x.shape]);
      return out.data.map((v) => Math.abs(v) + 1 + Math.log(n));
    },
    differentiable: true,
  });
}

function softmaxRecord(api: 'softmax' | 'logSoftmax', axis: number, shapes: readonly (readonly Shape[])[]): NdRecord {
  const line = api === 'softmax' ? R.softmaxLine : R.logSoftmaxLine;
  return nd({
    name: `${api}(axis=${axis})`,
    api,
    arity: 1,
    fn: (x) => np[api](x, axis),
    ref: (x) => R.alongAxisRef(x, axis, line),
    domain: [D.real(-5, 5)],
    dtypes: NUMERIC,
    outDType: toFloat,
    shapes,
    reductionSize: (s) => {
      const shape = s[0] as Shape;
      return shape[axis < 0 ? axis + shape.length : axis] as number;
    },
    ulps: 4,
    // softmax: e^(x - max) carries the rounding of x - max as a relative error |x - max|·eps;
    // logSoftmax: x - logsumexp(x) rounds at the scale of both terms
    magnitude: (out, x) => {
      if (api === 'softmax') {
        const m = R.alongAxisRef(x, axis, (l) => l.map(() => R.maxOf(l)));
        return out.data.map((v, i) => Math.abs(v) * (1 + (m.data[i] as number) - (x.data[i] as number)));
      }
      const lse = R.alongAxisRef(x, axis, (l) => l.map(() => Math.abs(R.logsumexpOf(l)) + 1 + Math.log(l.length)));
      return x.data.map((v, i) => Math.abs(v) + (lse.data[i] as number));
    },
    differentiable: true,
  });
}

function contraction(
  name: string,
  api: string,
  arity: number,
  fn: (...xs: Tensor[]) => Tensor,
  ref: (...xs: RefArray[]) => RefArray,
  shapes: readonly (readonly Shape[])[],
  reductionSize: (s: readonly Shape[]) => number,
): NdRecord {
  return nd({
    name,
    api,
    arity,
    fn,
    ref,
    domain: Array.from({ length: arity }, () => D.real()),
    dtypes: NUMERIC,
    shapes,
    reductionSize,
    ulps: 1,
    magnitude: termMagnitude(ref),
    linear: arity === 1,
    multilinear: true,
    differentiable: true,
  });
}

function einsumRecord(spec: string, shapes: readonly (readonly Shape[])[]): NdRecord {
  const [lhs, rhs] = spec.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  const ref = (...xs: RefArray[]) => R.einsumRef(spec, ...xs);
  // labels summed over: those not in the output
  const reductionSize = (s: readonly Shape[]): number => {
    const out = rhs ?? '';
    const sizes = new Map<string, number>();
    terms.forEach((t, k) => {
      [...t].forEach((l, d) => {
        sizes.set(l, (s[k] as Shape)[d] as number);
      });
    });
    return [...sizes].filter(([l]) => !out.includes(l)).reduce((p, [, n]) => p * n, 1);
  };
  return contraction(`einsum('${spec}')`, 'einsum', terms.length, (...xs) => np.einsum(spec, ...xs), ref, shapes, reductionSize);
}

function movement(
  name: string,
  api: string,
  arity: number,
  fn: (...xs: Tensor[]) => Tensor,
  ref: (...xs: RefArray[]) => RefArray,
  shapes: readonly (readonly Shape[])[],
): NdRecord {
  return nd({ name, api, arity, fn, ref, domain: Array.from({ length: arity }, () => D.real()), dtypes: ALL, shapes, linear: true, differentiable: true });
}

const lastDim = (s: Shape): number => (s.length === 0 ? 1 : (s[s.length - 1] as number));

const ND: NdRecord[] = [
  reduction('sum', null, REDUCE_ALL),
  reduction('sum', [1], REDUCE_AXIS1),
  reduction('sum', [-1], REDUCE_AXIS1, { keepdims: true }),
  reduction('sum', [0, 2], REDUCE_AXIS02),
  reduction('mean', null, REDUCE_ALL),
  reduction('mean', [0], REDUCE_AXIS0),
  reduction('mean', [0, 2], REDUCE_AXIS02, { keepdims: true }),
  reduction('prod', null, REDUCE_ALL),
  reduction('prod', [0], REDUCE_AXIS0),
  extremum('max', null, NONEMPTY_ALL),
  extremum('max', 1, NONEMPTY_AXIS1),
  extremum('min', null, NONEMPTY_ALL),
  extremum('min', 1, NONEMPTY_AXIS1),
  argExtremum('argmax', null, NONEMPTY_ALL),
  argExtremum('argmax', 1, NONEMPTY_AXIS1),
  argExtremum('argmin', null, NONEMPTY_ALL),
  argExtremum('argmin', 1, NONEMPTY_AXIS1),
  variance('var', null, 0, REDUCE_ALL),
  variance('var', [0], 1, REDUCE_AXIS0),
  variance('std', null, 0, REDUCE_ALL),
  variance('std', [1], 1, REDUCE_AXIS1),
  logsumexpRecord(null, NONEMPTY_ALL),
  logsumexpRecord([1], NONEMPTY_AXIS1),
  softmaxRecord('softmax', -1, [[[5]], [[2, 3]], [[3, 1]], [[0, 3]]]),
  softmaxRecord('softmax', 0, [[[5]], [[2, 3]], [[1, 4]], [[3, 0]]]),
  softmaxRecord('logSoftmax', -1, [[[5]], [[2, 3]], [[3, 1]], [[0, 3]]]),
  contraction(
    'matmul',
    'matmul',
    2,
    (a, b) => np.matmul(a, b),
    R.matmulRef,
    [
      [
        [2, 3],
        [3, 4],
      ],
      [[3], [3]],
      [[3], [3, 2]],
      [[2, 3], [3]],
      [
        [2, 1, 2, 3],
        [4, 3, 2],
      ],
      [
        [0, 3],
        [3, 2],
      ],
      [
        [2, 0],
        [0, 3],
      ],
      [
        [5, 2, 3],
        [3, 1],
      ],
    ],
    (s) => lastDim(s[0] as Shape),
  ),
  contraction(
    'dot',
    'dot',
    2,
    (a, b) => np.dot(a, b),
    R.dotRef,
    [
      [[4], [4]],
      [
        [2, 3],
        [3, 4],
      ],
      [[2, 3], [3]],
      [[], [3]],
      [
        [2, 3, 4],
        [5, 4, 2],
      ],
      [[0], [0]],
    ],
    (s) => ((s[0] as Shape).length === 0 || (s[1] as Shape).length === 0 ? 1 : lastDim(s[0] as Shape)),
  ),
  contraction(
    'tensordot(axes=2)',
    'tensordot',
    2,
    (a, b) => np.tensordot(a, b, 2),
    (a, b) => R.tensordotRef(a, b, [a.shape.length - 2, a.shape.length - 1], [0, 1]),
    [
      [
        [2, 3, 4],
        [3, 4, 5],
      ],
      [
        [3, 4],
        [3, 4],
      ],
      [
        [2, 0, 3],
        [0, 3, 2],
      ],
    ],
    (s) => R.sizeOf((s[0] as Shape).slice(-2)),
  ),
  contraction(
    'tensordot(axes=[[0],[1]])',
    'tensordot',
    2,
    (a, b) => np.tensordot(a, b, [[0], [1]]),
    (a, b) => R.tensordotRef(a, b, [0], [1]),
    [
      [
        [3, 2],
        [4, 3],
      ],
      [[3], [2, 3, 2]],
      [
        [0, 2],
        [4, 0],
      ],
    ],
    (s) => (s[0] as Shape)[0] as number,
  ),
  contraction(
    'tensordot(axes=0)',
    'tensordot',
    2,
    (a, b) => np.tensordot(a, b, 0),
    (a, b) => R.tensordotRef(a, b, [], []),
    [
      [[2], [3]],
      [[2, 2], [3]],
      [[0], [2]],
    ],
    () => 1,
  ),
  einsumRecord('ij,jk->ik', [
    [
      [2, 3],
      [3, 4],
    ],
    [
      [0, 3],
      [3, 2],
    ],
    [
      [2, 0],
      [0, 3],
    ],
  ]),
  einsumRecord('bij,bjk->bik', [
    [
      [2, 3, 4],
      [2, 4, 2],
    ],
    [
      [0, 2, 2],
      [0, 2, 3],
    ],
  ]),
  einsumRecord('ii->', [[[3, 3]], [[1, 1]], [[0, 0]]]),
  einsumRecord('ij->ji', [[[2, 3]], [[0, 4]]]),
  einsumRecord('ij->', [[[2, 3]], [[0, 4]]]),
  einsumRecord('i,i->', [
    [[5], [5]],
    [[0], [0]],
  ]),
  einsumRecord('ij,j->i', [
    [[3, 4], [4]],
    [[2, 0], [0]],
  ]),
  einsumRecord('i,j->ij', [
    [[3], [2]],
    [[0], [3]],
  ]),
  einsumRecord('ijk,ikl->jl', [
    [
      [2, 3, 4],
      [2, 4, 2],
    ],
  ]),
  einsumRecord('ij,jk,kl->il', [
    [
      [2, 3],
      [3, 4],
      [4, 2],
    ],
  ]),
  movement(
    'reshape(-1)',
    'reshape',
    1,
    (x) => np.reshape(x, [-1]),
    (x) => R.reshapeRef(x, [-1]),
    [[[2, 3, 4]], [[]], [[0, 2]], [[5]]],
  ),
  movement(
    'reshape(3, -1)',
    'reshape',
    1,
    (x) => np.reshape(x, [3, -1]),
    (x) => R.reshapeRef(x, [3, -1]),
    [[[6]], [[3, 4]], [[3, 0]], [[2, 3, 1]]],
  ),
  movement(
    'transpose',
    'transpose',
    1,
    (x) => np.transpose(x),
    (x) => R.transposeRef(x),
    [[[2, 3]], [[2, 3, 4]], [[]], [[0, 3]], [[5]]],
  ),
  movement(
    'transpose(1, 2, 0)',
    'transpose',
    1,
    (x) => np.transpose(x, [1, 2, 0]),
    (x) => R.transposeRef(x, [1, 2, 0]),
    [[[2, 3, 4]], [[2, 0, 3]], [[1, 1, 5]]],
  ),
  movement(
    'concatenate(axis=0)',
    'concatenate',
    3,
    (...xs) => np.concatenate(xs, 0),
    (...xs) => R.concatRef(xs, 0),
    [
      [
        [2, 3],
        [1, 3],
        [0, 3],
      ],
      [[1], [2], [3]],
      [[0], [0], [0]],
    ],
  ),
  movement(
    'concatenate(axis=-1)',
    'concatenate',
    3,
    (...xs) => np.concatenate(xs, -1),
    (...xs) => R.concatRef(xs, -1),
    [
      [
        [2, 1],
        [2, 3],
        [2, 0],
      ],
      [
        [1, 2, 2],
        [1, 2, 1],
        [1, 2, 3],
      ],
    ],
  ),
  movement(
    'stack(axis=0)',
    'stack',
    2,
    (...xs) => np.stack(xs, 0),
    (...xs) => R.stackRef(xs, 0),
    [
      [[], []],
      [[3], [3]],
      [
        [2, 3],
        [2, 3],
      ],
      [[0], [0]],
    ],
  ),
  movement(
    'stack(axis=-1)',
    'stack',
    3,
    (...xs) => np.stack(xs, -1),
    (...xs) => R.stackRef(xs, -1),
    [
      [[], [], []],
      [[3], [3], [3]],
      [
        [2, 0],
        [2, 0],
        [2, 0],
      ],
    ],
  ),
  nd({
    name: 'take(flat)',
    api: 'take',
    arity: 2,
    fn: (x, i) => np.take(x, i),
    ref: (x, i) => R.takeRef(x, i),
    domain: [D.real(), D.index(-6, 5)],
    dtypes: ALL,
    shapes: [
      [[2, 3], [4]],
      [[6], [2, 2]],
      [[3, 2], [0]],
      [[6], []],
    ],
    linear: true,
    differentiable: true,
  }),
  nd({
    name: 'take(axis=1)',
    api: 'take',
    arity: 2,
    fn: (x, i) => np.take(x, i, 1),
    ref: (x, i) => R.takeRef(x, i, 1),
    domain: [D.real(), D.index(-5, 4)],
    dtypes: ALL,
    shapes: [
      [[2, 5], [3]],
      [
        [2, 5],
        [2, 2],
      ],
      [[0, 5], [3]],
      [[3, 5], [0]],
    ],
    linear: true,
    differentiable: true,
  }),
  nd({
    name: 'oneHot(4)',
    api: 'oneHot',
    arity: 1,
    fn: (x) => np.oneHot(x, 4),
    ref: (x) => R.oneHotRef(x, 4),
    // -1 and 4 are out of range: a row of zeros
    domain: [D.index(-1, 4)],
    dtypes: ['int32'],
    outDType: () => 'float32',
    shapes: [[[]], [[5]], [[2, 3]], [[0]]],
  }),
  nd({
    name: 'sort(axis=-1)',
    api: 'sort',
    arity: 1,
    fn: (x) => np.sort(x, -1),
    ref: (x) => (x.shape.length === 0 ? x : R.alongAxisRef(x, -1, (l) => R.argsortLine(l).map((i) => l[i] as number))),
    domain: [TIES],
    dtypes: NUMERIC,
    shapes: [[[]], [[5]], [[2, 3]], [[0]], [[3, 0]], [[2, 1, 4]]],
    differentiable: true,
  }),
  nd({
    name: 'argsort(axis=0)',
    api: 'argsort',
    arity: 1,
    fn: (x) => np.argsort(x, 0),
    ref: (x) => R.alongAxisRef(x, 0, R.argsortLine),
    domain: [TIES],
    dtypes: NUMERIC,
    outDType: toInt,
    shapes: [[[5]], [[3, 2]], [[0, 2]], [[4, 0]]],
  }),
];

export const OP_TABLE: readonly OpRecord[] = [...ELEMENTWISE, ...ND];

// ---------------------------------------------------------------------------------------------
// Tolerances
// ---------------------------------------------------------------------------------------------

export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/** Machine epsilon: the gap between 1 and the next float, an upper bound on one ulp relative to the value. */
export const EPS = { float32: 2 ** -23, float64: 2 ** -52 } as const;
/** Smallest normal values: results below them may underflow (or flush) to subnormals or zero. */
const TINY = { float32: 2 ** -126, float64: 2 ** -1022 } as const;

/**
 * Tolerance for a result of `dtype` that sums `reductionSize` terms, for an op accurate to `ulps`
 * (see {@link RecordBase.ulps}).
 *
 * The reference is exact to float64 on the very same (dtype-rounded) inputs, so only the op's own
 * rounding counts: a correctly rounded operation is off by ≤ ½ ulp ≤ ½·eps relative; libm and GPU
 * transcendentals promise a few ulps; a composite rounds each intermediate once. A reduction of n
 * terms rounds n - 1 partial sums; independent errors of random sign grow like √n (the usual
 * probabilistic bound, Higham §2.8; the worst case is linear but a float64 accumulator, as the CPU
 * backend uses, stays far below either). Hence rtol = ulps · eps · √n, applied to the magnitude of
 * the terms where they can cancel (the records' `magnitude`). atol only absorbs underflow of
 * results below the normal range. int32 and bool results, and ops with ulps = 0, are exact.
 */
export function tolerance(dtype: DType, reductionSize = 1, ulps = 1): Tolerance {
  if (dtype === 'int32' || dtype === 'bool' || ulps === 0) return { atol: 0, rtol: 0 };
  return { atol: TINY[dtype], rtol: ulps * EPS[dtype] * Math.sqrt(Math.max(1, reductionSize)) };
}

export interface CloseContext {
  readonly op: string;
  readonly dtype?: DType;
  /** Shape of the result, to print multi-indices. */
  readonly shape?: Shape;
  /** Describes the inputs behind output element `i` (for elementwise ops). */
  readonly inputsAt?: (i: number) => string;
}

const fmt = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

/**
 * Asserts |actual - expected| ≤ atol + rtol·max(|expected|, magnitude) elementwise; NaN matches
 * NaN and equal infinities match (any other non-finite mismatch fails).
 */
export function assertClose(
  actual: TypedArray | readonly number[],
  expected: readonly number[],
  tol: Tolerance,
  context: string | CloseContext,
  magnitude?: readonly number[],
): void {
  const ctx: CloseContext = typeof context === 'string' ? { op: context } : context;
  const what = `${ctx.op}${ctx.dtype ? ` ${ctx.dtype}` : ''}${ctx.shape ? ` → [${ctx.shape.join(',')}]` : ''}`;
  if (actual.length !== expected.length) throw new Error(`${what}: got ${actual.length} elements, expected ${expected.length}`);
  let bad = 0;
  let first = '';
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    const scale = Math.max(Math.abs(b), magnitude?.[i] ?? 0);
    const bound = tol.atol + tol.rtol * scale;
    const diff = Math.abs(a - b);
    if (Number.isFinite(a) && Number.isFinite(b) && diff <= bound) continue;
    if (bad++ === 0) {
      const at = ctx.shape && ctx.shape.length > 1 ? ` [${R.unravel(i, ctx.shape).join(',')}]` : '';
      first =
        `element ${i}${at}: actual ${fmt(a)}, expected ${fmt(b)}, |diff| ${diff.toPrecision(3)} > ${bound.toPrecision(3)}` +
        ` (atol ${tol.atol.toPrecision(3)} + rtol ${tol.rtol.toPrecision(3)} × ${scale.toPrecision(3)})` +
        (ctx.inputsAt ? `; inputs ${ctx.inputsAt(i)}` : '');
    }
  }
  if (bad > 0) throw new Error(`${what}: ${bad} of ${expected.length} elements differ; first ${first}`);
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** One generated test case: per argument, a shape, a dtype and dtype-exact values (as float64). */
export interface OpCase {
  readonly shapes: readonly Shape[];
  readonly dtypes: readonly DType[];
  readonly values: readonly (readonly number[])[];
}

export function shapesOf(rec: OpRecord): readonly (readonly Shape[])[] {
  return rec.kind === 'nd' ? rec.shapes : (rec.shapes ?? (DEFAULT_SHAPES[rec.arity] as readonly (readonly Shape[])[]));
}

export function domainsFor(rec: OpRecord, dtype: DType): readonly Domain[] {
  return dtype === 'int32' && rec.intDomain ? rec.intDomain : rec.domain;
}

/** Rounds a float64 to what `dtype` stores. */
export function roundTo(dtype: DType, v: number): number {
  if (dtype === 'float32') return Math.fround(v);
  if (dtype === 'int32') return Math.trunc(v) | 0;
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  return v;
}

/** One value from `domain`, exactly representable in `dtype`. */
export function valueArbitrary(domain: Domain, dtype: DType): fc.Arbitrary<number> {
  if (dtype === 'bool') return fc.constantFrom(0, 1);
  const isInt = dtype === 'int32' || domain.kind === 'integer' || domain.kind === 'index';
  if (domain.values) {
    const vs = domain.values.filter((v) => !isInt || Number.isInteger(v)).map((v) => roundTo(dtype, v));
    return fc.constantFrom(...vs);
  }
  let base: fc.Arbitrary<number>;
  if (isInt) {
    const lo = Math.ceil(domain.min);
    const hi = Math.floor(domain.max);
    base = fc.integer({ min: lo, max: hi });
    if (domain.avoidZero) base = base.filter((v) => v !== 0);
  } else {
    const margin = domain.avoidZero ?? 0;
    base = fc.double({ min: domain.min, max: domain.max, noNaN: true }).map((v) => (Math.abs(v) < margin ? (v < 0 || Object.is(v, -0) ? -margin : margin) : v));
  }
  base = base.map((v) => roundTo(dtype, v));
  const special = (domain.special ?? []).filter((v) => !isInt || Number.isInteger(v)).map((v) => roundTo(dtype, v));
  if (special.length === 0) return base;
  return fc.oneof({ arbitrary: base, weight: 4 }, { arbitrary: fc.constantFrom(...special), weight: 1 });
}

/** The dtype of each argument when `rec` is tested at `dtype`. */
export function argDTypes(rec: OpRecord, dtype: DType): DType[] {
  return domainsFor(rec, dtype).map((d) => d.dtype ?? dtype);
}

/** Cases for `rec` at `dtype`: one of its shape tuples, then values from each argument's domain. */
export function caseArbitrary(rec: OpRecord, dtype: DType): fc.Arbitrary<OpCase> {
  const domains = domainsFor(rec, dtype);
  const dtypes = argDTypes(rec, dtype);
  return fc.constantFrom(...shapesOf(rec)).chain((shapes) => {
    const args = shapes.map((s, k) => {
      const n = R.sizeOf(s);
      return fc.array(valueArbitrary(domains[k] as Domain, dtypes[k] as DType), { minLength: n, maxLength: n });
    });
    return fc.tuple(...args).map((values): OpCase => ({ shapes, dtypes, values }));
  });
}

function typedFor(dtype: DType, values: readonly number[]): TypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    default:
      return Uint8Array.from(values);
  }
}

/** An array of `shape` and `dtype` holding `values` (row-major). */
export function toArray(values: readonly number[], shape: Shape, dtype: DType): Tensor {
  return np.array(typedFor(dtype, values), { shape, dtype });
}

export function caseInputs(c: OpCase): Tensor[] {
  return c.shapes.map((s, k) => toArray(c.values[k] as number[], s, c.dtypes[k] as DType));
}

export function caseRefInputs(c: OpCase): RefArray[] {
  return c.shapes.map((s, k) => R.refArray(s, c.values[k] as number[]));
}

/** The float64 reference result of a case. */
export function expectedOf(rec: OpRecord, c: OpCase): RefArray {
  const xs = caseRefInputs(c);
  return rec.kind === 'elementwise' ? R.mapRef(rec.ref, ...xs) : rec.ref(...xs);
}

/** The tolerance a case is judged by, from the result dtype and the reduction size. */
export function caseTolerance(rec: OpRecord, dtype: DType, c: OpCase): Tolerance {
  const out = rec.outDType(dtype);
  const tolDType = rec.accuracy === 'float32' && out === 'float64' ? 'float32' : out;
  const n = rec.kind === 'nd' && rec.reductionSize ? rec.reductionSize(c.shapes) : 1;
  const tol = tolerance(tolDType, n, rec.ulps);
  return rec.atol && (tolDType === 'float32' || tolDType === 'float64') ? { ...tol, atol: Math.max(tol.atol, rec.atol(tolDType)) } : tol;
}

/**
 * Evaluates a case with `evaluate` (the record's own np call by default; a vmapped, jitted or
 * other-backend version in later tests) and checks dtype, shape and values against the reference.
 */
export function checkCase(rec: OpRecord, dtype: DType, c: OpCase, evaluate: (...xs: Tensor[]) => Tensor = rec.fn): void {
  const inputs = caseInputs(c);
  const out = evaluate(...inputs);
  checkResult(rec, dtype, c, out, out.dataSync());
}

/** Checks a case's result `out` and its values `actual` (read by the caller: asynchronously on webgpu). */
export function checkResult(rec: OpRecord, dtype: DType, c: OpCase, out: Tensor, actual: TypedArray): void {
  const expected = expectedOf(rec, c);
  const what = `${rec.name} at ${dtype} with shapes ${c.shapes.map((s) => `[${s.join(',')}]`).join(' ')}`;
  const outDType = rec.outDType(dtype);
  if (out.dtype !== outDType) throw new Error(`${what}: result dtype ${out.dtype}, expected ${outDType}`);
  if (out.shape.length !== expected.shape.length || out.shape.some((d, i) => d !== expected.shape[i])) {
    throw new Error(`${what}: result shape [${out.shape.join(',')}], expected [${expected.shape.join(',')}]`);
  }
  const magnitude = rec.kind === 'nd' && rec.magnitude ? rec.magnitude(expected, ...caseRefInputs(c)) : undefined;
  const inputsAt =
    rec.kind === 'elementwise'
      ? (i: number): string => {
          const idx = R.unravel(i, expected.shape);
          return caseRefInputs(c)
            .map((x) => {
              const off = idx.length - x.shape.length;
              const j = x.shape.map((n, d) => (n === 1 ? 0 : (idx[off + d] as number)));
              return fmt(x.data[R.ravelIndex(j, x.shape)] as number);
            })
            .join(', ');
        }
      : undefined;
  assertClose(actual, expected.data, caseTolerance(rec, dtype, c), { op: what, shape: expected.shape, ...(inputsAt ? { inputsAt } : {}) }, magnitude);
}
