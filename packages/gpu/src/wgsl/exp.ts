// Rendering one element expression of core's kernel IR as WGSL: `let` statements and a value, with
// the element semantics of core's kernel/exp.ts (WGSL's traps handled by the helpers of lib.ts).
// Kernel shaders (render.ts) and matmul epilogues (epilogue.ts) both render through ExpRenderer.
//
// Every shader that renders expressions starts its uniform `U: array<vec4<...>, n>` with the
// HEADER_SLOTS reserved slots the helpers read: slot 0 = +inf bits, slot 1 = NaN bits, slot 2 = the
// bits of 1.0 (a one the compiler cannot fold), slot 3 = 0 (f_id's mask); float constants are
// uniform slots too (FloatConstants).
import { type DType, kernelIR } from '@tenfold/core';

type Exp = kernelIR.Exp;

/** Uniform slots every expression-rendering shader reserves first (see the top of this file). */
export const HEADER_SLOTS = 4;

/** Writes the reserved header slots into a shader's uniform. */
export function writeHeader(ints: Int32Array): void {
  ints[0] = 0x7f800000;
  ints[1] = 0x7fc00000;
  ints[2] = 0x3f800000;
  ints[3] = 0;
}

const f32bits = new DataView(new ArrayBuffer(4));

/** The bits of `v` as a float32, for a uniform slot. */
export function floatBits(v: number): number {
  f32bits.setFloat32(0, v, true);
  return f32bits.getInt32(0, true);
}

/** The WGSL type of a value of `dtype`. */
export function valueType(dtype: DType, op: string): string {
  switch (dtype) {
    case 'float32':
      return 'f32';
    case 'int32':
      return 'i32';
    case 'bool':
      return 'bool';
    default:
      throw unsupportedDType(dtype, op);
  }
}

/** The WGSL element type of a buffer of `dtype` (bool is stored as a u32 holding 0 or 1). */
export function storageType(dtype: DType, op: string): string {
  return dtype === 'bool' ? 'u32' : valueType(dtype, op);
}

/** The error for float64 (or any dtype WGSL lacks), naming the CPU backend. */
export function unsupportedDType(dtype: DType, op: string): Error {
  return new Error(
    `${op}: ${dtype} is not supported on the webgpu backend (WGSL has no 64-bit floats); keep ${dtype} arrays on the 'cpu' backend, or use float32`,
  );
}

/** The uniform slot expression of slot `s`. */
export function slot(s: number): string {
  return `U.v[${s >> 2}].${'xyzw'[s & 3]}`;
}

function f32Literal(v: number, use: Set<string>): string {
  const f = Math.fround(v);
  if (Number.isNaN(f)) {
    use.add('f_nan');
    return 'f_nan()';
  }
  if (f === Number.POSITIVE_INFINITY || f === Number.NEGATIVE_INFINITY) {
    use.add('f_inf');
    return f > 0 ? 'f_inf()' : '(-f_inf())';
  }
  if (Object.is(f, -0)) return 'bitcast<f32>(0x80000000u)';
  let s = String(f);
  if (!/[.e]/.test(s)) s += '.0';
  return f < 0 ? `(${s}f)` : `${s}f`;
}

function i32Literal(v: number): string {
  const i = v | 0;
  if (i === -2147483648) return 'bitcast<i32>(0x80000000u)';
  return i < 0 ? `(${i}i)` : `${i}i`;
}

function constant(e: Exp, use: Set<string>, floats: FloatConstants | null): string {
  switch (e.dtype) {
    case 'float32':
      return floats === null ? f32Literal(e.value, use) : floats.slot(e.value);
    case 'int32':
      return i32Literal(e.value);
    case 'bool':
      return e.value !== 0 ? 'true' : 'false';
    default:
      throw unsupportedDType(e.dtype, 'constant');
  }
}

/** `a` (of `from`) converted to `to`, as exp.ts's cast defines. */
function castWgsl(a: string, from: DType, to: DType, use: Set<string>): string {
  if (from === to) return a;
  valueType(from, 'cast');
  valueType(to, 'cast');
  if (to === 'bool') return from === 'float32' ? `((bitcast<u32>(${a}) & 0x7fffffffu) != 0u)` : `(${a} != 0i)`;
  if (from === 'bool') return to === 'float32' ? `select(0.0f, 1.0f, ${a})` : `select(0i, 1i, ${a})`;
  if (to === 'int32') {
    use.add('f_to_i');
    return `f_to_i(${a})`;
  }
  return `f32(${a})`;
}

const F_UNARY: Partial<Record<string, string>> = {
  exp: 'f_exp',
  log: 'f_log',
  log1p: 'f_log1p',
  expm1: 'f_expm1',
  tanh: 'f_tanh',
  sqrt: 'f_sqrt',
  sin: 'f_sin',
  cos: 'f_cos',
  abs: 'f_abs',
};

/**
 * The kernel's float constants, passed in the uniform after the vars: the compiler cannot see their
 * values, so it cannot apply the folds that break IEEE semantics (x * 0 → 0, x + 0 → x,
 * (x + 1) - 1 → x, x * 3e38 * 10 → x * inf), which lavapipe's compiler was measured to apply.
 */
export class FloatConstants {
  readonly values: number[] = [];
  readonly #slots = new Map<string, number>();
  constructor(readonly base: number) {}
  slot(v: number): string {
    const f = Math.fround(v);
    const key = Object.is(f, -0) ? '-0' : String(f);
    let j = this.#slots.get(key);
    if (j === undefined) {
      j = this.values.length;
      this.values.push(f);
      this.#slots.set(key, j);
    }
    return `bitcast<f32>(${slot(this.base + j)})`;
  }
}

const unNeg = (e: Exp): Exp => (e.op === 'neg' ? (e.args[0] as Exp) : e);

/** Whether `x` is a float sum or difference with an operand that `other` (or its negation) is. */
function sharesOperand(x: Exp, other: Exp): boolean {
  if (x.op !== 'add' && x.op !== 'sub') return false;
  const k = unNeg(other).key;
  return x.args.some((a) => unNeg(a).key === k);
}

/** One operation of `e` on already-rendered operands. */
function renderOp(e: Exp, args: readonly string[], inputs: readonly DType[], use: Set<string>, floats: FloatConstants | null): string {
  const [a, b, c] = args as [string, string, string];
  const argType = e.args[0]?.dtype;
  const f = argType === 'float32';
  const bool = argType === 'bool';
  const call = (fn: string, ...xs: string[]) => {
    use.add(fn);
    return `${fn}(${xs.join(', ')})`;
  };
  switch (e.op) {
    case 'const':
      return constant(e, use, floats);
    case 'var':
      return `v${e.value}`;
    case 'idx':
      return `i${e.value}`;
    case 'acc':
      return 'acc';
    case 'load': {
      const d = inputs[e.value] as DType;
      const at = b === undefined ? `in${e.value}[${a}]` : `in${e.value}[select(0i, ${a}, ${b})]`;
      const v = d === 'bool' ? `(${at} != 0u)` : at;
      if (b === undefined) return v;
      const zero = d === 'float32' ? '0.0f' : d === 'int32' ? '0i' : 'false';
      return `select(${zero}, ${v}, ${b})`;
    }
    case 'where':
      return `select(${c}, ${b}, ${a})`;
    case 'cast':
      return castWgsl(a, argType as DType, e.dtype, use);
    case 'bitcast':
      return `bitcast<${valueType(e.dtype, 'bitcast')}>(${a})`;
    case 'neg':
      return `(-${a})`;
    case 'not':
      return bool ? `(!${a})` : `(~${a})`;
    case 'abs':
      return f ? call('f_abs', a) : `abs(${a})`;
    case 'floor':
    case 'ceil':
    case 'round':
      // round() is half-to-even in WGSL; on int32 all three are the identity
      return f ? `${e.op}(${a})` : a;
    case 'add':
    case 'sub': {
      const sign = e.op === 'add' ? '+' : '-';
      if (!f) return `(${a} ${sign} ${b})`;
      // x - x must stay NaN for inf and NaN, (a + b) - a must round a + b first: hide from the
      // compiler that operands are one value (it folds both, as fast-math would)
      if (e.op === 'sub' && a === b) return `(${a} - ${call('f_id', b)})`;
      const [x, y] = e.args as [Exp, Exp];
      const hx = sharesOperand(x, y) ? call('f_id', a) : a;
      const hy = sharesOperand(y, x) ? call('f_id', b) : b;
      return `(${hx} ${sign} ${hy})`;
    }
    case 'mul':
      return `(${a} * ${b})`;
    case 'div':
      return f ? call('f_div', a, a === b ? call('f_id', b) : b) : call('i_div', a, b);
    case 'rem':
      return f ? call('f_rem', a, b) : call('i_rem', a, b);
    case 'pow':
      return f ? call('f_pow', a, b) : call('i_pow', a, b);
    case 'max':
      return f ? call('f_max', a, b) : bool ? `(${a} | ${b})` : `max(${a}, ${b})`;
    case 'min':
      return f ? call('f_min', a, b) : bool ? `(${a} & ${b})` : `min(${a}, ${b})`;
    case 'atan2':
      return call('f_atan2', a, b);
    case 'and':
      return `(${a} & ${b})`;
    case 'or':
      return `(${a} | ${b})`;
    case 'xor':
      return bool ? `(${a} != ${b})` : `(${a} ^ ${b})`;
    case 'shl':
      return call('i_shl', a, b);
    case 'shr':
      return call('i_shr', a, b);
    case 'sar':
      return call('i_sar', a, b);
    case 'eq':
      return f ? call('f_eq', a, b) : `(${a} == ${b})`;
    case 'ne':
      return f ? `(!${call('f_eq', a, b)})` : `(${a} != ${b})`;
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      // gt/ge swap their operands; bool compares as 0/1
      const [x, y] = e.op === 'gt' || e.op === 'ge' ? [b, a] : [a, b];
      const strict = e.op === 'lt' || e.op === 'gt';
      if (f) return call(strict ? 'f_lt' : 'f_le', x, y);
      if (bool) return `(select(0i, 1i, ${x}) ${strict ? '<' : '<='} select(0i, 1i, ${y}))`;
      return `(${x} ${strict ? '<' : '<='} ${y})`;
    }
    default: {
      const fn = F_UNARY[e.op];
      if (fn !== undefined && f) return call(fn, a);
      throw new Error(`internal: the WGSL renderer has no rule for ${e.op} on ${argType}`);
    }
  }
}

/** Renders `root` as `let` statements and a final value; constants become lets too, so no expression is a WGSL constant expression (which must not overflow). */
export class ExpRenderer {
  readonly use = new Set<string>();
  #n = 0;
  constructor(
    readonly inputs: readonly DType[],
    readonly floats: FloatConstants | null,
  ) {}

  render(root: Exp, indent: string, names = new Map<string, string>()): { lines: string[]; value: string } {
    const lines: string[] = [];
    let value = '';
    for (const n of kernelIR.postOrder(root)) {
      const known = names.get(n.key);
      if (known !== undefined) {
        value = known;
        continue;
      }
      const text = renderOp(
        n,
        n.args.map((a) => names.get(a.key) as string),
        this.inputs,
        this.use,
        this.floats,
      );
      const leaf = n.op === 'var' || n.op === 'idx' || n.op === 'acc';
      if (leaf) names.set(n.key, text);
      else {
        const name = `t${this.#n++}`;
        lines.push(`${indent}let ${name} = ${text};`);
        names.set(n.key, name);
      }
      value = names.get(n.key) as string;
    }
    return { lines, value };
  }
}

/**
 * Lines splitting the flat row-major index `flat` (an i32 expression) into the loop indices
 * `i<k>` of `loops`, whose sizes are the lets `n<k>`; `tmp` names the running quotient.
 */
export function splitIndex(flat: string, loops: readonly number[], indent: string, tmp: string): string[] {
  if (loops.length === 0) return [];
  if (loops.length === 1) return [`${indent}let i${loops[0]} = ${flat};`];
  const out = [`${indent}var ${tmp} = ${flat};`];
  for (let j = loops.length - 1; j > 0; j--) {
    const k = loops[j] as number;
    out.push(`${indent}let i${k} = ${tmp} % n${k};`, `${indent}${tmp} = ${tmp} / n${k};`);
  }
  out.push(`${indent}let i${loops[0]} = ${tmp};`);
  return out;
}
