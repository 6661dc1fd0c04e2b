// Tracing the functions control flow runs (branches, loop bodies) into graphs. Values they close
// over that are tracers of an enclosing transform become explicit leading inputs of the graph
// (closure conversion), so that transform sees them as operands of the control-flow primitive.
import { type Array, Array as ArrayClass } from '../array.js';
import { ShapedArray } from '../aval.js';
import { ConcreteArray } from '../concrete.js';
import { fail } from '../errors.js';
import { type Atom, type Eqn, Jaxpr, Literal, Var } from '../ir/jaxpr.js';
import { type PartialTracer, StagingTrace, tracersToJaxpr } from '../ir/partial-eval.js';
import { asArray } from '../ops/scalar.js';
import { withDynamicTrace, withMainTrace } from '../trace.js';
import { flatten, type TreeDef } from '../tree.js';

/** A traced function: its graph takes `consts` (closed-over tracers) first, then the arguments' leaves. */
export interface Staged {
  readonly jaxpr: Jaxpr;
  readonly consts: readonly Array[];
  readonly outDef: TreeDef;
}

/** Arrays of a pytree's leaves (JS numbers and booleans as arrays of their default dtype). */
export function leafArrays(op: string, leaves: readonly unknown[]): Array[] {
  return leaves.map((l) => {
    if (l instanceof ArrayClass) return l;
    if (typeof l === 'number' || typeof l === 'boolean') return asArray(l);
    return fail(op, `operands must be Arrays, numbers, booleans or pytrees of them, got ${l === null ? 'null' : typeof l}`);
  });
}

/** Traces `f` on abstract values of `avals` (unflattened by `args`) into a closure-converted graph. */
export function stageFunction(
  op: string,
  what: string,
  f: (...args: never[]) => unknown,
  avals: readonly ShapedArray[],
  args: (leaves: readonly Array[]) => unknown[],
): Staged {
  return withMainTrace(StagingTrace, null, (main) => {
    const st = main.trace as StagingTrace;
    const ins = avals.map((a) => st.newArg(a));
    const out = withDynamicTrace(main, () => (f as (...a: unknown[]) => unknown)(...args(ins)));
    const [outLeaves, outDef] = flatten(out);
    const outs = leafArrays(`${op} (${what}'s result)`, outLeaves).map((o): PartialTracer => {
      const t = (o as { trace?: { main?: unknown } }).trace?.main === main ? (o as PartialTracer) : (st.pure(o) as PartialTracer);
      return st.instantiate(t);
    });
    const [jaxpr, consts] = closureConvert(tracersToJaxpr(ins, outs));
    return { jaxpr, consts, outDef };
  });
}

/**
 * Concrete arrays a loop's graph closes over become leading inputs too when their backend runs
 * loops itself (Backend.whileLoop): the loop may run after the caller disposed them, and as
 * operands the loop keeps its own references. Shared constants (pinned) stay literals.
 */
export function hoistLoopArrays(s: Staged): Staged {
  const [jaxpr, consts] = closureConvert(s.jaxpr, (x) => !x.isPinned && x.backend.whileLoop !== undefined);
  return consts.length === 0 ? s : { ...s, jaxpr, consts: [...consts, ...s.consts] };
}

/** Literals that are tracers (values of enclosing transforms), and concrete arrays `hoist` picks, become leading inputs. */
function closureConvert(jaxpr: Jaxpr, hoist: (x: ConcreteArray) => boolean = () => false): [Jaxpr, Array[]] {
  const constVars = new Map<Array, Var>();
  const consts: Array[] = [];
  const convert = (a: Atom): Atom => {
    if (!(a instanceof Literal) || (a.value instanceof ConcreteArray && !hoist(a.value))) return a;
    let v = constVars.get(a.value);
    if (v === undefined) {
      v = new Var(new ShapedArray(a.aval.shape, a.aval.dtype));
      constVars.set(a.value, v);
      consts.push(a.value);
    }
    return v;
  };
  const eqns: Eqn[] = jaxpr.eqns.map((e) => ({ ...e, inputs: e.inputs.map(convert) }));
  const outs = jaxpr.outs.map(convert);
  if (consts.length === 0) return [jaxpr, []];
  return [new Jaxpr([...constVars.values(), ...jaxpr.inVars], eqns, outs), consts];
}

/** `jaxpr` taking `before` extra (unused) inputs first: to give several graphs one signature. */
export function withLeadingInputs(jaxpr: Jaxpr, before: readonly ShapedArray[], ownConsts: number, after: readonly ShapedArray[]): Jaxpr {
  const own = jaxpr.inVars.slice(0, ownConsts);
  const rest = jaxpr.inVars.slice(ownConsts);
  return new Jaxpr([...before.map((a) => new Var(a)), ...own, ...after.map((a) => new Var(a)), ...rest], jaxpr.eqns, jaxpr.outs);
}
