import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import { sizeOf } from '../../shape.js';
import { elementCopier } from '../wasm/heap-copy.js';
import { takeTyped } from './pool.js';
import type { CpuRoutines } from './routine.js';

/** operand viewed as [pre, n, post] around `axis`. */
function split(a: ShapedArray, axis: number): [number, number, number] {
  return [sizeOf(a.shape.slice(0, axis)), a.shape[axis] as number, sizeOf(a.shape.slice(axis + 1))];
}

/**
 * Out-of-range indices: gathers clamp and scatters drop the update, as XLA does by default
 * (the np layer checks concrete indices and raises before reaching here).
 */
function scatter(mode: 'set' | 'add' | 'or', [x, idx, upd]: readonly TypedArray[], [a, ia]: readonly ShapedArray[], axis: number): TypedArray {
  const [pre, n, post] = split(a!, axis);
  const m = ia!.size;
  const out = x!.slice();
  for (let p = 0; p < pre; p++) {
    for (let t = 0; t < m; t++) {
      const i = idx![t] as number;
      if (i < 0 || i >= n) continue;
      const dst = (p * n + i) * post;
      const src = (p * m + t) * post;
      if (mode === 'add') for (let q = 0; q < post; q++) out[dst + q] = (out[dst + q] as number) + (upd![src + q] as number);
      else if (mode === 'or') for (let q = 0; q < post; q++) out[dst + q] = (out[dst + q] as number) | (upd![src + q] as number);
      else for (let q = 0; q < post; q++) out[dst + q] = upd![src + q] as number;
    }
  }
  return out;
}

export const indexingRoutines: CpuRoutines = {
  gather: ([x, idx], [a, ia], [out], { axis }) => {
    const [pre, n, post] = split(a!, axis);
    const m = ia!.size;
    const dst = takeTyped(out!.dtype, out!.size, true);
    const copy = post > 16 ? elementCopier(dst, x!) : null;
    for (let p = 0; p < pre; p++) {
      for (let t = 0; t < m; t++) {
        let i = idx![t] as number;
        i = i < 0 ? 0 : i >= n ? n - 1 : i;
        const src = (p * n + i) * post;
        const o = (p * m + t) * post;
        if (copy !== null) copy(o, src, post);
        else for (let q = 0; q < post; q++) dst[o + q] = x![src + q] as number;
      }
    }
    return [dst];
  },
  scatter_add: (inputs, avals, [out], { axis }) => {
    // bool addition is logical or (as NumPy and XLA): a sum would store 2, or wrap to 0 at 256
    const r = scatter(out!.dtype === 'bool' ? 'or' : 'add', inputs, avals, axis);
    if (out!.dtype === 'int32') for (let i = 0; i < r.length; i++) r[i] = (r[i] as number) | 0;
    return [r];
  },
  scatter: (inputs, avals, _out, { axis }) => [scatter('set', inputs, avals, axis)],
};
