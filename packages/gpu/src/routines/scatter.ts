// scatter and scatter_add along one axis in O(m log² m + n log m + output) work, with the CPU
// backend's results bit for bit (m = the number of indices; the operand viewed as [pre, n, post]):
// 1. a bitonic sort of the update positions t by (index, t). The pairs are distinct, so the
//    unstable network still yields each row's updates in index order; out-of-range indices sort
//    after every row and the power-of-two padding after them (chosen over a counting sort, whose
//    stable placement needs per-block histograms, and over atomic placement, whose per-row sort is
//    quadratic when many indices repeat). Strides below BLOCK run in workgroup memory, so P = 2^p
//    positions take 1 + Σ_{s=12..p} (s - 10) dispatches (15 for 25k indices; 120 one step each);
// 2. each row's first sorted position by binary search (n + 1 invocations);
// 3. one invocation per output element: x plus its row's updates in index order (f32 sums round as
//    on the CPU, i32 wraps, bool is or), or for scatter the update of the row's last index.
// Up to DIRECT_MAX indices, each output element scans all of them instead: one dispatch rather than
// the sort's 3 or more, and O(output) work all the same (a label lookup's gradient is such a case).
import type { BackendInput, DType, ShapedArray } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import type { RoutineHost } from './host.js';

const WG = 64;
/** Positions one workgroup sorts in workgroup memory: INV invocations of RUN positions (16 KiB, WebGPU's least limit). */
const INV = 256;
const RUN = 8;
const BLOCK = INV * RUN;
/** The most indices the single-dispatch scan handles (its work is DIRECT_MAX per output element). */
export const DIRECT_MAX = 32;
const prod = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

const header = (nUniform: number, bindings: readonly string[]) =>
  [
    `struct Vars { v: array<vec4<i32>, ${Math.ceil(nUniform / 4)}> }`,
    '@group(0) @binding(0) var<uniform> U: Vars;',
    ...bindings.map((b, j) => `@group(0) @binding(${j + 1}) ${b};`),
  ].join('\n');

const entry = `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = gid.x + gid.y * nwg.x * ${WG}u;`;

/** The sort key of an update position (uniforms: m, n first): its row; n when dropped; n + 1 for padding. */
const keyFn = `fn key(t: u32) -> u32 {
  if (t >= u32(U.v[0].x)) { return u32(U.v[0].y) + 1u; }
  let i = idx[t];
  if (i < 0i || i >= U.v[0].y) { return u32(U.v[0].y); }
  return u32(i);
}`;

/** One global compare-exchange step (stage k, stride j ≥ BLOCK / 2) of the bitonic network over P = 2·half positions. */
const stepSource = `${header(8, ['var<storage, read> idx: array<i32>', 'var<storage, read_write> perm: array<u32>'])}
${keyFn}
fn less(ka: u32, a: u32, kb: u32, b: u32) -> bool {
  return ka < kb || (ka == kb && a < b);
}
${entry}
  let j = u32(U.v[0].z);
  let k = u32(U.v[0].w);
  if (g >= u32(U.v[1].x)) { return; }
  let i = ((g & ~(j - 1u)) << 1u) | (g & (j - 1u));
  let l = i + j;
  let a = perm[i];
  let b = perm[l];
  let ka = key(a);
  let kb = key(b);
  if (select(less(ka, a, kb, b), less(kb, b, ka, a), (i & k) == 0u)) {
    perm[i] = b;
    perm[l] = a;
  }
}`;

/**
 * The steps of stages k0..k1 whose strides stay inside a block of BLOCK positions, in workgroup
 * memory with the keys cached: stage k0 from stride j0, later stages from k / 2. With k0 = 2 it
 * starts from the identity (perm needs no initialisation) and each invocation first sorts its own
 * RUN positions by insertion, in the direction the network gives them (stages up to RUN without
 * barriers, which lavapipe runs slowly).
 */
const blockSource = `${header(8, ['var<storage, read> idx: array<i32>', 'var<storage, read_write> perm: array<u32>'])}
${keyFn}
fn less(ka: u32, a: u32, kb: u32, b: u32) -> bool {
  return ka < kb || (ka == kb && a < b);
}
var<workgroup> vals: array<u32, ${BLOCK}>;
var<workgroup> keys: array<u32, ${BLOCK}>;
@compute @workgroup_size(${INV})
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let base = (wid.x + wid.y * nwg.x) * ${BLOCK}u;
  var k0 = u32(U.v[0].z);
  let k1 = u32(U.v[0].w);
  var j0 = u32(U.v[1].y);
  if (base >= u32(U.v[1].x) * 2u) { return; }
  if (k0 == 2u) {
    let r0 = lid.x * ${RUN}u;
    let up = ((base + r0) & ${RUN}u) == 0u;
    for (var h = 0u; h < ${RUN}u; h++) {
      let v = base + r0 + h;
      let kv = key(v);
      var s = r0 + h;
      while (s > r0 && select(less(kv, v, keys[s - 1u], vals[s - 1u]), less(keys[s - 1u], vals[s - 1u], kv, v), up)) {
        vals[s] = vals[s - 1u];
        keys[s] = keys[s - 1u];
        s--;
      }
      vals[s] = v;
      keys[s] = kv;
    }
    k0 = ${2 * RUN}u;
    j0 = ${RUN}u;
  } else {
    for (var h = 0u; h < ${RUN}u; h++) {
      let s = lid.x + h * ${INV}u;
      let v = perm[base + s];
      vals[s] = v;
      keys[s] = key(v);
    }
  }
  workgroupBarrier();
  for (var k = k0; k <= k1; k <<= 1u) {
    for (var j = select(k >> 1u, j0, k == k0); j > 0u; j >>= 1u) {
      for (var c = 0u; c < ${RUN / 2}u; c++) {
        let g = lid.x + c * ${INV}u;
        let i = ((g & ~(j - 1u)) << 1u) | (g & (j - 1u));
        let l = i + j;
        let a = vals[i];
        let b = vals[l];
        let ka = keys[i];
        let kb = keys[l];
        if (select(less(ka, a, kb, b), less(kb, b, ka, a), ((base + i) & k) == 0u)) {
          vals[i] = b;
          vals[l] = a;
          keys[i] = kb;
          keys[l] = ka;
        }
      }
      workgroupBarrier();
    }
  }
  for (var h = 0u; h < ${RUN}u; h++) {
    let s = lid.x + h * ${INV}u;
    perm[base + s] = vals[s];
  }
}`;

/** starts[r] = the first sorted position whose key is at least r, for r in [0, n]. */
const boundsSource = `${header(4, ['var<storage, read> idx: array<i32>', 'var<storage, read> perm: array<u32>', 'var<storage, read_write> starts: array<u32>'])}
${keyFn}
${entry}
  let r = g;
  if (r > u32(U.v[0].y)) { return; }
  var lo = 0u;
  var hi = u32(U.v[0].z);
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (key(perm[mid]) < r) { lo = mid + 1u; } else { hi = mid; }
  }
  starts[r] = lo;
}`;

type ScatterMode = 'set' | 'add';

/** The WGSL storage type of a dtype (bool as u32 0/1). */
const storeType = (dtype: DType) => (dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32');

function applySource(mode: ScatterMode, dtype: DType): string {
  const store = storeType(dtype);
  const add = dtype === 'bool' ? 'acc | upd[src]' : 'acc + upd[src]';
  const body =
    mode === 'set'
      ? `if (hi > lo) { acc = upd[(p * m + perm[hi - 1u]) * post + q]; }`
      : `for (var s = lo; s < hi; s++) {
    let src = (p * m + perm[s]) * post + q;
    acc = ${add};
  }`;
  return `${header(4, [
    `var<storage, read> x: array<${store}>`,
    `var<storage, read> upd: array<${store}>`,
    'var<storage, read> perm: array<u32>',
    'var<storage, read> starts: array<u32>',
    `var<storage, read_write> out: array<${store}>`,
  ])}
${entry}
  let n = u32(U.v[0].x);
  let m = u32(U.v[0].y);
  let post = u32(U.v[0].z);
  if (g >= u32(U.v[0].w)) { return; }
  let q = g % post;
  let i = (g / post) % n;
  let p = g / (post * n);
  let lo = starts[i];
  let hi = starts[i + 1u];
  var acc = x[g];
  ${body}
  out[g] = acc;
}`;
}

/** scatter with every output element scanning all m indices: for small m only. */
function directSource(mode: ScatterMode, dtype: DType): string {
  const store = storeType(dtype);
  const update = mode === 'set' ? 'acc = upd[src];' : dtype === 'bool' ? 'acc = acc | upd[src];' : 'acc = acc + upd[src];';
  return `${header(4, [`var<storage, read> x: array<${store}>`, 'var<storage, read> idx: array<i32>', `var<storage, read> upd: array<${store}>`, `var<storage, read_write> out: array<${store}>`])}
${entry}
  let n = U.v[0].x;
  let m = U.v[0].y;
  let post = U.v[0].z;
  let o = i32(g);
  if (o >= U.v[0].w) { return; }
  let q = o % post;
  let i = (o / post) % n;
  let p = o / (post * n);
  var acc = x[o];
  for (var t = 0i; t < m; t++) {
    if (idx[t] == i) {
      let src = (p * m + t) * post + q;
      ${update}
    }
  }
  out[o] = acc;
}`;
}

/** The update positions sorted by (index, position) and each row's first sorted position; the caller releases both. */
function sortedRows(backend: RoutineHost, idx: GPUBuffer, m: number, n: number, name: string): [GpuBuffer, GpuBuffer] {
  let P = BLOCK;
  while (P < m) P *= 2;
  const perm = backend.newBuffer('int32', P, name);
  const step = backend.pipeline('scatter:step', 1, 1, () => stepSource);
  const block = backend.pipeline('scatter:block', 1, 1, () => blockSource);
  const stepGroups = backend.grid(P / 2 / WG, name);
  const blockGroups = backend.grid(P / BLOCK, name);
  const bufs = [idx, perm.buffer];
  backend.dispatch(block, 1, new Int32Array([m, n, 2, BLOCK, P / 2, 1, 0, 0]), bufs, blockGroups, name);
  for (let k = 2 * BLOCK; k <= P; k *= 2) {
    for (let j = k / 2; j >= BLOCK; j /= 2) backend.dispatch(step, 1, new Int32Array([m, n, j, k, P / 2, 0, 0, 0]), bufs, stepGroups, name);
    backend.dispatch(block, 1, new Int32Array([m, n, k, k, P / 2, BLOCK / 2, 0, 0]), bufs, blockGroups, name);
  }
  const starts = backend.newBuffer('int32', n + 1, name);
  const bounds = backend.pipeline('scatter:bounds', 2, 1, () => boundsSource);
  backend.dispatch(bounds, 2, new Int32Array([m, n, P, 0]), [idx, perm.buffer, starts.buffer], backend.grid(Math.ceil((n + 1) / WG), name), name);
  return [perm, starts];
}

function scatter(mode: ScatterMode) {
  const name = mode === 'set' ? 'scatter' : 'scatter_add';
  return (backend: RoutineHost, { axis }: { readonly axis: number }, inputs: readonly BackendInput[], outAvals: readonly ShapedArray[]): GpuBuffer[] => {
    const [x, idx, upd] = inputs as [BackendInput, BackendInput, BackendInput];
    const out = outAvals[0] as ShapedArray;
    const n = x.aval.shape[axis] as number;
    const post = prod(x.aval.shape.slice(axis + 1));
    const m = idx.aval.size;
    const dst = backend.newBuffer(out.dtype, out.size, name);
    if (out.size === 0) return [dst];
    const [xb, ib, ub] = [x, idx, upd].map((i) => backend.buf(i.handle, name).buffer) as [GPUBuffer, GPUBuffer, GPUBuffer];
    const groups = backend.grid(Math.ceil(out.size / WG), name);
    const ints = new Int32Array([n, m, post, out.size]);
    if (m <= DIRECT_MAX) {
      const direct = backend.pipeline(`${name}:direct:${out.dtype}`, 3, 1, () => directSource(mode, out.dtype));
      backend.dispatch(direct, 3, ints, [xb, ib, ub, dst.buffer], groups, name);
      return [dst];
    }
    const [perm, starts] = sortedRows(backend, ib, m, n, name);
    const apply = backend.pipeline(`${name}:sorted:${out.dtype}`, 4, 1, () => applySource(mode, out.dtype));
    backend.dispatch(apply, 4, ints, [xb, ub, perm.buffer, starts.buffer, dst.buffer], groups, name);
    backend.releaseBuffer(perm);
    backend.releaseBuffer(starts);
    return [dst];
  };
}

export const scatterSet = scatter('set');
export const scatterAdd = scatter('add');
