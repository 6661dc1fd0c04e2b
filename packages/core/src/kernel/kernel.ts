// A kernel of the IR: one loop nest that computes one output buffer. Elementwise ops, dtype
// conversions, movement ops (index arithmetic in the loads) and reductions are all kernels; what
// cannot be a kernel is a routine (routines.ts).
import type { DType } from '../dtype.js';
import { type Exp, postOrder, shortDType } from './exp.js';

/** One loop of the nest: its trip count (an int32 expression, usually a `var`) and whether it is reduced. */
export interface Loop {
  readonly size: Exp;
  readonly reduce: boolean;
}

/** How a reduction folds its values; each has an identity and, on floats, propagates NaN. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';

export interface Reduction {
  readonly op: ReduceOp;
  /** The output from the accumulator (`acc`), or undefined for the accumulator itself. */
  readonly epilogue?: Exp;
}

/** The identity of each reduction: its value over no elements. */
export const REDUCE_IDENTITY: Readonly<Record<ReduceOp, number>> = {
  sum: 0,
  prod: 1,
  max: Number.NEGATIVE_INFINITY,
  min: Number.POSITIVE_INFINITY,
};

/**
 * `out[o] = body` for every point of the loop nest, where `o` is the row-major position among the
 * kept (non-reduced) loops in their order; with a reduction, `out[o] = epilogue(fold(body))` over
 * the reduced loops. Loops are listed in the order a CPU walks memory best; a renderer may map the
 * kept loops to threads. `vars` runtime scalars (sizes, strides, ...) are bound at every run, so
 * one compiled kernel serves every shape of its class.
 */
export class Kernel {
  readonly name: string;
  readonly inputs: readonly DType[];
  readonly outDType: DType;
  readonly loops: readonly Loop[];
  readonly body: Exp;
  readonly reduction: Reduction | null;
  readonly vars: number;
  #key: string | undefined;

  constructor(opts: {
    name: string;
    inputs: readonly DType[];
    outDType: DType;
    loops: readonly Loop[];
    body: Exp;
    reduction?: Reduction | null;
    vars: number;
  }) {
    this.name = opts.name;
    this.inputs = opts.inputs;
    this.outDType = opts.outDType;
    this.loops = opts.loops;
    this.body = opts.body;
    this.reduction = opts.reduction ?? null;
    this.vars = opts.vars;
    const want = this.reduction ? (this.reduction.epilogue?.dtype ?? this.body.dtype) : this.body.dtype;
    if (want !== this.outDType) throw new Error(`internal: kernel ${this.name} computes ${want} for a ${this.outDType} output`);
  }

  /** A structural key: kernels with equal keys compile to the same code. */
  get key(): string {
    if (this.#key === undefined) {
      const loops = this.loops.map((l) => `${l.reduce ? 'r' : 'k'}${l.size.key}`).join(';');
      const red = this.reduction ? `${this.reduction.op}:${this.reduction.epilogue?.key ?? ''}` : '';
      this.#key = `${this.inputs.join(',')}>${this.outDType}|${this.vars}|${loops}|${red}|${this.body.key}`;
    }
    return this.#key;
  }

  /** The number of expression nodes (distinct subexpressions counted once). */
  get size(): number {
    return postOrder(this.body).length;
  }

  /**
   * A readable listing:
   * ```
   * kernel add(in0: f32, in1: f32) -> f32, vars v0
   *   for i0 < v0
   *     out[i0] = (in0[i0] + in1[i0])
   * ```
   */
  toString(): string {
    const ins = this.inputs.map((d, i) => `in${i}: ${shortDType(d)}`).join(', ');
    const vars = this.vars === 0 ? '' : `, vars ${Array.from({ length: this.vars }, (_, i) => `v${i}`).join(' ')}`;
    const loops = this.loops.map((l, i) => `i${i} < ${l.size}${l.reduce ? ' (reduce)' : ''}`).join(', ');
    const kept = this.loops.flatMap((l, i) => (l.reduce ? [] : [`i${i}`]));
    const at = kept.length === 0 ? '0' : kept.join(', ');
    const lines = [`kernel ${this.name}(${ins}) -> ${shortDType(this.outDType)}${vars}`, `  for ${loops || '()'}`];
    if (this.reduction) {
      lines.push(`    acc[${at}] = ${this.reduction.op}(acc, ${this.body})`);
      lines.push(`  out[${at}] = ${this.reduction.epilogue ? String(this.reduction.epilogue) : 'acc'}`);
    } else {
      lines.push(`    out[${at}] = ${this.body}`);
    }
    return lines.join('\n');
  }
}
