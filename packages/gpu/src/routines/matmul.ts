// dot_general as a tiled matmul with register blocking: each invocation computes an RM×RN block of
// the output (RN/4 vec4 accumulators per row) and each workgroup a TM×TN tile, in one of two modes:
// - 'registers' (CPU-backed adapters such as lavapipe): operands are read straight from the
//   storage buffers (the CPU's caches are the tiles); 8×8 blocks, 64×64 tiles;
// - 'shared' (GPUs): the workgroup stages TM×TK and TK×TN slabs of both operands in workgroup
//   memory and each invocation accumulates a 4×4 block from them; 64×64 tiles, TK = 16.
// B is read as vec4s (and C written as vec4s) where rows are contiguous and 4-aligned. Rows and
// columns past the edge read the last valid one (so the k loop has no bounds checks) and are not
// stored. Products with fewer than 16 rows or columns (vector-matrix, many small batched products)
// run one invocation per output instead. Operands are read through strides (batch, free,
// contracting), so any layout whose batch, free and contracting dims each merge into one strided
// dim is read in place; others are first copied into [batch, free, contracting] order by a
// transpose kernel. Indices are u32 (signed division in WGSL compiles to a guarded division).
import { type BackendInput, type DType, Kernel, kernelIR, type PrimitiveParams, type ShapedArray } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import type { MatmulMode, RoutineHost } from './host.js';

// MatmulMode (how a tiled product stages its operands, see the top of this file) is declared with
// the routine host, which this module needs, so that the two do not import each other
export type { MatmulMode };

interface Tiling {
  readonly mode: MatmulMode;
  /** Outputs per invocation: rows, and columns (a multiple of 4). */
  readonly rm: number;
  readonly rn: number;
  /** Invocations per workgroup along columns (x) and rows (y). */
  readonly wx: number;
  readonly wy: number;
  /** The k slab staged per step ('shared'). */
  readonly tk: number;
}

export const TILINGS: Readonly<Record<MatmulMode, Tiling>> = {
  registers: { mode: 'registers', rm: 8, rn: 8, wx: 8, wy: 8, tk: 0 },
  shared: { mode: 'shared', rm: 4, rn: 4, wx: 16, wy: 16, tk: 16 },
};

/** The shader of a tiled product: `vecB` reads B as vec4s along n, `vecC` writes C as vec4s. */
export function tiledSource(dtype: DType, t: Tiling, vecB: boolean, vecC: boolean): string {
  const ty = dtype === 'int32' ? 'i32' : 'f32';
  const v4 = `vec4<${ty}>`;
  const TM = t.rm * t.wy;
  const TN = t.rn * t.wx;
  const Q = t.rn / 4;
  const rows = Array.from({ length: t.rm }, (_, i) => i);
  const quads = Array.from({ length: Q }, (_, j) => j);
  const mad = (a: string, b: string, c: string) => (ty === 'f32' ? `fma(${v4}(${a}), ${b}, ${c})` : `${c} + ${v4}(${a}) * ${b}`);
  const L: string[] = [];
  L.push(`struct Vars { v: array<vec4<u32>, 3> }
@group(0) @binding(0) var<uniform> U: Vars;
@group(0) @binding(1) var<storage, read> A: array<${ty}>;
@group(0) @binding(2) var<storage, read> B: array<${vecB ? v4 : ty}>;
@group(0) @binding(3) var<storage, read_write> C: array<${vecC ? v4 : ty}>;`);
  if (t.mode === 'shared') {
    L.push(`var<workgroup> As: array<${ty}, ${TM * t.tk}>;`, `var<workgroup> Bs: array<${v4}, ${(t.tk * TN) / 4}>;`);
  }
  L.push(`@compute @workgroup_size(${t.wx}, ${t.wy})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nwg: vec3u) {
  let nb = U.v[0].x;
  let M = U.v[0].y;
  let N = U.v[0].z;
  let K = U.v[0].w;
  let sAb = U.v[1].x;
  let sAm = U.v[1].y;
  let sAk = U.v[1].z;
  let sBb = U.v[1].w;
  let sBk = U.v[2].x;
  let sBn = U.v[2].y;
  let tilesM = U.v[2].z;
  let tilesN = U.v[2].w;
  let tile = wid.x + wid.y * nwg.x;
  let perBatch = tilesM * tilesN;
  if (tile >= nb * perBatch) { return; }
  let b = tile / perBatch;
  let t = tile % perBatch;
  let tm = (t / tilesN) * ${TM}u;
  let tn = (t % tilesN) * ${TN}u;
  let m0 = tm + lid.y * ${t.rm}u;
  let n0 = tn + lid.x * ${t.rn}u;
  let aBase = b * sAb;
  let bBase = b * sBb;`);
  for (const i of rows) for (const j of quads) L.push(`  var c${i}_${j} = ${v4}();`);
  if (t.mode === 'registers') {
    for (const i of rows) L.push(`  let a${i} = aBase + min(m0 + ${i}u, M - 1u) * sAm;`);
    if (vecB) for (const j of quads) L.push(`  let b${j} = (bBase + min(n0 + ${4 * j}u, N - 4u)) / 4u;`);
    else for (let c = 0; c < t.rn; c++) L.push(`  let b${c} = bBase + min(n0 + ${c}u, N - 1u) * sBn;`);
    L.push(`  let dB = ${vecB ? 'sBk / 4u' : 'sBk'};`, '  var ka = 0u;', '  var kb = 0u;');
    // (unrolling k by 2 or 4 measured slower on lavapipe: more live values spill)
    const step = (indent: string) => {
      for (const j of quads) {
        const load = vecB ? `B[b${j} + kb]` : `${v4}(${[0, 1, 2, 3].map((c) => `B[b${4 * j + c} + kb]`).join(', ')})`;
        L.push(`${indent}let x${j} = ${load};`);
      }
      for (const i of rows) {
        L.push(`${indent}let y${i} = A[a${i} + ka];`);
        for (const j of quads) L.push(`${indent}c${i}_${j} = ${mad(`y${i}`, `x${j}`, `c${i}_${j}`)};`);
      }
      L.push(`${indent}ka += sAk;`, `${indent}kb += dB;`);
    };
    L.push('  for (var k = 0u; k < K; k++) {');
    step('    ');
    L.push('  }');
  } else {
    const T = t.wx * t.wy;
    const lg = (x: number) => Math.log2(x);
    L.push(`  for (var k0 = 0u; k0 < K; k0 += ${t.tk}u) {`);
    // the A slab, transposed into As[k][m]; the B slab into Bs[k][n / 4]
    L.push(
      `    for (var e = li; e < ${TM * t.tk}u; e += ${T}u) {`,
      `      let r = e >> ${lg(t.tk)}u;`,
      `      let q = e & ${t.tk - 1}u;`,
      `      As[q * ${TM}u + r] = A[aBase + min(tm + r, M - 1u) * sAm + min(k0 + q, K - 1u) * sAk];`,
      '    }',
    );
    if (vecB) {
      L.push(
        `    for (var e = li; e < ${(t.tk * TN) / 4}u; e += ${T}u) {`,
        `      let r = e >> ${lg(TN / 4)}u;`,
        `      let q = e & ${TN / 4 - 1}u;`,
        `      Bs[e] = B[(bBase + min(k0 + r, K - 1u) * sBk + min(tn + 4u * q, N - 4u)) / 4u];`,
        '    }',
      );
    } else {
      L.push(
        `    for (var e = li; e < ${t.tk * TN}u; e += ${T}u) {`,
        `      let r = e >> ${lg(TN)}u;`,
        `      let q = e & ${TN - 1}u;`,
        `      Bs[e >> 2u][e & 3u] = B[bBase + min(k0 + r, K - 1u) * sBk + min(tn + q, N - 1u) * sBn];`,
        '    }',
      );
    }
    L.push('    workgroupBarrier();', `    let kn = min(${t.tk}u, K - k0);`, '    for (var kk = 0u; kk < kn; kk++) {');
    for (const j of quads) L.push(`      let x${j} = Bs[kk * ${TN / 4}u + lid.x * ${Q}u + ${j}u];`);
    for (const i of rows) {
      L.push(`      let y${i} = As[kk * ${TM}u + lid.y * ${t.rm}u + ${i}u];`);
      for (const j of quads) L.push(`      c${i}_${j} = ${mad(`y${i}`, `x${j}`, `c${i}_${j}`)};`);
    }
    L.push('    }', '    workgroupBarrier();', '  }');
  }
  L.push('  let cBase = b * M * N;');
  for (const i of rows) {
    L.push(`  if (m0 + ${i}u < M) {`, `    let r${i} = cBase + (m0 + ${i}u) * N + n0;`);
    for (const j of quads) {
      if (vecC) L.push(`    if (n0 + ${4 * j}u < N) { C[(r${i} + ${4 * j}u) / 4u] = c${i}_${j}; }`);
      else for (let c = 0; c < 4; c++) L.push(`    if (n0 + ${4 * j + c}u < N) { C[r${i} + ${4 * j + c}u] = c${i}_${j}[${c}]; }`);
    }
    L.push('  }');
  }
  L.push('}');
  return L.join('\n');
}

/** Invocations per workgroup of the one-output-per-invocation shader. */
const DIRECT_WG = 64;

/** One invocation per output element, looping over K: for products too thin for tiles. */
function directSource(dtype: DType): string {
  const ty = dtype === 'int32' ? 'i32' : 'f32';
  return `struct Vars { v: array<vec4<i32>, 3> }
@group(0) @binding(0) var<uniform> U: Vars;
@group(0) @binding(1) var<storage, read> A: array<${ty}>;
@group(0) @binding(2) var<storage, read> B: array<${ty}>;
@group(0) @binding(3) var<storage, read_write> C: array<${ty}>;
@compute @workgroup_size(${DIRECT_WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let M = U.v[0].y;
  let N = U.v[0].z;
  let K = U.v[0].w;
  let o = i32(gid.x + gid.y * nwg.x * ${DIRECT_WG}u);
  if (o >= U.v[0].x * M * N) { return; }
  let n = o % N;
  let m = (o / N) % M;
  let b = o / (M * N);
  var a = b * U.v[1].x + m * U.v[1].y;
  var c = b * U.v[1].w + n * U.v[2].y;
  var acc: ${ty} = ${dtype === 'int32' ? '0i' : '0.0f'};
  for (var k = 0i; k < K; k++) {
    acc = acc + A[a] * B[c];
    a += U.v[1].z;
    c += U.v[2].x;
  }
  C[o] = acc;
}`;
}

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

export function dotGeneral(
  backend: RoutineHost,
  { contracting, batch }: PrimitiveParams['dot_general'],
  inputs: readonly BackendInput[],
  outAvals: readonly ShapedArray[],
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
  const A = operand(backend, lhs, batch[0], contracting[0]);
  const B = operand(backend, rhs, batch[1], contracting[1]);
  if (M < TILE_MIN || N < TILE_MIN) {
    const ints = new Int32Array([nb, M, N, K, A.strides[0], A.strides[1], A.strides[2], B.strides[0], B.strides[2], B.strides[1], 0, 0]);
    const pipeline = backend.pipeline(`dot_general:direct:${out.dtype}`, 2, 1, () => directSource(out.dtype));
    backend.dispatch(
      pipeline,
      2,
      ints,
      [A.buffer.buffer, B.buffer.buffer, dst.buffer],
      backend.grid(Math.ceil(out.size / DIRECT_WG), 'dot_general'),
      'dot_general',
    );
  } else {
    const t = TILINGS[backend.matmulMode];
    const tilesM = Math.ceil(M / (t.rm * t.wy));
    const tilesN = Math.ceil(N / (t.rn * t.wx));
    // vec4 reads of B need 4-aligned rows (and batch and start offsets) that are contiguous along n
    const vecC = N % 4 === 0;
    const vecB = vecC && B.strides[1] === 1 && B.strides[2] % 4 === 0 && B.strides[0] % 4 === 0;
    const ints = new Int32Array([nb, M, N, K, A.strides[0], A.strides[1], A.strides[2], B.strides[0], B.strides[2], B.strides[1], tilesM, tilesN]);
    const key = `dot_general:${t.mode}:${out.dtype}:${vecB ? 'b4' : 'b1'}:${vecC ? 'c4' : 'c1'}`;
    const pipeline = backend.pipeline(key, 2, 1, () => tiledSource(out.dtype, t, vecB, vecC));
    backend.dispatch(pipeline, 2, ints, [A.buffer.buffer, B.buffer.buffer, dst.buffer], backend.grid(nb * tilesM * tilesN, 'dot_general'), 'dot_general');
  }
  if (A.scratch) backend.releaseBuffer(A.buffer);
  if (B.scratch) backend.releaseBuffer(B.buffer);
  return [dst];
}
