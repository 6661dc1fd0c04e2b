// dot_general as a tiled matmul: each workgroup of 64 invocations computes a 32×32 tile of the
// output, staging 32×32 tiles of both operands in workgroup memory, each invocation accumulating
// a 4×4 block in registers; products with fewer than 16 rows or columns (vector-matrix, many small
// batched products) run one invocation per output instead. Operands are read through strides (batch, free, contracting), so any
// layout whose batch, free and contracting dims each merge into one strided dim is read in place;
// others are first copied into [batch, free, contracting] order by a transpose kernel.
import { type BackendInput, type DType, Kernel, kernelIR, type PrimitiveParams, type ShapedArray } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import type { RoutineHost } from './host.js';

const T = 32;
const BLOCK = 4;
const THREADS = (T / BLOCK) * (T / BLOCK);

function source(dtype: DType): string {
  const ty = dtype === 'int32' ? 'i32' : 'f32';
  const zero = dtype === 'int32' ? '0i' : '0.0f';
  const Q = T / BLOCK; // vec4s across a tile
  const load = (x: string, bounds: string, index: (j: number) => string) =>
    `vec4<${ty}>(${[0, 1, 2, 3].map((j) => `select(${zero}, ${x}[select(0i, ${index(j)}, ${bounds.replaceAll('$j', String(j))})], ${bounds.replaceAll('$j', String(j))})`).join(', ')})`;
  const store: string[] = [];
  for (let i = 0; i < BLOCK; i++) {
    for (let j = 0; j < BLOCK; j++) {
      store.push(
        `  if (m0 + ty * ${BLOCK} + ${i} < M && n0 + tx * ${BLOCK} + ${j} < N) { C[cBase + (m0 + ty * ${BLOCK} + ${i}) * N + n0 + tx * ${BLOCK} + ${j}] = c${i}[${j}]; }`,
      );
    }
  }
  return `struct Vars { v: array<vec4<i32>, 3> }
@group(0) @binding(0) var<uniform> U: Vars;
@group(0) @binding(1) var<storage, read> A: array<${ty}>;
@group(0) @binding(2) var<storage, read> B: array<${ty}>;
@group(0) @binding(3) var<storage, read_write> C: array<${ty}>;
// As[k * ${Q} + q]: rows 4q..4q+3 of the A tile at column k; Bs[k * ${Q} + q]: columns 4q..4q+3 of the B tile at row k
var<workgroup> As: array<vec4<${ty}>, ${T * Q}>;
var<workgroup> Bs: array<vec4<${ty}>, ${T * Q}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nwg: vec3u) {
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
  let tile = i32(wid.x + wid.y * nwg.x);
  if (tile >= nb * tilesM * tilesN) { return; }
  let tn = tile % tilesN;
  let rest = tile / tilesN;
  let tm = rest % tilesM;
  let b = rest / tilesM;
  let m0 = tm * ${T};
  let n0 = tn * ${T};
  let aBase = b * sAb;
  let bBase = b * sBb;
  let cBase = b * M * N;
  let tx = i32(li % ${Q}u);
  let ty = i32(li / ${Q}u);
  var c0 = vec4<${ty}>();
  var c1 = vec4<${ty}>();
  var c2 = vec4<${ty}>();
  var c3 = vec4<${ty}>();
  for (var k0 = 0i; k0 < K; k0 += ${T}i) {
    for (var e = i32(li); e < ${T * Q}i; e += ${THREADS}i) {
      let q = e % ${Q}i;
      let k = k0 + e / ${Q}i;
      let m = m0 + 4 * q;
      let n = n0 + 4 * q;
      As[e] = ${load('A', 'm + $j < M && k < K', (j) => `aBase + (m + ${j}) * sAm + k * sAk`)};
      Bs[e] = ${load('B', 'n + $j < N && k < K', (j) => `bBase + k * sBk + (n + ${j}) * sBn`)};
    }
    workgroupBarrier();
    for (var kk = 0i; kk < ${T}i; kk++) {
      let a = As[kk * ${Q}i + ty];
      let bv = Bs[kk * ${Q}i + tx];
      c0 = c0 + a.x * bv;
      c1 = c1 + a.y * bv;
      c2 = c2 + a.z * bv;
      c3 = c3 + a.w * bv;
    }
    workgroupBarrier();
  }
${store.join('\n')}
}`;
}

/** One invocation per output element, looping over K: for products too thin for 32×32 tiles. */
function directSource(dtype: DType): string {
  const ty = dtype === 'int32' ? 'i32' : 'f32';
  return `struct Vars { v: array<vec4<i32>, 3> }
@group(0) @binding(0) var<uniform> U: Vars;
@group(0) @binding(1) var<storage, read> A: array<${ty}>;
@group(0) @binding(2) var<storage, read> B: array<${ty}>;
@group(0) @binding(3) var<storage, read_write> C: array<${ty}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let M = U.v[0].y;
  let N = U.v[0].z;
  let K = U.v[0].w;
  let o = i32(gid.x + gid.y * nwg.x * ${THREADS}u);
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
  const tilesM = Math.ceil(M / T);
  const tilesN = Math.ceil(N / T);
  const ints = new Int32Array([nb, M, N, K, A.strides[0], A.strides[1], A.strides[2], B.strides[0], B.strides[2], B.strides[1], tilesM, tilesN]);
  const buffers = [A.buffer.buffer, B.buffer.buffer, dst.buffer];
  if (M < TILE_MIN || N < TILE_MIN) {
    const pipeline = backend.pipeline(`dot_general:direct:${out.dtype}`, 2, 1, () => directSource(out.dtype));
    backend.dispatch(pipeline, 2, ints, buffers, backend.grid(Math.ceil(out.size / THREADS), 'dot_general'), 'dot_general');
  } else {
    const pipeline = backend.pipeline(`dot_general:${out.dtype}`, 2, 1, () => source(out.dtype));
    backend.dispatch(pipeline, 2, ints, buffers, backend.grid(nb * tilesM * tilesN, 'dot_general'), 'dot_general');
  }
  if (A.scratch) backend.releaseBuffer(A.buffer);
  if (B.scratch) backend.releaseBuffer(B.buffer);
  return [dst];
}
