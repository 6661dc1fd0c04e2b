import { ShapedArray } from '../aval.js';
import { fail } from '../errors.js';
import type { ConvParams, PadPair, ReduceWindowParams } from './params.js';
import type { ShapeRuleTable } from './rule-types.js';

/** Output length of a window sweep: dilated input + padding, dilated window, stride. */
export function windowOutputSize(size: number, window: number, stride: number, pad: PadPair, baseDil: number, winDil: number): number {
  const dilatedIn = size === 0 ? 0 : (size - 1) * baseDil + 1;
  const dilatedWin = (window - 1) * winDil + 1;
  const padded = dilatedIn + pad[0] + pad[1];
  return padded < dilatedWin ? 0 : Math.floor((padded - dilatedWin) / stride) + 1;
}

function checkSpatial(op: string, name: string, list: readonly unknown[], n: number, positive: boolean, per = 'spatial dimension'): void {
  if (list.length !== n) fail(op, `${name} has ${list.length} entries, expected one per ${per} (${n})`);
  if (positive) {
    for (const v of list)
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(op, `${name} entries must be integers >= 1, got [${list.join(',')}]`);
  }
}

function checkPadding(op: string, padding: readonly PadPair[], n: number): void {
  if (padding.length !== n) fail(op, `padding has ${padding.length} pairs, expected ${n}`);
  for (const p of padding) {
    if (p.length !== 2 || !Number.isInteger(p[0]) || !Number.isInteger(p[1]))
      fail(op, `padding entries must be [low, high] integer pairs, got ${JSON.stringify(padding)}`);
  }
}

/** Shape rule of conv: lhs [N, C, ...spatial], rhs [O, C / groups, ...window] → [N / batchGroups, O, ...out]. */
export function convShape(lhs: ShapedArray, rhs: ShapedArray, p: ConvParams): number[] {
  const op = 'conv';
  if (lhs.ndim < 3 || lhs.ndim !== rhs.ndim) fail(op, `expects lhs [N,C,...spatial] and rhs [O,I,...window] of equal rank >= 3, got ${lhs} and ${rhs}`);
  if (lhs.ndim > 4) fail(op, `supports 1 or 2 spatial dimensions, got ${lhs.ndim - 2} (${lhs})`);
  if (lhs.dtype !== rhs.dtype) fail(op, `operands must have one dtype, got ${lhs} and ${rhs}`);
  if (lhs.dtype === 'bool') fail(op, `is not defined for bool operands`);
  const n = lhs.ndim - 2;
  checkSpatial(op, 'windowStrides', p.windowStrides, n, true);
  checkSpatial(op, 'lhsDilation', p.lhsDilation, n, true);
  checkSpatial(op, 'rhsDilation', p.rhsDilation, n, true);
  checkPadding(op, p.padding, n);
  const g = p.featureGroupCount;
  const bg = p.batchGroupCount;
  if (!Number.isInteger(g) || g < 1 || !Number.isInteger(bg) || bg < 1)
    fail(op, `featureGroupCount and batchGroupCount must be integers >= 1, got ${g} and ${bg} (for ${lhs} and ${rhs})`);
  if (g > 1 && bg > 1) fail(op, 'featureGroupCount and batchGroupCount cannot both exceed 1');
  const [batch, inC] = lhs.shape as [number, number];
  const [outC, kC] = rhs.shape as [number, number];
  if (inC % g !== 0 || inC / g !== kC) {
    fail(op, `input channels ${inC} of ${lhs} must equal featureGroupCount (${g}) × kernel input channels ${kC} of ${rhs}`);
  }
  if (outC % g !== 0) fail(op, `output channels ${outC} of ${rhs} must be divisible by featureGroupCount ${g} (lhs ${lhs})`);
  if (batch % bg !== 0 || outC % bg !== 0) {
    fail(op, `batch ${batch} of ${lhs} and output channels ${outC} of ${rhs} must be divisible by batchGroupCount ${bg}`);
  }
  const spatial = lhs.shape
    .slice(2)
    .map((size, i) =>
      windowOutputSize(
        size,
        rhs.shape[i + 2] as number,
        p.windowStrides[i] as number,
        p.padding[i] as PadPair,
        p.lhsDilation[i] as number,
        p.rhsDilation[i] as number,
      ),
    );
  return [batch / bg, outC, ...spatial];
}

function reduceWindowRule(op: string) {
  return ([x]: readonly ShapedArray[], p: ReduceWindowParams) => {
    const a = x as ShapedArray;
    checkSpatial(op, 'windowDimensions', p.windowDimensions, a.ndim, true, 'dimension of the input');
    checkSpatial(op, 'windowStrides', p.windowStrides, a.ndim, true, 'dimension of the input');
    checkSpatial(op, 'baseDilation', p.baseDilation, a.ndim, true, 'dimension of the input');
    checkSpatial(op, 'windowDilation', p.windowDilation, a.ndim, true, 'dimension of the input');
    checkPadding(op, p.padding, a.ndim);
    if (a.dtype === 'bool') fail(op, `is not defined for bool ${a}`);
    const out = a.shape.map((size, i) =>
      windowOutputSize(
        size,
        p.windowDimensions[i] as number,
        p.windowStrides[i] as number,
        p.padding[i] as PadPair,
        p.baseDilation[i] as number,
        p.windowDilation[i] as number,
      ),
    );
    return [new ShapedArray(out, a.dtype)];
  };
}

export const convShapeRules: ShapeRuleTable = {
  conv: ([l, r], params) => {
    const lhs = l as ShapedArray;
    return [new ShapedArray(convShape(lhs, r as ShapedArray, params), lhs.dtype)];
  },
  reduce_window_sum: reduceWindowRule('reduce_window_sum'),
  reduce_window_max: reduceWindowRule('reduce_window_max'),
};

/** A 1-d list as the 2-d one convolutions compute with (the missing leading entry is `fill`). */
function as2d<T>(list: readonly T[], fill: T): [T, T] {
  return list.length === 1 ? [fill, list[0] as T] : [list[0] as T, list[1] as T];
}

/**
 * The sizes of a 1-d or 2-d NCHW/OIHW convolution, 1-d ones as 2-d with a unit height: what every
 * backend's conv routine computes with.
 */
export interface ConvGeometry {
  readonly N: number;
  readonly C: number;
  readonly O: number;
  readonly Cg: number;
  readonly H: number;
  readonly W: number;
  readonly KH: number;
  readonly KW: number;
  readonly OH: number;
  readonly OW: number;
  /** Strides, input (base) dilations and kernel dilations per spatial dimension. */
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly rh: number;
  readonly rw: number;
  /** [low, high] padding per spatial dimension. */
  readonly ph: PadPair;
  readonly pw: PadPair;
  readonly G: number;
  readonly BG: number;
}

export function convGeometry(a: ShapedArray, k: ShapedArray, out: ShapedArray, p: ConvParams): ConvGeometry {
  const [N, C] = a.shape as [number, number];
  const [O, Cg] = k.shape as [number, number];
  const [H, W] = as2d(a.shape.slice(2), 1);
  const [KH, KW] = as2d(k.shape.slice(2), 1);
  const [OH, OW] = as2d(out.shape.slice(2), 1);
  const [sh, sw] = as2d(p.windowStrides, 1);
  const [dh, dw] = as2d(p.lhsDilation, 1);
  const [rh, rw] = as2d(p.rhsDilation, 1);
  const [ph, pw] = as2d<PadPair>(p.padding, [0, 0]);
  return { N, C, O, Cg, H, W, KH, KW, OH, OW, sh, sw, dh, dw, rh, rw, ph, pw, G: p.featureGroupCount, BG: p.batchGroupCount };
}
