import { type Array, bind, type PrimitiveName, type PrimitiveParams, type ShapedArray, Trace, Tracer } from '@tenfold/core';
import { jvpRules } from './rules/jvp.js';
import { isZero, type MaybeZero, Zero } from './zero.js';

/** A value under forward-mode differentiation: a primal and its tangent (possibly a symbolic zero). */
export class JVPTracer extends Tracer {
  readonly trace: JVPTrace;
  readonly primal: Array;
  readonly tangent: MaybeZero;
  constructor(trace: JVPTrace, primal: Array, tangent: MaybeZero) {
    super();
    this.trace = trace;
    this.primal = primal;
    this.tangent = tangent;
  }
  get aval(): ShapedArray {
    return this.primal.aval;
  }
  /** With a zero tangent the value leaves this trace: later ops on it cost no derivative work. */
  override fullLower(): Array {
    return isZero(this.tangent) ? this.primal : this;
  }
}

/** A JVP rule: primal outputs and their tangents from primal inputs and their tangents. */
export type JvpRule<P extends PrimitiveName> = (
  primals: readonly Array[],
  tangents: readonly MaybeZero[],
  params: PrimitiveParams[P],
) => [Array[], MaybeZero[]];

export class JVPTrace extends Trace {
  pure(x: Array): Array {
    return new JVPTracer(this, x, new Zero(x.aval));
  }
  lift(x: Array): Array {
    return new JVPTracer(this, x, new Zero(x.aval));
  }
  processPrimitive<P extends PrimitiveName>(prim: P, tracers: readonly Array[], params: PrimitiveParams[P]): Array[] {
    const ts = tracers as readonly JVPTracer[];
    const primals = ts.map((t) => t.primal);
    const tangents = ts.map((t) => t.tangent);
    // nothing to differentiate: evaluate at the level below and carry zero tangents
    if (tangents.every(isZero)) {
      return bind(prim, primals, params).map((p) => new JVPTracer(this, p, new Zero(p.aval)));
    }
    const rule = jvpRules[prim] as JvpRule<P> | undefined;
    if (!rule) throw new Error(`${prim}: no JVP rule; this primitive cannot be differentiated`);
    const [outs, touts] = rule(primals, tangents, params);
    return outs.map((p, i) => new JVPTracer(this, p, touts[i] as MaybeZero));
  }
}

/** Primals and tangents of values seen by the JVP trace `trace` (others have zero tangents). */
export function splitJvp(trace: JVPTrace, xs: readonly Array[]): [Array[], MaybeZero[]] {
  const primals: Array[] = [];
  const tangents: MaybeZero[] = [];
  for (const x of xs) {
    if (x instanceof JVPTracer && x.trace.main === trace.main) {
      primals.push(x.primal);
      tangents.push(x.tangent);
    } else {
      primals.push(x);
      tangents.push(new Zero(x.aval));
    }
  }
  return [primals, tangents];
}
