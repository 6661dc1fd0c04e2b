import { fail } from '../errors.js';
import type { ShapeRuleTable } from './rule-types.js';

/**
 * custom_lin: a linear map known only through its transpose (what a custom VJP stages in reverse
 * mode); jit_call: a call of a traced graph.
 */
export const customShapeRules: ShapeRuleTable = {
  custom_lin: (_avals, { outAvals }) => [...outAvals],
  jit_call: (avals, { jaxpr, name }) => {
    const want = jaxpr.inVars.map((v) => v.aval);
    if (avals.length !== want.length || avals.some((a, i) => !a.equals(want[i] as (typeof want)[number]))) {
      fail('jit_call', `${name} was traced for (${want.map(String).join(', ')}), called with (${avals.map(String).join(', ')})`);
    }
    return jaxpr.outs.map((o) => o.aval);
  },
};
