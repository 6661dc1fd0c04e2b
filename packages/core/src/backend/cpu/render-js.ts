// The CPU backend's renderer: a kernel of the IR becomes one generated JavaScript function, a
// loop nest over typed arrays. JavaScript computes in float64, so this is also the reference
// renderer of the element semantics (kernel/exp.ts); it rounds every float32 operation with Math.fround.
import type { DType, TypedArray } from '../../dtype.js';
import { type Exp, postOrder } from '../../kernel/exp.js';
import { type Kernel, REDUCE_IDENTITY } from '../../kernel/kernel.js';

/** A compiled kernel: writes every element of `out` from `inputs` and the runtime `vars`. */
export type JsKernel = (out: TypedArray, inputs: readonly TypedArray[], vars: readonly number[]) => void;

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

/** JS gives NaN for pow(1, NaN) and pow(±1, ±inf); C, NumPy and XLA give 1. */
function fpow(a: number, b: number): number {
  return a === 1 || (a === -1 && (b === Number.POSITIVE_INFINITY || b === Number.NEGATIVE_INFINITY)) ? 1 : a ** b;
}

function toInt32(a: number): number {
  if (a !== a) return 0;
  if (a >= 2147483647) return 2147483647;
  if (a <= -2147483648) return -2147483648;
  return a | 0;
}

const bits = new DataView(new ArrayBuffer(4));
function f32ToI32(a: number): number {
  bits.setFloat32(0, a);
  return bits.getInt32(0);
}
function i32ToF32(a: number): number {
  bits.setInt32(0, a);
  return bits.getFloat32(0);
}

/** The helpers generated code calls (small: V8 inlines them). */
const helpers = {
  roundHalfEven,
  ipow,
  fpow,
  toInt32,
  f32ToI32,
  i32ToF32,
  idiv: (a: number, b: number) => (b === 0 ? 0 : (a / b) | 0),
  irem: (a: number, b: number) => (b === 0 ? 0 : (a % b) | 0),
  shl: (a: number, b: number) => (b >>> 0 >= 32 ? 0 : a << b),
  shr: (a: number, b: number) => (b >>> 0 >= 32 ? 0 : (a >>> b) | 0),
  sar: (a: number, b: number) => (b >>> 0 >= 32 ? (a < 0 ? -1 : 0) : a >> b),
};

function jsConst(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return v < 0 ? `(${v})` : String(v);
}

const MATH: Partial<Record<string, string>> = {
  exp: 'Math.exp',
  log: 'Math.log',
  log1p: 'Math.log1p',
  expm1: 'Math.expm1',
  tanh: 'Math.tanh',
  sqrt: 'Math.sqrt',
  sin: 'Math.sin',
  cos: 'Math.cos',
  floor: 'Math.floor',
  ceil: 'Math.ceil',
  atan2: 'Math.atan2',
};

const CMP: Partial<Record<string, string>> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };

function castJs(a: string, from: DType, to: DType): string {
  if (to === 'bool') return `(${a} !== 0 ? 1 : 0)`;
  if (to === 'int32' && (from === 'float32' || from === 'float64')) return `h.toInt32(${a})`;
  return a;
}

/** One operation of `e` on already-rendered operands. */
function renderOp(e: Exp, args: readonly string[]): string {
  const [a, b, c] = args as [string, string, string];
  const int = e.dtype === 'int32';
  const bool = e.dtype === 'bool';
  switch (e.op) {
    case 'const':
      return jsConst(e.dtype === 'float32' ? Math.fround(e.value) : e.value);
    case 'var':
      return `v${e.value}`;
    case 'idx':
      return `i${e.value}`;
    case 'acc':
      return 'acc';
    case 'load':
      return b === undefined ? `in${e.value}[${a}]` : `(${b} ? in${e.value}[${a}] : 0)`;
    case 'where':
      return `(${a} ? ${b} : ${c})`;
    case 'cast':
      return castJs(a, (e.args[0] as Exp).dtype, e.dtype);
    case 'bitcast':
      return e.dtype === 'int32' ? `h.f32ToI32(${a})` : `h.i32ToF32(${a})`;
    case 'neg':
      return int ? `(-${a} | 0)` : `(-${a})`;
    case 'not':
      return bool ? `(${a} ? 0 : 1)` : `(~${a})`;
    case 'abs':
      return int ? `(Math.abs(${a}) | 0)` : `Math.abs(${a})`;
    case 'round':
      return `h.roundHalfEven(${a})`;
    case 'add':
      return int ? `((${a} + ${b}) | 0)` : `(${a} + ${b})`;
    case 'sub':
      return int ? `((${a} - ${b}) | 0)` : `(${a} - ${b})`;
    case 'mul':
      return int ? `Math.imul(${a}, ${b})` : `(${a} * ${b})`;
    case 'div':
      return int ? `h.idiv(${a}, ${b})` : `(${a} / ${b})`;
    case 'rem':
      return int ? `h.irem(${a}, ${b})` : `(${a} % ${b})`;
    case 'pow':
      return int ? `h.ipow(${a}, ${b})` : `h.fpow(${a}, ${b})`;
    case 'max':
      return bool ? `(${a} | ${b})` : `Math.max(${a}, ${b})`;
    case 'min':
      return bool ? `(${a} & ${b})` : `Math.min(${a}, ${b})`;
    case 'and':
      return `(${a} & ${b})`;
    case 'or':
      return `(${a} | ${b})`;
    case 'xor':
      return `(${a} ^ ${b})`;
    case 'shl':
    case 'shr':
    case 'sar':
      return `h.${e.op}(${a}, ${b})`;
    default: {
      const cmp = CMP[e.op];
      if (cmp !== undefined) return `(${a} ${cmp} ${b} ? 1 : 0)`;
      const fn = MATH[e.op];
      if (fn !== undefined) return `${fn}(${args.join(', ')})`;
      throw new Error(`internal: the JS renderer has no rule for ${e.op}`);
    }
  }
}

/** float32 results JS must round itself: operations on float32 values (loads, constants and vars already are). */
function roundsToFloat32(e: Exp): boolean {
  return e.dtype === 'float32' && e.op !== 'load' && e.op !== 'const' && e.op !== 'var' && e.op !== 'acc' && e.op !== 'where';
}

/**
 * Renders `root` as statements and a final expression: subexpressions used more than once become
 * `const t<n>` (so nothing is computed twice); leaves stay inline. JS computes in float64, so
 * every float32 operation is rounded with Math.fround (as float32 hardware would round it),
 * except a root that `stored` says goes straight into a Float32Array, which rounds on store.
 */
function renderExp(root: Exp, indent: string, stored = false): { lines: string[]; value: string } {
  const nodes = postOrder(root);
  const uses = new Map<string, number>();
  for (const n of nodes) for (const a of n.args) uses.set(a.key, (uses.get(a.key) ?? 0) + 1);
  const names = new Map<string, string>();
  const lines: string[] = [];
  let value = '';
  for (const n of nodes) {
    let text = renderOp(
      n,
      n.args.map((a) => names.get(a.key) as string),
    );
    if (roundsToFloat32(n) && !(stored && n === root)) text = `Math.fround(${text})`;
    const leaf = n.op === 'const' || n.op === 'var' || n.op === 'idx' || n.op === 'acc';
    if (!leaf && (uses.get(n.key) ?? 0) > 1) {
      const name = `t${lines.length}`;
      lines.push(`${indent}const ${name} = ${text};`);
      names.set(n.key, name);
    } else names.set(n.key, text);
    value = names.get(n.key) as string;
  }
  return { lines, value };
}

/** A kernel that only moves data, row by row: each row a contiguous copy or one repeated value. */
interface RowMove {
  readonly kind: 'copy' | 'fill';
  /** The row's first input index (free of the innermost loop's index). */
  readonly base: Exp;
}

function uses(e: Exp, loop: number): boolean {
  return postOrder(e).some((n) => n.op === 'idx' && n.value === loop);
}

/** Whether `kernel` (no reduction) is a plain load whose index moves by 1 or by 0 along the innermost loop. */
function rowMove(kernel: Kernel): RowMove | null {
  const body = kernel.body;
  if (body.op !== 'load' || body.args.length !== 1 || body.dtype !== kernel.inputs[body.value]) return null;
  const last = kernel.loops.length - 1;
  const index = body.args[0] as Exp;
  if (!uses(index, last)) return { kind: 'fill', base: index };
  const [base, step] = index.args;
  if (index.op === 'add' && step?.op === 'idx' && step.value === last && base !== undefined && !uses(base, last)) return { kind: 'copy', base };
  return null;
}

const COMBINE: Record<string, (acc: string, x: string, int: boolean) => string> = {
  sum: (acc, x) => `${acc} + ${x}`,
  prod: (acc, x, int) => (int ? `Math.imul(${acc}, ${x})` : `${acc} * ${x}`),
  // NaN wins, as NumPy
  max: (acc, x) => `(${x} > ${acc} || ${x} !== ${x} ? ${x} : ${acc})`,
  min: (acc, x) => `(${x} < ${acc} || ${x} !== ${x} ? ${x} : ${acc})`,
};

/** The JavaScript source of `kernel`'s function body (arguments `out, ins, v, h`). */
export function renderJs(kernel: Kernel): string {
  const L: string[] = [];
  const nLoops = kernel.loops.length;
  kernel.inputs.forEach((_, i) => {
    L.push(`const in${i} = ins[${i}];`);
  });
  const f32Vars = new Set<number>();
  for (const e of [kernel.body, kernel.reduction?.epilogue, ...kernel.loops.map((l) => l.size)]) {
    if (e) for (const n of postOrder(e)) if (n.op === 'var' && n.dtype === 'float32') f32Vars.add(n.value);
  }
  for (let i = 0; i < kernel.vars; i++) L.push(f32Vars.has(i) ? `const v${i} = Math.fround(v[${i}]);` : `const v${i} = v[${i}];`);
  kernel.loops.forEach((l, i) => {
    L.push(`const n${i} = ${renderExp(l.size, '').value};`);
  });
  const kept = kernel.loops.flatMap((l, i) => (l.reduce ? [] : [i]));
  // output strides of the kept loops (row-major in their order)
  kept.forEach((loop, j) => {
    const later = kept.slice(j + 1).map((k) => `n${k}`);
    L.push(`const os${loop} = ${later.length === 0 ? '1' : later.join(' * ')};`);
  });
  const outSize = kept.length === 0 ? '1' : kept.map((k) => `n${k}`).join(' * ');
  const red = kernel.reduction;
  const ind = (d: number) => '  '.repeat(d + 1);
  const open = (i: number) => `${ind(i)}for (let i${i} = 0; i${i} < n${i}; i${i}++) {`;
  // the output position at loop depth d: o<d> = o<d-1> + i<d> * os<d> for kept loops
  const oAt = (i: number) => {
    const prev = i === 0 ? '0' : `o${i - 1}`;
    return kernel.loops[i]?.reduce ? prev : `${prev} + i${i} * os${i}`;
  };
  if (!red) {
    const move = nLoops >= 1 ? rowMove(kernel) : null;
    if (move !== null) {
      // a pure move whose rows are contiguous (or one repeated value): typed-array copies per row
      const last = nLoops - 1;
      L.push('let o = 0;');
      for (let i = 0; i < last; i++) L.push(open(i));
      const base = renderExp(move.base, ind(last));
      const src = `in${kernel.body.value}`;
      L.push(...base.lines, `${ind(last)}const b = ${base.value};`);
      L.push(
        move.kind === 'copy'
          ? `${ind(last)}if (n${last} > 16) out.set(${src}.subarray(b, b + n${last}), o); else for (let j = 0; j < n${last}; j++) out[o + j] = ${src}[b + j];`
          : `${ind(last)}out.fill(${src}[b], o, o + n${last});`,
        `${ind(last)}o += n${last};`,
      );
      for (let i = last - 1; i >= 0; i--) L.push(`${ind(i)}}`);
    } else if (nLoops === 1) {
      L.push(open(0));
      const { lines, value } = renderExp(kernel.body, ind(1), true);
      L.push(...lines, `${ind(1)}out[i0] = ${value};`, `${ind(0)}}`);
    } else {
      L.push('let o = 0;');
      for (let i = 0; i < nLoops; i++) L.push(open(i));
      const { lines, value } = renderExp(kernel.body, ind(nLoops), true);
      L.push(...lines, `${ind(nLoops)}out[o++] = ${value};`);
      for (let i = nLoops - 1; i >= 0; i--) L.push(`${ind(i)}}`);
    }
    return L.join('\n');
  }
  // Reductions accumulate in float64 in memory order; the innermost reduced loop keeps a scalar.
  const int = kernel.body.dtype === 'int32';
  const combine = COMBINE[red.op] as (acc: string, x: string, int: boolean) => string;
  L.push(`const A = new Float64Array(${outSize}).fill(${jsConst(REDUCE_IDENTITY[red.op])});`);
  const innerReduced = nLoops > 0 && (kernel.loops[nLoops - 1] as { reduce: boolean }).reduce;
  const outerDepth = innerReduced ? nLoops - 1 : nLoops;
  for (let i = 0; i < outerDepth; i++) {
    L.push(open(i));
    L.push(`${ind(i + 1)}const o${i} = ${oAt(i)};`);
  }
  const o = outerDepth === 0 ? '0' : `o${outerDepth - 1}`;
  if (innerReduced) {
    const d = outerDepth;
    L.push(`${ind(d)}let acc = A[${o}];`, open(d));
    const { lines, value } = renderExp(kernel.body, ind(d + 1));
    L.push(...lines, `${ind(d + 1)}const x = ${value};`, `${ind(d + 1)}acc = ${combine('acc', 'x', int)};`, `${ind(d)}}`, `${ind(d)}A[${o}] = acc;`);
  } else {
    const d = outerDepth;
    const { lines, value } = renderExp(kernel.body, ind(d));
    L.push(...lines, `${ind(d)}const x = ${value};`, `${ind(d)}const acc = A[${o}];`, `${ind(d)}A[${o}] = ${combine('acc', 'x', int)};`);
  }
  for (let i = outerDepth - 1; i >= 0; i--) L.push(`${ind(i)}}`);
  const epi = red.epilogue ? renderExp(red.epilogue, '  ', true) : { lines: [], value: 'acc' };
  // the epilogue sees the reduced value as the body's dtype holds it (as if stored, then loaded)
  const acc = kernel.body.dtype === 'float32' && red.epilogue ? 'Math.fround(A[j])' : 'A[j]';
  L.push(`for (let j = 0; j < ${outSize}; j++) {`, `  const acc = ${acc};`, ...epi.lines, `  out[j] = ${epi.value};`, '}');
  return L.join('\n');
}

/** Compiles `kernel` to a function (the source is kept on it as `source` for debugging). */
export function compileJs(kernel: Kernel): JsKernel {
  const source = renderJs(kernel);
  const name = kernel.name.replace(/[^A-Za-z0-9_]/g, '_');
  const fn = new Function('h', `"use strict";\nreturn function ${name}(out, ins, v) {\n${source}\n};`)(helpers) as JsKernel;
  return Object.assign(fn, { source });
}
