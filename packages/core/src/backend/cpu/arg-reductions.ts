import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import { stridesOf } from '../../shape.js';
import type { CpuRoutines } from './routine.js';

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
  const packed = isIntegerKeyed(x) && len <= PACK_LIMIT;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      if (packed) {
        // key·2^21 + position (exact in float64: |key| ≤ 2^31): a native numeric sort of these is
        // the stable sort by key (negated for descending), several times faster than a comparator
        for (let l = 0; l < len; l++) line[l] = sign * (x[base + l * inner] as number) * PACK_LIMIT + l;
        line.sort();
        for (let l = 0; l < len; l++) {
          const v = line[l] as number;
          out[base + l * inner] = v - Math.floor(v / PACK_LIMIT) * PACK_LIMIT;
        }
        continue;
      }
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

/** Positions below this fit beside an int32 key in a float64's 53 bits. */
const PACK_LIMIT = 2 ** 21;

/** Keys that are integers of at most 32 bits (int32, bool): no NaN, no -0. */
function isIntegerKeyed(x: TypedArray): boolean {
  return (
    x instanceof Int32Array ||
    x instanceof Uint8Array ||
    x instanceof Uint8ClampedArray ||
    x instanceof Int8Array ||
    x instanceof Int16Array ||
    x instanceof Uint16Array
  );
}

export const argRoutines: CpuRoutines = {
  argmax: ([x], [a], _out, { axis }) => [argReduce(true, x!, a!, axis)],
  argmin: ([x], [a], _out, { axis }) => [argReduce(false, x!, a!, axis)],
  argsort: ([x], [a], _out, { axis, descending }) => [argsort(x!, a!, axis, descending)],
};
