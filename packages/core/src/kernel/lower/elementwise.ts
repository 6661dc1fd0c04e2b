// Elementwise primitives, select and dtype conversions as one flat loop over the row-major
// elements: one kernel per (primitive, dtypes), whatever the shape.
import type { DType } from '../../dtype.js';
import { ELEMENTWISE, type ElementwisePrimitive, elementwiseBody } from '../../primitives/elementwise-table.js';
import { bitcast, cast, type Exp, load, loopIndex, variable, where } from '../exp.js';
import { Kernel } from '../kernel.js';
import { ALIAS, kernelPlan, type LoweringTable } from './plan.js';

/** A kernel `out[i0] = body` for i0 < v0 (the element count). */
export function flatKernel(name: string, inputs: readonly DType[], body: Exp): Kernel {
  return new Kernel({ name, inputs, outDType: body.dtype, loops: [{ size: variable(0), reduce: false }], body, vars: 1 });
}

const i0 = loopIndex(0);

function tableLowering(prim: ElementwisePrimitive) {
  const arity = ELEMENTWISE[prim].arity;
  return kernelLoweringFor(prim, (dtype) => flatKernel(prim, Array(arity).fill(dtype), elementwiseBody(prim, dtype)));
}

/** Memoizes the plan pieces per input dtype, so an eager op only looks them up. */
function kernelLoweringFor(prim: string, make: (dtype: DType) => Kernel) {
  const keys = new Map<DType, { key: string; build: () => Kernel }>();
  return (inAvals: readonly { dtype: DType }[], out: { size: number }) => {
    const dtype = (inAvals[0] as { dtype: DType }).dtype;
    let k = keys.get(dtype);
    if (k === undefined) {
      k = { key: `${prim}:${dtype}`, build: () => make(dtype) };
      keys.set(dtype, k);
    }
    return kernelPlan(k.key, [out.size], k.build);
  };
}

const table: LoweringTable = {};
for (const prim of Object.keys(ELEMENTWISE) as ElementwisePrimitive[]) (table as Record<string, unknown>)[prim] = tableLowering(prim);

export const elementwiseLowerings: LoweringTable = {
  ...table,
  select: (inAvals, out) => {
    const d = (inAvals[1] as { dtype: DType }).dtype;
    return kernelPlan(`select:${d}`, [out.size], () => flatKernel('select', ['bool', d, d], where(load(0, 'bool', i0), load(1, d, i0), load(2, d, i0))));
  },
  convert_element_type: ([x], out, { dtype }) => {
    const from = (x as { dtype: DType }).dtype;
    return kernelPlan(`convert:${from}:${dtype}`, [out.size], () => flatKernel('convert_element_type', [from], cast(load(0, from, i0), dtype)));
  },
  bitcast_convert_type: ([x], out, { dtype }) => {
    const from = (x as { dtype: DType }).dtype;
    const to = dtype as 'int32' | 'float32';
    return kernelPlan(`bitcast:${from}:${to}`, [out.size], () => flatKernel('bitcast_convert_type', [from], bitcast(load(0, from, i0), to)));
  },
  // identities on immutable row-major data share the input's buffer
  stop_gradient: () => ALIAS,
  reshape: () => ALIAS,
};
