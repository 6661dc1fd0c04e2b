// threefry2x32-20 (Random123) on u32: the same bits as the CPU backend's routine.
import type { BackendInput, PrimitiveParams, ShapedArray } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import type { RoutineHost } from './host.js';

const WG = 64;
const ROT = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
];

function source(): string {
  const L: string[] = [];
  for (let g = 0; g < 5; g++) {
    for (const d of ROT[g % 2] as number[]) L.push(`  a = a + b; b = (b << ${d}u) | (b >> ${32 - d}u); b = b ^ a;`);
    // key injection after each group of four rounds: (ks[g+1], ks[g+2] + g + 1), indices mod 3
    L.push(`  a = a + ks${(g + 1) % 3}; b = b + ks${(g + 2) % 3} + ${g + 1}u;`);
  }
  return `struct Vars { v: array<vec4<u32>, 1> }
@group(0) @binding(0) var<uniform> U: Vars;
@group(0) @binding(1) var<storage, read> k0: array<u32>;
@group(0) @binding(2) var<storage, read> k1: array<u32>;
@group(0) @binding(3) var<storage, read> x0: array<u32>;
@group(0) @binding(4) var<storage, read> x1: array<u32>;
@group(0) @binding(5) var<storage, read_write> y0: array<u32>;
@group(0) @binding(6) var<storage, read_write> y1: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= U.v[0].x) { return; }
  let ks0 = k0[i];
  let ks1 = k1[i];
  let ks2 = ks0 ^ ks1 ^ 0x1bd11bdau;
  var a = x0[i] + ks0;
  var b = x1[i] + ks1;
${L.join('\n')}
  y0[i] = a;
  y1[i] = b;
}`;
}

export function threefry(
  backend: RoutineHost,
  _params: PrimitiveParams['threefry2x32'],
  inputs: readonly BackendInput[],
  outAvals: readonly ShapedArray[],
): GpuBuffer[] {
  const n = (outAvals[0] as ShapedArray).size;
  const outs = outAvals.map((a) => backend.newBuffer(a.dtype, a.size, 'threefry2x32'));
  if (n === 0) return outs;
  const pipeline = backend.pipeline('threefry2x32', 4, 2, source);
  const ins = inputs.map((i) => backend.buf(i.handle, 'threefry2x32').buffer);
  backend.dispatch(pipeline, 4, new Int32Array([n]), [...ins, ...outs.map((o) => o.buffer)], backend.grid(Math.ceil(n / WG), 'threefry2x32'), 'threefry2x32');
  return outs;
}
