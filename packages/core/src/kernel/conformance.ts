// The element-semantics conformance table: what each operation of the kernel IR gives on the
// values where languages disagree (int32 overflow and division by zero, shift counts past 31, NaN
// in comparisons and min/max, pow's special cases, float → int casts, signed zeros, rounding
// ties). The semantics are exp.ts's header (NumPy/XLA's); every renderer (the CPU's JavaScript
// here, WebGPU and WebAssembly in their own packages) runs this one table through
// `checkElementSemantics` rather than keeping its own list of edge cases.
import { ShapedArray } from '../aval.js';
import type { Backend, DataHandle } from '../backend/backend.js';
import { type DType, INT32_MAX, INT32_MIN, type TypedArray } from '../dtype.js';
import { ELEMENTWISE, type ElementwiseEntry, type ElementwisePrimitive } from '../primitives/elementwise-table.js';
import { binary, bitcast, cast, constant, type Exp, load, loopIndex, variable, where } from './exp.js';
import type { Kernel } from './kernel.js';
import { flatKernel } from './lower/elementwise.js';

/**
 * How far a result may be from `expected`: in units in the last place of the output dtype, or as
 * a relative error. Only finite nonzero expected values use it: zeros (with their sign),
 * infinities and NaN must always match exactly.
 */
export type Tolerance = { readonly ulps: number } | { readonly rel: number };

/** One kernel of the table: `out[i] = exp(in0[i], in1[i], ...)` over the listed elements. */
export interface ElementCase {
  /** The operation and what the case checks, e.g. `div: truncates toward zero; x / 0 = 0`. */
  readonly name: string;
  /** The operands' dtype (the first operand's where `argDTypes` differ). */
  readonly dtype: DType;
  /** Per-operand dtypes when they differ (select's bool condition); otherwise all are `dtype`. */
  readonly argDTypes?: readonly DType[];
  /** One list of values per operand, all of one length (bool as 0/1). */
  readonly args: readonly (readonly number[])[];
  /** The exact outputs (bool as 0/1); float32 outputs are float32 values. */
  readonly expected: readonly number[];
  /** The element's expression from one loaded value per operand. */
  readonly exp: (...operands: Exp[]) => Exp;
  /** The table primitive the case runs through its entry (`ELEMENTWISE[primitive].exp`), if any. */
  readonly primitive?: ElementwisePrimitive;
  /** Absent: every output must match exactly (`Object.is`, so NaN equals NaN and -0 is not +0). */
  readonly tolerance?: Tolerance;
  /** Why the CPU renderer does not pass this case yet: the check skips it unless asked. */
  readonly knownIssue?: string;
}

const inf = Number.POSITIVE_INFINITY;
const MIN = INT32_MIN;
const MAX = INT32_MAX;
const F32_MAX = 3.4028234663852886e38;

interface Extra {
  readonly argDTypes?: readonly DType[];
  readonly tolerance?: Tolerance;
  readonly knownIssue?: string;
}

/** A case of an IR expression. */
function op(
  name: string,
  dtype: DType,
  exp: (...operands: Exp[]) => Exp,
  args: readonly (readonly number[])[],
  expected: readonly number[],
  extra: Extra = {},
): ElementCase {
  return { name, dtype, args, expected, exp, ...extra };
}

/** A case of a table primitive, through its entry (so the entry's expression is what is checked). */
function prim(
  p: ElementwisePrimitive,
  note: string,
  dtype: DType,
  args: readonly (readonly number[])[],
  expected: readonly number[],
  extra: Extra = {},
): ElementCase {
  const entry: ElementwiseEntry = ELEMENTWISE[p];
  return { name: `${p}: ${note}`, dtype, args, expected, exp: entry.exp, primitive: p, ...extra };
}

const castTo = (to: DType) => (x: Exp) => cast(x, to);

// the six comparisons over one pair of operand lists, `want` giving each one's outputs
function comparisons(
  note: string,
  dtype: DType,
  args: readonly (readonly number[])[],
  want: Record<'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', number[]>,
): ElementCase[] {
  return (Object.keys(want) as (keyof typeof want)[]).map((p) => prim(p, note, dtype, args, want[p]));
}

function int32Cases(): ElementCase[] {
  const d = 'int32';
  return [
    prim(
      'add',
      'wraps',
      d,
      [
        [MAX, MIN, 5],
        [1, -1, -7],
      ],
      [MIN, MAX, -2],
    ),
    prim(
      'sub',
      'wraps',
      d,
      [
        [MIN, MAX, 3],
        [1, -1, 5],
      ],
      [MAX, MIN, -2],
    ),
    prim(
      'mul',
      'wraps',
      d,
      [
        [65536, MAX, MIN, -3],
        [65536, 2, -1, 7],
      ],
      [0, -2, MIN, -21],
    ),
    prim('neg', 'wraps at INT32_MIN', d, [[MIN, MAX, 0, 5]], [MIN, -MAX, 0, -5]),
    prim('abs', 'wraps at INT32_MIN', d, [[MIN, -MAX, -5, 0]], [MIN, MAX, 5, 0]),
    prim(
      'div',
      'truncates toward zero; x / 0 = 0; INT32_MIN / -1 wraps',
      d,
      [
        [7, -7, 7, -7, 5, -5, 0, MIN, MIN, MAX],
        [2, 2, -2, -2, 0, 0, 0, -1, 1, -1],
      ],
      [3, -3, -3, 3, 0, 0, 0, MIN, MIN, -MAX],
    ),
    prim(
      'rem',
      "takes the dividend's sign; x % 0 = 0; INT32_MIN % -1 = 0",
      d,
      [
        [7, -7, 7, -7, 5, -5, MIN, MIN],
        [2, 2, -2, -2, 0, 0, -1, 2],
      ],
      [1, -1, 1, -1, 0, 0, 0, 0],
    ),
    prim(
      'pow',
      'squares with wrap; a negative exponent gives 0 except for bases 1 and -1',
      d,
      [
        [2, 2, 3, -2, 7, 0, 1, -1, -1, 2, 0, -1],
        [10, 31, 20, 31, 0, 0, -5, -3, -2, -1, -1, MIN],
      ],
      // 3^20 = 3486784401 wraps to -808182895
      [1024, MIN, -808182895, MIN, 1, 1, 1, -1, 1, 0, 0, 1],
    ),
    prim(
      'shift_left',
      'a count outside [0, 32) gives 0',
      d,
      [
        [1, 1, 1, 1, 1, 3, -1],
        [0, 31, 32, 33, -1, 30, 1],
      ],
      [1, MIN, 0, 0, 0, -1073741824, -2],
    ),
    prim(
      'shift_right_logical',
      'a count outside [0, 32) gives 0',
      d,
      [
        [-1, MIN, -1, -1, -1, 8, -8],
        [0, 31, 32, 33, -1, 1, 28],
      ],
      [-1, 1, 0, 0, 0, 4, 15],
    ),
    prim(
      'shift_right_arithmetic',
      'a count outside [0, 32) gives the sign',
      d,
      [
        [-8, MIN, -8, 8, -8, 8, -8, MAX],
        [0, 31, 32, 32, 33, -1, -1, 30],
      ],
      [-8, -1, -1, 0, -1, 0, -1, 1],
    ),
    prim(
      'and',
      'bitwise',
      d,
      [
        [-1, MIN, 12],
        [MIN, MAX, 10],
      ],
      [MIN, 0, 8],
    ),
    prim(
      'or',
      'bitwise',
      d,
      [
        [MIN, 12, 0],
        [MAX, 10, 0],
      ],
      [-1, 14, 0],
    ),
    prim(
      'xor',
      'bitwise',
      d,
      [
        [MAX, 12, -1],
        [-1, 10, -1],
      ],
      [MIN, 6, 0],
    ),
    prim('not', 'bitwise on int32', d, [[0, -1, MIN, 5]], [-1, 0, MAX, -6]),
    prim(
      'max',
      'int32',
      d,
      [
        [MIN, -1, 3],
        [MAX, 0, 3],
      ],
      [MAX, 0, 3],
    ),
    prim(
      'min',
      'int32',
      d,
      [
        [MIN, -1, 3],
        [MAX, 0, 3],
      ],
      [MIN, -1, 3],
    ),
    ...comparisons(
      'int32 extremes',
      d,
      [
        [MIN, 0, 5],
        [MAX, 0, -5],
      ],
      {
        eq: [0, 1, 0],
        ne: [1, 0, 1],
        lt: [1, 0, 0],
        le: [1, 1, 0],
        gt: [0, 0, 1],
        ge: [0, 1, 1],
      },
    ),
    prim('sign', 'int32', d, [[MIN, -5, 0, 7, MAX]], [-1, -1, 0, 1, 1]),
    prim('floor', 'identity on int32', d, [[MIN, -3, MAX]], [MIN, -3, MAX]),
    prim('ceil', 'identity on int32', d, [[MIN, -3, MAX]], [MIN, -3, MAX]),
    prim('round', 'identity on int32', d, [[MIN, -3, MAX]], [MIN, -3, MAX]),
    op('cast int32 → bool: x != 0', d, castTo('bool'), [[0, -1, MIN, 7]], [0, 1, 1, 1]),
    // float32 holds 24 significant bits: ties go to even
    op(
      'cast int32 → float32 rounds to nearest even',
      d,
      castTo('float32'),
      [[16777217, 16777219, -16777217, MAX, MIN]],
      [16777216, 16777220, -16777216, 2147483648, MIN],
    ),
    op('cast int32 → float64 is exact', d, castTo('float64'), [[MAX, MIN, -1]], [MAX, MIN, -1]),
    op(
      'bitcast int32 → float32 reinterprets the bits',
      d,
      (x) => bitcast(x, 'float32'),
      [[1065353216, MIN, 2143289344, -1082130432, 2139095040, -8388608, 0]],
      [1, -0, Number.NaN, -1, inf, -inf, 0],
    ),
    op(
      'bitcast int32 → float32 → int32 round-trips (canonical quiet NaN included)',
      d,
      (x) => bitcast(bitcast(x, 'float32'), 'int32'),
      [[2143289344, 1065353216, MIN, 0, -1082130432]],
      [2143289344, 1065353216, MIN, 0, -1082130432],
    ),
    // `var` 0 of a flat kernel is its element count (3 here); `idx` 0 is the element's position
    op('idx and var as values: x + i0 * v0', d, (x) => binary('add', x, binary('mul', loopIndex(0), variable(0))), [[10, 10, 10]], [10, 13, 16]),
    op(
      'cast int32 → float32 rounds inside an expression: cast<f32>(x) - 16777216',
      d,
      (x) => binary('sub', cast(x, 'float32'), constant(16777216, 'float32')),
      [[16777217, 16777219, 16777216]],
      [0, 4, 0],
    ),
  ];
}

function floatCases(d: 'float32' | 'float64'): ElementCase[] {
  const f32 = d === 'float32';
  // a value of this dtype: float32 operands and results must be float32 values
  const r = (x: number) => (f32 ? Math.fround(x) : x);
  const nan = Number.NaN;
  const fmax = f32 ? F32_MAX : Number.MAX_VALUE;
  const pi = r(Math.PI);
  return [
    prim(
      'add',
      'IEEE: inf + -inf is NaN, signed zeros, rounding to the dtype, overflow to inf',
      d,
      [
        [inf, -0, 0, nan, r(0.1), 16777216, r(3e38)],
        [-inf, -0, -0, 1, r(0.2), 1, r(3e38)],
      ],
      [nan, -0, 0, nan, r(r(0.1) + r(0.2)), f32 ? 16777216 : 16777217, f32 ? inf : 2 * r(3e38)],
    ),
    prim(
      'sub',
      'IEEE: inf - inf is NaN, signed zeros',
      d,
      [
        [inf, 0, -0, 1, nan],
        [inf, 0, 0, 1, 1],
      ],
      [nan, 0, -0, 0, nan],
    ),
    prim(
      'mul',
      'IEEE: 0 * inf is NaN, signed zeros, overflow to inf',
      d,
      [
        [0, -0, -2, r(1e20), nan],
        [inf, 5, -0, r(1e20), 0],
      ],
      [nan, -0, 0, f32 ? inf : 1e20 * 1e20, nan],
    ),
    prim(
      'div',
      'IEEE: x / ±0 is ±inf, 0 / 0 is NaN, signed zeros',
      d,
      [
        [1, -1, 1, -1, 0, -0, 1, -1, inf, 7, 1],
        [0, 0, -0, -0, 0, 5, inf, inf, inf, 2, 3],
      ],
      [inf, -inf, -inf, inf, nan, -0, 0, -0, nan, 3.5, r(1 / 3)],
    ),
    prim(
      'rem',
      "C's fmod: the dividend's sign; x % 0 and inf % y are NaN; x % inf is x",
      d,
      [
        [-7, 7, -7, 5, -5, inf, 5, -0, 5.5, nan, 7.5, -7.5],
        [3, -3, -3, inf, inf, 2, 0, 1, 2, 1, 2.5, 2.5],
      ],
      [-1, 1, -1, 5, -5, nan, nan, -0, 1.5, nan, 0, -0],
    ),
    prim(
      'pow',
      "C's special cases: pow(1, y) = pow(±1, ±inf) = pow(x, ±0) = 1, pow(±0, -n), negative bases",
      d,
      [
        [1, 1, -1, -1, nan, nan, 0, -0, -0, 0, inf, 2, 0.5, -inf, -inf, -8, -2, 2, nan, 2],
        [nan, inf, inf, -inf, 0, -0, -1, -1, -2, 0, 0, -inf, inf, 3, -3, r(1 / 3), 3, 10, 1, 128],
      ],
      [1, 1, 1, 1, 1, 1, inf, -inf, inf, 1, 1, 0, 0, -inf, -0, nan, -8, 1024, nan, f32 ? inf : 2 ** 128],
    ),
    prim(
      'max',
      'NaN propagates',
      d,
      [
        [nan, 1, nan, -inf, 3],
        [1, nan, nan, 1, -0],
      ],
      [nan, nan, nan, 1, 3],
    ),
    prim(
      'min',
      'NaN propagates',
      d,
      [
        [nan, 1, nan, -inf, 3],
        [1, nan, nan, 1, -0],
      ],
      [nan, nan, nan, -inf, -0],
    ),
    ...comparisons(
      'false with NaN (ne true); -0 == 0',
      d,
      [
        [nan, 1, nan, -0, -inf],
        [1, nan, nan, 0, inf],
      ],
      { eq: [0, 0, 0, 1, 0], ne: [1, 1, 1, 0, 1], lt: [0, 0, 0, 0, 1], le: [0, 0, 0, 1, 1], gt: [0, 0, 0, 0, 0], ge: [0, 0, 0, 1, 0] },
    ),
    prim('neg', 'flips the sign of zeros and infinities', d, [[0, -0, inf, nan, 2.5]], [-0, 0, -inf, nan, -2.5]),
    prim('abs', 'clears the sign of -0 and -inf', d, [[-0, -inf, nan, -2.5]], [0, inf, nan, 2.5]),
    prim('exp', 'special values', d, [[0, -0, -inf, inf, nan]], [1, 1, 0, inf, nan]),
    // exp(89) ≈ 4.49e38 is past float32's largest value (3.40e38), not float64's
    prim('exp', 'overflow to inf in float32 only', d, [[89]], [f32 ? inf : 4.4896128191743455e38], { tolerance: { ulps: 2 } }),
    prim('exp', 'near the float32 limit', d, [[88, 1]], [f32 ? 1.6516362661361307e38 : 1.6516362549940018e38, r(Math.E)], { tolerance: { ulps: 2 } }),
    // pow(2, x): exact at integers, and pow's special cases at ±0, ±inf and NaN
    prim(
      'exp2',
      'exact at integers; overflow past the largest power of the dtype',
      d,
      [[3, -1, 0, -0, inf, -inf, nan, -126, f32 ? 127 : 1023, f32 ? 128 : 1024]],
      [8, 0.5, 1, 1, inf, 0, nan, 2 ** -126, f32 ? 2 ** 127 : 2 ** 1023, inf],
    ),
    prim('exp2', 'an ordinary value', d, [[-0.5]], [r(Math.SQRT1_2)], { tolerance: { ulps: 2 } }),
    prim('log', 'log(0) = -inf, log(-1) = NaN', d, [[0, -0, -1, 1, inf, nan, -inf]], [-inf, -inf, nan, 0, inf, nan, nan]),
    prim('log1p', 'special values', d, [[-1, -0, 0, -2, inf, nan]], [-inf, -0, 0, nan, inf, nan]),
    // log(1 + x) in float32 would give 1.19e-7: log1p must keep the small argument's precision
    prim('log1p', 'accurate for small x', d, [[r(1e-7)]], [f32 ? 9.999999406318238e-8 : 9.999999500000033e-8], { tolerance: { ulps: 2 } }),
    prim('expm1', 'special values', d, [[-0, 0, -inf, inf, nan]], [-0, 0, -1, inf, nan]),
    prim('expm1', 'accurate for small x', d, [[r(1e-7)]], [f32 ? 1.000000082740371e-7 : 1.0000000500000016e-7], { tolerance: { ulps: 2 } }),
    prim('tanh', 'special values', d, [[inf, -inf, -0, 0, nan]], [1, -1, -0, 0, nan]),
    prim('tanh', 'an ordinary value', d, [[0.5]], [r(0.46211715726000974)], { tolerance: { ulps: 2 } }),
    prim('sqrt', 'sqrt(-0) = -0, negatives are NaN', d, [[-0, 0, -1, inf, 4, nan, -inf]], [-0, 0, nan, inf, 2, nan, nan]),
    prim('rsqrt', 'rsqrt(±0) = ±inf', d, [[0, -0, inf, 4, -1, 0.25]], [inf, -inf, 0, 0.5, nan, 2]),
    prim('sin', 'special values', d, [[-0, 0, inf, nan]], [-0, 0, nan, nan]),
    prim('cos', 'special values', d, [[0, -0, inf, nan]], [1, 1, nan, nan]),
    prim('sin', 'an ordinary value', d, [[1]], [r(0.8414709848078965)], { tolerance: { ulps: 2 } }),
    prim('cos', 'an ordinary value', d, [[1]], [r(0.5403023058681398)], { tolerance: { ulps: 2 } }),
    prim(
      'atan2',
      'signed zeros pick the half-plane; NaN propagates',
      d,
      [
        [0, -0, 0, -0, 1, nan, 1, -1],
        [-0, -0, 0, 0, 0, 1, inf, -inf],
      ],
      [pi, -pi, 0, -0, r(Math.PI / 2), nan, 0, -pi],
      { tolerance: { ulps: 1 } },
    ),
    prim('floor', 'negatives go down; -0 stays', d, [[-1.5, -0.5, -0, 1.5, -inf, nan, -2]], [-2, -1, -0, 1, -inf, nan, -2]),
    prim('ceil', 'negatives go up to -0', d, [[-1.5, -0.5, -0, 1.5, inf, nan, r(-0.2)]], [-1, -0, -0, 2, inf, nan, -0]),
    prim(
      'round',
      'half to even; keeps the sign of zero',
      d,
      [
        f32
          ? [0.5, 1.5, 2.5, -0.5, -2.5, -1.5, 3.5, 0.25, r(-0.4), -0, inf, nan, 8388607.5, 8388606.5]
          : [0.5, 1.5, 2.5, -0.5, -2.5, -1.5, 3.5, 0.25, -0.4, -0, inf, nan, 4503599627370495.5, 4503599627370494.5],
      ],
      f32 ? [0, 2, 2, -0, -2, -2, 4, 0, -0, -0, inf, nan, 8388608, 8388606] : [0, 2, 2, -0, -2, -2, 4, 0, -0, -0, inf, nan, 4503599627370496, 4503599627370494],
    ),
    ...(f32 ? [] : [prim('round', 'the largest double below 0.5 rounds to 0', d, [[0.49999999999999994]], [0])]),
    prim('sign', 'keeps NaN and signed zeros', d, [[nan, -0, 0, -3, 2, -inf, inf]], [nan, -0, 0, -1, 1, -1, 1]),
    prim('is_finite', 'false for NaN and ±inf', d, [[nan, inf, -inf, 0, -0, fmax, -fmax]], [0, 0, 0, 1, 1, 1, 1]),
    prim('logistic', 'at ±inf and 0', d, [[inf, -inf, 0, -0, nan]], [1, 0, 0.5, 0.5, nan]),
    prim('erf_inv', 'erf_inv(±1) = ±inf, NaN past 1', d, [[0, -0, 1, -1, 1.5, -2, nan, inf]], [0, -0, inf, -inf, nan, nan, nan, nan]),
    // the IR computes erf_inv with Giles' single-precision polynomial for both float dtypes
    prim(
      'erf_inv',
      'central and tail values',
      d,
      [[0.5, -0.5, r(0.9), r(0.999)]],
      f32
        ? [0.4769362807273865, -0.4769362807273865, 1.1630871295928955, 2.326756238937378]
        : [0.4769362762044699, -0.4769362762044699, 1.1630871536766743, 2.3267537655135246],
      { tolerance: f32 ? { ulps: 4 } : { rel: 1e-6 } },
    ),
    op(
      'where: picks the operand, NaN or not',
      d,
      (c, a, b) => where(c, a, b),
      [
        [1, 0, 1, 0, 1],
        [nan, nan, 1, 1, -0],
        [2, 2, nan, nan, 0],
      ],
      [nan, 2, 1, nan, -0],
      { argDTypes: ['bool', d, d] },
    ),
    // a multiply by the validity would give NaN * 0 = NaN: an invalid load must read 0 itself
    op(
      'load with a validity operand reads 0 where it is false',
      d,
      (_x, valid) => load(0, d, loopIndex(0), valid),
      [
        [nan, 5, inf, -0],
        [0, 1, 0, 1],
      ],
      [0, 5, 0, -0],
      { argDTypes: [d, 'bool'] },
    ),
    op(
      `cast ${d} → int32: truncates, saturates, NaN → 0`,
      d,
      castTo('int32'),
      [
        f32
          ? [r(2.9), r(-2.9), -0.5, 2147483648, -2147483648, 2147483520, 3e9, -3e9, nan, inf, -inf, -0]
          : [2.9, -2.9, -0.5, 2147483648, -2147483648, 2147483647.9, -2147483648.9, 1e300, nan, inf, -inf, -0],
      ],
      f32 ? [2, -2, 0, MAX, MIN, 2147483520, MAX, MIN, 0, MAX, MIN, 0] : [2, -2, 0, MAX, MIN, MAX, MIN, MAX, 0, MAX, MIN, 0],
    ),
    op(`cast ${d} → bool: x != 0, NaN is true, -0 false`, d, castTo('bool'), [[nan, -0, 0, 0.5, -inf, r(1e-30)]], [1, 0, 0, 1, 1, 1]),
    ...(f32
      ? [
          op('cast float32 → float64 is exact', d, castTo('float64'), [[r(0.1), nan, -0, inf, F32_MAX]], [r(0.1), nan, -0, inf, F32_MAX]),
          op(
            'bitcast float32 → int32 reinterprets the bits',
            d,
            (x) => bitcast(x, 'int32'),
            [[1, -0, nan, -1, inf, -inf, 0]],
            [1065353216, MIN, 2143289344, -1082130432, 2139095040, -8388608, 0],
          ),
          // (a + b) - a: in float32 1 + 2^-30 is 1 and 2^24 + 1 is 2^24
          op(
            'float32 intermediates are float32 values: (a + b) - a',
            d,
            (a, b) => binary('sub', binary('add', a, b), a),
            [
              [1, 16777216],
              [2 ** -30, 1],
            ],
            [0, 0],
          ),
        ]
      : [
          // rounds to nearest (ties to even); past the range to ±inf, below it to ±0
          op(
            'cast float64 → float32 rounds',
            d,
            castTo('float32'),
            [[0.1, 1e40, -1e40, 3.4028235e38, 16777217, -0, nan, 1e-50, -1e-50]],
            [Math.fround(0.1), inf, -inf, F32_MAX, 16777216, -0, nan, 0, -0],
          ),
        ]),
  ];
}

function boolCases(): ElementCase[] {
  const d = 'bool';
  const pairs = [
    [0, 0, 1, 1],
    [0, 1, 0, 1],
  ];
  return [
    prim('and', 'bool', d, pairs, [0, 0, 0, 1]),
    prim('or', 'bool', d, pairs, [0, 1, 1, 1]),
    prim('xor', 'bool', d, pairs, [0, 1, 1, 0]),
    prim('not', 'logical on bool', d, [[0, 1]], [1, 0]),
    prim('max', 'or on bool', d, pairs, [0, 1, 1, 1]),
    prim('min', 'and on bool', d, pairs, [0, 0, 0, 1]),
    ...comparisons('false < true', d, pairs, { eq: [1, 0, 0, 1], ne: [0, 1, 1, 0], lt: [0, 1, 0, 0], le: [1, 1, 0, 1], gt: [0, 0, 1, 0], ge: [1, 0, 1, 1] }),
    op(
      'where on bool',
      d,
      (c, a, b) => where(c, a, b),
      [
        [1, 0, 1, 0],
        [1, 1, 0, 0],
        [0, 0, 1, 1],
      ],
      [1, 0, 0, 1],
    ),
    op('cast bool → int32 is 0 or 1', d, castTo('int32'), [[0, 1]], [0, 1]),
    op('cast bool → float32 is 0 or 1', d, castTo('float32'), [[0, 1]], [0, 1]),
    op('cast bool → float64 is 0 or 1', d, castTo('float64'), [[0, 1]], [0, 1]),
  ];
}

/** int32 `where` (float and bool ones are above). */
const intWhere = op(
  'where on int32',
  'int32',
  (c, a, b) => where(c, a, b),
  [
    [1, 0],
    [MIN, MIN],
    [MAX, MAX],
  ],
  [MIN, MAX],
  {
    argDTypes: ['bool', 'int32', 'int32'],
  },
);

/**
 * The element-semantics conformance table: every table primitive and every operation of the IR
 * (but `acc`, which only reductions have) on the values where NumPy/XLA's semantics need care.
 */
export const ELEMENT_CASES: readonly ElementCase[] = [...int32Cases(), intWhere, ...floatCases('float32'), ...floatCases('float64'), ...boolCases()];

/** The operands' dtypes of `c`. */
function argDTypes(c: ElementCase): readonly DType[] {
  return c.argDTypes ?? c.args.map(() => c.dtype);
}

/** The flat kernel that runs `c`: `out[i0] = c.exp(in0[i0], in1[i0], ...)`. */
export function elementCaseKernel(c: ElementCase): Kernel {
  const dtypes = argDTypes(c);
  const i0 = loopIndex(0);
  const body = c.exp(...dtypes.map((d, k) => load(k, d, i0)));
  return flatKernel(c.name.replace(/\W+/g, '_'), dtypes, body);
}

function typed(dtype: DType, values: readonly number[]): TypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
      return Uint8Array.from(values);
  }
}

const scratch = new DataView(new ArrayBuffer(8));

/** The distance in representable values of `dtype` between two finite numbers. */
function ulpDistance(a: number, b: number, dtype: DType): number {
  if (dtype === 'float32') {
    // sign-magnitude bits to a line where neighbouring floats are neighbouring integers
    const ordered = (x: number) => {
      scratch.setFloat32(0, x);
      const i = scratch.getInt32(0);
      return i < 0 ? INT32_MIN - i : i;
    };
    return Math.abs(ordered(a) - ordered(b));
  }
  const ordered = (x: number) => {
    scratch.setFloat64(0, x);
    const i = scratch.getBigInt64(0);
    return i < 0n ? -(i & 0x7fffffffffffffffn) : i;
  };
  const diff = ordered(a) - ordered(b);
  return Number(diff < 0n ? -diff : diff);
}

function matches(got: number, want: number, dtype: DType, tolerance: Tolerance | undefined): boolean {
  // a float32 backend may hand back float64 numbers: compare the float32 value it stands for
  const g = dtype === 'float32' ? Math.fround(got) : got;
  if (Object.is(g, want)) return true;
  if (tolerance === undefined || want === 0 || !Number.isFinite(want) || !Number.isFinite(g)) return false;
  if ('ulps' in tolerance) return ulpDistance(g, want, dtype) <= tolerance.ulps;
  return Math.abs(g - want) <= tolerance.rel * Math.abs(want);
}

function show(v: number, dtype: DType): string {
  if (dtype === 'bool') return v === 0 ? 'false' : v === 1 ? 'true' : String(v);
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Runs one case: its outputs, after releasing every buffer it made. */
async function runCase(backend: Backend, c: ElementCase, kernel: Kernel): Promise<number[]> {
  const n = c.expected.length;
  const handles: DataHandle[] = [];
  try {
    kernel.inputs.forEach((d, k) => {
      handles.push(backend.write(d, typed(d, c.args[k] ?? [])));
    });
    const exe = backend.compile(kernel);
    const out = backend.run(exe, handles, [n], new ShapedArray([n], kernel.outDType));
    handles.push(out);
    return Array.from(await backend.read(out));
  } finally {
    for (const h of handles) backend.release(h);
  }
}

export interface CheckOptions {
  /** The cases to run (default: {@link ELEMENT_CASES}). */
  readonly cases?: readonly ElementCase[];
  /** Also run the cases marked `knownIssue` (skipped by default). */
  readonly includeKnownIssues?: boolean;
}

/**
 * Runs the element-semantics table on `backend`, each case as one flat kernel, and returns one
 * line per wrong element (case, dtype, inputs, expected, got), or per case that fails to build,
 * compile or run; `[]` means the backend's renderer conforms. Cases whose dtypes the backend does
 * not support are skipped, as are those marked `knownIssue` unless `includeKnownIssues`. Every
 * buffer the check makes is released.
 *
 * @example
 * import { CpuBackend, kernelIR } from '@tenfold/core';
 * const problems = await kernelIR.checkElementSemantics(new CpuBackend());
 * if (problems.length > 0) throw new Error(problems.join('\n'));
 */
export async function checkElementSemantics(backend: Backend, options: CheckOptions = {}): Promise<string[]> {
  const lines: string[] = [];
  for (const c of options.cases ?? ELEMENT_CASES) {
    if (c.knownIssue !== undefined && options.includeKnownIssues !== true) continue;
    const label = `${c.name} [${c.dtype}]`;
    const dtypes = argDTypes(c);
    if (dtypes.length !== c.args.length || c.args.some((a) => a.length !== c.expected.length)) {
      lines.push(`${label}: malformed case (${c.args.length} operand lists for ${dtypes.length} dtypes, each needs ${c.expected.length} values)`);
      continue;
    }
    let kernel: Kernel;
    let got: number[];
    try {
      kernel = elementCaseKernel(c);
      if (![...kernel.inputs, kernel.outDType].every((d) => backend.supportsDType(d))) continue;
      got = await runCase(backend, c, kernel);
    } catch (e) {
      lines.push(`${label}: failed: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const out = kernel.outDType;
    c.expected.forEach((want, i) => {
      const g = got[i] ?? Number.NaN;
      if (matches(g, want, out, c.tolerance)) return;
      const inputs = c.args.map((a, k) => show(a[i] ?? Number.NaN, dtypes[k] as DType)).join(', ');
      const tol = c.tolerance === undefined ? '' : 'ulps' in c.tolerance ? ` (within ${c.tolerance.ulps} ulps)` : ` (within relative ${c.tolerance.rel})`;
      lines.push(`${label} at (${inputs}): expected ${show(want, out)}${tol}, got ${show(g, out)}`);
    });
  }
  return lines;
}
