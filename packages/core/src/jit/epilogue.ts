// Epilogue fusion: the elementwise kernel that alone consumes a matmul's or conv's result, element
// by element (a bias add, an activation, an optimizer update), joins the routine's step. A
// backend that fuses it (WebGPU applies it in the matmul shader before the store) then never
// writes the product to memory; the others run the kernel right after the routine, into the
// product's own buffer.
import type { RoutineName } from '../kernel/routines.js';
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
  const readers = new Map<number, number[]>();
  steps.forEach((s, i) => {
    for (const r of new Set(stepReads(s))) {
      const list = readers.get(r);
      if (list === undefined) readers.set(r, [i]);
      else list.push(i);
    }
  });
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
