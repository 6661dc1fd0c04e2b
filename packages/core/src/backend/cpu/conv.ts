import type { ShapedArray } from '../../aval.js';
import type { DType, TypedArray } from '../../dtype.js';
import { convGeometry } from '../../primitives/conv.js';
import type { ConvParams, PadPair, ReduceWindowParams } from '../../primitives/params.js';
import { stridesOf } from '../../shape.js';
import { WASM_MIN_WORK } from '../wasm/dot.js';
import { wasmMatmul } from '../wasm/engine.js';
import { recycle, takeTyped } from './pool.js';
import type { CpuRoutines } from './routine.js';
import { matmulBatched } from './threads.js';

/** Where a max window starts: -inf, or int32's minimum for int32 (XLA's), since -inf stored in an Int32Array is 0. */
function windowInit(isMax: boolean, dtype: DType): number {
  if (!isMax) return 0;
  return dtype === 'int32' ? -2147483648 : Number.NEGATIVE_INFINITY;
}

/** Spatial parameters padded to two dimensions (a 1-d conv runs as 2-d with height 1). */
/** Patch rows per matmul: large enough to keep the matmul (and its threads) busy, small enough to stay in cache-sized scratch. */
const PATCH_ELEMENTS = 1 << 22;

/**
 * product[Og, cols] = W[Og, Kd] · patchᵀ on the WebAssembly SIMD matmul when both are float32 and
 * the product is large enough (as dot_general routes them); false when the JavaScript kernel must.
 */
function wasmProduct(w: TypedArray, wOffset: number, patch: TypedArray, product: TypedArray, Og: number, cols: number, Kd: number): boolean {
  if (!(w instanceof Float32Array) || !(patch instanceof Float32Array) || !(product instanceof Float32Array)) return false;
  if (Og * cols * Kd < WASM_MIN_WORK) return false;
  const run = wasmMatmul();
  return run !== null && run(w.subarray(wOffset, wOffset + Og * Kd), patch.subarray(0, cols * Kd), product, 1, Og, cols, Kd, { a: 'mk', b: 'nk' });
}

/**
 * Convolution by im2col + the matmul kernel (the WebAssembly one for float32). For each group, the receptive fields of a chunk of
 * images are gathered into one [images·positions, Cg·KH·KW] patch matrix (contraction-contiguous,
 * the layout the kernel streams) and multiplied by the group's OIHW weights ([Og, Cg·KH·KW]
 * already) in one large matmul, whose [Og, images·positions] result is then laid out as NCHW.
 */
function conv(x: TypedArray, w: TypedArray, a: ShapedArray, k: ShapedArray, out: ShapedArray, p: ConvParams): TypedArray {
  const { N, C, O, Cg, H, W, KH, KW, OH, OW, sh, sw, dh, dw, rh, rw, ph, pw, G, BG } = convGeometry(a, k, out, p);
  const groups = Math.max(G, BG);
  const Og = O / groups;
  const outN = N / BG;
  const P = OH * OW;
  const Kd = Cg * KH * KW;
  const dst = takeTyped(out.dtype, out.size);
  if (P === 0 || Og === 0 || outN === 0) return dst;
  const chunk = Math.max(1, Math.min(outN, Math.floor(PATCH_ELEMENTS / Math.max(1, P * Kd))));
  const patch = takeTyped(a.dtype, chunk * P * Kd, true);
  const product = takeTyped(out.dtype, Og * chunk * P, true);
  for (let g = 0; g < groups; g++) {
    const c0 = G > 1 ? g * Cg : 0;
    for (let n0 = 0; n0 < outN; n0 += chunk) {
      const count = Math.min(chunk, outN - n0);
      patch.fill(0, 0, count * P * Kd);
      for (let i = 0; i < count; i++) {
        const n = n0 + i;
        const img = BG > 1 ? g * outN + n : n;
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            const row = ((i * OH + oh) * OW + ow) * Kd;
            for (let kh = 0; kh < KH; kh++) {
              const yd = oh * sh - ph[0] + kh * rh;
              if (yd < 0 || yd % dh !== 0) continue;
              const y = yd / dh;
              if (y >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const xd = ow * sw - pw[0] + kw * rw;
                if (xd < 0 || xd % dw !== 0) continue;
                const xx = xd / dw;
                if (xx >= W) continue;
                let src = ((img * C + c0) * H + y) * W + xx;
                let col = row + kh * KW + kw;
                for (let c = 0; c < Cg; c++, src += H * W, col += KH * KW) patch[col] = x[src] as number;
              }
            }
          }
        }
      }
      const cols = count * P;
      if (!wasmProduct(w, g * Og * Kd, patch, product, Og, cols, Kd)) matmulBatched(out.dtype, w, g * Og * Kd, patch, 0, product, 0, 1, Og, cols, Kd);
      // [Og, images·positions] → each image's [Og, positions] block of the NCHW output
      for (let i = 0; i < count; i++) {
        for (let o = 0; o < Og; o++) {
          const from = o * cols + i * P;
          dst.set(product.subarray(from, from + P) as never, ((n0 + i) * O + g * Og + o) * P);
        }
      }
    }
  }
  recycle(patch);
  recycle(product);
  return dst;
}

/**
 * Windowed reduction over every dimension. For each dimension and output coordinate the valid
 * input offsets are listed once; each output element then folds the product of those lists.
 */
/** Whether dimension d is untouched by the window (size 1, stride 1, no padding or dilation). */
function trivialDim(p: ReduceWindowParams, d: number): boolean {
  const pad = p.padding[d] as PadPair;
  return p.windowDimensions[d] === 1 && p.windowStrides[d] === 1 && pad[0] === 0 && pad[1] === 0 && p.baseDilation[d] === 1;
}

/**
 * Pooling fast path: leading dimensions the window leaves alone are folded into independent
 * planes, and each plane is swept by a direct 2-d loop (the usual NCHW max/sum pooling).
 */
function pool2d(isMax: boolean, x: TypedArray, a: ShapedArray, out: ShapedArray, p: ReduceWindowParams): TypedArray | null {
  const nd = a.ndim;
  if (nd < 2) return null;
  for (let d = 0; d < nd - 2; d++) if (!trivialDim(p, d)) return null;
  if (p.baseDilation[nd - 2] !== 1 || p.baseDilation[nd - 1] !== 1) return null;
  const H = a.shape[nd - 2] as number;
  const W = a.shape[nd - 1] as number;
  const OH = out.shape[nd - 2] as number;
  const OW = out.shape[nd - 1] as number;
  const [KH, KW] = [p.windowDimensions[nd - 2] as number, p.windowDimensions[nd - 1] as number];
  const [SH, SW] = [p.windowStrides[nd - 2] as number, p.windowStrides[nd - 1] as number];
  const [DH, DW] = [p.windowDilation[nd - 2] as number, p.windowDilation[nd - 1] as number];
  const PH = (p.padding[nd - 2] as PadPair)[0];
  const PW = (p.padding[nd - 1] as PadPair)[0];
  // the product of the leading dims (not size / (H·W): an empty plane still has padded outputs)
  const planes = a.shape.slice(0, nd - 2).reduce((n, d) => n * d, 1);
  const dst = takeTyped(out.dtype, out.size);
  const init = windowInit(isMax, out.dtype);
  for (let pl = 0; pl < planes; pl++) {
    const src = pl * H * W;
    const o = pl * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let acc = init;
        for (let kh = 0; kh < KH; kh++) {
          const y = oh * SH - PH + kh * DH;
          if (y < 0 || y >= H) continue;
          const row = src + y * W;
          for (let kw = 0; kw < KW; kw++) {
            const xx = ow * SW - PW + kw * DW;
            if (xx < 0 || xx >= W) continue;
            const v = x[row + xx] as number;
            if (isMax) acc = v > acc || v !== v ? v : acc;
            else acc += v;
          }
        }
        dst[o + oh * OW + ow] = acc;
      }
    }
  }
  return dst;
}

function reduceWindow(isMax: boolean, x: TypedArray, a: ShapedArray, out: ShapedArray, p: ReduceWindowParams): TypedArray {
  const fast = pool2d(isMax, x, a, out, p);
  if (fast !== null) return fast;
  const nd = a.ndim;
  const inS = stridesOf(a.shape);
  const lists: number[][][] = [];
  for (let d = 0; d < nd; d++) {
    const perOut: number[][] = [];
    for (let o = 0; o < (out.shape[d] as number); o++) {
      const offs: number[] = [];
      for (let w = 0; w < (p.windowDimensions[d] as number); w++) {
        const pos = o * (p.windowStrides[d] as number) - (p.padding[d] as PadPair)[0] + w * (p.windowDilation[d] as number);
        const base = p.baseDilation[d] as number;
        if (pos < 0 || pos % base !== 0) continue;
        const i = pos / base;
        if (i < (a.shape[d] as number)) offs.push(i * (inS[d] as number));
      }
      perOut.push(offs);
    }
    lists.push(perOut);
  }
  const dst = takeTyped(out.dtype, out.size);
  const idx = new Int32Array(nd);
  const init = windowInit(isMax, out.dtype);
  const fold = (d: number, base: number, acc: number): number => {
    const offs = (lists[d] as number[][])[idx[d] as number] as number[];
    for (const off of offs) {
      if (d === nd - 1) {
        const v = x[base + off] as number;
        acc = isMax ? (v > acc || v !== v ? v : acc) : acc + v;
      } else acc = fold(d + 1, base + off, acc);
    }
    return acc;
  };
  for (let i = 0; i < dst.length; i++) {
    dst[i] = nd === 0 ? (x[0] as number) : fold(0, 0, init);
    for (let d = nd - 1; d >= 0; d--) {
      const v = (idx[d] as number) + 1;
      if (v < (out.shape[d] as number)) {
        idx[d] = v;
        break;
      }
      idx[d] = 0;
    }
  }
  return dst;
}

export const convRoutines: CpuRoutines = {
  conv: ([x, w], [a, k], [out], params) => [conv(x!, w!, a!, k!, out!, params)],
  reduce_window_sum: ([x], [a], [out], params) => [reduceWindow(false, x!, a!, out!, params)],
  reduce_window_max: ([x], [a], [out], params) => [reduceWindow(true, x!, a!, out!, params)],
};
