// Movement ops as index arithmetic in the load: transpose, broadcast, slice and rev read their
// input through an affine view (offset + Σ index·stride); pad and concatenate guard their loads
// with validity conditions; iota is its loop index. Sizes and strides are runtime vars, so one
// kernel serves every shape of a rank.
import type { ShapedArray } from '../../aval.js';
import type { DType } from '../../dtype.js';
import { stridesOf } from '../../shape.js';
import { add, and, binary, cast, div, type Exp, ge, int, load, loopIndex, lt, mul, rem, sub, variable, where } from '../exp.js';
import { Kernel, type Loop } from '../kernel.js';
import { ALIAS, type EagerPlan, kernelPlan, type LoweringTable } from './plan.js';

/** Drops unit dims and merges dims that are contiguous in both the output and the view. */
function mergeView(shape: readonly number[], strides: readonly number[]): { sizes: number[]; strides: number[] } {
  const sizes: number[] = [];
  const ss: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const n = shape[i] as number;
    if (n === 1) continue;
    const s = strides[i] as number;
    const last = sizes.length - 1;
    if (last >= 0 && ss[last] === s * n) {
      sizes[last] = (sizes[last] as number) * n;
      ss[last] = s;
    } else {
      sizes.push(n);
      ss.push(s);
    }
  }
  return { sizes, strides: ss };
}

/**
 * `out[...] = in0[offset + Σ i_k·stride_k]`, vars: sizes, strides, offset. Strides of 0 (broadcast)
 * and 1 (contiguous) are part of the shape class (`kinds`, one of '0', '1', 'v' per dim), so the
 * common cases index without a multiply.
 */
function viewKernel(name: string, dtype: DType, kinds: string): Kernel {
  const rank = kinds.length;
  const loops: Loop[] = [];
  let index: Exp = variable(2 * rank);
  for (let k = 0; k < rank; k++) {
    loops.push({ size: variable(k), reduce: false });
    const kind = kinds[k];
    if (kind === '1') index = add(index, loopIndex(k));
    else if (kind === 'v') index = add(index, mul(loopIndex(k), variable(rank + k)));
  }
  return new Kernel({ name, inputs: [dtype], outDType: dtype, loops, body: load(0, dtype, index), vars: 2 * rank + 1 });
}

/** The stride kind of each dim: '0' broadcast, '1' contiguous, 'v' any other. */
export function strideKinds(strides: readonly number[]): string {
  return strides.map((s) => (s === 0 ? '0' : s === 1 ? '1' : 'v')).join('');
}

/** The plan of reading `x` through the view (`offset`, `strides` over the output's shape). */
function viewPlan(prim: string, x: ShapedArray, out: ShapedArray, offset: number, strides: readonly number[]): EagerPlan {
  const m = mergeView(out.shape, strides);
  const rank = m.sizes.length;
  // the whole input in order: share it
  if (offset === 0 && out.size === x.size && (rank === 0 || (rank === 1 && m.strides[0] === 1))) return ALIAS;
  const dtype = out.dtype;
  const kinds = strideKinds(m.strides);
  return kernelPlan(`${prim}:${dtype}:${kinds}`, [...m.sizes, ...m.strides, offset], () => viewKernel(prim, dtype, kinds));
}

/** `pad`: where the output position maps onto an input element (past `lo`, on the interior grid, before the end) it is read, elsewhere the pad value. */
function padKernel(dtype: DType, rank: number): Kernel {
  // vars per dim k: out size, lo, step (interior + 1), input size, input stride; then the pad value
  const v = (k: number, field: number) => variable(5 * k + field);
  const loops: Loop[] = [];
  let index: Exp = int(0);
  let valid: Exp | null = null;
  for (let k = 0; k < rank; k++) {
    loops.push({ size: v(k, 0), reduce: false });
    const t = sub(loopIndex(k), v(k, 1));
    const q = div(t, v(k, 2));
    const ok = and(and(ge(t, int(0)), binary('eq', rem(t, v(k, 2)), int(0))), lt(q, v(k, 3)));
    valid = valid === null ? ok : and(valid, ok);
    index = add(index, mul(q, v(k, 4)));
  }
  const padValue = variable(5 * rank, dtype);
  const body = valid === null ? load(0, dtype, index) : where(valid, load(0, dtype, index, valid), padValue);
  return new Kernel({ name: 'pad', inputs: [dtype], outDType: dtype, loops, body, vars: 5 * rank + 1 });
}

/** `concatenate` along the middle of [outer, axis, inner]: input j covers axis positions [start_j, end_j). */
function concatKernel(dtype: DType, n: number): Kernel {
  // vars: outer, axis length, inner, then per input: start, end, length
  const [i0, i1, i2] = [loopIndex(0), loopIndex(1), loopIndex(2)];
  const loops: Loop[] = [0, 1, 2].map((k) => ({ size: variable(k), reduce: false }));
  let body: Exp | null = null;
  for (let j = n - 1; j >= 0; j--) {
    const [start, end, len] = [variable(3 + 3 * j), variable(4 + 3 * j), variable(5 + 3 * j)];
    const inside = and(ge(i1, start), lt(i1, end));
    const index = add(mul(add(mul(i0, len), sub(i1, start)), variable(2)), i2);
    const value = load(j, dtype, index, inside);
    body = body === null ? value : where(lt(i1, end), value, body);
  }
  return new Kernel({ name: 'concatenate', inputs: Array(n).fill(dtype), outDType: dtype, loops, body: body as Exp, vars: 3 + 3 * n });
}

/** The sizes before, along and after `axis` of `shape`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i] as number;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i] as number;
  return [outer, shape[axis] as number, inner];
}

export const movementLowerings: LoweringTable = {
  transpose: ([x], out, { permutation }) => {
    const s = stridesOf((x as ShapedArray).shape);
    return viewPlan(
      'transpose',
      x as ShapedArray,
      out,
      0,
      permutation.map((p) => s[p] as number),
    );
  },
  broadcast_in_dim: ([x], out, { broadcastDimensions }) => {
    const a = x as ShapedArray;
    const s = stridesOf(a.shape);
    const strides = new Array<number>(out.ndim).fill(0);
    broadcastDimensions.forEach((d, i) => {
      if (a.shape[i] !== 1) strides[d] = s[i] as number;
    });
    return viewPlan('broadcast_in_dim', a, out, 0, strides);
  },
  slice: ([x], out, { start, strides }) => {
    const a = x as ShapedArray;
    const s = stridesOf(a.shape);
    let offset = 0;
    start.forEach((st, i) => {
      offset += st * (s[i] as number);
    });
    return viewPlan(
      'slice',
      a,
      out,
      offset,
      s.map((v, i) => v * (strides[i] as number)),
    );
  },
  rev: ([x], out, { axes }) => {
    const a = x as ShapedArray;
    const s = stridesOf(a.shape);
    let offset = 0;
    const strides = s.map((v, i) => {
      if (!axes.includes(i)) return v;
      offset += ((a.shape[i] as number) - 1) * v;
      return -v;
    });
    return viewPlan('rev', a, out, offset, strides);
  },
  pad: ([x], out, { lo, interior, value }) => {
    const a = x as ShapedArray;
    const s = stridesOf(a.shape);
    const vars: number[] = [];
    for (let k = 0; k < a.ndim; k++) vars.push(out.shape[k] as number, lo[k] as number, (interior[k] as number) + 1, a.shape[k] as number, s[k] as number);
    // bool storage holds only 0/1 (bool(0.5) is true)
    vars.push(out.dtype === 'bool' ? Number(value !== 0) : value);
    const dtype = out.dtype;
    const rank = a.ndim;
    return kernelPlan(`pad:${dtype}:${rank}`, vars, () => padKernel(dtype, rank));
  },
  concatenate: (inAvals, out, { axis }) => {
    const [outer, length, inner] = around(out.shape, axis);
    const vars = [outer, length, inner];
    let at = 0;
    for (const a of inAvals) {
      const len = a.shape[axis] as number;
      vars.push(at, at + len, len);
      at += len;
    }
    const dtype = out.dtype;
    const n = inAvals.length;
    return kernelPlan(`concatenate:${dtype}:${n}`, vars, () => concatKernel(dtype, n));
  },
  iota: (_in, out, { dimension }) => {
    const dtype = out.dtype;
    return kernelPlan(`iota:${dtype}`, around(out.shape, dimension), () => {
      const loops: Loop[] = [0, 1, 2].map((k) => ({ size: variable(k), reduce: false }));
      return new Kernel({ name: 'iota', inputs: [], outDType: dtype, loops, body: cast(loopIndex(1), dtype), vars: 3 });
    });
  },
};
