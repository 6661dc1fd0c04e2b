// Control flow under partial evaluation (the step of reverse mode that separates the values known
// now from the tangents to transpose): a cond runs its taken branch when the index is a concrete
// value, or every branch and selects otherwise; a scan, whose length is static, is unrolled. A
// whileLoop is staged whole: its trip count is not static, so reverse mode stops at its transpose.
import type { Array } from '../array.js';
import { ConcreteArray } from '../concrete.js';
import { fail } from '../errors.js';
import { evalJaxpr, type Jaxpr } from '../ir/jaxpr.js';
import { partialEvalRules } from '../ir/partial-eval.js';
import { zeros } from '../ops/creation.js';
import { equal, where } from '../ops/elementwise.js';
import { concatenate, reshape } from '../ops/shape.js';
import { bind1 } from '../trace.js';

/** Registers the rules (core's entry does, once). */
export function installControlPartialEval(): void {
  partialEvalRules.cond = (tracers, { branches }) => {
    const [index, ...operands] = tracers;
    const known = index?.known;
    if (known instanceof ConcreteArray) {
      const i = Math.min(Math.max(Number(known.dataSync()[0]), 0), branches.length - 1);
      return evalJaxpr(branches[i] as Jaxpr, operands);
    }
    const outs = branches.map((b) => evalJaxpr(b as Jaxpr, operands));
    let result = outs[0] as Array[];
    for (let k = 1; k < outs.length; k++) {
      const pick = equal(index as Array, k);
      result = result.map((r, j) => where(pick, (outs[k] as Array[])[j] as Array, r));
    }
    return result;
  };
  partialEvalRules.scan = (tracers, { body, length, reverse, consts, carry: nc }) => {
    const cs = tracers.slice(0, consts);
    let carry: Array[] = tracers.slice(consts, consts + nc);
    const xs = tracers.slice(consts + nc);
    const nYs = (body as Jaxpr).outs.length - nc;
    const ys: Array[][] = globalThis.Array.from({ length: nYs }, () => new globalThis.Array<Array>(length));
    for (let k = 0; k < length; k++) {
      const t = reverse ? length - 1 - k : k;
      const slices = xs.map((x) => {
        const rest = x.shape.slice(1);
        return reshape(bind1('slice', [x], { start: [t, ...rest.map(() => 0)], limit: [t + 1, ...rest], strides: x.shape.map(() => 1) }), rest);
      });
      const outs = evalJaxpr(body as Jaxpr, [...cs, ...carry, ...slices]);
      carry = outs.slice(0, nc);
      outs.slice(nc).forEach((y, j) => {
        (ys[j] as Array[])[t] = y;
      });
    }
    const stacked = ys.map((list, j) => {
      const aval = (body as Jaxpr).outs[nc + j]?.aval;
      if (aval === undefined) return fail('scan', 'internal: a y without an aval');
      if (length === 0) return zeros([0, ...aval.shape], { dtype: aval.dtype });
      return concatenate(
        list.map((y) => reshape(y, [1, ...aval.shape])),
        0,
      );
    });
    return [...carry, ...stacked];
  };
}
