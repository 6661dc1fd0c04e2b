// Which elementwise kernels run on vec4s: one kept loop of a constant size that is a multiple of 4,
// so an invocation computes the outputs 4t..4t+3 of its vec4s t and stores each as one, and reads as vec4s
// every input that is only ever loaded at the output's own index. On lavapipe every storage
// access costs a per-lane address computation and bounds check, so one per four elements measured
// about 2× faster for a copy than the grid-stride scalar layout; on GPUs it is the usual 16-byte
// access.
import { type Kernel, kernelIR } from '@tenfold/core';

type Exp = kernelIR.Exp;

export interface VectorPlan {
  /** Inputs read as vec4s, and the load nodes (by key) they replace. */
  readonly inputs: ReadonlySet<number>;
  readonly loads: readonly Exp[];
}

/** The plan for `kernel` in the 'thread' mode with `elements` outputs per invocation, or null. */
export function vectorPlan(kernel: Kernel, elements: number): VectorPlan | null {
  if (elements % 4 !== 0 || kernel.reduction !== null || kernel.loops.length !== 1) return null;
  const size = (kernel.loops[0] as Kernel['loops'][number]).size;
  if (size.op !== 'const' || size.value % 4 !== 0) return null;
  const own = new Set<number>();
  const other = new Set<number>();
  const loads: Exp[] = [];
  for (const n of kernelIR.postOrder(kernel.body)) {
    if (n.op !== 'load') continue;
    const [index, mask] = n.args;
    if (mask === undefined && index?.op === 'idx' && index.value === 0) {
      own.add(n.value);
      loads.push(n);
    } else other.add(n.value);
  }
  const inputs = new Set([...own].filter((j) => !other.has(j)));
  return { inputs, loads: loads.filter((n) => inputs.has(n.value)) };
}
