// Lowers a graph (jaxpr) to a kernel program. Elementwise ops, dtype conversions and movement ops
// (broadcast, transpose, slice, rev, reshape) fuse into the kernel of their consumer as expressions
// and index arithmetic; a reduction takes its elementwise producer chain as its prologue; a value
// is materialised in a buffer only where it must be (a program output, an operand of a routine or
// of an op that does not fuse, or a value several consumers share); everything else runs as the
// op's eager lowering. A matmul's or conv's elementwise consumer becomes its epilogue
// (epilogue.ts). Buffers are freed after their last use; a kernel may write in place into a
// buffer it reads for the last time, element by element.
import type { Array } from '../array.js';
import type { ShapedArray } from '../aval.js';
import type { DType } from '../dtype.js';
import { inlineCalls } from '../ir/inline.js';
import { type Atom, type Eqn, type Jaxpr, Literal, type Var } from '../ir/jaxpr.js';
import { add, bitcast, cast, constant, div, type Exp, int, load, loopIndex, mul, rem, sub, where } from '../kernel/exp.js';
import { Kernel, type Loop, type ReduceOp } from '../kernel/kernel.js';
import { lowerEager } from '../kernel/lower/index.js';
import { elementwiseEntry } from '../primitives/elementwise-table.js';
import type { PrimitiveName, PrimitiveParams } from '../primitives/params.js';
import { stridesOf } from '../shape.js';
import { readAtElement, rowMajor } from './element-reads.js';
import { EPILOGUE_ROUTINES, fuseEpilogues, fuseReductionEpilogues } from './epilogue.js';
import { fusable, kernelUses, MOVEMENT, OP_COST, RECOMPUTE_MAX } from './fusion-rules.js';
import { Program, type Step, stepReads, stepWrites } from './program.js';

/** Numbers the buffers a kernel loads, in the order it first loads them. */
class Inputs {
  readonly slots: number[] = [];
  readonly dtypes: DType[] = [];
  readonly sizes: number[] = [];
  index(slot: number, dtype: DType, size: number): number {
    const i = this.slots.indexOf(slot);
    if (i >= 0) return i;
    this.slots.push(slot);
    this.dtypes.push(dtype);
    this.sizes.push(size);
    return this.slots.length - 1;
  }
}

/** An element of a value at a per-dimension index, as an expression loading from `inputs`. */
type At = (idx: readonly Exp[], inputs: Inputs) => Exp;

interface Value {
  readonly aval: ShapedArray;
  readonly at: At;
  /** The buffer holding the value, when it is materialised. */
  readonly slot: number | null;
  /** Arithmetic operations in the fused chain (0 for a view of a buffer): what recomputing it costs. */
  readonly cost: number;
  /** The primitives fused so far, for printing. */
  readonly prims: readonly string[];
  /** Whether it is computed from a matmul's or conv's result (so it can be that routine's epilogue). */
  readonly onRoutine?: boolean;
}

function bufferValue(aval: ShapedArray, slot: number): Value {
  return { aval, slot, cost: 0, prims: [], at: (idx, inputs) => load(inputs.index(slot, aval.dtype, aval.size), aval.dtype, rowMajor(idx, aval.shape)) };
}

/** The step of a kernel the compiler fused (no runtime vars: its sizes are constants). */
function fusedStep(kernel: Kernel, inputs: readonly number[], out: number, outAval: ShapedArray, fused: readonly string[], into: number[]): Step {
  return { kind: 'kernel', kernel, key: kernel.key, vars: [], inputs, out, outAval, fused, into, frees: [], inputFrees: [] };
}

/** Control flow: run by the host, its branches and bodies compiled as programs of their own. */
const HOST: ReadonlySet<PrimitiveName> = new Set(['cond', 'while_loop', 'scan']);

const REDUCTIONS: Partial<Record<PrimitiveName, ReduceOp>> = { reduce_sum: 'sum', reduce_prod: 'prod', reduce_max: 'max', reduce_min: 'min' };

/** How a fusable primitive's output element reads its operands' elements; undefined when it does not fuse. */
function fuse(eqn: Eqn, ins: readonly Value[], out: ShapedArray): At | undefined {
  const entry = elementwiseEntry(eqn.prim);
  if (entry !== undefined) return (idx, inputs) => entry.exp(...ins.map((v) => v.at(idx, inputs)));
  const [x] = ins as [Value];
  switch (eqn.prim) {
    case 'select':
      return (idx, inputs) => where((ins[0] as Value).at(idx, inputs), (ins[1] as Value).at(idx, inputs), (ins[2] as Value).at(idx, inputs));
    case 'convert_element_type':
      return (idx, inputs) => cast(x.at(idx, inputs), out.dtype);
    case 'bitcast_convert_type':
      return (idx, inputs) => bitcast(x.at(idx, inputs), out.dtype as 'int32' | 'float32');
    case 'stop_gradient':
      return x.at;
    case 'broadcast_in_dim': {
      const { broadcastDimensions } = eqn.params as PrimitiveParams['broadcast_in_dim'];
      return (idx, inputs) =>
        x.at(
          x.aval.shape.map((n, j) => (n === 1 ? int(0) : (idx[broadcastDimensions[j] as number] as Exp))),
          inputs,
        );
    }
    case 'transpose': {
      const { permutation } = eqn.params as PrimitiveParams['transpose'];
      return (idx, inputs) => {
        const inIdx: Exp[] = new globalThis.Array(permutation.length);
        permutation.forEach((p, k) => {
          inIdx[p] = idx[k] as Exp;
        });
        return x.at(inIdx, inputs);
      };
    }
    case 'slice': {
      const { start, strides } = eqn.params as PrimitiveParams['slice'];
      return (idx, inputs) =>
        x.at(
          idx.map((ix, k) => add(int(start[k] as number), mul(ix, int(strides[k] as number)))),
          inputs,
        );
    }
    case 'rev': {
      const { axes } = eqn.params as PrimitiveParams['rev'];
      return (idx, inputs) =>
        x.at(
          idx.map((ix, k) => (axes.includes(k) ? sub(int((x.aval.shape[k] as number) - 1), ix) : ix)),
          inputs,
        );
    }
    case 'reshape':
      return (idx, inputs) => x.at(reshapeIndex(idx, out.shape, x.aval.shape), inputs);
    case 'iota': {
      const { dimension } = eqn.params as PrimitiveParams['iota'];
      return (idx) => cast(idx[dimension] as Exp, out.dtype);
    }
    default:
      return undefined;
  }
}

/** The input index of a reshape: directly when only unit dims differ, else through the flat position. */
function reshapeIndex(idx: readonly Exp[], outShape: readonly number[], inShape: readonly number[]): Exp[] {
  const outReal = outShape.flatMap((n, k) => (n === 1 ? [] : [k]));
  const inReal = inShape.flatMap((n, k) => (n === 1 ? [] : [k]));
  if (outReal.length === inReal.length && outReal.every((k, j) => outShape[k] === inShape[inReal[j] as number])) {
    const inIdx: Exp[] = inShape.map(() => int(0));
    outReal.forEach((k, j) => {
      inIdx[inReal[j] as number] = idx[k] as Exp;
    });
    return inIdx;
  }
  const flat = rowMajor(idx, outShape);
  const strides = stridesOf(inShape);
  return inShape.map((n, k) => (n === 1 ? int(0) : rem(div(flat, int(strides[k] as number)), int(n))));
}

/** A compiled graph and the constants its program reads (in the slots after the inputs). */
export interface CompiledGraph {
  readonly program: Program;
  readonly consts: readonly Array[];
}

/** A scalar literal's value, when it can be read now (and so written into the kernels). */
function scalarValue(l: Literal): number | undefined {
  if (l.aval.size !== 1) return undefined;
  try {
    return l.value.dataSync()[0] as number;
  } catch {
    return undefined; // an asynchronous backend: the literal stays a buffer
  }
}

/** Compiles `jaxpr` (its calls inlined) to a kernel program. */
export function compileJaxpr(graph: Jaxpr): CompiledGraph {
  const jaxpr = inlineCalls(graph);
  const nIn = jaxpr.inVars.length;
  const consts: Array[] = [];
  const constSlots = new Map<Array, number>();
  const steps: Step[] = [];
  const values = new Map<Var, Value>();
  let nextSlot = -1; // assigned once the constants are known

  // how many kernels read each variable, and whether a non-fusing op does
  const uses = kernelUses(jaxpr);
  const needsBuffer = new Set<Var>();
  for (const e of jaxpr.eqns) {
    for (const a of e.inputs) if (!(a instanceof Literal) && !fusable(e.prim) && REDUCTIONS[e.prim] === undefined) needsBuffer.add(a);
  }
  for (const a of jaxpr.outs) if (!(a instanceof Literal)) needsBuffer.add(a);
  // constants take the slots after the inputs; collect them first so slot numbers are stable
  const literalValue = new Map<Literal, Value>();
  const constLits: Literal[] = [];
  for (const e of jaxpr.eqns) for (const a of e.inputs) if (a instanceof Literal) constLits.push(a);
  for (const a of jaxpr.outs) if (a instanceof Literal) constLits.push(a);
  for (const l of constLits) {
    const v = scalarValue(l);
    const isOut = jaxpr.outs.includes(l);
    if (v !== undefined && !isOut) {
      const c = constant(v, l.aval.dtype);
      literalValue.set(l, { aval: l.aval, slot: null, cost: 0, prims: [], at: () => c });
      continue;
    }
    let slot = constSlots.get(l.value);
    if (slot === undefined) {
      slot = nIn + consts.length;
      consts.push(l.value);
      constSlots.set(l.value, slot);
    }
    literalValue.set(l, bufferValue(l.aval, slot));
  }
  nextSlot = nIn + consts.length;
  jaxpr.inVars.forEach((v, i) => {
    values.set(v, bufferValue(v.aval, i));
  });

  const read = (a: Atom): Value => (a instanceof Literal ? (literalValue.get(a) as Value) : (values.get(a) as Value));

  /** The value in a buffer: itself when it has one, else a kernel computing it. */
  const materialize = (v: Value): number => {
    if (v.slot !== null) return v.slot;
    const inputs = new Inputs();
    const loops: Loop[] = v.aval.shape.map((n) => ({ size: int(n), reduce: false }));
    const body = v.at(
      loops.map((_, k) => loopIndex(k)),
      inputs,
    );
    const kernel = new Kernel({ name: 'fused', inputs: inputs.dtypes, outDType: v.aval.dtype, loops, body, vars: 0 });
    const out = nextSlot++;
    // in place: into a buffer of the output's dtype and size that the kernel reads only at the element it writes
    const candidates = readAtElement(body, v.aval.shape)
      .filter((j) => inputs.dtypes[j] === v.aval.dtype && inputs.sizes[j] === v.aval.size)
      .map((j) => inputs.slots[j] as number);
    steps.push(fusedStep(kernel, inputs.slots, out, v.aval, v.prims, candidates));
    return out;
  };
  const inBuffer = (v: Value): Value => (v.slot !== null ? v : bufferValue(v.aval, materialize(v)));

  for (const eqn of jaxpr.eqns) {
    const ins = eqn.inputs.map(read);
    const outVar = eqn.outs[0] as Var;
    const reduceOp = REDUCTIONS[eqn.prim];
    if (reduceOp !== undefined) {
      // the producer chain becomes the reduction's prologue
      const x = ins[0] as Value;
      const { axes } = eqn.params as PrimitiveParams['reduce_sum'];
      const inputs = new Inputs();
      const loops: Loop[] = x.aval.shape.map((n, k) => ({ size: int(n), reduce: axes.includes(k) }));
      const body = x.at(
        loops.map((_, k) => loopIndex(k)),
        inputs,
      );
      const kernel = new Kernel({ name: 'fused', inputs: inputs.dtypes, outDType: outVar.aval.dtype, loops, body, reduction: { op: reduceOp }, vars: 0 });
      const out = nextSlot++;
      steps.push(fusedStep(kernel, inputs.slots, out, outVar.aval, [...x.prims, eqn.prim], []));
      values.set(outVar, bufferValue(outVar.aval, out));
      continue;
    }
    const at = eqn.outs.length === 1 ? fuse(eqn, ins, outVar.aval) : undefined;
    if (at !== undefined) {
      const arithmetic = MOVEMENT.has(eqn.prim) ? 0 : (OP_COST[eqn.prim] ?? 1);
      let v: Value = {
        aval: outVar.aval,
        at,
        slot: null,
        cost: ins.reduce((c, i) => c + i.cost, arithmetic),
        prims: [...new Set([...ins.flatMap((i) => i.prims), eqn.prim])],
        onRoutine: ins.some((i) => i.onRoutine === true),
      };
      // a value several kernels read is computed once, unless recomputing it costs less than a
      // round trip through memory (a view of a buffer, an add); but one computed from a matmul's
      // result is stored by that matmul's epilogue, which costs no more than storing the product
      const shared = (uses.get(outVar) ?? 0) > 1 && v.cost > 0 && (v.cost > RECOMPUTE_MAX || v.onRoutine === true);
      if (needsBuffer.has(outVar) || shared) v = bufferValue(v.aval, materialize(v));
      values.set(outVar, v);
      continue;
    }
    // everything else runs as its eager lowering on buffers
    const bufs = ins.map(inBuffer);
    const inAvals = bufs.map((b) => b.aval);
    const outAvals = eqn.outs.map((o) => o.aval);
    if (HOST.has(eqn.prim)) {
      const outs = eqn.outs.map(() => nextSlot++);
      steps.push({
        kind: 'host',
        prim: eqn.prim,
        params: eqn.params,
        inputs: bufs.map((b) => b.slot as number),
        inAvals,
        outs,
        outAvals,
        frees: [],
        inputFrees: [],
      });
      eqn.outs.forEach((o, i) => {
        values.set(o, bufferValue(o.aval, outs[i] as number));
      });
      continue;
    }
    const plan = lowerEager(eqn.prim, inAvals, outAvals, eqn.params as never);
    const inSlots = bufs.map((b) => b.slot as number);
    if (plan.kind === 'alias') {
      const out = nextSlot++;
      steps.push({ kind: 'alias', prim: eqn.prim, input: inSlots[0] as number, out, outAval: outVar.aval, frees: [], inputFrees: [] });
      values.set(outVar, bufferValue(outVar.aval, out));
    } else if (plan.kind === 'kernel') {
      const kernel = plan.build();
      const out = nextSlot++;
      steps.push({
        kind: 'kernel',
        kernel,
        key: plan.key,
        vars: plan.vars,
        inputs: inSlots,
        out,
        outAval: outVar.aval,
        fused: [eqn.prim],
        into: [],
        frees: [],
        inputFrees: [],
      });
      values.set(outVar, bufferValue(outVar.aval, out));
    } else {
      const outs = eqn.outs.map(() => nextSlot++);
      steps.push({ kind: 'routine', name: plan.name, params: eqn.params as never, inputs: inSlots, inAvals, outs, outAvals, frees: [], inputFrees: [] });
      const onRoutine = outs.length === 1 && EPILOGUE_ROUTINES.has(plan.name);
      eqn.outs.forEach((o, i) => {
        values.set(o, { ...bufferValue(o.aval, outs[i] as number), onRoutine });
      });
    }
  }
  const outs = jaxpr.outs.map((a) => materialize(read(a)));
  fuseReductionEpilogues(steps, outs);
  fuseEpilogues(steps, outs);
  planFrees(steps, nIn, nIn + consts.length, outs);
  const program = new Program({
    inAvals: jaxpr.inVars.map((v) => v.aval),
    constCount: consts.length,
    steps,
    outs,
    outAvals: jaxpr.outs.map((a) => a.aval),
    slotCount: nextSlot,
  });
  return { program, consts };
}

/**
 * Frees each buffer a step made after its last reader (at once when nothing reads it); outputs
 * stay. Marks the program inputs each step reads last (released there when donated), and keeps
 * as a kernel's in-place targets only the candidates it reads last.
 */
function planFrees(steps: Step[], nIn: number, firstOwned: number, outs: readonly number[]): void {
  const last = new Map<number, number>();
  steps.forEach((s, i) => {
    for (const w of stepWrites(s)) last.set(w, i);
    for (const r of stepReads(s)) last.set(r, i);
  });
  const kept = new Set(outs);
  for (const [slot, i] of last) {
    if (kept.has(slot) || (slot >= nIn && slot < firstOwned)) continue;
    const step = steps[i] as Step;
    if (slot < nIn) step.inputFrees.push(slot);
    else step.frees.push(slot);
  }
  steps.forEach((s, i) => {
    s.frees.sort((a, b) => a - b);
    s.inputFrees.sort((a, b) => a - b);
    if (s.kind === 'kernel') s.into = s.into.filter((slot) => last.get(slot) === i && !kept.has(slot) && (slot < nIn || slot >= firstOwned));
  });
}
