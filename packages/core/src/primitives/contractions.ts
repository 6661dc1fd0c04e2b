import { ShapedArray } from '../aval.js';
import { fail } from '../errors.js';
import type { ShapeRuleTable } from './rule-types.js';

export const contractionShapeRules: ShapeRuleTable = {
  dot_general: ([l, r], { contracting, batch }) => {
    const lhs = l as ShapedArray;
    const rhs = r as ShapedArray;
    const [lc, rc] = contracting;
    const [lb, rb] = batch;
    const where = `${lhs} · ${rhs}`;
    if (lhs.dtype !== rhs.dtype) fail('dot_general', `operands must have one dtype, got ${where}; use np.matmul for promotion`);
    if (lhs.dtype === 'bool') fail('dot_general', `is not defined for bool operands ${where}`);
    if (lc.length !== rc.length) fail('dot_general', `contracting dimension lists differ in length for ${where}`);
    if (lb.length !== rb.length) fail('dot_general', `batch dimension lists differ in length for ${where}`);
    const check = (dims: readonly number[], x: ShapedArray, used: Set<number>) => {
      for (const d of dims) {
        if (!Number.isInteger(d) || d < 0 || d >= x.ndim || used.has(d)) fail('dot_general', `dimension ${d} is out of bounds or repeated for ${x}`);
        used.add(d);
      }
    };
    const lu = new Set<number>();
    const ru = new Set<number>();
    check(lc, lhs, lu);
    check(lb, lhs, lu);
    check(rc, rhs, ru);
    check(rb, rhs, ru);
    lc.forEach((d, i) => {
      const e = rc[i] as number;
      if (lhs.shape[d] !== rhs.shape[e]) {
        fail('dot_general', `contracting dimensions differ: ${lhs} dim ${d} (${lhs.shape[d]}) vs ${rhs} dim ${e} (${rhs.shape[e]})`);
      }
    });
    lb.forEach((d, i) => {
      const e = rb[i] as number;
      if (lhs.shape[d] !== rhs.shape[e]) fail('dot_general', `batch dimensions differ: ${lhs} dim ${d} vs ${rhs} dim ${e}`);
    });
    const out = [...lb.map((d) => lhs.shape[d] as number), ...lhs.shape.filter((_, i) => !lu.has(i)), ...rhs.shape.filter((_, i) => !ru.has(i))];
    return [new ShapedArray(out, lhs.dtype)];
  },
};
