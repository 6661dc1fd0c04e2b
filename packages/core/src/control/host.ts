// What running control flow needs from eager evaluation (passed in: eval.ts sits above control/).
import type { ConcreteArray } from '../concrete.js';
import type { Jaxpr } from '../ir/jaxpr.js';
import type { PrimitiveName, PrimitiveParams } from '../primitives/params.js';

export interface Host {
  /** Runs a graph on arrays (compiled once per graph). */
  call(jaxpr: Jaxpr, args: readonly ConcreteArray[]): ConcreteArray[];
  /** Runs one primitive eagerly. */
  prim<P extends PrimitiveName>(prim: P, args: readonly ConcreteArray[], params: PrimitiveParams[P]): ConcreteArray[];
}
