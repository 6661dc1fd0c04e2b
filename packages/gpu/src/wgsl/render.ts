// The WebGPU renderer: a kernel of core's IR becomes one WGSL compute shader. It mirrors core's
// JavaScript renderer (backend/cpu/render-js.ts) and the element semantics of kernel/exp.ts, with
// WGSL's traps handled by the helpers of lib.ts.
//
// Layout of every kernel shader (bind group 0):
//   binding 0        var<uniform> U: array<vec4<i32>, n>: slot 0 = +inf bits, slot 1 = NaN bits,
//                    slot 2 = the bits of 1.0 (a one the compiler cannot fold), slot 3 = 0,
//                    slot 4 = G, the workgroups per output of the 'split' and 'combine' modes,
//                    slots 5-7 = 0, slot 8 + k = the kernel's var k (floats as their bits, bool
//                    as 0/1), then the kernel's float constants (so the compiler cannot fold them)
//   binding 1 + j    input j, var<storage, read> (f32, i32, or u32 holding a bool as 0/1)
//   binding 1 + n    the output, var<storage, read_write> ('combine': the partials first, read)
//
// Threads: the kept loops are flattened row-major into the output index o. In the 'thread' mode
// each invocation computes ELEMENTS outputs a grid-stride apart (reduced loops run as loops inside
// it); in the 'tree' mode
// (reductions with few outputs and long reduced extents) one workgroup computes one output, its
// invocations striding over the flattened reduced loops and combining through workgroup memory.
// Reductions too long for one workgroup run in two passes: 'split' gives each output G workgroups,
// each reducing a contiguous chunk of the flattened reduced loops through a workgroup tree into a
// partial (in the accumulator's type), and 'combine' folds each output's G partials with one
// workgroup, then applies the epilogue. The workgroup grid is 2-D when it is larger than 65535 in x.
import { type DType, type Kernel, kernelIR } from '@tenfold/core';
import { helperSource } from './lib.js';

type Exp = kernelIR.Exp;
type ReduceOp = kernelIR.ReduceOp;

/** Invocations per workgroup in both modes. */
export const WORKGROUP = 64;
/** Outputs per invocation in the 'thread' mode (measured 4× faster than one on lavapipe). */
export const ELEMENTS = 4;
/** Reserved uniform slots before the kernel's vars (inf, NaN and 1.0 bits, 0, G, unused). */
export const VAR_BASE = 8;
/** The slot of G, the workgroups per output in the 'split' and 'combine' modes. */
export const GROUPS_SLOT = 4;

export type RenderMode = 'thread' | 'tree' | 'split' | 'combine';

/** The WGSL type of a value of `dtype`. */
function valueType(dtype: DType, op: string): string {
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
function slot(s: number): string {
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
class FloatConstants {
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
class ExpRenderer {
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

/** The type an accumulator of `dtype` is kept in (bool as i32 0/1, combined with max/min). */
function accType(dtype: DType): string {
  return dtype === 'bool' ? 'i32' : valueType(dtype, 'reduce');
}

function identity(op: ReduceOp, dtype: DType, use: Set<string>): string {
  if (dtype === 'float32') {
    if (op === 'sum') return '0.0f';
    if (op === 'prod') return '1.0f';
    use.add('f_inf');
    return op === 'max' ? '(-f_inf())' : 'f_inf()';
  }
  if (dtype === 'bool') return op === 'max' || op === 'sum' ? '0i' : '1i';
  if (op === 'sum') return '0i';
  if (op === 'prod') return '1i';
  return op === 'max' ? 'bitcast<i32>(0x80000000u)' : '2147483647i';
}

/** The WGSL function `fn comb(acc, x) -> T` folding one value into an accumulator. */
function combineFn(op: ReduceOp, dtype: DType, use: Set<string>): string {
  const t = accType(dtype);
  let body: string;
  if (dtype === 'float32') {
    use.add('f_isnan');
    if (op === 'sum') body = 'a + x';
    else if (op === 'prod') body = 'a * x';
    // NaN wins, as NumPy
    else if (op === 'max') body = 'select(a, x, x > a || f_isnan(x))';
    else body = 'select(a, x, x < a || f_isnan(x))';
  } else if (dtype === 'bool') body = op === 'max' || op === 'sum' ? 'max(a, x)' : 'min(a, x)';
  else if (op === 'sum') body = 'a + x';
  else if (op === 'prod') body = 'a * x';
  else body = `${op}(a, x)`;
  return `fn comb(a: ${t}, x: ${t}) -> ${t} { return ${body}; }`;
}

/** A kernel's shader and the float constants it reads from the uniform after the vars. */
export interface RenderedKernel {
  readonly code: string;
  readonly constants: readonly number[];
}

/** The WGSL of `kernel` in `mode`. */
export function renderWgsl(kernel: Kernel, mode: RenderMode = 'thread'): string {
  return renderKernel(kernel, mode).code;
}

/** The shader of `kernel` in `mode` and its float constants. */
export function renderKernel(kernel: Kernel, mode: RenderMode = 'thread'): RenderedKernel {
  const op = kernel.name;
  for (const d of [...kernel.inputs, kernel.outDType]) valueType(d, op);
  const floats = new FloatConstants(VAR_BASE + kernel.vars);
  const r = new ExpRenderer(kernel.inputs, floats);
  const red = kernel.reduction;
  if (mode !== 'thread' && !red) throw new Error(`internal: ${mode} mode needs a reduction`);
  const decl: string[] = [];
  kernel.inputs.forEach((d, j) => {
    decl.push(`@group(0) @binding(${j + 1}) var<storage, read> in${j}: array<${storageType(d, op)}>;`);
  });
  const nIn = kernel.inputs.length;
  if (mode === 'combine') decl.push(`@group(0) @binding(${nIn + 1}) var<storage, read> parts: array<${accType(kernel.body.dtype)}>;`);
  const outType = mode === 'split' ? accType(kernel.body.dtype) : storageType(kernel.outDType, op);
  decl.push(`@group(0) @binding(${nIn + (mode === 'combine' ? 2 : 1)}) var<storage, read_write> out: array<${outType}>;`);

  const L: string[] = [];
  const varTypes = varDTypes(kernel);
  for (let k = 0; k < kernel.vars; k++) {
    const d = varTypes[k] as DType;
    const raw = slot(VAR_BASE + k);
    L.push(`  let v${k} = ${d === 'float32' ? `bitcast<f32>(${raw})` : d === 'bool' ? `(${raw} != 0)` : raw};`);
  }
  // loop sizes
  const sizeNames = new Map<string, string>();
  kernel.loops.forEach((l, k) => {
    const { lines, value } = r.render(l.size, '  ', sizeNames);
    L.push(...lines, `  let n${k} = ${value};`);
  });
  const kept = kernel.loops.flatMap((l, k) => (l.reduce ? [] : [k]));
  const reduced = kernel.loops.flatMap((l, k) => (l.reduce ? [k] : []));
  const total = kept.length === 0 ? '1' : kept.map((k) => `n${k}`).join(' * ');
  L.push(`  let total = u32(${total});`);
  const store = (v: string) => (kernel.outDType === 'bool' ? `select(0u, 1u, ${v})` : v);
  /** Splits the flat index `flat` (i32) into the loop indices `loops` (row-major). */
  const split = (flat: string, loops: readonly number[], indent: string, tmp: string) => {
    if (loops.length === 0) return [];
    if (loops.length === 1) return [`${indent}let i${loops[0]} = ${flat};`];
    const out = [`${indent}var ${tmp} = ${flat};`];
    for (let j = loops.length - 1; j > 0; j--) {
      const k = loops[j] as number;
      out.push(`${indent}let i${k} = ${tmp} % n${k};`, `${indent}${tmp} = ${tmp} / n${k};`);
    }
    out.push(`${indent}let i${loops[0]} = ${tmp};`);
    return out;
  };

  const entry: string[] = [];
  if (mode === 'thread') {
    // ELEMENTS outputs per invocation, grid-stride: invocation t computes t, t + T, t + 2T, ...
    entry.push(
      `@compute @workgroup_size(${WORKGROUP})`,
      'fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
      ...L,
      `  let stride = (total + ${ELEMENTS - 1}u) / ${ELEMENTS}u;`,
      `  let t = gid.x + gid.y * nwg.x * ${WORKGROUP}u;`,
      '  if (t >= stride) { return; }',
      `  for (var e = 0u; e < ${ELEMENTS}u; e++) {`,
      '    let o = t + e * stride;',
      '    if (o >= total) { return; }',
      ...split('i32(o)', kept, '    ', 'q'),
    );
    if (!red) {
      const { lines, value } = r.render(kernel.body, '    ');
      entry.push(...lines, `    out[o] = ${store(value)};`, '  }', '}');
    } else {
      const bodyType = kernel.body.dtype;
      entry.push(`    var acc_: ${accType(bodyType)} = ${identity(red.op, bodyType, r.use)};`);
      let ind = '    ';
      for (const k of reduced) {
        entry.push(`${ind}for (var i${k} = 0i; i${k} < n${k}; i${k}++) {`);
        ind += '  ';
      }
      const { lines, value } = r.render(kernel.body, ind);
      entry.push(...lines, `${ind}acc_ = comb(acc_, ${bodyType === 'bool' ? `select(0i, 1i, ${value})` : value});`);
      for (let j = reduced.length - 1; j >= 0; j--) {
        ind = ind.slice(2);
        entry.push(`${ind}}`);
      }
      entry.push(...epilogue(kernel, r, '    ', (v) => `    out[o] = ${store(v)};`), '  }', '}');
    }
  } else {
    const bodyType = kernel.body.dtype;
    const t = accType(bodyType);
    decl.push(`var<workgroup> part: array<${t}, ${WORKGROUP}>;`);
    const rsize = reduced.length === 0 ? '1' : reduced.map((k) => `n${k}`).join(' * ');
    entry.push(
      `@compute @workgroup_size(${WORKGROUP})`,
      'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3u) {',
      ...L,
      `  let G = u32(${slot(GROUPS_SLOT)});`,
      '  let w = wid.x + wid.y * nwg.x;',
    );
    // which output this workgroup computes, and (split) which chunk of its reduced elements
    if (mode === 'split') entry.push('  let o = w / G;', '  let g = w % G;');
    else entry.push('  let o = w;');
    entry.push('  if (o >= total) { return; }', ...split('i32(o)', kept, '  ', 'q'), `  var acc_: ${t} = ${identity(red!.op, bodyType, r.use)};`);
    if (mode === 'combine') {
      entry.push(`  for (var j = lid; j < G; j += ${WORKGROUP}u) {`, '    acc_ = comb(acc_, parts[o * G + j]);', '  }');
    } else {
      entry.push(`  let rn = u32(${rsize});`);
      if (mode === 'split') entry.push('  let chunk = (rn + G - 1u) / G;', '  let lo = g * chunk;', '  let hi = min(lo + chunk, rn);');
      else entry.push('  let lo = 0u;', '  let hi = rn;');
      entry.push(`  for (var rr_ = lo + lid; rr_ < hi; rr_ += ${WORKGROUP}u) {`, ...split('i32(rr_)', reduced, '    ', 'p'));
      const { lines, value } = r.render(kernel.body, '    ');
      entry.push(...lines, `    acc_ = comb(acc_, ${bodyType === 'bool' ? `select(0i, 1i, ${value})` : value});`, '  }');
    }
    entry.push(
      '  part[lid] = acc_;',
      '  workgroupBarrier();',
      `  for (var s = ${WORKGROUP / 2}u; s > 0u; s >>= 1u) {`,
      '    if (lid < s) { part[lid] = comb(part[lid], part[lid + s]); }',
      '    workgroupBarrier();',
      '  }',
      '  if (lid == 0u) {',
    );
    if (mode === 'split') entry.push('    out[w] = part[0];');
    else entry.push('    acc_ = part[0];', ...epilogue(kernel, r, '    ', (v) => `    out[o] = ${store(v)};`));
    entry.push('  }', '}');
  }
  const fns: string[] = [];
  if (red) fns.push(combineFn(red.op, kernel.body.dtype, r.use));
  const nSlots = VAR_BASE + kernel.vars + floats.values.length;
  const uniform = [`struct Vars { v: array<vec4<i32>, ${Math.max(1, Math.ceil(nSlots / 4))}> }`, '@group(0) @binding(0) var<uniform> U: Vars;'];
  return { code: [...uniform, ...decl, helperSource(r.use), ...fns, ...entry].join('\n'), constants: floats.values };
}

/** The epilogue's lines: `acc` bound from `acc_` (bool from its 0/1), then the store. */
function epilogue(kernel: Kernel, r: ExpRenderer, indent: string, store: (v: string) => string): string[] {
  const red = kernel.reduction!;
  const bodyType = kernel.body.dtype;
  const lines = [`${indent}let acc = ${bodyType === 'bool' ? '(acc_ != 0i)' : 'acc_'};`];
  if (!red.epilogue) return [...lines, store('acc')];
  const e = r.render(red.epilogue, indent);
  return [...lines, ...e.lines, store(e.value)];
}

/** The dtype of each var slot as the kernel uses it (int32 unless a `var` node says otherwise). */
export function varDTypes(kernel: Kernel): DType[] {
  const types: DType[] = new Array(kernel.vars).fill('int32');
  const roots: Exp[] = [kernel.body, ...kernel.loops.map((l) => l.size)];
  if (kernel.reduction?.epilogue) roots.push(kernel.reduction.epilogue);
  const seen = new Set<string>();
  for (const root of roots) for (const n of kernelIR.postOrder(root, [], seen)) if (n.op === 'var') types[n.value] = n.dtype;
  return types;
}

/** Evaluates an int32 size expression on the host (loop sizes are vars, constants and their products). */
export function evalSize(e: Exp, vars: readonly number[]): number {
  const [a, b] = e.args;
  switch (e.op) {
    case 'const':
      return e.value;
    case 'var':
      return vars[e.value] as number;
    case 'add':
      return (evalSize(a!, vars) + evalSize(b!, vars)) | 0;
    case 'sub':
      return (evalSize(a!, vars) - evalSize(b!, vars)) | 0;
    case 'mul':
      return Math.imul(evalSize(a!, vars), evalSize(b!, vars));
    case 'div': {
      const d = evalSize(b!, vars);
      return d === 0 ? 0 : (evalSize(a!, vars) / d) | 0;
    }
    case 'max':
      return Math.max(evalSize(a!, vars), evalSize(b!, vars));
    case 'min':
      return Math.min(evalSize(a!, vars), evalSize(b!, vars));
    default:
      return Number.NaN;
  }
}
