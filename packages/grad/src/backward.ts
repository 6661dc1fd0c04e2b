import { type Array, type Atom, type Jaxpr, Literal, type Var } from '@tenfold/core';
import { transposeRules } from './rules/transpose.js';
import { type TransposeRule, UndefPrimal } from './rules/types.js';
import { addTangents, isZero, type MaybeZero, Zero } from './zero.js';

/**
 * Transposes a linear jaxpr (from linearize): walks the equations backwards, turning output
 * cotangents into input cotangents with each primitive's transpose rule. Literals are the known
 * (primal) operands; every variable is linear in the jaxpr's inputs.
 */
export function backwardPass(jaxpr: Jaxpr, cts: readonly MaybeZero[]): MaybeZero[] {
  const ctEnv = new Map<Var, MaybeZero>();
  const addCt = (a: Atom, ct: MaybeZero): void => {
    if (a instanceof Literal || isZero(ct)) return;
    const prev = ctEnv.get(a);
    ctEnv.set(a, prev === undefined ? ct : addTangents(prev, ct));
  };
  jaxpr.outs.forEach((o, i) => {
    addCt(o, cts[i] as MaybeZero);
  });
  for (let k = jaxpr.eqns.length - 1; k >= 0; k--) {
    const eqn = jaxpr.eqns[k]!;
    const ctsOut = eqn.outs.map((v) => {
      const c = ctEnv.get(v);
      ctEnv.delete(v);
      return c ?? new Zero(v.aval);
    });
    if (ctsOut.every(isZero)) continue;
    const rule = transposeRules[eqn.prim] as TransposeRule<typeof eqn.prim> | undefined;
    if (!rule) throw new Error(`${eqn.prim}: no transpose rule (the primitive is not linear); this is a bug in a JVP rule`);
    const inputs = eqn.inputs.map((a): Array | UndefPrimal => (a instanceof Literal ? a.value : new UndefPrimal(a.aval)));
    const ctsIn = rule(ctsOut, inputs, eqn.params as never);
    eqn.inputs.forEach((a, i) => {
      const c = ctsIn[i];
      if (c !== null && c !== undefined) addCt(a, c);
    });
  }
  return jaxpr.inVars.map((v) => ctEnv.get(v) ?? new Zero(v.aval));
}
