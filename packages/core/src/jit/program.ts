// A kernel program: what a traced graph compiles to. Values live in numbered buffer slots: the
// program's inputs first, then its captured constants, then the buffers its steps produce; each
// step names the slots it reads and writes, and the slots it frees after (from liveness).
import type { ShapedArray } from '../aval.js';
import { shortDType } from '../kernel/exp.js';
import type { Kernel } from '../kernel/kernel.js';
import type { RoutineName } from '../kernel/routines.js';
import type { PrimitiveName, PrimitiveParams } from '../primitives/params.js';

export type Step =
  | {
      readonly kind: 'kernel';
      readonly kernel: Kernel;
      /** The kernel cache key (kernel.key unless the kernel came from an eager lowering). */
      readonly key: string;
      readonly vars: readonly number[];
      readonly inputs: readonly number[];
      readonly out: number;
      readonly outAval: ShapedArray;
      /** The primitives fused into this kernel, in order, for printing. */
      readonly fused: readonly string[];
      /**
       * Buffers the kernel may write its result into (in place): inputs it reads only at the
       * element it writes, of the output's dtype and size, whose last use this step is. An input
       * of the program qualifies only when the caller gave it to the program (a donated argument).
       */
      into: number[];
      frees: number[];
      /** Program inputs last read by this step: released here when the caller gave them to the program. */
      inputFrees: number[];
    }
  | {
      readonly kind: 'routine';
      readonly name: RoutineName;
      readonly params: PrimitiveParams[RoutineName];
      readonly inputs: readonly number[];
      readonly inAvals: readonly ShapedArray[];
      readonly outs: readonly number[];
      readonly outAvals: readonly ShapedArray[];
      /** An elementwise kernel applied to the routine's result before it is stored (epilogue.ts). */
      readonly epilogue?: Epilogue;
      frees: number[];
      inputFrees: number[];
    }
  | {
      readonly kind: 'alias';
      readonly prim: string;
      readonly input: number;
      readonly out: number;
      readonly outAval: ShapedArray;
      frees: number[];
      inputFrees: number[];
    }
  | {
      /** A primitive the host runs itself (control flow: its branches and bodies are programs of their own). */
      readonly kind: 'host';
      readonly prim: PrimitiveName;
      readonly params: unknown;
      readonly inputs: readonly number[];
      readonly inAvals: readonly ShapedArray[];
      readonly outs: readonly number[];
      readonly outAvals: readonly ShapedArray[];
      frees: number[];
      inputFrees: number[];
    };

/**
 * A routine's epilogue: `kernel` reads the routine's result (`raw`, its input `result`) only at the
 * element it writes, and its other `inputs` by slot; the step's output is the kernel's.
 */
export interface Epilogue {
  readonly kernel: Kernel;
  readonly key: string;
  /** The kernel's input slots, `raw` among them. */
  readonly inputs: readonly number[];
  readonly result: number;
  /** The slot the routine's own result would have had (filled only while the step runs). */
  readonly raw: number;
  readonly rawAval: ShapedArray;
  readonly fused: readonly string[];
}

/** The slots a step reads (an epilogue's routine result is internal to its step). */
export function stepReads(s: Step): readonly number[] {
  if (s.kind === 'alias') return [s.input];
  if (s.kind === 'routine' && s.epilogue !== undefined) {
    const raw = s.epilogue.raw;
    return [...s.inputs, ...s.epilogue.inputs.filter((k) => k !== raw)];
  }
  return s.inputs;
}

/** The slots a step writes. */
export function stepWrites(s: Step): readonly number[] {
  return s.kind === 'routine' || s.kind === 'host' ? s.outs : [s.out];
}

/** A compiled graph: run it with `runProgram` (run.ts). */
export class Program {
  /** Avals of the inputs, in slots 0..n-1. */
  readonly inAvals: readonly ShapedArray[];
  /** The number of captured constants, in the slots after the inputs. */
  readonly constCount: number;
  readonly steps: readonly Step[];
  /** The slot of each output. */
  readonly outs: readonly number[];
  readonly outAvals: readonly ShapedArray[];
  readonly slotCount: number;

  constructor(opts: {
    inAvals: readonly ShapedArray[];
    constCount: number;
    steps: readonly Step[];
    outs: readonly number[];
    outAvals: readonly ShapedArray[];
    slotCount: number;
  }) {
    this.inAvals = opts.inAvals;
    this.constCount = opts.constCount;
    this.steps = opts.steps;
    this.outs = opts.outs;
    this.outAvals = opts.outAvals;
    this.slotCount = opts.slotCount;
  }

  /** How many steps are kernels (as opposed to routines and aliases). */
  get kernelCount(): number {
    return this.steps.filter((s) => s.kind === 'kernel').length;
  }

  /**
   * One line per step: `s5:f32[200,10] = kernel[add, max] (s3, s4)  into s3  free s3`; inputs
   * are `in<k>`, constants `c<k>`; `into` names the buffers the kernel may overwrite in place. A
   * routine with an epilogue reads `s6 = dot_general (in0, in1) -> kernel[add, max] (·, c0)`,
   * `·` standing for the routine's result.
   */
  toString(): string {
    const n = this.inAvals.length;
    const slot = (s: number) => (s < n ? `in${s}` : s < n + this.constCount ? `c${s - n}` : `s${s}`);
    const ty = (a: ShapedArray) => `${shortDType(a.dtype)}[${a.shape.join(',')}]`;
    const lines = this.steps.map((st): string => {
      const frees = st.frees.length > 0 ? `  free ${st.frees.map(slot).join(' ')}` : '';
      switch (st.kind) {
        case 'kernel': {
          const into = st.into.length > 0 ? `  into ${st.into.map(slot).join('|')}` : '';
          return `  ${slot(st.out)}:${ty(st.outAval)} = kernel[${st.fused.join(', ')}] (${st.inputs.map(slot).join(', ')})${into}${frees}`;
        }
        case 'routine':
          if (st.epilogue !== undefined) {
            const e = st.epilogue;
            return `  ${slot(st.outs[0] as number)}:${ty(st.outAvals[0] as ShapedArray)} = ${st.name} (${st.inputs.map(slot).join(', ')}) -> kernel[${e.fused.join(', ')}] (${e.inputs.map((k) => (k === e.raw ? '·' : slot(k))).join(', ')})${frees}`;
          }
          return `  ${st.outs.map((o, i) => `${slot(o)}:${ty(st.outAvals[i] as ShapedArray)}`).join(' ')} = ${st.name} (${st.inputs.map(slot).join(', ')})${frees}`;
        case 'host':
          return `  ${st.outs.map((o, i) => `${slot(o)}:${ty(st.outAvals[i] as ShapedArray)}`).join(' ')} = ${st.prim} (${st.inputs.map(slot).join(', ')})${frees}`;
        default:
          return `  ${slot(st.out)}:${ty(st.outAval)} = ${st.prim} ${slot(st.input)} (shares its buffer)${frees}`;
      }
    });
    const ins = this.inAvals.map((a, i) => `in${i}:${ty(a)}`).join(' ');
    return `program (${ins}) ${this.constCount > 0 ? `consts ${this.constCount} ` : ''}{\n${lines.join('\n')}\n  -> (${this.outs.map(slot).join(', ')})\n}`;
  }
}
