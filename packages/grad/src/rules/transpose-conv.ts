// Transposes of the convolution and windowed-sum primitives, after JAX's
// jax/_src/lax/convolution.py (_conv_general_dilated_transpose_lhs/_rhs and the vjp padding
// helpers) and jax/_src/lax/windowed_reductions.py (_reduce_window_sum_transpose_rule).
//
// Our conv has one fixed layout (lhs NCHW, rhs OIHW, out NCHW). Where JAX transposes by relabeling
// dimension numbers, we move the data with explicit lax.transpose calls around a plain conv.
import { type Array, bind, type ConvParams, lax, type PadPair, type ReduceWindowParams, type ShapedArray } from '@tenfold/core';
import { isZero, Zero } from '../zero.js';
import { type TransposeRules, UndefPrimal } from './types.js';

const isUndef = (x: unknown): x is UndefPrimal => x instanceof UndefPrimal;

function range(n: number): number[] {
  return globalThis.Array.from({ length: n }, (_, i) => i);
}

/** Size of `size` elements with `dilation - 1` holes between neighbours (JAX's _dilate_shape). */
function dilate(size: number, dilation: number): number {
  return size === 0 ? 0 : (size - 1) * dilation + 1;
}

/**
 * Padding of the conv that transposes a conv with respect to its lhs (JAX's
 * _conv_general_vjp_lhs_padding): the cotangent, dilated by the forward strides, is padded so that
 * a full correlation with the reversed window gives back exactly the (dilated) input length, also
 * when the forward windows did not reach the end of the input ((padded − window) % stride ≠ 0):
 * the extra high padding then supplies zeros for the positions no window touched.
 */
export function convVjpLhsPadding(
  inShape: readonly number[],
  window: readonly number[],
  strides: readonly number[],
  outShape: readonly number[],
  padding: readonly PadPair[],
  lhsDilation: readonly number[],
  rhsDilation: readonly number[],
): PadPair[] {
  return inShape.map((n, i) => {
    const lhsD = dilate(n, lhsDilation[i] as number);
    const rhsD = dilate(window[i] as number, rhsDilation[i] as number);
    const outD = dilate(outShape[i] as number, strides[i] as number);
    const before = rhsD - (padding[i] as PadPair)[0] - 1;
    const after = lhsD + rhsD - 1 - outD - before;
    return [before, after];
  });
}

/** Padding of the conv that transposes a conv with respect to its rhs (JAX's _conv_general_vjp_rhs_padding). */
export function convVjpRhsPadding(
  inShape: readonly number[],
  window: readonly number[],
  strides: readonly number[],
  outShape: readonly number[],
  padding: readonly PadPair[],
  lhsDilation: readonly number[],
  rhsDilation: readonly number[],
): PadPair[] {
  return inShape.map((n, i) => {
    const lhsD = dilate(n, lhsDilation[i] as number);
    const rhsD = dilate(window[i] as number, rhsDilation[i] as number);
    const outD = dilate(outShape[i] as number, strides[i] as number);
    const lo = (padding[i] as PadPair)[0];
    return [lo, outD - lhsD + (rhsD - lo - 1)];
  });
}

function conv(lhs: Array, rhs: Array, params: ConvParams): Array {
  return bind('conv', [lhs, rhs], params)[0] as Array;
}

/** Swaps the first two axes (N↔C of an activation, O↔I of a kernel), keeping the spatial ones. */
function swap01(x: Array): Array {
  return lax.transpose(x, [1, 0, ...range(x.ndim - 2).map((i) => i + 2)]);
}

/**
 * ∂/∂lhs: correlate the stride-dilated cotangent with the spatially reversed kernel whose in/out
 * channels are exchanged; the forward lhs dilation becomes the stride. With feature groups the
 * group axis moves from the kernel's output channels to its input channels (so the transposed
 * conv is feature-grouped the same way); batch groups transpose to feature groups whose outputs
 * are then moved back into the batch axis.
 */
function convTransposeLhs(ct: Array, lhs: ShapedArray, rhs: Array, p: ConvParams): Array {
  const n = lhs.ndim - 2;
  const spatial = range(n).map((i) => i + 2);
  const [O, Cg] = rhs.shape as [number, number];
  const window = rhs.shape.slice(2);
  const G = p.featureGroupCount;
  const BG = p.batchGroupCount;
  const groups = Math.max(G, BG);
  let kernel: Array;
  if (groups > 1) {
    // [O, Cg, ...] → [groups, O/groups, Cg, ...] → [groups, Cg, O/groups, ...] → [groups·Cg, O/groups, ...]
    const split = lax.reshape(rhs, [groups, O / groups, Cg, ...window]);
    const moved = lax.transpose(split, [0, 2, 1, ...spatial.map((d) => d + 1)]);
    kernel = lax.reshape(moved, [groups * Cg, O / groups, ...window]);
  } else {
    kernel = swap01(rhs);
  }
  kernel = lax.rev(kernel, spatial);
  const padding = convVjpLhsPadding(lhs.shape.slice(2), window, p.windowStrides, ct.shape.slice(2), p.padding, p.lhsDilation, p.rhsDilation);
  let out = conv(ct, kernel, {
    windowStrides: p.lhsDilation,
    padding,
    lhsDilation: p.windowStrides,
    rhsDilation: p.rhsDilation,
    featureGroupCount: groups,
    batchGroupCount: 1,
  });
  if (BG > 1) {
    // [N/BG, BG·C, ...] → [N/BG, BG, C, ...] → [BG, N/BG, C, ...] → [N, C, ...] (group-major batch, as the kernel reads it)
    const [nb] = out.shape as [number];
    const C = lhs.shape[1] as number;
    const outSpatial = out.shape.slice(2);
    const split = lax.reshape(out, [nb, BG, C, ...outSpatial]);
    const moved = lax.transpose(split, [1, 0, 2, ...spatial.map((d) => d + 1)]);
    out = lax.reshape(moved, [BG * nb, C, ...outSpatial]);
  }
  return out;
}

/**
 * ∂/∂rhs: a conv of the lhs (as [C, N, ...]: channels become the batch) with the cotangent (as
 * [O, N, ...]: a kernel over the batch), with strides and kernel dilation exchanged; the result
 * [C, O, ...] is swapped back to OIHW. Feature groups become batch groups and vice versa.
 */
function convTransposeRhs(ct: Array, lhs: Array, rhs: ShapedArray, p: ConvParams): Array {
  const padding = convVjpRhsPadding(lhs.shape.slice(2), rhs.shape.slice(2), p.windowStrides, ct.shape.slice(2), p.padding, p.lhsDilation, p.rhsDilation);
  const out = conv(swap01(lhs), swap01(ct), {
    windowStrides: p.rhsDilation,
    padding,
    lhsDilation: p.lhsDilation,
    rhsDilation: p.windowStrides,
    featureGroupCount: p.batchGroupCount,
    batchGroupCount: p.featureGroupCount,
  });
  return swap01(out);
}

/**
 * reduce_window_sum is a conv with a window of ones, per dimension: its transpose pads the
 * cotangent (interior stride − 1, edges from the lhs vjp padding) and sums windows again with
 * stride = base dilation. The window of ones is symmetric, so no reversal is needed.
 */
function reduceWindowSumTranspose(ct: Array, x: ShapedArray, p: ReduceWindowParams): Array {
  const pads = convVjpLhsPadding(x.shape, p.windowDimensions, p.windowStrides, ct.shape, p.padding, p.baseDilation, p.windowDilation);
  const padded = bind('pad', [ct], {
    lo: pads.map((q) => q[0]),
    hi: pads.map((q) => q[1]),
    interior: p.windowStrides.map((s) => s - 1),
    value: 0,
  })[0] as Array;
  const out = bind('reduce_window_sum', [padded], {
    windowDimensions: p.windowDimensions,
    windowStrides: p.baseDilation,
    padding: x.shape.map((): PadPair => [0, 0]),
    baseDilation: x.shape.map(() => 1),
    windowDilation: p.windowDilation,
  })[0] as Array;
  if (out.ndim !== x.ndim || out.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`reduce_window_sum transpose: got shape [${out.shape.join(',')}], expected ${x} (internal error)`);
  }
  return out;
}

export const convTransposeRules: TransposeRules = {
  conv: ([ct], [lhs, rhs], params) => {
    if (isUndef(lhs) && isUndef(rhs))
      throw new Error('conv: both operands are linear; conv is bilinear, not linear, in (lhs, rhs) (internal error in a JVP rule)');
    if (isUndef(lhs)) {
      // a cotangent with no elements (empty batch, channels or output) contributes nothing
      if (isZero(ct) || ct!.size === 0) return [new Zero(lhs.aval), null];
      return [convTransposeLhs(ct!, lhs.aval, rhs as Array, params), null];
    }
    if (isUndef(rhs)) {
      // also avoids a degenerate conv whose kernel (the cotangent) has spatial size 0, as JAX does
      if (isZero(ct) || ct!.size === 0) return [null, new Zero(rhs.aval)];
      return [null, convTransposeRhs(ct!, lhs as Array, rhs.aval, params)];
    }
    return [null, null];
  },
  reduce_window_sum: ([ct], [x], params) => {
    const aval = (x as UndefPrimal).aval;
    if (isZero(ct) || ct!.size === 0) return [new Zero(aval)];
    return [reduceWindowSumTranspose(ct!, aval, params)];
  },
};
