import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import { stridesOf } from '../../shape.js';
import type { CpuKernels } from './kernel.js';
import { takeTyped } from './pool.js';
import { stridedMove } from './strided.js';

/** A fresh row-major array holding the strided view (offset, strides) of `x`. */
function contiguousCopy(x: TypedArray, offset: number, strides: readonly number[], out: ShapedArray): TypedArray {
  const dst = takeTyped(out.dtype, out.size, true);
  stridedMove(x, offset, strides, dst, 0, stridesOf(out.shape), out.shape);
  return dst;
}

export const shapeOpKernels: CpuKernels = {
  // Row-major data need no move: the output shares the input's storage.
  reshape: ([x]) => [x as TypedArray],
  stop_gradient: ([x]) => [x as TypedArray],
  transpose: ([x], [a], [out], { permutation }) => {
    const s = stridesOf(a!.shape);
    return [
      contiguousCopy(
        x!,
        0,
        permutation.map((p) => s[p] as number),
        out!,
      ),
    ];
  },
  broadcast_in_dim: ([x], [a], [out], { broadcastDimensions }) => {
    const s = stridesOf(a!.shape);
    const strides = new Array<number>(out!.ndim).fill(0);
    broadcastDimensions.forEach((d, i) => {
      if (a!.shape[i] !== 1) strides[d] = s[i] as number;
    });
    return [contiguousCopy(x!, 0, strides, out!)];
  },
  slice: ([x], [a], [out], { start, strides }) => {
    const s = stridesOf(a!.shape);
    let offset = 0;
    start.forEach((st, i) => {
      offset += st * (s[i] as number);
    });
    return [
      contiguousCopy(
        x!,
        offset,
        s.map((v, i) => v * (strides[i] as number)),
        out!,
      ),
    ];
  },
  rev: ([x], [a], [out], { axes }) => {
    const s = stridesOf(a!.shape);
    let offset = 0;
    const strides = s.map((v, i) => {
      if (!axes.includes(i)) return v;
      offset += ((a!.shape[i] as number) - 1) * v;
      return -v;
    });
    return [contiguousCopy(x!, offset, strides, out!)];
  },
  pad: ([x], [a], [out], { lo, interior, value }) => {
    const dst = takeTyped(out!.dtype, out!.size);
    // bool storage holds only 0/1 (bool(0.5) is true); the shape rule rejected int32 values that wrap
    const v = out!.dtype === 'bool' ? Number(value !== 0) : value;
    if (!Object.is(v, 0)) dst.fill(v);
    const inS = stridesOf(a!.shape);
    const outS = stridesOf(out!.shape);
    // Negative low padding crops: skip the input elements that land before the output start.
    let srcOff = 0;
    let dstOff = 0;
    const counts: number[] = [];
    const srcStrides: number[] = [];
    const dstStrides: number[] = [];
    for (let i = 0; i < a!.ndim; i++) {
      const step = (interior[i] as number) + 1;
      const l = lo[i] as number;
      const first = l >= 0 ? 0 : Math.ceil(-l / step);
      const outLen = out!.shape[i] as number;
      let count = 0;
      for (let k = first; k < (a!.shape[i] as number); k++) {
        const pos = l + k * step;
        if (pos >= outLen) break;
        count++;
      }
      counts.push(count);
      srcOff += first * (inS[i] as number);
      dstOff += (l + first * step) * (outS[i] as number);
      srcStrides.push(inS[i] as number);
      dstStrides.push(step * (outS[i] as number));
    }
    stridedMove(x!, srcOff, srcStrides, dst, dstOff, dstStrides, counts);
    return [dst];
  },
  concatenate: (inputs, avals, [out], { axis }) => {
    const dst = takeTyped(out!.dtype, out!.size);
    const outS = stridesOf(out!.shape);
    let at = 0;
    inputs.forEach((x, i) => {
      const a = avals[i] as ShapedArray;
      stridedMove(x, 0, stridesOf(a.shape), dst, at * (outS[axis] as number), outS, a.shape);
      at += a.shape[axis] as number;
    });
    return [dst];
  },
  iota: (_inputs, _avals, [out], { dimension }) => {
    const dst = takeTyped(out!.dtype, out!.size);
    const shape = out!.shape;
    const inner = stridesOf(shape)[dimension] as number;
    const n = shape[dimension] as number;
    for (let i = 0; i < dst.length; i++) dst[i] = Math.floor(i / inner) % n;
    return [dst];
  },
};
