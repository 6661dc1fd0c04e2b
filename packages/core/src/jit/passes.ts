// Graph passes run before lowering: algebraic simplification, constant folding, common-
// subexpression elimination and dead-code elimination, in one forward sweep and one backward one.
import { ConcreteArray } from '../concrete.js';
import { evalPrimitive } from '../eval.js';
import { inlineCalls } from '../ir/inline.js';
import { type Atom, type Eqn, Jaxpr, Literal, Var } from '../ir/jaxpr.js';
import type { PrimitiveParams } from '../primitives/params.js';

/** Constants folded while compiling are at most this many elements (larger ones stay fused broadcasts). */
const FOLD_LIMIT = 64;

/** The scalar a value is known to hold everywhere: a one-element literal, or a broadcast of one. */
function scalarOf(a: Atom, producers: ReadonlyMap<Var, Eqn>): number | undefined {
  if (a instanceof Literal) {
    if (a.aval.size !== 1) return undefined;
    try {
      return a.value.dataSync()[0] as number;
    } catch {
      return undefined;
    }
  }
  const e = producers.get(a);
  if (e?.prim === 'broadcast_in_dim') return scalarOf(e.inputs[0] as Atom, producers);
  return undefined;
}

function sameShape(a: Atom, b: Atom): boolean {
  return a.aval.equals(b.aval);
}

/**
 * The atom `eqn` reduces to, when it is an identity: x*1, 1*x, x/1, x-0, x+0 (int32, or adding -0),
 * reshape or broadcast to the same shape, transpose by the identity, conversion to the same dtype.
 */
function identityOf(eqn: Eqn, producers: ReadonlyMap<Var, Eqn>): Atom | undefined {
  const [a, b] = eqn.inputs as [Atom, Atom | undefined];
  const out = eqn.outs[0] as Var;
  const s = (x: Atom | undefined) => (x === undefined ? undefined : scalarOf(x, producers));
  const isInt = out.aval.dtype === 'int32';
  switch (eqn.prim) {
    case 'mul':
      if (s(b) === 1 && sameShape(a, out)) return a;
      if (s(a) === 1 && b !== undefined && sameShape(b, out)) return b;
      return undefined;
    case 'div':
      return s(b) === 1 && sameShape(a, out) ? a : undefined;
    case 'sub':
      return s(b) === 0 && sameShape(a, out) ? a : undefined;
    case 'add': {
      // x + 0 turns -0 into +0 for floats: only adding -0 is an identity there
      const zero = (v: number | undefined) => v !== undefined && (isInt ? v === 0 : Object.is(v, -0));
      if (zero(s(b)) && sameShape(a, out)) return a;
      if (zero(s(a)) && b !== undefined && sameShape(b, out)) return b;
      return undefined;
    }
    case 'reshape':
    case 'broadcast_in_dim':
    case 'convert_element_type':
    case 'stop_gradient':
      return a.aval.equals(out.aval) && (eqn.prim !== 'broadcast_in_dim' || isIdentityBroadcast(eqn)) ? a : undefined;
    case 'transpose':
      return (eqn.params as PrimitiveParams['transpose']).permutation.every((p, i) => p === i) ? a : undefined;
    default:
      return undefined;
  }
}

function isIdentityBroadcast(eqn: Eqn): boolean {
  return (eqn.params as PrimitiveParams['broadcast_in_dim']).broadcastDimensions.every((d, i) => d === i);
}

/** Rewrites chains: reshape of a reshape is one reshape; transpose of a transpose one transpose. */
function collapse(eqn: Eqn, producers: ReadonlyMap<Var, Eqn>): Eqn {
  const src = eqn.inputs[0];
  const inner = src instanceof Var ? producers.get(src) : undefined;
  if (inner === undefined) return eqn;
  if (eqn.prim === 'reshape' && inner.prim === 'reshape') return { ...eqn, inputs: [inner.inputs[0] as Atom] };
  if (eqn.prim === 'transpose' && inner.prim === 'transpose') {
    const outer = (eqn.params as PrimitiveParams['transpose']).permutation;
    const first = (inner.params as PrimitiveParams['transpose']).permutation;
    return { ...eqn, inputs: [inner.inputs[0] as Atom], params: { permutation: outer.map((p) => first[p] as number) } as never };
  }
  return eqn;
}

/** A key for params made of plain data; undefined when they hold functions or graphs (never merged). */
function paramsKey(params: unknown): string | undefined {
  let ok = true;
  const text = JSON.stringify(params, (_k, v: unknown) => {
    if (
      typeof v === 'function' ||
      v instanceof Jaxpr ||
      (typeof v === 'object' && v !== null && !globalThis.Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype)
    )
      ok = false;
    return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
  });
  return ok ? text : undefined;
}

/**
 * Evaluates an equation whose operands are all constants (literals, or small values computed from
 * them, in `known`). Returns its outputs, which replace it when they are no larger than its
 * operands; a growing result (a broadcast, an iota) is only remembered in `known`, so that the
 * equation stays a cheap index expression unless something it feeds folds.
 */
function fold(eqn: Eqn, known: Map<Var, ConcreteArray>): Literal[] | undefined {
  const args: ConcreteArray[] = [];
  for (const a of eqn.inputs) {
    const v = a instanceof Literal ? a.value : known.get(a);
    if (!(v instanceof ConcreteArray)) return undefined;
    args.push(v);
  }
  if (eqn.outs.some((o) => o.aval.size > FOLD_LIMIT) || eqn.prim === 'custom_lin') return undefined;
  let outs: ConcreteArray[];
  try {
    // evaluated directly, not through bind: compiling may happen while an outer jit is tracing
    outs = evalPrimitive(eqn.prim, args, eqn.params as never);
  } catch {
    return undefined; // left for run time, where its error names the op as usual
  }
  const inMax = Math.max(1, ...eqn.inputs.filter((a) => a instanceof Literal).map((a) => a.aval.size));
  if (eqn.outs.some((o) => o.aval.size > inMax)) {
    eqn.outs.forEach((o, i) => {
      known.set(o, outs[i] as ConcreteArray);
    });
    return undefined;
  }
  return outs.map((o) => new Literal(o));
}

/** Simplifies, folds, merges duplicates and drops dead equations; the result computes the same outputs. */
export function optimizeJaxpr(graph: Jaxpr): Jaxpr {
  const jaxpr = inlineCalls(graph);
  const subst = new Map<Var, Atom>();
  const producers = new Map<Var, Eqn>();
  const seen = new Map<string, readonly Var[]>();
  const ids = new Map<object, number>();
  const id = (a: Atom) => {
    const k = a instanceof Literal ? a.value : a;
    let n = ids.get(k);
    if (n === undefined) {
      n = ids.size;
      ids.set(k, n);
    }
    return n;
  };
  const resolve = (a: Atom): Atom => (a instanceof Var ? (subst.get(a) ?? a) : a);
  const known = new Map<Var, ConcreteArray>();
  const eqns: Eqn[] = [];
  for (const original of jaxpr.eqns) {
    let eqn: Eqn = { ...original, inputs: original.inputs.map(resolve) };
    eqn = collapse(eqn, producers);
    const same = eqn.outs.length === 1 ? identityOf(eqn, producers) : undefined;
    if (same !== undefined) {
      subst.set(eqn.outs[0] as Var, same);
      continue;
    }
    const folded = fold(eqn, known);
    if (folded !== undefined) {
      eqn.outs.forEach((o, i) => {
        subst.set(o, folded[i] as Literal);
      });
      continue;
    }
    const pk = paramsKey(eqn.params);
    if (pk !== undefined) {
      const key = `${eqn.prim}|${pk}|${eqn.inputs.map(id).join(',')}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        eqn.outs.forEach((o, i) => {
          subst.set(o, prev[i] as Var);
        });
        continue;
      }
      seen.set(key, eqn.outs);
    }
    for (const o of eqn.outs) producers.set(o, eqn);
    eqns.push(eqn);
  }
  const outs = jaxpr.outs.map(resolve);
  // dead-code elimination, backwards from the outputs (every primitive is pure)
  const live = new Set<Var>();
  for (const a of outs) if (a instanceof Var) live.add(a);
  const kept: Eqn[] = [];
  for (let i = eqns.length - 1; i >= 0; i--) {
    const e = eqns[i] as Eqn;
    if (!e.outs.some((o) => live.has(o))) continue;
    kept.push(e);
    for (const a of e.inputs) if (a instanceof Var) live.add(a);
  }
  kept.reverse();
  return new Jaxpr(jaxpr.inVars, kept, outs);
}
