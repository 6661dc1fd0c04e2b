import { ShapedArray } from '../aval.js';
import { fail } from '../errors.js';
import type { GraphParam } from './params.js';
import type { ShapeRuleTable } from './rule-types.js';

function sameAvals(op: string, what: string, got: readonly ShapedArray[], want: readonly ShapedArray[]): void {
  if (got.length !== want.length || got.some((a, i) => !a.equals(want[i] as ShapedArray))) {
    fail(op, `${what}: expected (${want.map(String).join(', ')}), got (${got.map(String).join(', ')})`);
  }
}

const ins = (g: GraphParam) => g.inVars.map((v) => v.aval);
const outs = (g: GraphParam) => g.outs.map((v) => v.aval);

/** Control flow: the operands must match the graphs' inputs, which the API traced them for. */
export const controlShapeRules: ShapeRuleTable = {
  cond: ([index, ...operands], { branches }) => {
    const i = index as ShapedArray;
    if (i.dtype !== 'int32' || i.ndim !== 0) fail('cond', `the branch index must be an int32 scalar, got ${i}`);
    for (const b of branches) sameAvals('cond', 'operands of a branch', operands, ins(b));
    return outs(branches[0] as GraphParam);
  },
  while_loop: (avals, { cond, body, condConsts, bodyConsts }) => {
    const carry = avals.slice(condConsts + bodyConsts);
    sameAvals('whileLoop', 'the loop state', carry, outs(body));
    const c = outs(cond);
    if (c.length !== 1 || (c[0] as ShapedArray).dtype !== 'bool' || (c[0] as ShapedArray).ndim !== 0)
      fail('whileLoop', `condFn must return a bool scalar, got (${c.map(String).join(', ')})`);
    return outs(body);
  },
  scan: (avals, { body, length, consts, carry }) => {
    const xs = avals.slice(consts + carry);
    const bodyIns = ins(body);
    sameAvals('scan', 'the carry', avals.slice(consts, consts + carry), outs(body).slice(0, carry));
    xs.forEach((x, i) => {
      if (x.shape[0] !== length) fail('scan', `every xs leaf needs a leading axis of length ${length}, got ${x}`);
      const slice = new ShapedArray(x.shape.slice(1), x.dtype);
      if (!slice.equals(bodyIns[consts + carry + i] as ShapedArray))
        fail('scan', `an xs slice is ${slice}, but the body was traced for ${bodyIns[consts + carry + i]}`);
    });
    const ys = outs(body)
      .slice(carry)
      .map((y) => new ShapedArray([length, ...y.shape], y.dtype));
    return [...outs(body).slice(0, carry), ...ys];
  },
};
