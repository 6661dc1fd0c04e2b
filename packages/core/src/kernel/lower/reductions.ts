// Reductions as kernels: the input's dims, unit dims dropped and neighbours of one kind (kept or
// reduced) merged, become the loop nest in memory order; the kept loops index the output.
import type { ShapedArray } from '../../aval.js';
import type { DType } from '../../dtype.js';
import { add, type Exp, int, load, loopIndex, mul, variable } from '../exp.js';
import { Kernel, type Loop, type ReduceOp } from '../kernel.js';
import { kernelPlan, type Lowering } from './plan.js';

/** Merged dims: sizes and whether each is reduced; the pattern ('k'/'r' per dim) names the shape class. */
function mergeReduced(shape: readonly number[], axes: readonly number[]): { sizes: number[]; reduced: boolean[] } {
  const sizes: number[] = [];
  const reduced: boolean[] = [];
  for (let i = 0; i < shape.length; i++) {
    const n = shape[i] as number;
    if (n === 1) continue;
    const r = axes.includes(i);
    const last = sizes.length - 1;
    if (last >= 0 && reduced[last] === r) sizes[last] = (sizes[last] as number) * n;
    else {
      sizes.push(n);
      reduced.push(r);
    }
  }
  return { sizes, reduced };
}

/** vars: the merged sizes, then the input strides. */
function reduceKernel(name: string, op: ReduceOp, dtype: DType, reduced: readonly boolean[]): Kernel {
  const rank = reduced.length;
  const loops: Loop[] = reduced.map((r, k) => ({ size: variable(k), reduce: r }));
  let index: Exp = int(0);
  // the input is row-major: the last dim is contiguous
  for (let k = 0; k < rank; k++) index = add(index, k === rank - 1 ? loopIndex(k) : mul(loopIndex(k), variable(rank + k)));
  return new Kernel({ name, inputs: [dtype], outDType: dtype, loops, body: load(0, dtype, index), reduction: { op }, vars: 2 * rank });
}

function reduction<P extends 'reduce_sum' | 'reduce_prod' | 'reduce_max' | 'reduce_min'>(name: P, op: ReduceOp): Lowering<P> {
  return ([x], _out, { axes }) => {
    const a = x as ShapedArray;
    const { sizes, reduced } = mergeReduced(a.shape, axes);
    const strides = new Array<number>(sizes.length);
    let s = 1;
    for (let k = sizes.length - 1; k >= 0; k--) {
      strides[k] = s;
      s *= sizes[k] as number;
    }
    const pattern = reduced.map((r) => (r ? 'r' : 'k')).join('');
    const dtype = a.dtype;
    return kernelPlan(`${name}:${dtype}:${pattern}`, [...sizes, ...strides], () => reduceKernel(name, op, dtype, reduced));
  };
}

export const reductionLowerings = {
  reduce_sum: reduction('reduce_sum', 'sum'),
  reduce_prod: reduction('reduce_prod', 'prod'),
  reduce_max: reduction('reduce_max', 'max'),
  reduce_min: reduction('reduce_min', 'min'),
};
