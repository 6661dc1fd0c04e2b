// The rules of jit_call, the primitive a jitted function is inside another transform. They stage
// the transformed graph (its JVP, its batched form) once per graph and bind another jit_call, so
// `jvp(jit(f))` and `vmap(jit(f))` run compiled programs and trace `f` once. Under reverse mode the
// partial evaluator splits a call with known and unknown operands by evaluating its graph (core's
// PartialEvalTrace); a call on tangents only stays whole, and its graph, linear, is transposed by
// the backward pass. Registered here, above the transforms they use.
import { type Array, bind, evalJaxpr, type Jaxpr, np, optimizeJaxpr, ShapedArray, stageFunction } from '@tenfold/core';
import { jvp } from './api.js';
import { backwardPass } from './backward.js';
import { batchRules } from './rules/batch.js';
import { jvpRules } from './rules/jvp.js';
import { transposeRules } from './rules/transpose.js';
import { vmap } from './vmap.js';
import { isZero, type MaybeZero } from './zero.js';

/** Traces `f` on abstract values of `avals` into an optimised graph (`f` transforms a closed graph). */
export function stageGraph(avals: readonly ShapedArray[], f: (xs: Array[]) => readonly Array[]): Jaxpr {
  const staged = stageFunction('jit', 'a transformed graph', ((...xs: Array[]) => f(xs)) as (...a: never[]) => unknown, avals, (ins) => [...ins]);
  if (staged.consts.length > 0) throw new Error('internal: a transformed closed graph captured a tracer');
  return optimizeJaxpr(staged.jaxpr);
}

/** Memoizes a derived graph per (graph, variant). */
function memo(cache: WeakMap<Jaxpr, Map<string, Jaxpr>>, jaxpr: Jaxpr, key: string, make: () => Jaxpr): Jaxpr {
  let byKey = cache.get(jaxpr);
  if (byKey === undefined) {
    byKey = new Map();
    cache.set(jaxpr, byKey);
  }
  let out = byKey.get(key);
  if (out === undefined) {
    out = make();
    byKey.set(key, out);
  }
  return out;
}

const jvpGraphs = new WeakMap<Jaxpr, Map<string, Jaxpr>>();
const batchedGraphs = new WeakMap<Jaxpr, Map<string, Jaxpr>>();

/** The graph (primals, nonzero tangents) → (outputs, output tangents) of `jaxpr`. */
export function jvpGraph(jaxpr: Jaxpr, nonzero: readonly boolean[]): Jaxpr {
  return memo(jvpGraphs, jaxpr, nonzero.map(Number).join(''), () => {
    const n = jaxpr.inVars.length;
    const avals = [...jaxpr.inVars.map((v) => v.aval), ...jaxpr.inVars.filter((_, i) => nonzero[i]).map((v) => v.aval)];
    return stageGraph(avals, (xs) => {
      const primals = xs.slice(0, n);
      let k = n;
      const tangents = primals.map((p, i) => (nonzero[i] ? (xs[k++] as Array) : np.zerosLike(p)));
      const [outs, touts] = jvp((...ys: Array[]) => evalJaxpr(jaxpr, ys), primals, tangents);
      return [...outs, ...(touts as Array[])];
    });
  });
}

/** The graph of `jaxpr` mapped over a leading axis of `size` on the inputs flagged in `batched`. */
export function batchedGraph(jaxpr: Jaxpr, batched: readonly boolean[], size: number): Jaxpr {
  return memo(batchedGraphs, jaxpr, `${batched.map(Number).join('')}:${size}`, () => {
    const avals = jaxpr.inVars.map((v, i) => (batched[i] ? new ShapedArray([size, ...v.aval.shape], v.aval.dtype) : v.aval));
    return stageGraph(avals, (xs) => vmap((...ys: Array[]) => evalJaxpr(jaxpr, ys), { inAxes: batched.map((b) => (b ? 0 : null)), axisSize: size })(...xs));
  });
}

/** Runs `jaxpr` as one jit_call primitive on `args` (tracers of any transform, or arrays). */
export function callGraph(jaxpr: Jaxpr, name: string, args: readonly Array[]): Array[] {
  return bind('jit_call', args, { jaxpr, name });
}

jvpRules.jit_call = (primals, tangents, { jaxpr, name }) => {
  const graph = jaxpr as Jaxpr;
  const nonzero = tangents.map((t) => !isZero(t));
  const outs = callGraph(jvpGraph(graph, nonzero), `jvp(${name})`, [...primals, ...(tangents.filter((_, i) => nonzero[i]) as Array[])]);
  const n = graph.outs.length;
  return [outs.slice(0, n), outs.slice(n) as MaybeZero[]];
};

batchRules.jit_call = (vals, dims, { jaxpr, name }, size) => {
  const moved = vals.map((v, i) => {
    const d = dims[i];
    return d === null || d === undefined || d === 0 ? v : np.moveaxis(v, d, 0);
  });
  const batched = dims.map((d) => d !== null && d !== undefined);
  const outs = callGraph(batchedGraph(jaxpr as Jaxpr, batched, size), `vmap(${name})`, moved);
  return [outs, outs.map(() => 0)];
};

transposeRules.jit_call = (cts, _inputs, { jaxpr }) => backwardPass(jaxpr as Jaxpr, cts);
