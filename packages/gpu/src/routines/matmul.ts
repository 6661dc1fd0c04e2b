// dot_general on WebGPU (the shaders: matmul-wgsl.ts): a tiled matmul with register blocking, or,
// for products with fewer than 16 rows or columns (vector-matrix, many small batched products),
// one invocation per output. Operands are read through strides (batch, free, contracting), so any
// layout whose batch, free and contracting dims each merge into one strided dim is read in place;
// others are first copied into [batch, free, contracting] order by a transpose kernel.
//
// An epilogue (core's RoutineEpilogue: a bias add, an activation, an optimizer update) is rendered
// as a WGSL function (wgsl/epilogue.ts) that the shader applies to every output element it holds
// before storing it: no second dispatch, and the product is never stored in a buffer.
import { type BackendInput, type DataHandle, type DType, Kernel, kernelIR, type PrimitiveParams, type ShapedArray } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import { type RenderedEpilogue, renderEpilogue } from '../wgsl/epilogue.js';
import { floatBits, writeHeader } from '../wgsl/exp.js';
import type { MatmulMode, RoutineEpilogue, RoutineHost } from './host.js';
import { DIRECT_WG, directSource, EPILOGUE_BINDING, EPILOGUE_SLOT, NARROW_REGISTERS, PARAMS_SLOT, TILINGS, type Tiling, tiledSource } from './matmul-wgsl.js';

// MatmulMode (how a tiled product stages its operands, see matmul-wgsl.ts) is declared with the
// routine host, which this module needs, so that the two do not import each other
export type { MatmulMode };

/** Products with fewer rows or columns than this run one invocation per output instead of in tiles. */
const TILE_MIN = 16;

const prod = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i] as number;
  }
  return s;
}

/** The one stride that walks `dims` (in this order) of a row-major array, or null when they do not merge. */
function groupStride(shape: readonly number[], strides: readonly number[], dims: readonly number[]): number | null {
  const live = dims.filter((d) => shape[d] !== 1);
  if (live.length === 0) return 0;
  for (let j = 0; j + 1 < live.length; j++) {
    const d = live[j] as number;
    const e = live[j + 1] as number;
    if (strides[d] !== (strides[e] as number) * (shape[e] as number)) return null;
  }
  return strides[live[live.length - 1] as number] as number;
}

/** A copy of `x` with its dims in `order` (a transpose kernel of core's IR, compiled once per dtype and rank). */
function transposed(backend: RoutineHost, x: GpuBuffer, shape: readonly number[], order: readonly number[]): GpuBuffer {
  const s = rowMajorStrides(shape);
  const rank = order.length;
  const dtype = x.dtype;
  const exe = backend.kernel(`dot_general:transpose:${dtype}:${rank}`, () => {
    const loops = Array.from({ length: rank }, (_, k) => ({ size: kernelIR.variable(k), reduce: false }));
    let index = kernelIR.int(0);
    for (let k = 0; k < rank; k++) index = kernelIR.add(index, kernelIR.mul(kernelIR.loopIndex(k), kernelIR.variable(rank + k)));
    return new Kernel({ name: 'dot_general_transpose', inputs: [dtype], outDType: dtype, loops, body: kernelIR.load(0, dtype, index), vars: 2 * rank });
  });
  const vars = [...order.map((d) => shape[d] as number), ...order.map((d) => s[d] as number)];
  return backend.runKernel(exe, [x], vars, dtype, x.size);
}

interface Operand {
  readonly buffer: GpuBuffer;
  /** Strides of the batch, free and contracting groups. */
  readonly strides: [number, number, number];
  /** A copy made here, released after the product. */
  readonly scratch: boolean;
}

function operand(backend: RoutineHost, input: BackendInput, batch: readonly number[], contracting: readonly number[]): Operand {
  const { shape } = input.aval;
  const x = backend.buf(input.handle, 'dot_general');
  const free = shape.map((_, i) => i).filter((i) => !batch.includes(i) && !contracting.includes(i));
  const s = rowMajorStrides(shape);
  const groups = [batch, free, contracting].map((g) => groupStride(shape, s, g));
  if (groups.every((g) => g !== null)) return { buffer: x, strides: groups as [number, number, number], scratch: false };
  const copy = transposed(backend, x, shape, [...batch, ...free, ...contracting]);
  const F = prod(free.map((d) => shape[d] as number));
  const K = prod(contracting.map((d) => shape[d] as number));
  return { buffer: copy, strides: [F * K, K, 1], scratch: true };
}

/** Rendered epilogues by kernel and result input (a jit program passes the same kernel at every call). */
const rendered = new WeakMap<Kernel, Map<number, RenderedEpilogue>>();

function epilogueOf(e: RoutineEpilogue): RenderedEpilogue {
  let byResult = rendered.get(e.kernel);
  if (byResult === undefined) {
    byResult = new Map();
    rendered.set(e.kernel, byResult);
  }
  let r = byResult.get(e.result);
  if (r === undefined) {
    r = renderEpilogue(e.kernel, e.result, EPILOGUE_BINDING, EPILOGUE_SLOT);
    byResult.set(e.result, r);
  }
  return r;
}

/** The tiling of a product with N columns: narrow tiles where they pad fewer columns (registers mode). */
function tiling(mode: MatmulMode, N: number): Tiling {
  const t = TILINGS[mode];
  if (mode !== 'registers') return t;
  const padded = (w: number) => Math.ceil(N / w) * w;
  return padded(NARROW_REGISTERS.rn * NARROW_REGISTERS.wx) < padded(t.rn * t.wx) ? NARROW_REGISTERS : t;
}

export function dotGeneral(
  backend: RoutineHost,
  { contracting, batch }: PrimitiveParams['dot_general'],
  inputs: readonly BackendInput[],
  outAvals: readonly ShapedArray[],
  epilogue?: RoutineEpilogue,
): GpuBuffer[] {
  const [lhs, rhs] = inputs as [BackendInput, BackendInput];
  const out = outAvals[0] as ShapedArray;
  const a = lhs.aval;
  const b = rhs.aval;
  const freeSize = (v: ShapedArray, bd: readonly number[], cd: readonly number[]) => prod(v.shape.filter((_, i) => !bd.includes(i) && !cd.includes(i)));
  const nb = prod(batch[0].map((d) => a.shape[d] as number));
  const K = prod(contracting[0].map((d) => a.shape[d] as number));
  const M = freeSize(a, batch[0], contracting[0]);
  const N = freeSize(b, batch[1], contracting[1]);
  const dst = backend.newBuffer(out.dtype, out.size, 'dot_general');
  if (out.size === 0) return [dst];
  // the product's dtype is the epilogue's result input's (the output's may differ only with an epilogue)
  const dtype = epilogue === undefined ? out.dtype : (epilogue.kernel.inputs[epilogue.result] as DType);
  const epi = epilogue === undefined ? null : epilogueOf(epilogue);
  const epiKey = epilogue === undefined ? '' : `:${out.dtype}|${epilogue.result}|${epilogue.key}`;
  const A = operand(backend, lhs, batch[0], contracting[0]);
  const B = operand(backend, rhs, batch[1], contracting[1]);
  const direct = M < TILE_MIN || N < TILE_MIN;
  const t = tiling(backend.matmulMode, N);
  const tilesM = direct ? 0 : Math.ceil(M / (t.rm * t.wy));
  const tilesN = direct ? 0 : Math.ceil(N / (t.rn * t.wx));
  const ints = new Int32Array(EPILOGUE_SLOT + (epi?.constants.length ?? 0));
  writeHeader(ints);
  ints.set([nb, M, N, K, A.strides[0], A.strides[1], A.strides[2], B.strides[0], B.strides[2], B.strides[1], tilesM, tilesN], PARAMS_SLOT);
  if (epi !== null) ints.set(epi.constants.map(floatBits), EPILOGUE_SLOT);
  const extra = epi === null ? [] : epi.inputs.map((j) => backend.buf((epilogue as RoutineEpilogue).inputs[j] as DataHandle, 'dot_general').buffer);
  const buffers = [A.buffer.buffer, B.buffer.buffer, ...extra, dst.buffer];
  const nIn = buffers.length - 1;
  if (direct) {
    const pipeline = backend.pipeline(`dot_general:direct:${dtype}${epiKey}`, nIn, 1, () => directSource(dtype, epi, out.dtype));
    backend.dispatch(pipeline, nIn, ints, buffers, backend.grid(Math.ceil(out.size / DIRECT_WG), 'dot_general'), 'dot_general');
  } else {
    // vec4 reads of B need 4-aligned rows (and batch and start offsets) that are contiguous along n
    const vecC = N % 4 === 0;
    const vecB = vecC && B.strides[1] === 1 && B.strides[2] % 4 === 0 && B.strides[0] % 4 === 0;
    const key = `dot_general:${t.mode}${t === NARROW_REGISTERS ? '-narrow' : ''}:${dtype}:${vecB ? 'b4' : 'b1'}:${vecC ? 'c4' : 'c1'}${epiKey}`;
    const pipeline = backend.pipeline(key, nIn, 1, () => tiledSource(dtype, t, vecB, vecC, epi, out.dtype));
    backend.dispatch(pipeline, nIn, ints, buffers, backend.grid(nb * tilesM * tilesN, 'dot_general'), 'dot_general');
  }
  if (A.scratch) backend.releaseBuffer(A.buffer);
  if (B.scratch) backend.releaseBuffer(B.buffer);
  return [dst];
}
