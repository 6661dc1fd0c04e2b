// The tiled matmul shader @tenfold/gpu had before register blocking by 8×8 (commit a784b49): 32×32
// tiles staged in workgroup memory, 64 invocations of 4×4 blocks. Kept for the benchmark's
// before/after comparison in one process (scripts/bench.ts), dispatched through the backend.
import type { DType } from '@tenfold/core';

export const T = 32;
const BLOCK = 4;
const THREADS = (T / BLOCK) * (T / BLOCK);

export function beforeSource(dtype: DType): string {
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
