// Inlining of jit_call equations: the graph of a call becomes part of its caller's, so the
// compiler and the graph passes see (and fuse across) one flat graph.
import { type Atom, type Eqn, Jaxpr, Literal, Var } from './jaxpr.js';

/** `jaxpr` with every jit_call replaced by its graph's equations (recursively); itself when it has none. */
export function inlineCalls(jaxpr: Jaxpr): Jaxpr {
  if (!jaxpr.eqns.some((e) => e.prim === 'jit_call')) return jaxpr;
  const eqns: Eqn[] = [];
  const subst = new Map<Var, Atom>();
  const read = (a: Atom): Atom => (a instanceof Var ? (subst.get(a) ?? a) : a);
  for (const e of jaxpr.eqns) {
    if (e.prim !== 'jit_call') {
      eqns.push({ ...e, inputs: e.inputs.map(read) });
      continue;
    }
    const inner = inlineCalls((e.params as unknown as { jaxpr: Jaxpr }).jaxpr);
    // fresh variables for the callee's, so a graph called twice stays SSA
    const local = new Map<Var, Atom>();
    inner.inVars.forEach((v, i) => {
      local.set(v, read(e.inputs[i] as Atom));
    });
    const get = (a: Atom): Atom => (a instanceof Literal ? a : (local.get(a) as Atom));
    for (const ie of inner.eqns) {
      const outs = ie.outs.map((o) => new Var(o.aval));
      ie.outs.forEach((o, i) => {
        local.set(o, outs[i] as Var);
      });
      eqns.push({ ...ie, inputs: ie.inputs.map(get), outs });
    }
    e.outs.forEach((o, i) => {
      subst.set(o, get(inner.outs[i] as Atom));
    });
  }
  return new Jaxpr(jaxpr.inVars, eqns, jaxpr.outs.map(read));
}
