// The elementwise primitives, one entry each: arity, the dtypes it accepts, and what it computes
// as a kernel IR expression. The shape/dtype rule (elementwise.ts), the eager kernel and every
// backend's code follow from the entry: adding an elementwise primitive starts here.
import { isFloatDType } from '../dtype.js';
import { abs, type BinaryOp, binary, constant, type Exp, like, load, loopIndex, type UnaryOp, unary, where } from '../kernel/exp.js';

/** Which input dtypes a primitive accepts (and the error that names the fix otherwise). */
export type DTypeClass = 'any' | 'numeric' | 'float' | 'int' | 'intOrBool';

export interface ElementwiseEntry {
  readonly arity: 1 | 2;
  readonly accepts: DTypeClass;
  /** The output is bool (comparisons, is_finite) rather than the input dtype. */
  readonly bool?: true;
  /** The value of one element from its operands (which share one dtype). */
  readonly exp: (...args: Exp[]) => Exp;
}

const un = (op: Exclude<UnaryOp, 'cast' | 'bitcast'>, accepts: DTypeClass): ElementwiseEntry => ({ arity: 1, accepts, exp: (x) => unary(op, x as Exp) });
const bin = (op: BinaryOp, accepts: DTypeClass, bool?: true): ElementwiseEntry => ({
  arity: 2,
  accepts,
  ...(bool ? { bool } : {}),
  exp: (a, b) => binary(op, a as Exp, b as Exp),
});
/** floor, ceil and round leave integers as they are. */
const rounding = (op: 'floor' | 'ceil' | 'round'): ElementwiseEntry => ({
  arity: 1,
  accepts: 'numeric',
  exp: (x) => (isFloatDType(x!.dtype) ? unary(op, x!) : x!),
});

export const ELEMENTWISE = {
  add: bin('add', 'numeric'),
  sub: bin('sub', 'numeric'),
  mul: bin('mul', 'numeric'),
  div: bin('div', 'numeric'),
  rem: bin('rem', 'numeric'),
  pow: bin('pow', 'numeric'),
  max: bin('max', 'any'),
  min: bin('min', 'any'),
  atan2: bin('atan2', 'float'),
  and: bin('and', 'intOrBool'),
  or: bin('or', 'intOrBool'),
  xor: bin('xor', 'intOrBool'),
  shift_left: bin('shl', 'int'),
  shift_right_logical: bin('shr', 'int'),
  shift_right_arithmetic: bin('sar', 'int'),
  eq: bin('eq', 'any', true),
  ne: bin('ne', 'any', true),
  lt: bin('lt', 'any', true),
  le: bin('le', 'any', true),
  gt: bin('gt', 'any', true),
  ge: bin('ge', 'any', true),
  neg: un('neg', 'numeric'),
  not: un('not', 'intOrBool'),
  exp: un('exp', 'float'),
  // pow, not exp(x·ln 2): exact at integers (exp2(3) is 8), and pow's edge cases give exp2(±inf)
  exp2: { arity: 1, accepts: 'float', exp: (x) => binary('pow', like(x!, 2), x!) },
  log: un('log', 'float'),
  log1p: un('log1p', 'float'),
  expm1: un('expm1', 'float'),
  tanh: un('tanh', 'float'),
  logistic: { arity: 1, accepts: 'float', exp: (x) => binary('div', like(x!, 1), binary('add', like(x!, 1), unary('exp', unary('neg', x!)))) },
  sqrt: un('sqrt', 'float'),
  rsqrt: { arity: 1, accepts: 'float', exp: (x) => binary('div', like(x!, 1), unary('sqrt', x!)) },
  sin: un('sin', 'float'),
  cos: un('cos', 'float'),
  abs: un('abs', 'numeric'),
  // keeps NaN and signed zeros for floats, as XLA (sign(-0) is -0; NumPy gives +0)
  sign: {
    arity: 1,
    accepts: 'numeric',
    exp: (x) => {
      const zero = constant(0, x!.dtype);
      const rest = isFloatDType(x!.dtype) ? x! : zero;
      return where(binary('gt', x!, zero), constant(1, x!.dtype), where(binary('lt', x!, zero), constant(-1, x!.dtype), rest));
    },
  },
  floor: rounding('floor'),
  ceil: rounding('ceil'),
  round: rounding('round'),
  is_finite: { arity: 1, accepts: 'float', bool: true, exp: (x) => binary('eq', binary('sub', x!, x!), constant(0, x!.dtype)) },
  erf_inv: { arity: 1, accepts: 'float', exp: (x) => erfInv(x!) },
} as const satisfies Record<string, ElementwiseEntry>;

export type ElementwisePrimitive = keyof typeof ELEMENTWISE;

/** The entry of `prim`, or undefined when it is not a table primitive. */
export function elementwiseEntry(prim: string): ElementwiseEntry | undefined {
  return Object.hasOwn(ELEMENTWISE, prim) ? (ELEMENTWISE as Record<string, ElementwiseEntry>)[prim] : undefined;
}

/** The table's primitives with `arity` operands, boolean-valued or not. */
function names(arity: 1 | 2, bool: boolean): ElementwisePrimitive[] {
  return (Object.keys(ELEMENTWISE) as ElementwisePrimitive[]).filter((p) => {
    const e: ElementwiseEntry = ELEMENTWISE[p];
    return e.arity === arity && (arity === 1 || (e.bool === true) === bool);
  });
}
export const BINARY_PRIMITIVES: readonly ElementwisePrimitive[] = names(2, false);
export const COMPARISON_PRIMITIVES: readonly ElementwisePrimitive[] = names(2, true);
export const UNARY_PRIMITIVES: readonly ElementwisePrimitive[] = names(1, false);

/** The expression of `prim` applied to element `i0` of each input: the body of its one-op kernel. */
export function elementwiseBody(prim: ElementwisePrimitive, dtype: Parameters<typeof load>[1]): Exp {
  const entry: ElementwiseEntry = ELEMENTWISE[prim];
  const i = loopIndex(0);
  const args = Array.from({ length: entry.arity }, (_, k) => load(k, dtype, i));
  return entry.exp(...args);
}

/**
 * Inverse error function as IR: M. Giles' single-precision approximation ("Approximating the
 * erfinv function", GPU Computing Gems, 2010), the one XLA uses for float32, so `random.normal`
 * matches JAX; ±1 give ±inf, |x| > 1 NaN.
 */
function erfInv(x: Exp): Exp {
  const c = (v: number) => like(x, v);
  const horner = (w: Exp, coeffs: readonly number[]) => coeffs.slice(1).reduce((p, k) => binary('add', c(k), binary('mul', p, w)), c(coeffs[0] as number));
  // w = -log(1 - x²), as -(log1p(-x) + log1p(x)): 1 ± x lose nothing near ±1, where 1 - x² in float32 would
  const w = unary('neg', binary('add', unary('log1p', unary('neg', x)), unary('log1p', x)));
  const central = horner(
    binary('sub', w, c(2.5)),
    [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941],
  );
  const tail = horner(
    binary('sub', unary('sqrt', w), c(3)),
    [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682],
  );
  const p = where(binary('lt', w, c(5)), central, tail);
  return where(binary('eq', abs(x), c(1)), binary('mul', x, c(Number.POSITIVE_INFINITY)), binary('mul', p, x));
}
