// conv on WebGPU as an implicit GEMM (the shaders: conv-wgsl.ts): every ConvParams case (1-d and
// 2-d, strides, padding, lhs and rhs dilation, feature and batch groups), and so also the convs
// that grad's transpose rules build for conv's gradients. When the tiles alone would leave the
// device idle (few pixels and channels, a long reduction: the weight gradient's shape), the input
// channels are split across workgroups and a second shader sums the partial products.
//
// An epilogue (a bias add, an activation) is applied by the shader that stores the result. The
// direct convolution of window.ts remains as `convSettings.implicitGemm = false`, for comparison
// (scripts/bench-conv.ts); there an epilogue runs as a kernel of its own.
import { type BackendInput, type ConvParams, convGeometry, type DataHandle, type DType, type Kernel, ShapedArray } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import { type RenderedEpilogue, renderEpilogue } from '../wgsl/epilogue.js';
import { floatBits, writeHeader } from '../wgsl/exp.js';
import {
  CONV_TILING,
  type ConvTiling,
  convSource,
  EPILOGUE_BINDING,
  EPILOGUE_SLOT,
  NARROW_TILING,
  PARAM_NAMES,
  PARAMS_SLOT,
  REDUCE_EPILOGUE_BINDING,
  REDUCE_WG,
  reduceSource,
} from './conv-wgsl.js';
import type { RoutineEpilogue, RoutineHost } from './host.js';
import { directConv } from './window.js';

export const convSettings: { implicitGemm: boolean; tiling: ConvTiling; narrow: ConvTiling; splitTarget: number } = {
  /** false: the direct convolution kernel (window.ts), for comparison. */
  implicitGemm: true,
  tiling: CONV_TILING,
  /** The tiling of convs with at most `narrow.rn` output channels per group. */
  narrow: NARROW_TILING,
  /** Split the reduction when the tiles give fewer workgroups than this. */
  splitTarget: 64,
};

/** The least reduction per split chunk (input channels × window) worth a workgroup of its own. */
const MIN_SPLIT_K = 256;

/** Rendered epilogues by kernel, result input and first binding (a jit program passes the same kernel at every call). */
const rendered = new WeakMap<Kernel, Map<string, RenderedEpilogue>>();

function epilogueOf(e: RoutineEpilogue, binding: number): RenderedEpilogue {
  let byKey = rendered.get(e.kernel);
  if (byKey === undefined) {
    byKey = new Map();
    rendered.set(e.kernel, byKey);
  }
  const key = `${e.result}:${binding}`;
  let r = byKey.get(key);
  if (r === undefined) {
    r = renderEpilogue(e.kernel, e.result, binding, EPILOGUE_SLOT);
    byKey.set(key, r);
  }
  return r;
}

/** The direct kernel, then the epilogue (if any) as a kernel of its own. */
function direct(backend: RoutineHost, p: ConvParams, inputs: readonly BackendInput[], out: ShapedArray, epilogue?: RoutineEpilogue): GpuBuffer[] {
  if (epilogue === undefined) return [directConv(backend, p, inputs, out)];
  const raw = directConv(backend, p, inputs, new ShapedArray(out.shape, epilogue.kernel.inputs[epilogue.result] as DType));
  const exe = backend.kernel(`conv:epilogue:${epilogue.key}`, () => epilogue.kernel);
  const ins = epilogue.inputs.map((h, j) => (j === epilogue.result ? raw : backend.buf(h as DataHandle, 'conv')));
  const y = backend.runKernel(exe, ins, [], out.dtype, out.size);
  backend.releaseBuffer(raw);
  return [y];
}

export function conv(
  backend: RoutineHost,
  p: ConvParams,
  inputs: readonly BackendInput[],
  outAvals: readonly ShapedArray[],
  epilogue?: RoutineEpilogue,
): GpuBuffer[] {
  const [lhs, rhs] = inputs as [BackendInput, BackendInput];
  const out = outAvals[0] as ShapedArray;
  if (lhs.aval.ndim > 4) throw new Error(`conv: ${lhs.aval.ndim - 2}-d convolutions are not yet implemented on webgpu (1-d and 2-d are)`);
  if (!convSettings.implicitGemm) return direct(backend, p, inputs, out, epilogue);
  const g = convGeometry(lhs.aval, rhs.aval, out, p);
  const groups = Math.max(g.G, g.BG);
  const outN = g.N / g.BG;
  const Og = g.O / groups;
  const M = outN * g.OH * g.OW;
  const dst = backend.newBuffer(out.dtype, out.size, 'conv');
  if (out.size === 0) return [dst];
  const t = Og <= convSettings.narrow.rn ? convSettings.narrow : convSettings.tiling;
  const tilesM = Math.ceil(M / (t.rm * t.wg));
  const tilesN = Math.ceil(Og / t.rn);
  const tiles = groups * tilesM * tilesN;
  // split the input channels when the tiles are too few and each chunk keeps a long reduction
  const window = g.KH * g.KW;
  const S = Math.max(1, Math.min(Math.ceil(convSettings.splitTarget / tiles), Math.floor((g.Cg * window) / MIN_SPLIT_K)));
  const cSplit = Math.ceil(g.Cg / S);
  const splits = Math.max(1, Math.ceil(g.Cg / Math.max(1, cSplit)));
  const split = splits > 1;
  // the product's dtype is the epilogue's result input's (the output's may differ only with an epilogue)
  const dtype = epilogue === undefined ? out.dtype : (epilogue.kernel.inputs[epilogue.result] as DType);
  const binding = split ? REDUCE_EPILOGUE_BINDING : EPILOGUE_BINDING;
  const epi = epilogue === undefined ? null : epilogueOf(epilogue, binding);
  const epiKey = epilogue === undefined ? '' : `:${out.dtype}|${epilogue.result}|${epilogue.key}`;
  const dilated = g.dh > 1 || g.dw > 1;
  const values: Record<(typeof PARAM_NAMES)[number], number> = {
    M,
    Og,
    Cg: g.Cg,
    KH: g.KH,
    KW: g.KW,
    OH: g.OH,
    OW: g.OW,
    H: g.H,
    W: g.W,
    C: g.C,
    O: g.O,
    outN,
    sh: g.sh,
    sw: g.sw,
    ph: g.ph[0],
    pw: g.pw[0],
    rh: g.rh,
    rw: g.rw,
    dh: g.dh,
    dw: g.dw,
    tilesM,
    tilesN,
    groups,
    flags: (g.G > 1 ? 1 : 0) | (g.BG > 1 ? 2 : 0),
    cSplit: Math.max(1, cSplit),
    pad0: 0,
    pad1: 0,
    pad2: 0,
  };
  const ints = new Int32Array(EPILOGUE_SLOT + (epi?.constants.length ?? 0));
  writeHeader(ints);
  ints.set(
    PARAM_NAMES.map((n) => values[n] | 0),
    PARAMS_SLOT,
  );
  if (epi !== null) ints.set(epi.constants.map(floatBits), EPILOGUE_SLOT);
  const extra = epi === null ? [] : epi.inputs.map((j) => backend.buf((epilogue as RoutineEpilogue).inputs[j] as DataHandle, 'conv').buffer);
  const x = backend.buf(lhs.handle, 'conv').buffer;
  const w = backend.buf(rhs.handle, 'conv').buffer;
  const tag = `${t.rm}x${t.rn}x${t.wg}`;
  if (!split) {
    const key = `conv:gemm:${tag}:${dtype}:${dilated ? 'd' : 'u'}${epiKey}`;
    const pipeline = backend.pipeline(key, 2 + extra.length, 1, () => convSource(dtype, t, dilated, false, epi, out.dtype));
    backend.dispatch(pipeline, 2 + extra.length, ints, [x, w, ...extra, dst.buffer], backend.grid(tiles, 'conv'), 'conv');
    return [dst];
  }
  const parts = backend.newBuffer(dtype, splits * out.size, 'conv');
  const key = `conv:gemm:${tag}:${dtype}:${dilated ? 'd' : 'u'}:split`;
  const pipeline = backend.pipeline(key, 2, 1, () => convSource(dtype, t, dilated, true, null));
  backend.dispatch(pipeline, 2, ints, [x, w, parts.buffer], backend.grid(splits * tiles, 'conv'), 'conv');
  const reduce = backend.pipeline(`conv:reduce:${dtype}${epiKey}`, 1 + extra.length, 1, () => reduceSource(dtype, epi, out.dtype));
  backend.dispatch(reduce, 1 + extra.length, ints, [parts.buffer, ...extra, dst.buffer], backend.grid(Math.ceil(out.size / REDUCE_WG), 'conv'), 'conv');
  backend.releaseBuffer(parts);
  return [dst];
}
