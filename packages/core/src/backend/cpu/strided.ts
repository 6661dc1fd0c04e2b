import type { TypedArray } from '../../dtype.js';

/**
 * Copies a strided view of `src` into a strided view of `dst`, both over `shape`. Adjacent
 * dimensions that are contiguous on both sides are merged first so the inner loop stays long;
 * the odometer runs once per inner row, never per element.
 */
export function stridedMove(
  src: TypedArray,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: TypedArray,
  dstOffset: number,
  dstStrides: readonly number[],
  shape: readonly number[],
): void {
  const dims: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const n = shape[i] as number;
    if (n === 0) return;
    if (n === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && ss[last] === (srcStrides[i] as number) * n && ds[last] === (dstStrides[i] as number) * n) {
      dims[last] = (dims[last] as number) * n;
      ss[last] = srcStrides[i] as number;
      ds[last] = dstStrides[i] as number;
    } else {
      dims.push(n);
      ss.push(srcStrides[i] as number);
      ds.push(dstStrides[i] as number);
    }
  }
  const nd = dims.length;
  if (nd === 0) {
    dst[dstOffset] = src[srcOffset] as number;
    return;
  }
  const inner = dims[nd - 1] as number;
  const si = ss[nd - 1] as number;
  const di = ds[nd - 1] as number;
  let rows = 1;
  for (let i = 0; i < nd - 1; i++) rows *= dims[i] as number;
  const idx = new Int32Array(nd);
  let p = srcOffset;
  let q = dstOffset;
  const sameType = src.constructor === dst.constructor;
  for (let r = 0; r < rows; r++) {
    if (si === 1 && di === 1) {
      if (sameType && inner > 16) (dst as Float32Array).set((src as Float32Array).subarray(p, p + inner), q);
      else for (let j = 0; j < inner; j++) dst[q + j] = src[p + j] as number;
    } else if (si === 0 && di === 1) {
      dst.fill(src[p] as number, q, q + inner);
    } else {
      for (let j = 0; j < inner; j++) dst[q + j * di] = src[p + j * si] as number;
    }
    for (let d = nd - 2; d >= 0; d--) {
      const i = (idx[d] as number) + 1;
      p += ss[d] as number;
      q += ds[d] as number;
      if (i < (dims[d] as number)) {
        idx[d] = i;
        break;
      }
      idx[d] = 0;
      p -= (ss[d] as number) * (dims[d] as number);
      q -= (ds[d] as number) * (dims[d] as number);
    }
  }
}
