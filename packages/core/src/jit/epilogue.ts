// Epilogue fusion: the elementwise kernel that alone consumes a matmul's or conv's result, element
// by element (a bias add, an activation, an optimizer update), joins the routine's step. A
// backend that fuses it (WebGPU applies it in the matmul shader before the store) then never
// writes the product to memory; the others run the kernel right after the routine, into the
// product's own buffer.
import { accumulator, substituteLoads } from '../kernel/exp.js';
import { Kernel } from '../kernel/kernel.js';
import type { RoutineName } from '../kernel/routines.js';
import { readAtElement } from './element-reads.js';
import { type Step, stepReads } from './program.js';

/** Routines whose single float result can carry an epilogue. */
export const EPILOGUE_ROUTINES: ReadonlySet<RoutineName> = new Set(['dot_general', 'conv']);

type KernelStep = Extract<Step, { kind: 'kernel' }>;
type RoutineStep = Extract<Step, { kind: 'routine' }>;

/**
 * Merges into each matmul/conv step the kernel step that is the only reader of its result, when
 * that kernel reads it only at the element it writes (an in-place candidate: same dtype and size)
 * and the result is not an output of the program. Runs before the buffer plan.
 */
export function fuseEpilogues(steps: Step[], outs: readonly number[]): void {
  const readers = readersOf(steps);
  const removed = new Set<number>();
  steps.forEach((s, i) => {
    // (a step merged earlier in this loop already has its epilogue)
    if (s.kind !== 'routine' || s.epilogue !== undefined || !EPILOGUE_ROUTINES.has(s.name) || s.outs.length !== 1) return;
    const raw = s.outs[0] as number;
    const rs = readers.get(raw);
    if (rs === undefined || rs.length !== 1 || outs.includes(raw)) return;
    const k = rs[0] as number;
    const consumer = steps[k] as Step;
    if (consumer.kind !== 'kernel' || !consumer.into.includes(raw)) return;
    steps[k] = merge(s, consumer);
    removed.add(i);
  });
  // the routine runs where its epilogue's other inputs are ready: at the consumer's place
  drop(steps, removed);
}

/**
 * Makes each reduction's only consumer its epilogue when that consumer is a kernel of the reduced
 * value alone, read at the element it writes (a mean's division, a negation, a square root).
 */
export function fuseReductionEpilogues(steps: Step[], outs: readonly number[]): void {
  const readers = readersOf(steps);
  const removed = new Set<number>();
  steps.forEach((s, i) => {
    const red = s.kind === 'kernel' ? s.kernel.reduction : null;
    if (s.kind !== 'kernel' || red === null || red.epilogue !== undefined || outs.includes(s.out)) return;
    const rs = readers.get(s.out);
    if (rs === undefined || rs.length !== 1) return;
    const k = rs[0] as number;
    const c = steps[k] as Step;
    if (c.kind !== 'kernel' || c.kernel.reduction !== null || c.inputs.length !== 1 || c.kernel.vars !== 0) return;
    if (c.outAval.size !== s.outAval.size || !readAtElement(c.kernel.body, c.outAval.shape).includes(0)) return;
    const kernel = new Kernel({
      name: s.kernel.name,
      inputs: s.kernel.inputs,
      outDType: c.kernel.outDType,
      loops: s.kernel.loops,
      body: s.kernel.body,
      reduction: { op: red.op, epilogue: substituteLoads(c.kernel.body, undefined, () => accumulator(s.kernel.body.dtype)) },
      vars: s.kernel.vars,
    });
    steps[i] = { ...s, kernel, key: kernel.key, out: c.out, outAval: c.outAval, fused: [...s.fused, ...c.fused], into: [] };
    removed.add(k);
  });
  drop(steps, removed);
}

/** The steps reading each slot, in order. */
function readersOf(steps: readonly Step[]): Map<number, number[]> {
  const readers = new Map<number, number[]>();
  steps.forEach((s, i) => {
    for (const r of new Set(stepReads(s))) {
      const list = readers.get(r);
      if (list === undefined) readers.set(r, [i]);
      else list.push(i);
    }
  });
  return readers;
}

function drop(steps: Step[], removed: ReadonlySet<number>): void {
  const kept = steps.filter((_, i) => !removed.has(i));
  steps.length = 0;
  steps.push(...kept);
}

function merge(routine: RoutineStep, kernel: KernelStep): RoutineStep {
  const raw = routine.outs[0] as number;
  return {
    ...routine,
    outs: [kernel.out],
    outAvals: [kernel.outAval],
    epilogue: {
      kernel: kernel.kernel,
      key: kernel.key,
      inputs: kernel.inputs,
      result: kernel.inputs.indexOf(raw),
      raw,
      rawAval: routine.outAvals[0] as RoutineStep['outAvals'][number],
      fused: kernel.fused,
    },
  };
}
