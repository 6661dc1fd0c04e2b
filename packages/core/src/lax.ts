// JAX's `lax`: direct access to the primitives, with their exact (non-broadcasting) semantics.
import type { Array, ArrayLike } from './array.js';
import type { DType } from './dtype.js';
import { fail } from './errors.js';
import { backendOf, broadcastTo } from './ops/operands.js';
import { asArray, scalar } from './ops/scalar.js';
import { windowOutputSize } from './primitives/conv.js';
import type { ConvParams, DotGeneralParams, PadPair, PrimitiveName } from './primitives/params.js';
import { bind, bind1 } from './trace.js';

/** Binary primitive; a JS number operand takes the other's dtype and shape (as JAX's weak scalars). */
function same(prim: PrimitiveName): (x: ArrayLike, y: ArrayLike) => Array {
  return (x, y) => {
    if (typeof x !== 'object' && typeof y === 'object') return bind1(prim, [broadcastTo(scalar(x, y.dtype, backendOf([y])), y.shape), y], {} as never);
    const a = asArray(x);
    const b = typeof y === 'object' ? y : broadcastTo(scalar(y, a.dtype, backendOf([a])), a.shape);
    return bind1(prim, [a, b], {} as never);
  };
}
function un(prim: PrimitiveName): (x: Array) => Array {
  return (x) => bind1(prim, [x], {} as never);
}

/** Elementwise primitives: operands must already share shape and dtype. @example lax.add(x, y) */
export const add = same('add');
export const sub = same('sub');
export const mul = same('mul');
/** Division; integers truncate toward zero. @example lax.div(x, y) */
export const div = same('div');
/** Remainder with the sign of the dividend (C fmod). @example lax.rem(x, y) */
export const rem = same('rem');
export const pow = same('pow');
export const max = same('max');
export const min = same('min');
export const atan2 = same('atan2');
export const bitwiseAnd = same('and');
export const bitwiseOr = same('or');
export const bitwiseXor = same('xor');
export const shiftLeft = same('shift_left');
export const shiftRightLogical = same('shift_right_logical');
export const shiftRightArithmetic = same('shift_right_arithmetic');
export const eq = same('eq');
export const ne = same('ne');
export const lt = same('lt');
export const le = same('le');
export const gt = same('gt');
export const ge = same('ge');
export const neg = un('neg');
export const bitwiseNot = un('not');
export const exp = un('exp');
export const log = un('log');
export const log1p = un('log1p');
export const expm1 = un('expm1');
export const tanh = un('tanh');
export const logistic = un('logistic');
export const sqrt = un('sqrt');
export const rsqrt = un('rsqrt');
export const sin = un('sin');
export const cos = un('cos');
export const abs = un('abs');
export const sign = un('sign');
export const floor = un('floor');
export const ceil = un('ceil');
export const round = un('round');
export const isFinite = un('is_finite');
export const erfInv = un('erf_inv');

/**
 * The identity, with a zero derivative: gradients do not flow through it.
 *
 * @example
 * const target = lax.stopGradient(np.multiply(x, 2));
 */
export const stopGradient = (x: Array): Array => bind1('stop_gradient', [x], {});

/** `pred ? onTrue : onFalse` elementwise (no broadcasting). @example lax.select(mask, x, y) */
export const select = (pred: Array, onTrue: Array, onFalse: Array): Array => bind1('select', [pred, onTrue, onFalse], {});
/** Converts the element type. @example lax.convertElementType(x, 'int32') */
export const convertElementType = (x: Array, dtype: DType): Array => bind1('convert_element_type', [x], { dtype });
/** Reinterprets the bits (int32 ↔ float32). @example lax.bitcastConvertType(bits, 'float32') */
export const bitcastConvertType = (x: Array, dtype: DType): Array => bind1('bitcast_convert_type', [x], { dtype });

/** Sum over `axes`. @example lax.reduceSum(x, [0]) */
export const reduceSum = (x: Array, axes: readonly number[]): Array => bind1('reduce_sum', [x], { axes });
export const reduceMax = (x: Array, axes: readonly number[]): Array => bind1('reduce_max', [x], { axes });
export const reduceMin = (x: Array, axes: readonly number[]): Array => bind1('reduce_min', [x], { axes });
export const reduceProd = (x: Array, axes: readonly number[]): Array => bind1('reduce_prod', [x], { axes });
/** Index of the max along `axis` (int32). @example lax.argmax(x, 1) */
export const argmax = (x: Array, axis: number): Array => bind1('argmax', [x], { axis });
export const argmin = (x: Array, axis: number): Array => bind1('argmin', [x], { axis });

/**
 * General tensor contraction (XLA's DotGeneral). Output: batch dims, lhs free dims, rhs free dims.
 *
 * @example
 * lax.dotGeneral(a, b, { contracting: [[1], [0]], batch: [[], []] }) // a @ b
 */
export const dotGeneral = (lhs: Array, rhs: Array, params: DotGeneralParams): Array => bind1('dot_general', [lhs, rhs], params);

/** Broadcasts `x` to `shape`, with x's dimension i becoming `broadcastDimensions[i]`. @example lax.broadcastInDim(b, [200, 10], [1]) */
export const broadcastInDim = (x: Array, shape: readonly number[], broadcastDimensions: readonly number[]): Array =>
  bind1('broadcast_in_dim', [x], { shape, broadcastDimensions });
export const reshape = (x: Array, newShape: readonly number[]): Array => bind1('reshape', [x], { newShape });
export const transpose = (x: Array, permutation: readonly number[]): Array => bind1('transpose', [x], { permutation });
/** Static slice with optional strides. @example lax.slice(x, [0, 1], [2, 3]) */
export const slice = (x: Array, start: readonly number[], limit: readonly number[], strides?: readonly number[]): Array =>
  bind1('slice', [x], { start, limit, strides: strides ?? start.map(() => 1) });
/** Pads with `value`: `config` is one [low, high, interior] triple per axis (low/high may be negative). @example lax.pad(x, 0, [[1, 1, 0]]) */
export const pad = (x: Array, value: number, config: readonly (readonly [number, number, number])[]): Array =>
  bind1('pad', [x], { lo: config.map((c) => c[0]), hi: config.map((c) => c[1]), interior: config.map((c) => c[2]), value });
export const concatenate = (xs: readonly Array[], axis: number): Array => bind1('concatenate', xs, { axis });
export const rev = (x: Array, axes: readonly number[]): Array => bind1('rev', [x], { axes });
/** `operand` indexed along `axis` by int32 `indices` (clamped). @example lax.gather(table, ids, 0) */
export const gather = (operand: Array, indices: Array, axis: number): Array => bind1('gather', [operand, indices], { axis });
/** Adds `updates` into `operand` at `indices` along `axis` (out-of-range updates are dropped). */
export const scatterAdd = (operand: Array, indices: Array, updates: Array, axis: number): Array => bind1('scatter_add', [operand, indices, updates], { axis });
/**
 * Writes `updates` into `operand` at `indices` along `axis`; where indices repeat, the last update
 * wins (every backend must keep that order: the gradient relies on it); out-of-range ones are dropped.
 */
export const scatter = (operand: Array, indices: Array, updates: Array, axis: number): Array => bind1('scatter', [operand, indices, updates], { axis });
/** Counting along `dimension` of `shape`. @example lax.iota('int32', [3], 0) // [0, 1, 2] */
export const iota = (dtype: DType, shape: readonly number[], dimension = 0): Array => bind1('iota', [], { dtype, shape, dimension });
/** Stable argsort along `axis`. */
export const argsort = (x: Array, axis: number, descending = false): Array => bind1('argsort', [x], { axis, descending });

/** The threefry2x32-20 block cipher on int32 words (the bits are those of uint32). */
export function threefry2x32(k0: Array, k1: Array, x0: Array, x1: Array): [Array, Array] {
  const [y0, y1] = bind('threefry2x32', [k0, k1, x0, x1], {});
  return [y0 as Array, y1 as Array];
}

/** 'SAME' pads so the output is ceil(input / stride); 'VALID' does not pad. */
export type PaddingSpec = 'SAME' | 'VALID' | readonly PadPair[];

/** Explicit [low, high] pairs for a padding spec (TensorFlow/JAX's SAME rule puts the extra on the high side). */
export function resolvePadding(
  op: string,
  padding: PaddingSpec,
  inSpatial: readonly number[],
  window: readonly number[],
  strides: readonly number[],
  dilation?: readonly number[],
): PadPair[] {
  if (padding === 'VALID') return inSpatial.map(() => [0, 0]);
  if (padding === 'SAME') {
    return inSpatial.map((n, i) => {
      const s = strides[i] as number;
      const k = ((window[i] as number) - 1) * (dilation?.[i] ?? 1) + 1;
      const out = Math.ceil(n / s);
      const total = Math.max(0, (out - 1) * s + k - n);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  if (!globalThis.Array.isArray(padding)) fail(op, `padding must be 'SAME', 'VALID' or [low, high] pairs, got ${String(padding)}`);
  return padding.map((p) => [p[0], p[1]]);
}

export interface ConvOptions {
  /** Stride per spatial dimension (default 1). */
  windowStrides?: readonly number[];
  padding?: PaddingSpec;
  lhsDilation?: readonly number[];
  rhsDilation?: readonly number[];
  featureGroupCount?: number;
  batchGroupCount?: number;
}

/**
 * N-d convolution in NCHW layout with OIHW kernels (1 or 2 spatial dimensions), as
 * jax.lax.conv_general_dilated: strides, padding ('SAME', 'VALID' or pairs), input and kernel
 * dilation, feature and batch groups.
 *
 * @example
 * const y = lax.conv(x, w, { windowStrides: [1, 1], padding: 'SAME' }); // x [N,C,H,W], w [O,C,KH,KW]
 */
export function conv(lhs: Array, rhs: Array, opts: ConvOptions = {}): Array {
  const n = lhs.ndim - 2;
  if (n < 1) fail('conv', `lhs must be [N, C, ...spatial], got shape [${lhs.shape.join(',')}]`);
  const windowStrides = opts.windowStrides ?? new globalThis.Array<number>(n).fill(1);
  const lhsDilation = opts.lhsDilation ?? new globalThis.Array<number>(n).fill(1);
  const rhsDilation = opts.rhsDilation ?? new globalThis.Array<number>(n).fill(1);
  const dilatedIn = lhs.shape.slice(2).map((d, i) => (d - 1) * (lhsDilation[i] ?? 1) + 1);
  const params: ConvParams = {
    windowStrides,
    padding: resolvePadding('conv', opts.padding ?? 'VALID', dilatedIn, rhs.shape.slice(2), windowStrides, rhsDilation),
    lhsDilation,
    rhsDilation,
    featureGroupCount: opts.featureGroupCount ?? 1,
    batchGroupCount: opts.batchGroupCount ?? 1,
  };
  return bind1('conv', [lhs, rhs], params);
}

export interface ReduceWindowOptions {
  windowStrides?: readonly number[];
  padding?: PaddingSpec;
  baseDilation?: readonly number[];
  windowDilation?: readonly number[];
}

/**
 * Reduces windows sliding over every dimension with 'max' or 'sum' (pooling).
 *
 * @example
 * lax.reduceWindow(x, 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] }) // 2×2 max pool, NCHW
 */
export function reduceWindow(x: Array, op: 'max' | 'sum', windowDimensions: readonly number[], opts: ReduceWindowOptions = {}): Array {
  const ones = x.shape.map(() => 1);
  const windowStrides = opts.windowStrides ?? ones;
  const baseDilation = opts.baseDilation ?? ones;
  const windowDilation = opts.windowDilation ?? ones;
  const params = {
    windowDimensions,
    windowStrides,
    padding: resolvePadding('reduceWindow', opts.padding ?? 'VALID', x.shape, windowDimensions, windowStrides, windowDilation),
    baseDilation,
    windowDilation,
  };
  if (op !== 'max' && op !== 'sum') fail('reduceWindow', `op must be 'max' or 'sum', got '${String(op)}'`);
  return bind1(op === 'max' ? 'reduce_window_max' : 'reduce_window_sum', [x], params);
}

export { cond, foriLoop, type ScanOptions, scan, switch, whileLoop } from './control/api.js';
export { windowOutputSize };
