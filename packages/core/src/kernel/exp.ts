// The scalar expression tree of the kernel IR: what one output element of a kernel is, as
// operations over constants, loop indices, runtime integers and indexed loads. Every backend
// renders the same trees, so the element semantics below are defined here once and tested by one
// table (test/kernel-semantics.test.ts) that every renderer must pass.
import type { DType } from '../dtype.js';
import { isFloatDType } from '../dtype.js';

/**
 * Element semantics of each operation (as XLA and NumPy define them; renderers must match):
 * - int32 arithmetic wraps (two's complement); `div` truncates toward zero and `rem` takes the
 *   dividend's sign, both giving 0 for a zero divisor (no trap); INT32_MIN / -1 wraps.
 * - float arithmetic is IEEE: NaN propagates, `rem` is C's fmod, `pow(1, y)` and `pow(±1, ±inf)`
 *   are 1 (C/NumPy, unlike JS), `pow(x, 0)` is 1; int32 `pow` squares with wrap, a negative
 *   exponent gives 0 except for bases 1 and -1.
 * - `max`/`min` propagate NaN; on bool they are or/and.
 * - `shl`/`shr`/`sar` by a count outside [0, 32) give 0 (`sar`: the sign), not the count mod 32.
 * - comparisons give bool and are false for NaN (`ne` true).
 * - `cast` float → int32 truncates toward zero, saturates at the int32 range and maps NaN to 0;
 *   anything → bool is `x != 0` (NaN is true); bool → number is 0 or 1; float64 → float32 rounds.
 * - `bitcast` reinterprets the 32 bits between int32 and float32.
 * - `round` rounds half to even; `floor`/`ceil`/`round` of an int32 are the identity.
 * - `not` is logical on bool, bitwise on int32; `abs` and `neg` of int32 wrap.
 * - `load` with a validity operand reads 0 where it is false (the index is then never read).
 */
export type UnaryOp =
  | 'neg'
  | 'not'
  | 'exp'
  | 'log'
  | 'log1p'
  | 'expm1'
  | 'tanh'
  | 'sqrt'
  | 'sin'
  | 'cos'
  | 'abs'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'cast'
  | 'bitcast';

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'rem'
  | 'pow'
  | 'max'
  | 'min'
  | 'atan2'
  | 'and'
  | 'or'
  | 'xor'
  | 'shl'
  | 'shr'
  | 'sar'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

/** Leaves: a constant, a runtime scalar (`var`, bound at each run), a loop index, a load, the accumulator. */
export type LeafOp = 'const' | 'var' | 'idx' | 'load' | 'acc';
export type ExpOp = LeafOp | UnaryOp | BinaryOp | 'where';

export const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/**
 * One node of a kernel expression. Immutable; `value` is the constant of `const`, the slot of
 * `var`, the loop of `idx` and the input of `load`. `load`'s arguments are its index and, when
 * present, its validity.
 */
export class Exp {
  readonly op: ExpOp;
  readonly dtype: DType;
  readonly args: readonly Exp[];
  readonly value: number;
  #key: string | undefined;

  constructor(op: ExpOp, dtype: DType, args: readonly Exp[] = [], value = 0) {
    this.op = op;
    this.dtype = dtype;
    this.args = args;
    this.value = value;
  }

  /** A structural key: equal keys mean equal expressions (kernels are cached by it). */
  get key(): string {
    if (this.#key === undefined) {
      const v = this.op === 'const' ? constKey(this.value) : this.value;
      this.#key = this.args.length === 0 ? `${this.op}:${this.dtype}:${v}` : `${this.op}:${this.dtype}:${v}(${this.args.map((a) => a.key).join(',')})`;
    }
    return this.#key;
  }

  toString(): string {
    return printExp(this);
  }
}

function constKey(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

const SHORT: Record<DType, string> = { float32: 'f32', float64: 'f64', int32: 'i32', bool: 'bool' };

/** A short dtype name for printing (f32, f64, i32, bool). */
export function shortDType(d: DType): string {
  return SHORT[d];
}

const INFIX: Partial<Record<ExpOp, string>> = {
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  rem: '%',
  and: '&',
  or: '|',
  xor: '^',
  shl: '<<',
  shr: '>>>',
  sar: '>>',
  eq: '==',
  ne: '!=',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
};

/** Readable infix form: `in0[i0] + in1[i0]`, `exp(in0[i0])`, `cast<i32>(x)`. */
export function printExp(e: Exp): string {
  const [a, b, c] = e.args;
  switch (e.op) {
    case 'const':
      return e.dtype === 'bool' ? String(e.value !== 0) : constKey(e.value);
    case 'var':
      return `v${e.value}`;
    case 'idx':
      return `i${e.value}`;
    case 'acc':
      return 'acc';
    case 'load':
      return c === undefined && b === undefined ? `in${e.value}[${printExp(a as Exp)}]` : `(${printExp(b as Exp)} ? in${e.value}[${printExp(a as Exp)}] : 0)`;
    case 'where':
      return `where(${printExp(a as Exp)}, ${printExp(b as Exp)}, ${printExp(c as Exp)})`;
    case 'cast':
    case 'bitcast':
      return `${e.op}<${SHORT[e.dtype]}>(${printExp(a as Exp)})`;
    default: {
      const infix = INFIX[e.op];
      if (infix !== undefined && b !== undefined) return `(${printExp(a as Exp)} ${infix} ${printExp(b)})`;
      if (e.op === 'neg') return `-${printExp(a as Exp)}`;
      if (e.op === 'not') return `!${printExp(a as Exp)}`;
      return `${e.op}(${e.args.map(printExp).join(', ')})`;
    }
  }
}

// ---- constructors -------------------------------------------------------------------------

/** A constant of `dtype` (bool: 0 or 1). */
export function constant(value: number | boolean, dtype: DType): Exp {
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  return new Exp('const', dtype, [], dtype === 'bool' ? (v !== 0 ? 1 : 0) : v);
}

/** The runtime scalar in slot `slot` (sizes, strides, offsets, a pad value): bound at each run. */
export function variable(slot: number, dtype: DType = 'int32'): Exp {
  return new Exp('var', dtype, [], slot);
}

/** The index of loop `loop` (int32). */
export function loopIndex(loop: number): Exp {
  return new Exp('idx', 'int32', [], loop);
}

/** Element `index` of input `input` (of `dtype`); where `valid` is false, 0 and no read. */
export function load(input: number, dtype: DType, index: Exp, valid?: Exp): Exp {
  return new Exp('load', dtype, valid === undefined ? [index] : [index, valid], input);
}

/** The running value of a reduction, in a kernel's epilogue. */
export function accumulator(dtype: DType): Exp {
  return new Exp('acc', dtype);
}

const isConst = (e: Exp, v: number) => e.op === 'const' && e.value === v;

/** A unary operation (`cast`/`bitcast`: use {@link cast}, {@link bitcast}). */
export function unary(op: Exclude<UnaryOp, 'cast' | 'bitcast'>, x: Exp): Exp {
  return new Exp(op, x.dtype, [x]);
}

/** A binary operation on operands of one dtype; comparisons give bool. Folds `x + 0`, `x * 1`, `x * 0` on int32 indices. */
export function binary(op: BinaryOp, a: Exp, b: Exp): Exp {
  if (a.dtype !== b.dtype) throw new Error(`internal: kernel IR ${op} of ${a.dtype} and ${b.dtype}`);
  if (a.dtype === 'int32') {
    if ((op === 'add' || op === 'sub') && isConst(b, 0)) return a;
    if (op === 'add' && isConst(a, 0)) return b;
    if (op === 'mul' && (isConst(a, 0) || isConst(b, 1))) return a;
    if (op === 'mul' && (isConst(b, 0) || isConst(a, 1))) return b;
    if ((op === 'div' || op === 'rem') && isConst(b, 1)) return op === 'div' ? a : constant(0, 'int32');
    if (a.op === 'const' && b.op === 'const' && (op === 'add' || op === 'mul' || op === 'sub')) {
      const v = op === 'add' ? a.value + b.value : op === 'sub' ? a.value - b.value : Math.imul(a.value, b.value);
      return constant(v | 0, 'int32');
    }
  }
  return new Exp(op, COMPARISONS.has(op) ? 'bool' : a.dtype, [a, b]);
}

/** `c ? a : b` elementwise (`c` bool; `a`, `b` of one dtype). */
export function where(c: Exp, a: Exp, b: Exp): Exp {
  if (c.dtype !== 'bool' || a.dtype !== b.dtype) throw new Error(`internal: kernel IR where(${c.dtype}, ${a.dtype}, ${b.dtype})`);
  if (c.op === 'const') return c.value !== 0 ? a : b;
  return new Exp('where', a.dtype, [c, a, b]);
}

/** A value conversion to `dtype` (identity when it already has it). */
export function cast(x: Exp, dtype: DType): Exp {
  return x.dtype === dtype ? x : new Exp('cast', dtype, [x]);
}

/** A reinterpretation of the bits between int32 and float32. */
export function bitcast(x: Exp, dtype: 'int32' | 'float32'): Exp {
  return x.dtype === dtype ? x : new Exp('bitcast', dtype, [x]);
}

// Shorthands for index arithmetic and for the table's expressions.
export const add = (a: Exp, b: Exp) => binary('add', a, b);
export const sub = (a: Exp, b: Exp) => binary('sub', a, b);
export const mul = (a: Exp, b: Exp) => binary('mul', a, b);
export const div = (a: Exp, b: Exp) => binary('div', a, b);
export const rem = (a: Exp, b: Exp) => binary('rem', a, b);
export const lt = (a: Exp, b: Exp) => binary('lt', a, b);
export const ge = (a: Exp, b: Exp) => binary('ge', a, b);
export const and = (a: Exp, b: Exp) => binary('and', a, b);
export const int = (v: number) => constant(v, 'int32');

/** The float constant `v` in `x`'s dtype (for expressions over floats). */
export function like(x: Exp, v: number): Exp {
  return constant(v, isFloatDType(x.dtype) ? x.dtype : 'float32');
}

/**
 * `e` with every load of input `input` (of any input when undefined) replaced by `by(load)`: how a
 * consumer's expression becomes an epilogue over a routine's or a reduction's accumulator.
 */
export function substituteLoads(e: Exp, input: number | undefined, by: (load: Exp) => Exp, memo = new Map<string, Exp>()): Exp {
  if (e.op === 'load' && (input === undefined || e.value === input)) return by(e);
  if (e.args.length === 0) return e;
  let out = memo.get(e.key);
  if (out === undefined) {
    out = new Exp(
      e.op,
      e.dtype,
      e.args.map((a) => substituteLoads(a, input, by, memo)),
      e.value,
    );
    memo.set(e.key, out);
  }
  return out;
}

/** Every node of `e` once, children before parents. */
export function postOrder(e: Exp, out: Exp[] = [], seen = new Set<string>()): Exp[] {
  if (seen.has(e.key)) return out;
  for (const a of e.args) postOrder(a, out, seen);
  seen.add(e.key);
  out.push(e);
  return out;
}
export const abs = (x: Exp) => unary('abs', x);
