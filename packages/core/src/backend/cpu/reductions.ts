import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import { stridesOf } from '../../shape.js';
import type { CpuKernels } from './kernel.js';
import { takeTyped } from './pool.js';

/** How each reduction starts and combines; NaN propagates through max/min as in NumPy. */
const REDUCERS = {
  sum: { init: 0, combine: 'acc + v' },
  prod: { init: 1, combine: 'acc * v' },
  // int32 products wrap at every step (as XLA); a float64 product loses the low bits past 2^53
  prodInt: { init: 1, combine: 'Math.imul(acc, v)' },
  max: { init: Number.NEGATIVE_INFINITY, combine: '(v > acc || v !== v ? v : acc)' },
  min: { init: Number.POSITIVE_INFINITY, combine: '(v < acc || v !== v ? v : acc)' },
} as const;
type Reducer = keyof typeof REDUCERS;

type InnerLoop = (acc: Float64Array, o: number, x: TypedArray, p: number, n: number) => void;
const loops = new Map<string, InnerLoop>();

/** Inner loops: fold a contiguous run into one accumulator (`scalar`) or into a run of them (`vector`). */
function innerLoop(r: Reducer, kind: 'scalar' | 'vector'): InnerLoop {
  const key = `${r}:${kind}`;
  let loop = loops.get(key);
  if (!loop) {
    const c = REDUCERS[r].combine;
    const body =
      kind === 'scalar'
        ? `let acc = A[o]; for (let j = 0; j < n; j++) { const v = X[p + j]; acc = ${c}; } A[o] = acc;`
        : `for (let j = 0; j < n; j++) { const v = X[p + j]; const acc = A[o + j]; A[o + j] = ${c}; }`;
    loop = new Function('A', 'o', 'X', 'p', 'n', body) as InnerLoop;
    loops.set(key, loop);
  }
  return loop;
}

/**
 * Reduces `axes` of a row-major array in one pass over the input in memory order. Accumulates in
 * float64 (more accurate float32 sums), then stores in the output dtype.
 */
function reduce(r: Reducer, x: TypedArray, a: ShapedArray, axes: readonly number[], out: ShapedArray): TypedArray {
  const acc = new Float64Array(out.size).fill(REDUCERS[r].init);
  if (a.size > 0) {
    // Output stride of every input dimension (0 for reduced ones), then merge runs of dims.
    const outStrides = stridesOf(out.shape);
    const dims: number[] = [];
    const os: number[] = [];
    const red: boolean[] = [];
    let k = 0;
    for (let i = 0; i < a.ndim; i++) {
      const n = a.shape[i] as number;
      const isRed = axes.includes(i);
      const s = isRed ? 0 : (outStrides[k++] as number);
      if (n === 1) continue;
      const last = dims.length - 1;
      if (last >= 0 && red[last] === isRed && (isRed || os[last] === s * n)) {
        dims[last] = (dims[last] as number) * n;
        os[last] = s;
      } else {
        dims.push(n);
        os.push(s);
        red.push(isRed);
      }
    }
    if (dims.length === 0) {
      dims.push(1);
      os.push(0);
      red.push(false);
    }
    const nd = dims.length;
    const inner = dims[nd - 1] as number;
    const loop = innerLoop(r, red[nd - 1] ? 'scalar' : 'vector');
    const rows = a.size / inner;
    const idx = new Int32Array(nd);
    let o = 0;
    for (let row = 0, p = 0; row < rows; row++, p += inner) {
      loop(acc, o, x, p, inner);
      for (let d = nd - 2; d >= 0; d--) {
        const i = (idx[d] as number) + 1;
        o += os[d] as number;
        if (i < (dims[d] as number)) {
          idx[d] = i;
          break;
        }
        idx[d] = 0;
        o -= (os[d] as number) * (dims[d] as number);
      }
    }
  }
  const dst = takeTyped(out.dtype, out.size, true);
  if (out.dtype === 'int32') for (let i = 0; i < acc.length; i++) dst[i] = (acc[i] as number) | 0;
  else dst.set(acc);
  return dst;
}

/** Index of the first max (or min) along `axis`; the first NaN wins, as in NumPy. */
function argReduce(isMax: boolean, x: TypedArray, a: ShapedArray, axis: number): TypedArray {
  const len = a.shape[axis] as number;
  const inner = stridesOf(a.shape)[axis] as number;
  const outer = a.size / (len * inner);
  const out = new Int32Array(outer * inner);
  const best = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    for (let i = 0; i < inner; i++) best[i] = x[base + i] as number;
    for (let l = 1; l < len; l++) {
      const p = base + l * inner;
      for (let i = 0; i < inner; i++) {
        const v = x[p + i] as number;
        const b = best[i] as number;
        const better = isMax ? v > b : v < b;
        if (better || (v !== v && b === b)) {
          best[i] = v;
          out[o * inner + i] = l;
        }
      }
    }
  }
  return out;
}

/**
 * Stable argsort of each line along `axis`. NaN sorts last ascending (NumPy) and first descending:
 * JAX's descending order is the ascending one reversed, ties keeping their original order.
 */
function argsort(x: TypedArray, a: ShapedArray, axis: number, descending: boolean): TypedArray {
  const len = a.shape[axis] as number;
  const inner = stridesOf(a.shape)[axis] as number;
  const outer = a.size / Math.max(1, len * inner);
  const out = new Int32Array(a.size);
  const line = new Float64Array(len);
  const order = new Int32Array(len);
  const sign = descending ? -1 : 1;
  const cmp = (i: number, j: number): number => {
    const u = line[i] as number;
    const v = line[j] as number;
    if (u !== u) return v !== v ? i - j : sign;
    if (v !== v) return -sign;
    return u < v ? -sign : u > v ? sign : i - j;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      for (let l = 0; l < len; l++) {
        line[l] = x[base + l * inner] as number;
        order[l] = l;
      }
      order.sort(cmp);
      for (let l = 0; l < len; l++) out[base + l * inner] = order[l] as number;
    }
  }
  return out;
}

export const reductionKernels: CpuKernels = {
  reduce_sum: ([x], [a], [out], { axes }) => [reduce('sum', x!, a!, axes, out!)],
  reduce_prod: ([x], [a], [out], { axes }) => [reduce(a!.dtype === 'int32' ? 'prodInt' : 'prod', x!, a!, axes, out!)],
  reduce_max: ([x], [a], [out], { axes }) => [reduce('max', x!, a!, axes, out!)],
  reduce_min: ([x], [a], [out], { axes }) => [reduce('min', x!, a!, axes, out!)],
  argmax: ([x], [a], _out, { axis }) => [argReduce(true, x!, a!, axis)],
  argmin: ([x], [a], _out, { axis }) => [argReduce(false, x!, a!, axis)],
  argsort: ([x], [a], _out, { axis, descending }) => [argsort(x!, a!, axis, descending)],
};
