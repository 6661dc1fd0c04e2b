import type { Array } from '../array.js';
import type { ShapedArray } from '../aval.js';
import type { DType } from '../dtype.js';
import type { ElementwisePrimitive } from './elementwise-table.js';

type NoParams = Record<string, never>;

/** The table's elementwise primitives (elementwise-table.ts) take no params. */
type ElementwiseParams = { readonly [P in ElementwisePrimitive]: NoParams };

/** `[low, high]` padding for one dimension. */
export type PadPair = readonly [number, number];

export interface ConvParams {
  /** Stride per spatial dimension. */
  readonly windowStrides: readonly number[];
  /** `[low, high]` zero padding per spatial dimension (may be negative to crop). */
  readonly padding: readonly PadPair[];
  /** Input (base) dilation per spatial dimension: 1 for none; >1 gives transposed convolution. */
  readonly lhsDilation: readonly number[];
  /** Kernel (atrous) dilation per spatial dimension. */
  readonly rhsDilation: readonly number[];
  readonly featureGroupCount: number;
  readonly batchGroupCount: number;
}

export interface ReduceWindowParams {
  readonly windowDimensions: readonly number[];
  readonly windowStrides: readonly number[];
  readonly padding: readonly PadPair[];
  readonly baseDilation: readonly number[];
  readonly windowDilation: readonly number[];
}

export interface DotGeneralParams {
  /** Contracting dimensions `[lhs, rhs]`. */
  readonly contracting: readonly [readonly number[], readonly number[]];
  /** Batch dimensions `[lhs, rhs]`, paired in order. */
  readonly batch: readonly [readonly number[], readonly number[]];
}

/**
 * Every primitive and the type of its params. Rules (shape, kernels, later JVP/transpose/batching)
 * are tables keyed by these names, so a new interpreter never touches the ops.
 */
export interface PrimitiveParams extends ElementwiseParams {
  // identity whose derivative is zero (jax.lax.stop_gradient)
  stop_gradient: NoParams;
  // select(pred, onTrue, onFalse)
  select: NoParams;
  convert_element_type: { readonly dtype: DType };
  bitcast_convert_type: { readonly dtype: DType };
  // reductions
  reduce_sum: { readonly axes: readonly number[] };
  reduce_max: { readonly axes: readonly number[] };
  reduce_min: { readonly axes: readonly number[] };
  reduce_prod: { readonly axes: readonly number[] };
  argmax: { readonly axis: number };
  argmin: { readonly axis: number };
  argsort: { readonly axis: number; readonly descending: boolean };
  // contraction
  dot_general: DotGeneralParams;
  // shape ops
  broadcast_in_dim: { readonly shape: readonly number[]; readonly broadcastDimensions: readonly number[] };
  reshape: { readonly newShape: readonly number[] };
  transpose: { readonly permutation: readonly number[] };
  slice: { readonly start: readonly number[]; readonly limit: readonly number[]; readonly strides: readonly number[] };
  pad: { readonly lo: readonly number[]; readonly hi: readonly number[]; readonly interior: readonly number[]; readonly value: number };
  concatenate: { readonly axis: number };
  rev: { readonly axes: readonly number[] };
  // indexing along one axis: out = operand[..., indices, ...]
  gather: { readonly axis: number };
  scatter_add: { readonly axis: number };
  scatter: { readonly axis: number };
  iota: { readonly dtype: DType; readonly shape: readonly number[]; readonly dimension: number };
  // convolution and pooling
  conv: ConvParams;
  reduce_window_sum: ReduceWindowParams;
  reduce_window_max: ReduceWindowParams;
  // random bits: threefry2x32-20 on (k0, k1, x0, x1) → (y0, y1)
  threefry2x32: NoParams;
  // a linear map known only through its transpose: what a custom VJP stages in reverse mode
  custom_lin: CustomLinParams;
  // a call of a traced graph (what a jitted function is inside another transform)
  jit_call: JitCallParams;
  // control flow (lax.cond/switch, whileLoop, scan): primitives whose params are traced graphs
  cond: CondParams;
  while_loop: WhileParams;
  scan: ScanParams;
}

export interface CustomLinParams {
  /** The user function's name, for messages. */
  readonly name: string;
  /** Output avals of the linear map. */
  readonly outAvals: readonly ShapedArray[];
  /** The transpose: input cotangents from output cotangents (the user's bwd, closed over residuals). */
  readonly transpose: (cts: readonly Array[]) => Array[];
}

/**
 * A traced graph as a primitive parameter: a Jaxpr (ir/jaxpr.ts), declared by the shape the rules
 * need so that params stay below the graph IR.
 */
export interface GraphParam {
  readonly inVars: readonly { readonly aval: ShapedArray }[];
  readonly outs: readonly { readonly aval: ShapedArray }[];
  toString(): string;
}

export interface JitCallParams {
  /** The closed graph the call runs (its constants are literals inside it). */
  readonly jaxpr: GraphParam;
  /** The jitted function's name, for messages and printing. */
  readonly name: string;
}

/** `cond(index, ...operands)`: runs branch `index` (clamped) on the operands; every branch has the same signature. */
export interface CondParams {
  readonly branches: readonly GraphParam[];
}

/**
 * `while_loop(...condConsts, ...bodyConsts, ...carry)`: while `cond(condConsts, carry)` is true,
 * `carry = body(bodyConsts, carry)`.
 */
export interface WhileParams {
  readonly cond: GraphParam;
  readonly body: GraphParam;
  readonly condConsts: number;
  readonly bodyConsts: number;
}

/**
 * `scan(...consts, ...carry, ...xs)`: for each of `length` steps (last to first when `reverse`),
 * `(carry, y) = body(consts, carry, x)` on slice i of each xs; outputs the final carry and the ys
 * stacked along a new leading axis.
 */
export interface ScanParams {
  readonly body: GraphParam;
  readonly length: number;
  readonly reverse: boolean;
  readonly consts: number;
  readonly carry: number;
}

export type PrimitiveName = keyof PrimitiveParams;
