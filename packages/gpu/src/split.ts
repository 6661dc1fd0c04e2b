// Kernels with more inputs than one shader may bind (maxStorageBuffersPerShaderStage, less one for
// the output) run in several dispatches. Each step takes inputs away from the kernel:
// - 'expr': a sub-expression that alone reads several inputs is computed by a kernel of its own
//   over the whole loop nest (every loop kept, row-major) into a temporary buffer, and the kernel
//   reads that buffer instead (at the row-major position of its loop indices); the arithmetic is
//   the same, in the same order, so the result is too;
// - 'pack', when no sub-expression has inputs of its own (each is also read elsewhere): inputs of
//   one dtype are copied one after the other into one buffer, read at their offset (runtime vars).
// A plan is made once per kernel (backend.ts compiles its kernels) and run by runSplit, which knows
// the sizes and offsets.
import { type DType, type Executable, Kernel, kernelIR } from '@tenfold/core';
import { evalSize } from './wgsl/render.js';

type Exp = kernelIR.Exp;

export interface SplitStep {
  /**
   * 'expr': a sub-expression over the kernel's loop nest, with the kernel's vars; 'pack': its
   * inputs concatenated, vars: the total size, then each input's offset.
   */
  readonly kind: 'expr' | 'pack';
  readonly kernel: Kernel;
  /** What it reads: the original kernel's inputs by number, then step s's result as number n + s. */
  readonly inputs: readonly number[];
}

export interface SplitPlan {
  readonly steps: readonly SplitStep[];
  /** The kernel left; its vars are the original kernel's, then each pack's offsets, in step order. */
  readonly kernel: Kernel;
  readonly inputs: readonly number[];
}

/** A plan running `kernel` with at most `maxInputs` inputs per dispatch (`maxInputs` ≥ 3). */
export function splitKernel(kernel: Kernel, maxInputs: number): SplitPlan {
  if (maxInputs < 3) throw new Error(`internal: cannot split kernel ${kernel.name} for ${maxInputs} inputs per shader`);
  // loads name values: the inputs 0..n-1, then step s's result n + s
  const dtypes: DType[] = [...kernel.inputs];
  let body = kernel.body;
  let vars = kernel.vars;
  const steps: SplitStep[] = [];
  const allKept = kernel.loops.map((l) => ({ size: l.size, reduce: false }));
  while (loadsOf(body).size > maxInputs) {
    const value = dtypes.length;
    const sub = bestSubexpression(body, maxInputs);
    if (sub !== null) {
      const { exp, inputs } = compact(sub);
      steps.push({
        kind: 'expr',
        kernel: new Kernel({
          name: `${kernel.name}_part`,
          inputs: inputs.map((v) => dtypes[v] as DType),
          outDType: exp.dtype,
          loops: allKept,
          body: exp,
          vars,
        }),
        inputs,
      });
      dtypes.push(sub.dtype);
      const at = rowMajor(kernel.loops.map((l) => l.size));
      body = rewrite(body, (e) => (e.key === sub.key ? kernelIR.load(value, sub.dtype, at) : null));
    } else {
      const packed = packGroup(body, dtypes, maxInputs);
      const dtype = dtypes[packed[0] as number] as DType;
      steps.push({ kind: 'pack', kernel: packKernel(kernel.name, dtype, packed.length), inputs: packed });
      dtypes.push(dtype);
      const offset = new Map(packed.map((v, i) => [v, vars + i]));
      vars += packed.length;
      body = rewrite(body, (e, args) => {
        const slot = e.op === 'load' ? offset.get(e.value) : undefined;
        if (slot === undefined) return null;
        return kernelIR.load(value, e.dtype, kernelIR.add(kernelIR.variable(slot), args[0] as Exp), args[1]);
      });
    }
  }
  const { exp, inputs } = compact(body);
  const last = new Kernel({
    name: kernel.name,
    inputs: inputs.map((v) => dtypes[v] as DType),
    outDType: kernel.outDType,
    loops: kernel.loops,
    body: exp,
    reduction: kernel.reduction,
    vars,
  });
  return { steps, kernel: last, inputs };
}

/** The values `e` loads. */
function loadsOf(e: Exp): Set<number> {
  const s = new Set<number>();
  for (const n of kernelIR.postOrder(e)) if (n.op === 'load') s.add(n.value);
  return s;
}

/**
 * The sub-expression whose materialisation removes the most inputs from `body`: it reads between 2
 * and `maxInputs` values, and the score is how many of them nothing else reads, less one (its own
 * buffer). Null when none scores above 0.
 */
function bestSubexpression(body: Exp, maxInputs: number): Exp | null {
  const nodes = kernelIR.postOrder(body);
  const sets = new Map<string, Set<number>>();
  for (const n of nodes) {
    const s = new Set<number>(n.op === 'load' ? [n.value] : []);
    for (const a of n.args) for (const v of sets.get(a.key) as Set<number>) s.add(v);
    sets.set(n.key, s);
  }
  let best: Exp | null = null;
  let bestScore = 0;
  for (const n of nodes) {
    const s = sets.get(n.key) as Set<number>;
    if (n === body || s.size < 2 || s.size > maxInputs) continue;
    const outside = loadsOutside(body, n.key);
    let own = 0;
    for (const v of s) if (!outside.has(v)) own++;
    const score = own - 1;
    if (score > bestScore || (score === bestScore && best !== null && s.size > (sets.get(best.key) as Set<number>).size)) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}

/** The values `body` loads outside the sub-expression with key `skip`. */
function loadsOutside(body: Exp, skip: string): Set<number> {
  const out = new Set<number>();
  const seen = new Set<string>();
  const visit = (e: Exp) => {
    if (e.key === skip || seen.has(e.key)) return;
    seen.add(e.key);
    if (e.op === 'load') out.add(e.value);
    for (const a of e.args) visit(a);
  };
  visit(body);
  return out;
}

/** Up to `maxInputs` values of the dtype `body` loads most (at least 2; the caller needs one fewer input). */
function packGroup(body: Exp, dtypes: readonly DType[], maxInputs: number): number[] {
  const byType = new Map<DType, number[]>();
  for (const v of [...loadsOf(body)].sort((a, b) => a - b)) {
    const d = dtypes[v] as DType;
    byType.set(d, [...(byType.get(d) ?? []), v]);
  }
  const group = [...byType.values()].reduce((a, b) => (b.length > a.length ? b : a), []);
  if (group.length < 2) throw new Error('internal: no two inputs of one dtype to pack');
  return group.slice(0, Math.min(maxInputs, loadsOf(body).size - maxInputs + 1));
}

/** Concatenates `k` inputs of `dtype`: vars 0 = the total size, 1 + i = input i's offset. */
function packKernel(name: string, dtype: DType, k: number): Kernel {
  const o = kernelIR.loopIndex(0);
  const off = (i: number) => kernelIR.variable(1 + i);
  // every input's load is guarded: select() evaluates both of its operands
  let body = kernelIR.load(k - 1, dtype, kernelIR.sub(o, off(k - 1)), kernelIR.ge(o, off(k - 1)));
  for (let i = k - 2; i >= 0; i--) {
    const inside = kernelIR.and(kernelIR.ge(o, off(i)), kernelIR.lt(o, off(i + 1)));
    body = kernelIR.where(kernelIR.lt(o, off(i + 1)), kernelIR.load(i, dtype, kernelIR.sub(o, off(i)), inside), body);
  }
  return new Kernel({
    name: `${name}_pack`,
    inputs: new Array<DType>(k).fill(dtype),
    outDType: dtype,
    loops: [{ size: kernelIR.variable(0), reduce: false }],
    body,
    vars: 1 + k,
  });
}

/** The row-major position of the loop indices in a nest of `sizes`. */
function rowMajor(sizes: readonly Exp[]): Exp {
  let at: Exp = kernelIR.int(0);
  let stride: Exp = kernelIR.int(1);
  for (let k = sizes.length - 1; k >= 0; k--) {
    at = kernelIR.add(at, kernelIR.mul(kernelIR.loopIndex(k), stride));
    stride = kernelIR.mul(stride, sizes[k] as Exp);
  }
  return at;
}

/** `e` with its loads renumbered 0, 1, ... in order of the values they load, and those values. */
function compact(e: Exp): { exp: Exp; inputs: number[] } {
  const inputs = [...loadsOf(e)].sort((a, b) => a - b);
  const at = new Map(inputs.map((v, j) => [v, j]));
  const exp = rewrite(e, (n, args) => (n.op === 'load' ? new kernelIR.Exp('load', n.dtype, args, at.get(n.value) as number) : null));
  return { exp, inputs };
}

/**
 * `e` with nodes replaced bottom-up: `f` gets each node and its rewritten arguments and returns a
 * replacement, or null to keep the node (rebuilt on the new arguments).
 */
function rewrite(e: Exp, f: (e: Exp, args: readonly Exp[]) => Exp | null, memo = new Map<string, Exp>()): Exp {
  const known = memo.get(e.key);
  if (known !== undefined) return known;
  const args = e.args.map((a) => rewrite(a, f, memo));
  const out = f(e, args) ?? (args.every((a, i) => a === e.args[i]) ? e : new kernelIR.Exp(e.op, e.dtype, args, e.value));
  memo.set(e.key, out);
  return out;
}

/** A plan with its kernels compiled. */
export interface CompiledSplit {
  readonly plan: SplitPlan;
  /** One per step, then the last kernel. */
  readonly exes: readonly Executable[];
}

/** What runSplit needs of a backend, over its buffer type `B` (the webgpu backend's GpuBuffer). */
export interface SplitHost<B extends { readonly size: number }> {
  /** Runs a compiled kernel into a new buffer of `size` elements of `dtype`. */
  runKernel(exe: Executable, inputs: readonly B[], vars: readonly number[], dtype: DType, size: number): B;
  releaseBuffer(b: B): void;
}

/** Runs a split kernel into a new buffer of `size` elements of `dtype`; its temporaries are released. */
export function runSplit<B extends { readonly size: number }>(
  host: SplitHost<B>,
  { plan, exes }: CompiledSplit,
  inputs: readonly B[],
  vars: readonly number[],
  dtype: DType,
  size: number,
): B {
  const values = [...inputs];
  const offsets: number[] = [];
  try {
    plan.steps.forEach((step, s) => {
      const ins = step.inputs.map((v) => values[v] as B);
      const out = step.kernel.outDType;
      if (step.kind === 'expr') {
        const all = [...vars, ...offsets];
        const n = step.kernel.loops.reduce((p, l) => p * evalSize(l.size, all), 1);
        values.push(host.runKernel(exes[s] as Executable, ins, all, out, n));
      } else {
        const at: number[] = [];
        let total = 0;
        for (const b of ins) {
          at.push(total);
          total += b.size;
        }
        values.push(host.runKernel(exes[s] as Executable, ins, [total, ...at], out, total));
        offsets.push(...at);
      }
    });
    const last = exes[plan.steps.length] as Executable;
    return host.runKernel(
      last,
      plan.inputs.map((v) => values[v] as B),
      [...vars, ...offsets],
      dtype,
      size,
    );
  } finally {
    for (const t of values.slice(inputs.length)) host.releaseBuffer(t);
  }
}
