// What the compiler fuses, and when a value several ops read is stored rather than recomputed.
import { type Atom, type Eqn, type Jaxpr, Literal, type Var } from '../ir/jaxpr.js';
import { elementwiseEntry } from '../primitives/elementwise-table.js';
import type { PrimitiveName } from '../primitives/params.js';

/** What an elementwise op costs to recompute, in simple arithmetic operations (default 1). */
export const OP_COST: Partial<Record<PrimitiveName, number>> = {
  div: 4,
  rem: 4,
  pow: 8,
  atan2: 8,
  exp: 8,
  exp2: 8,
  log: 8,
  log1p: 8,
  expm1: 8,
  tanh: 8,
  logistic: 8,
  sqrt: 4,
  rsqrt: 4,
  sin: 8,
  cos: 8,
  erf_inv: 16,
};

/** A shared value costing at most this much is recomputed by each consumer instead of stored. */
export const RECOMPUTE_MAX = 2;

/** Movement ops: index arithmetic in the consumer's loads, no arithmetic of their own. */
export const MOVEMENT: ReadonlySet<PrimitiveName> = new Set(['broadcast_in_dim', 'transpose', 'slice', 'rev', 'reshape', 'stop_gradient']);
const FUSABLE: ReadonlySet<PrimitiveName> = new Set([...MOVEMENT, 'select', 'convert_element_type', 'bitcast_convert_type', 'iota']);

/** Whether `prim` can run inside another op's kernel (as an expression or a reduction's prologue). */
export function fusable(prim: PrimitiveName): boolean {
  return elementwiseEntry(prim) !== undefined || FUSABLE.has(prim);
}

/**
 * How many kernels read each variable (program outputs count as one): the consumers of a value,
 * where a fusable consumer whose own result has a single consumer stands for that consumer (so
 * relu's compare and select, which fuse into one kernel, read their operand once).
 */
export function kernelUses(jaxpr: Jaxpr): Map<Var, number> {
  const consumers = new Map<Var, Eqn[]>();
  for (const e of jaxpr.eqns) {
    for (const a of new Set(e.inputs)) {
      if (a instanceof Literal) continue;
      const list = consumers.get(a);
      if (list === undefined) consumers.set(a, [e]);
      else if (!list.includes(e)) list.push(e);
    }
  }
  const outputs = new Set<Atom>(jaxpr.outs);
  const terminal = (e: Eqn): Eqn => {
    let cur = e;
    for (;;) {
      const out = cur.outs[0] as Var;
      const next = consumers.get(out);
      if (cur.outs.length !== 1 || !fusable(cur.prim) || outputs.has(out) || next === undefined || next.length !== 1) return cur;
      cur = next[0] as Eqn;
    }
  };
  const uses = new Map<Var, number>();
  for (const [v, list] of consumers) uses.set(v, new Set(list.map(terminal)).size);
  for (const a of jaxpr.outs) if (!(a instanceof Literal)) uses.set(a, (uses.get(a) ?? 0) + 1);
  return uses;
}
