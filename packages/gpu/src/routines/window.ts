// reduce_window_sum/max and conv as kernels of core's IR, rendered by the WGSL renderer: the
// output dims are kept loops, the window (and, for conv, the input channels) reduced loops, and
// padding, strides and dilations become guarded loads. Sizes are runtime vars, so one kernel
// serves every shape of a rank. (The direct convolution: the conv routine, conv.ts, runs it only
// when asked to, for comparison with its implicit GEMM.)
import {
  type BackendInput,
  type ConvParams,
  convGeometry,
  type DType,
  type Exp,
  kernelIR as K,
  Kernel,
  type ReduceWindowParams,
  type ShapedArray,
} from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import type { RoutineHost } from './host.js';

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i] as number;
  }
  return s;
}

/** `a && b` for an optional `a`. */
const both = (a: Exp | null, b: Exp): Exp => (a === null ? b : K.and(a, b));

/**
 * The window kernel of rank `nd`: loops o_0..o_{nd-1} (kept), w_0..w_{nd-1} (reduced). Vars per
 * dim d (8 each): out size, window size, stride, low padding, window dilation, base dilation,
 * input size, input stride.
 */
function windowKernel(isMax: boolean, dtype: DType, nd: number): Kernel {
  const v = (d: number, f: number) => K.variable(8 * d + f);
  const loops = [...Array(nd).keys()].map((d) => ({ size: v(d, 0), reduce: false }));
  for (let d = 0; d < nd; d++) loops.push({ size: v(d, 1), reduce: true });
  let index: Exp = K.int(0);
  let valid: Exp | null = null;
  for (let d = 0; d < nd; d++) {
    const pos = K.add(K.sub(K.mul(K.loopIndex(d), v(d, 2)), v(d, 3)), K.mul(K.loopIndex(nd + d), v(d, 4)));
    const i = K.div(pos, v(d, 5));
    valid = both(valid, K.and(K.and(K.ge(pos, K.int(0)), K.binary('eq', K.rem(pos, v(d, 5)), K.int(0))), K.lt(i, v(d, 6))));
    index = K.add(index, K.mul(i, v(d, 7)));
  }
  const x = valid === null ? K.load(0, dtype, index) : K.load(0, dtype, index, valid);
  // a max skips positions outside the input (the CPU's window starts at -inf, int32's minimum for int32)
  const outside = dtype === 'int32' ? K.constant(-2147483648, 'int32') : dtype === 'bool' ? K.constant(0, 'bool') : K.constant(Number.NEGATIVE_INFINITY, dtype);
  const body = isMax && valid !== null ? K.where(valid, x, outside) : x;
  return new Kernel({
    name: isMax ? 'reduce_window_max' : 'reduce_window_sum',
    inputs: [dtype],
    outDType: dtype,
    loops,
    body,
    reduction: { op: isMax ? 'max' : 'sum' },
    vars: 8 * nd,
  });
}

function reduceWindow(isMax: boolean) {
  const name = isMax ? 'reduce_window_max' : 'reduce_window_sum';
  return (backend: RoutineHost, p: ReduceWindowParams, inputs: readonly BackendInput[], outAvals: readonly ShapedArray[]): GpuBuffer[] => {
    const x = inputs[0] as BackendInput;
    const out = outAvals[0] as ShapedArray;
    const a = x.aval;
    const nd = a.ndim;
    const exe = backend.kernel(`${name}:${a.dtype}:${nd}`, () => windowKernel(isMax, a.dtype, nd));
    const s = strides(a.shape);
    const vars: number[] = [];
    for (let d = 0; d < nd; d++) {
      vars.push(
        out.shape[d] as number,
        p.windowDimensions[d] as number,
        p.windowStrides[d] as number,
        (p.padding[d] as readonly [number, number])[0],
        p.windowDilation[d] as number,
        p.baseDilation[d] as number,
        a.shape[d] as number,
        s[d] as number,
      );
    }
    return [backend.runKernel(exe, [backend.buf(x.handle, name)], vars, out.dtype, out.size)];
  };
}

/**
 * The conv kernel (NCHW input, OIHW weights, 1-d as 2-d with height 1): loops n, o, oh, ow (kept),
 * c, kh, kw (reduced, the CPU's order of the contraction). Vars: N/BG, O, OH, OW, Cg, KH, KW,
 * C, H, W, Og, stride h/w, pad h/w, lhs dilation h/w, rhs dilation h/w, G > 1, BG > 1.
 */
function convKernel(dtype: DType): Kernel {
  const V = (k: number) => K.variable(k);
  const [outN, O, OH, OW, Cg, KH, KW, C, H, W, Og, sh, sw, ph, pw, dh, dw, rh, rw, grouped, batchGrouped] = [...Array(21).keys()].map(V) as Exp[];
  const loops = [outN, O, OH, OW].map((size) => ({ size: size as Exp, reduce: false }));
  for (const size of [Cg, KH, KW]) loops.push({ size: size as Exp, reduce: true });
  const [n, o, oh, ow, c, kh, kw] = [...Array(7).keys()].map((k) => K.loopIndex(k));
  const g = K.div(o as Exp, Og as Exp);
  const isTrue = (v: Exp) => K.binary('ne', v, K.int(0));
  const c0 = K.where(isTrue(grouped as Exp), K.mul(g, Cg as Exp), K.int(0));
  const img = K.where(isTrue(batchGrouped as Exp), K.add(K.mul(g, outN as Exp), n as Exp), n as Exp);
  const axis = (out: Exp, stride: Exp, pad: Exp, k: Exp, rd: Exp, ld: Exp, size: Exp) => {
    const pos = K.add(K.sub(K.mul(out, stride), pad), K.mul(k, rd));
    const i = K.div(pos, ld);
    const ok = K.and(K.and(K.ge(pos, K.int(0)), K.binary('eq', K.rem(pos, ld), K.int(0))), K.lt(i, size));
    return { i, ok };
  };
  const y = axis(oh as Exp, sh as Exp, ph as Exp, kh as Exp, rh as Exp, dh as Exp, H as Exp);
  const x = axis(ow as Exp, sw as Exp, pw as Exp, kw as Exp, rw as Exp, dw as Exp, W as Exp);
  const xIndex = K.add(K.mul(K.add(K.mul(K.add(K.mul(img, C as Exp), K.add(c0, c as Exp)), H as Exp), y.i), W as Exp), x.i);
  const wIndex = K.add(K.mul(K.add(K.mul(K.add(K.mul(o as Exp, Cg as Exp), c as Exp), KH as Exp), kh as Exp), KW as Exp), kw as Exp);
  const body = K.mul(K.load(0, dtype, xIndex, K.and(y.ok, x.ok)), K.load(1, dtype, wIndex));
  return new Kernel({ name: 'conv', inputs: [dtype, dtype], outDType: dtype, loops, body, reduction: { op: 'sum' }, vars: 21 });
}

/** The direct convolution of `inputs` into a new buffer of `out`. */
export function directConv(backend: RoutineHost, p: ConvParams, inputs: readonly BackendInput[], out: ShapedArray): GpuBuffer {
  const [lhs, rhs] = inputs as [BackendInput, BackendInput];
  const a = lhs.aval;
  const k = rhs.aval;
  const { N, C, O, Cg, H, W, KH, KW, OH, OW, sh, sw, dh, dw, rh, rw, ph, pw, G, BG } = convGeometry(a, k, out, p);
  const Og = O / Math.max(G, BG);
  const vars = [N / BG, O, OH, OW, Cg, KH, KW, C, H, W, Og, sh, sw, ph[0], pw[0], dh, dw, rh, rw, G > 1 ? 1 : 0, BG > 1 ? 1 : 0];
  const exe = backend.kernel(`conv:${out.dtype}`, () => convKernel(out.dtype));
  return backend.runKernel(exe, [backend.buf(lhs.handle, 'conv'), backend.buf(rhs.handle, 'conv')], vars, out.dtype, out.size);
}

export const reduceWindowSum = reduceWindow(false);
export const reduceWindowMax = reduceWindow(true);
