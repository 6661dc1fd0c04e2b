// The WebGPU renderer: a kernel of core's IR becomes one WGSL compute shader. It mirrors core's
// JavaScript renderer (backend/cpu/render-js.ts); its element expressions are rendered by exp.ts,
// with the element semantics of kernel/exp.ts.
//
// Layout of every kernel shader (bind group 0):
//   binding 0        var<uniform> U: array<vec4<i32>, n>: slots 0-3 = exp.ts's header (inf, NaN
//                    and 1.0 bits, 0), slot 4 = G, the workgroups per output of the 'split' and 'combine' modes,
//                    slots 5-7 = 0, slot 8 + k = the kernel's var k (floats as their bits, bool
//                    as 0/1), then the kernel's float constants (so the compiler cannot fold them)
//   binding 1 + j    input j, var<storage, read> (f32, i32, or u32 holding a bool as 0/1)
//   binding 1 + n    the output, var<storage, read_write> ('combine': the partials first, read)
//
// Threads: the kept loops are flattened row-major into the output index o. In the 'thread' mode
// each invocation computes ELEMENTS outputs a grid-stride apart (reduced loops run as loops inside
// it; a kernel of one constant-size loop, a multiple of 4, without a reduction runs on vec4s instead:
// see vector.ts); in the 'tree' mode
// (reductions with few outputs and long reduced extents) one workgroup computes one output, its
// invocations striding over the flattened reduced loops and combining through workgroup memory.
// Reductions too long for one workgroup run in two passes: 'split' gives each output G workgroups,
// each reducing a contiguous chunk of the flattened reduced loops through a workgroup tree into a
// partial (in the accumulator's type), and 'combine' folds each output's G partials with one
// workgroup, then applies the epilogue. The workgroup grid is 2-D when it is larger than 65535 in x.
import { type DType, type Kernel, kernelIR } from '@tenfold/core';
import { ExpRenderer, FloatConstants, slot, splitIndex, storageType, valueType } from './exp.js';
import { helperSource } from './lib.js';
import { vectorPlan } from './vector.js';

type Exp = kernelIR.Exp;
type ReduceOp = kernelIR.ReduceOp;

/** Invocations per workgroup in both modes. */
export const WORKGROUP = 64;
/**
 * Outputs per invocation in the 'thread' mode (4 measured 4× faster than 1 on lavapipe, and 8
 * faster again with vec4 access, where the per-invocation set-up is a larger share); a multiple of 4.
 */
export const ELEMENTS = 8;
/** Reserved uniform slots before the kernel's vars (inf, NaN and 1.0 bits, 0, G, unused). */
export const VAR_BASE = 8;
/** The slot of G, the workgroups per output in the 'split' and 'combine' modes. */
export const GROUPS_SLOT = 4;

export type RenderMode = 'thread' | 'tree' | 'split' | 'combine';

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
  const vec = mode === 'thread' ? vectorPlan(kernel, ELEMENTS) : null;
  const decl: string[] = [];
  kernel.inputs.forEach((d, j) => {
    const ty = storageType(d, op);
    decl.push(`@group(0) @binding(${j + 1}) var<storage, read> in${j}: array<${vec?.inputs.has(j) ? `vec4<${ty}>` : ty}>;`);
  });
  const nIn = kernel.inputs.length;
  if (mode === 'combine') decl.push(`@group(0) @binding(${nIn + 1}) var<storage, read> parts: array<${accType(kernel.body.dtype)}>;`);
  const outType = mode === 'split' ? accType(kernel.body.dtype) : storageType(kernel.outDType, op);
  decl.push(`@group(0) @binding(${nIn + (mode === 'combine' ? 2 : 1)}) var<storage, read_write> out: array<${vec ? `vec4<${outType}>` : outType}>;`);

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
  // the body's parts that no loop index reaches (scalar inputs that jit passes as buffers, and
  // what is computed from them) are computed once per invocation, not once per element
  const bodyNames = new Map(sizeNames);
  if (mode !== 'combine') for (const e of invariantRoots(kernel.body)) L.push(...r.render(e, '  ', bodyNames).lines);
  const kept = kernel.loops.flatMap((l, k) => (l.reduce ? [] : [k]));
  const reduced = kernel.loops.flatMap((l, k) => (l.reduce ? [k] : []));
  const total = kept.length === 0 ? '1' : kept.map((k) => `n${k}`).join(' * ');
  L.push(`  let total = u32(${total});`);
  const store = (v: string) => (kernel.outDType === 'bool' ? `select(0u, 1u, ${v})` : v);
  const entry: string[] = [];
  if (vec !== null) {
    // ELEMENTS / 4 vec4s per invocation, grid-stride over the total / 4 of them; each vec4's
    // four outputs are computed one component at a time
    entry.push(
      `@compute @workgroup_size(${WORKGROUP})`,
      'fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
      ...L,
      '  let quads = total / 4u;',
      `  let stride = (total + ${ELEMENTS - 1}u) / ${ELEMENTS}u;`,
      `  let t0_ = gid.x + gid.y * nwg.x * ${WORKGROUP}u;`,
      `  for (var h = 0u; h < ${ELEMENTS / 4}u; h++) {`,
      '    let t = t0_ + h * stride;',
      '    if (t >= quads) { return; }',
      ...[...vec.inputs].map((j) => `    let x${j} = in${j}[t];`),
      `    var r_: vec4<${outType}>;`,
      '    for (var c = 0u; c < 4u; c++) {',
      '      let i0 = i32(4u * t + c);',
    );
    const names = new Map(bodyNames);
    for (const n of vec.loads) names.set(n.key, n.dtype === 'bool' ? `(x${n.value}[c] != 0u)` : `x${n.value}[c]`);
    const { lines, value } = r.render(kernel.body, '      ', names);
    entry.push(...lines, `      r_[c] = ${store(value)};`, '    }', '    out[t] = r_;', '  }', '}');
  } else if (mode === 'thread') {
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
      ...splitIndex('i32(o)', kept, '    ', 'q'),
    );
    if (!red) {
      const { lines, value } = r.render(kernel.body, '    ', bodyNames);
      entry.push(...lines, `    out[o] = ${store(value)};`, '  }', '}');
    } else {
      const bodyType = kernel.body.dtype;
      entry.push(`    var acc_: ${accType(bodyType)} = ${identity(red.op, bodyType, r.use)};`);
      let ind = '    ';
      for (const k of reduced) {
        entry.push(`${ind}for (var i${k} = 0i; i${k} < n${k}; i${k}++) {`);
        ind += '  ';
      }
      const { lines, value } = r.render(kernel.body, ind, new Map(bodyNames));
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
    entry.push('  if (o >= total) { return; }', ...splitIndex('i32(o)', kept, '  ', 'q'), `  var acc_: ${t} = ${identity(red!.op, bodyType, r.use)};`);
    if (mode === 'combine') {
      entry.push(`  for (var j = lid; j < G; j += ${WORKGROUP}u) {`, '    acc_ = comb(acc_, parts[o * G + j]);', '  }');
    } else {
      entry.push(`  let rn = u32(${rsize});`);
      if (mode === 'split') entry.push('  let chunk = (rn + G - 1u) / G;', '  let lo = g * chunk;', '  let hi = min(lo + chunk, rn);');
      else entry.push('  let lo = 0u;', '  let hi = rn;');
      entry.push(`  for (var rr_ = lo + lid; rr_ < hi; rr_ += ${WORKGROUP}u) {`, ...splitIndex('i32(rr_)', reduced, '    ', 'p'));
      const { lines, value } = r.render(kernel.body, '    ', bodyNames);
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

/** The largest subexpressions of `body` that read no loop index or accumulator, other than leaves. */
function invariantRoots(body: Exp): Exp[] {
  const variant = new Set<string>();
  const roots = new Map<string, Exp>();
  for (const n of kernelIR.postOrder(body)) {
    if (n.op === 'idx' || n.op === 'acc' || n.args.some((a) => variant.has(a.key))) {
      variant.add(n.key);
      for (const a of n.args) if (!variant.has(a.key) && a.args.length > 0) roots.set(a.key, a);
    }
  }
  return [...roots.values()];
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
