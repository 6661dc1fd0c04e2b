import type { Array } from '../array.js';
import type { ShapedArray } from '../aval.js';
import type { PrimitiveName, PrimitiveParams } from '../primitives/params.js';
import { abstractEval } from '../primitives/registry.js';
import { bind, Trace, Tracer } from '../trace.js';
import { type Atom, type Eqn, evalJaxpr, Jaxpr, Literal, Var } from './jaxpr.js';

/** How an unknown value came to be: an input of the staged function, a captured constant, or an equation. */
type Recipe =
  | { readonly kind: 'input' }
  | { readonly kind: 'const'; readonly value: Array }
  | { readonly kind: 'eqn'; readonly prim: PrimitiveName; readonly inputs: readonly PartialTracer[]; readonly params: unknown; outs: PartialTracer[] };

/**
 * A value under partial evaluation: either known (a real array, computed now) or unknown (only
 * its aval; the operations on it are recorded into a jaxpr). linearize uses this to split a JVP
 * into the primal computation, done eagerly, and the linear tangent map, staged for transposition.
 */
export class PartialTracer extends Tracer {
  readonly trace: PartialEvalTrace;
  readonly known: Array | null;
  readonly #aval: ShapedArray;
  recipe: Recipe | null;
  constructor(trace: PartialEvalTrace, aval: ShapedArray, known: Array | null, recipe: Recipe | null) {
    super();
    this.trace = trace;
    this.#aval = aval;
    this.known = known;
    this.recipe = recipe;
  }
  get aval(): ShapedArray {
    return this.#aval;
  }
  override fullLower(): Array {
    return this.known ?? this;
  }
}

/**
 * How a primitive with sub-graphs runs under partial evaluation when some operands are known and
 * some not: by evaluating its graphs on the tracers (so the known part runs now). Registered by the
 * modules that define such primitives.
 */
export type PartialEvalRule<P extends PrimitiveName> = (tracers: readonly PartialTracer[], params: PrimitiveParams[P]) => Array[];

export const partialEvalRules: Partial<{ [P in PrimitiveName]: PartialEvalRule<P> }> = {
  jit_call: (tracers, { jaxpr }) => evalJaxpr(jaxpr as Jaxpr, tracers),
};

export class PartialEvalTrace extends Trace {
  pure(x: Array): Array {
    return new PartialTracer(this, x.aval, x, null);
  }
  lift(x: Array): Array {
    return new PartialTracer(this, x.aval, x, null);
  }
  /** A new unknown input of the staged function. */
  newArg(aval: ShapedArray): PartialTracer {
    return new PartialTracer(this, aval, null, { kind: 'input' });
  }
  /** An unknown view of a tracer: a known value becomes a constant of the jaxpr. */
  instantiate(t: PartialTracer): PartialTracer {
    if (t.known === null) return t;
    return new PartialTracer(this, t.aval, null, { kind: 'const', value: t.known });
  }
  processPrimitive<P extends PrimitiveName>(prim: P, tracers: readonly Array[], params: PrimitiveParams[P]): Array[] {
    const ts = tracers as readonly PartialTracer[];
    // a primitive with a graph and known and unknown operands is split by its rule (a call by
    // evaluating its graph here: the known part runs now, the rest is staged)
    const rule = partialEvalRules[prim] as PartialEvalRule<P> | undefined;
    if (rule !== undefined && ts.some((t) => t.known !== null) && ts.some((t) => t.known === null)) return rule(ts, params);
    if (ts.every((t) => t.known !== null))
      return bind(
        prim,
        ts.map((t) => t.known as Array),
        params,
      );
    return this.stage(prim, ts, params);
  }
  /** Records `prim` on `tracers` (known ones become constants of the graph): unknown outputs. */
  protected stage<P extends PrimitiveName>(prim: P, tracers: readonly PartialTracer[], params: PrimitiveParams[P]): PartialTracer[] {
    const inputs = tracers.map((t) => this.instantiate(t));
    const outAvals = abstractEval(
      prim,
      inputs.map((t) => t.aval),
      params,
    );
    const recipe = { kind: 'eqn' as const, prim, inputs, params, outs: [] as PartialTracer[] };
    const outs = outAvals.map((a) => new PartialTracer(this, a, null, recipe));
    recipe.outs = outs;
    return outs;
  }
}

/**
 * Partial evaluation that computes nothing: every primitive is recorded, on constants too. jit
 * traces under it as the dynamic trace, so `x * 2` stages a broadcast of the scalar 2 (which the
 * compiler fuses) instead of computing a full-size constant while tracing.
 */
export class StagingTrace extends PartialEvalTrace {
  override processPrimitive<P extends PrimitiveName>(prim: P, tracers: readonly Array[], params: PrimitiveParams[P]): Array[] {
    return this.stage(prim, tracers as readonly PartialTracer[], params);
  }
}

/**
 * Builds the jaxpr computing `outs` from `ins` out of the recorded recipes (a topological sort
 * from the outputs). Captured constants become literals, so the jaxpr is closed.
 */
export function tracersToJaxpr(ins: readonly PartialTracer[], outs: readonly PartialTracer[]): Jaxpr {
  const vars = new Map<PartialTracer, Atom>();
  const inVars = ins.map((t) => {
    const v = new Var(t.aval);
    vars.set(t, v);
    return v;
  });
  const eqns: Eqn[] = [];
  const done = new Set<object>();
  const visit = (t: PartialTracer): Atom => {
    const existing = vars.get(t);
    if (existing) return existing;
    const r = t.recipe;
    if (r === null || r.kind === 'input') {
      if (t.known !== null) {
        const lit = new Literal(t.known);
        vars.set(t, lit);
        return lit;
      }
      throw new Error('internal: unknown value without a recipe in partial evaluation');
    }
    if (r.kind === 'const') {
      const lit = new Literal(r.value);
      vars.set(t, lit);
      return lit;
    }
    if (!done.has(r)) {
      done.add(r);
      const inputs = r.inputs.map(visit);
      const outVars = r.outs.map((o) => {
        const v = new Var(o.aval);
        vars.set(o, v);
        return v;
      });
      eqns.push({ prim: r.prim, inputs, params: r.params as never, outs: outVars });
    }
    return vars.get(t) as Atom;
  };
  // iterative enough for deep graphs: recursion depth is the graph depth, fine for training steps
  const outAtoms = outs.map(visit);
  return new Jaxpr(inVars, eqns, outAtoms);
}
