import type { Array } from './array.js';
import type { ShapedArray } from './aval.js';
import { type Backend, type BackendInput, type DataHandle, getBackend } from './backend/backend.js';
import { ConcreteArray } from './concrete.js';
import { CONTROL, type Host, runControl } from './control/run.js';
import { fail } from './errors.js';
import type { Jaxpr } from './ir/jaxpr.js';
import { type CompiledGraph, compileJaxpr } from './jit/compile.js';
import { type HostStep, runProgram } from './jit/run.js';
import { cachedKernel } from './kernel/cache.js';
import { lowerEager } from './kernel/lower/index.js';
import type { PrimitiveName, PrimitiveParams } from './primitives/params.js';
import { abstractEval } from './primitives/registry.js';
import { checkSize } from './shape.js';
import { Trace } from './trace.js';

/** Eager evaluation: the bottom of the trace stack. Runs each primitive on its backend. */
export class EvalTrace extends Trace {
  pure(x: Array): Array {
    return x;
  }
  lift(x: Array): Array {
    return x;
  }
  processPrimitive<P extends PrimitiveName>(prim: P, args: readonly Array[], params: PrimitiveParams[P]): Array[] {
    return evalPrimitive(prim, args as readonly ConcreteArray[], params);
  }
}

/**
 * Evaluates one primitive on concrete arrays: lowered to a one-op kernel (compiled once per op,
 * dtypes and shape class, then cached), an alias of its input, or a backend routine.
 */
export function evalPrimitive<P extends PrimitiveName>(prim: P, args: readonly ConcreteArray[], params: PrimitiveParams[P]): ConcreteArray[] {
  if (CONTROL.has(prim)) {
    abstractEval(
      prim,
      args.map((a) => a.aval),
      params,
    );
    return runControl(prim, args, params, host);
  }
  const avals = args.map((a) => a.aval);
  const outAvals = abstractEval(prim, avals, params);
  const backend = args.length > 0 ? (args[0] as ConcreteArray).backend : getBackend();
  if (args.some((a) => a.backend !== backend)) {
    const where = args.map((a) => `${a.aval} on ${a.backend.name}`).join(', ');
    fail(prim, `inputs live on different backends (${where}); move them to one with devicePut(x, '${backend.name}') first`);
  }
  const handles = args.map((a) => a.liveHandle(prim));
  const outs = runPrimitive(backend, prim, params, handles, avals, outAvals);
  return outs.map((h, i) => new ConcreteArray(outAvals[i] as ShapedArray, backend, h));
}

function runPrimitive<P extends PrimitiveName>(
  backend: Backend,
  prim: P,
  params: PrimitiveParams[P],
  handles: readonly DataHandle[],
  avals: readonly ShapedArray[],
  outAvals: readonly ShapedArray[],
): DataHandle[] {
  if (prim === 'jit_call') return runCall(backend, (params as PrimitiveParams['jit_call']).jaxpr as Jaxpr, handles);
  const plan = lowerEager(prim, avals, outAvals, params);
  if (plan.kind === 'alias') {
    const h = handles[0] as DataHandle;
    backend.retain(h);
    return [h];
  }
  for (const a of outAvals) checkSize(prim, a.shape, a.dtype);
  if (plan.kind === 'kernel') return [backend.run(cachedKernel(backend, plan.key, plan.build), handles, plan.vars, outAvals[0] as ShapedArray)];
  const inputs: BackendInput[] = handles.map((handle, i) => ({ handle, aval: avals[i] as ShapedArray }));
  return backend.routine(plan.name, params as PrimitiveParams[typeof plan.name], inputs, outAvals);
}

const compiledGraphs = new WeakMap<Jaxpr, CompiledGraph>();

/** `jaxpr` compiled to a kernel program (once per graph). */
export function compiledGraph(jaxpr: Jaxpr): CompiledGraph {
  let compiled = compiledGraphs.get(jaxpr);
  if (compiled === undefined) {
    compiled = compileJaxpr(jaxpr);
    compiledGraphs.set(jaxpr, compiled);
  }
  return compiled;
}

/**
 * Runs a compiled graph on buffers of `backend`: its kernels, routines and control flow. The
 * handles flagged in `given` (donated arguments) pass to the program, which may reuse their buffers.
 */
export function runCompiled(backend: Backend, compiled: CompiledGraph, handles: readonly DataHandle[], given?: readonly boolean[]): DataHandle[] {
  const consts = compiled.consts.map((c) => (c as ConcreteArray).liveHandle('jit'));
  return runProgram(backend, compiled.program, handles, consts, hostStep, given);
}

/** A jit_call on concrete arrays: its graph compiled once to a kernel program, then run. */
function runCall(backend: Backend, jaxpr: Jaxpr, handles: readonly DataHandle[]): DataHandle[] {
  return runCompiled(backend, compiledGraph(jaxpr), handles);
}

/** A control-flow step of a program, run on the host with arrays around the program's buffers. */
const hostStep: HostStep = (prim, params, handles, inAvals, backend) => {
  const args = handles.map((h, i) => {
    backend.retain(h);
    return new ConcreteArray(inAvals[i] as ShapedArray, backend, h);
  });
  const outs = evalPrimitive(prim, args, params as never);
  for (const a of args) a.dispose();
  return outs.map((o) => {
    const h = o.liveHandle(prim);
    backend.retain(h);
    o.dispose();
    return h;
  });
};

/** Eager control flow: graphs run compiled, single primitives as usual. */
const host: Host = {
  call: (jaxpr, args) => {
    const backend = args.length > 0 ? (args[0] as ConcreteArray).backend : getBackend();
    const compiled = compiledGraph(jaxpr);
    const outs = runCompiled(
      backend,
      compiled,
      args.map((a) => a.liveHandle('control flow')),
    );
    return outs.map((h, i) => new ConcreteArray(compiled.program.outAvals[i] as ShapedArray, backend, h));
  },
  prim: (prim, args, params) => evalPrimitive(prim, args, params),
};
