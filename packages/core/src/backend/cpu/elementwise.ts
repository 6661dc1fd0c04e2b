import type { DType, TypedArray } from '../../dtype.js';
import { isFloatDType } from '../../dtype.js';
import type { PrimitiveName } from '../../primitives/params.js';
import type { CpuKernels } from './kernel.js';
import { takeTyped } from './pool.js';
import { erfInv } from './special.js';

/**
 * Elementwise kernels are generated JS: one monomorphic loop per (primitive, dtype), from an
 * expression over `a` (and `b`, `c`). The same expression table will serve jit's fused kernels.
 */
type Expr = (dtype: DType) => string;

const isInt = (d: DType) => d === 'int32';

export const UNARY_EXPR: Partial<Record<PrimitiveName, Expr>> = {
  neg: (d) => (isInt(d) ? '(-a) | 0' : '-a'),
  not: (d) => (d === 'bool' ? '(a ? 0 : 1)' : '~a'),
  exp: () => 'Math.exp(a)',
  log: () => 'Math.log(a)',
  log1p: () => 'Math.log1p(a)',
  expm1: () => 'Math.expm1(a)',
  tanh: () => 'Math.tanh(a)',
  logistic: () => '1 / (1 + Math.exp(-a))',
  sqrt: () => 'Math.sqrt(a)',
  rsqrt: () => '1 / Math.sqrt(a)',
  sin: () => 'Math.sin(a)',
  cos: () => 'Math.cos(a)',
  abs: (d) => (isInt(d) ? 'Math.abs(a) | 0' : 'Math.abs(a)'),
  // keeps NaN and signed zeros, as NumPy
  sign: (d) => (isInt(d) ? '(a > 0 ? 1 : a < 0 ? -1 : 0)' : '(a > 0 ? 1 : a < 0 ? -1 : a)'),
  floor: (d) => (isFloatDType(d) ? 'Math.floor(a)' : 'a'),
  ceil: (d) => (isFloatDType(d) ? 'Math.ceil(a)' : 'a'),
  round: (d) => (isFloatDType(d) ? 'h.roundHalfEven(a)' : 'a'),
  is_finite: () => '(a - a === 0 ? 1 : 0)',
  erf_inv: () => 'h.erfInv(a)',
};

export const BINARY_EXPR: Partial<Record<PrimitiveName, Expr>> = {
  add: (d) => (isInt(d) ? '(a + b) | 0' : 'a + b'),
  sub: (d) => (isInt(d) ? '(a - b) | 0' : 'a - b'),
  mul: (d) => (isInt(d) ? 'Math.imul(a, b)' : 'a * b'),
  // integer division truncates toward zero (C, lax.div); x / 0 gives 0 rather than a trap
  div: (d) => (isInt(d) ? '(b === 0 ? 0 : (a / b) | 0)' : 'a / b'),
  rem: (d) => (isInt(d) ? '(b === 0 ? 0 : (a % b) | 0)' : 'a % b'),
  // JS gives NaN for pow(1, NaN) and pow(±1, ±inf); C, NumPy and XLA give 1
  pow: (d) => (isInt(d) ? 'h.ipow(a, b)' : '(a === 1 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b))'),
  max: (d) => (d === 'bool' ? '(a | b)' : 'Math.max(a, b)'),
  min: (d) => (d === 'bool' ? '(a & b)' : 'Math.min(a, b)'),
  atan2: () => 'Math.atan2(a, b)',
  and: () => 'a & b',
  or: () => 'a | b',
  xor: () => 'a ^ b',
  // shifts by >= 32 give 0 (or the sign) as XLA, where JS would mask the count
  shift_left: () => '((b >>> 0) >= 32 ? 0 : a << b)',
  shift_right_logical: () => '((b >>> 0) >= 32 ? 0 : (a >>> b) | 0)',
  shift_right_arithmetic: () => '((b >>> 0) >= 32 ? (a < 0 ? -1 : 0) : a >> b)',
  eq: () => '(a === b ? 1 : 0)',
  ne: () => '(a !== b ? 1 : 0)',
  lt: () => '(a < b ? 1 : 0)',
  le: () => '(a <= b ? 1 : 0)',
  gt: () => '(a > b ? 1 : 0)',
  ge: () => '(a >= b ? 1 : 0)',
};

/** Conversion expression from `from` to `to`. Float → int truncates and saturates, NaN → 0 (XLA). */
export function convertExpr(from: DType, to: DType): string {
  if (to === 'bool') return '(a !== 0 ? 1 : 0)';
  if (to === 'int32' && isFloatDType(from)) return 'h.toInt32(a)';
  return 'a';
}

function roundHalfEven(a: number): number {
  const r = Math.round(a);
  return Math.abs(a % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function ipow(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b & 1 ? -1 : 1) : 0;
  let result = 1;
  let base = a;
  let e = b;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e >>>= 1;
  }
  return result;
}

function toInt32(a: number): number {
  if (a !== a) return 0;
  if (a >= 2147483647) return 2147483647;
  if (a <= -2147483648) return -2147483648;
  return a | 0;
}

const helpers = { roundHalfEven, ipow, toInt32, erfInv };

type Loop = (out: TypedArray, a: TypedArray, b: TypedArray, c: TypedArray, n: number) => void;
const loopCache = new Map<string, Loop>();

/**
 * Compiles (once) a flat loop `out[i] = expr(a[i], b[i], c[i])` that reads only the operands the
 * expression uses (reading past the end of an unused operand would deoptimize the loop).
 */
export function compileLoop(expr: string, arity: number): Loop {
  const key = `${arity}:${expr}`;
  let loop = loopCache.get(key);
  if (!loop) {
    const reads = ['const a = A[i];', 'const b = B[i];', 'const c = C[i];'].slice(0, arity).join(' ');
    const body = `return function loop(out, A, B, C, n) {
  for (let i = 0; i < n; i++) { ${reads} out[i] = ${expr}; }
};`;
    loop = new Function('h', body)(helpers) as Loop;
    loopCache.set(key, loop);
  }
  return loop;
}

const EMPTY = new Float32Array(0);

function run(expr: string, outDType: DType, inputs: readonly TypedArray[]): TypedArray {
  const n = (inputs[0] as TypedArray).length;
  const out = takeTyped(outDType, n, true);
  compileLoop(expr, inputs.length)(out, inputs[0] ?? EMPTY, inputs[1] ?? EMPTY, inputs[2] ?? EMPTY, n);
  return out;
}

export const elementwiseKernels: CpuKernels = {
  select: (inputs, _in, [out]) => [run('a ? b : c', out!.dtype, inputs)],
  convert_element_type: (inputs, [x], [out]) => [run(convertExpr(x!.dtype, out!.dtype), out!.dtype, inputs)],
  bitcast_convert_type: ([x], _in, [out]) => {
    const copy = (x as Int32Array | Float32Array).slice();
    return [out!.dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer)];
  },
};

/** A kernel for an expression table entry, with its loop looked up once per input dtype (this runs on every op). */
function tableKernel(expr: Expr, arity: number) {
  const loops = new Map<DType, Loop>();
  return (inputs: readonly TypedArray[], inAvals: readonly { dtype: DType }[], outAvals: readonly { dtype: DType }[]): TypedArray[] => {
    const inDType = inAvals[0]!.dtype;
    let loop = loops.get(inDType);
    if (!loop) {
      loop = compileLoop(expr(inDType), arity);
      loops.set(inDType, loop);
    }
    const n = (inputs[0] as TypedArray).length;
    const out = takeTyped(outAvals[0]!.dtype, n, true);
    loop(out, inputs[0] ?? EMPTY, inputs[1] ?? EMPTY, EMPTY, n);
    return [out];
  };
}

for (const [prim, expr] of Object.entries(UNARY_EXPR)) {
  (elementwiseKernels as Record<string, unknown>)[prim] = tableKernel(expr as Expr, 1);
}
for (const [prim, expr] of Object.entries(BINARY_EXPR)) {
  (elementwiseKernels as Record<string, unknown>)[prim] = tableKernel(expr as Expr, 2);
}
