// argmax/argmin, argsort and the indexing routines (gather here; scatter, scatter_add in
// scatter.ts) along one axis, with the CPU backend's semantics and order of operations:
// - argmax/argmin: the first extreme index, the first NaN winning (NumPy);
// - gather clamps out-of-range indices; scatters drop them (XLA's defaults);
// - scatter: the last update to a position wins; scatter_add adds the updates to a position in
//   index order (so float sums round exactly as on the CPU), or on bool.
import type { BackendInput, DType, PrimitiveParams, ShapedArray } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import type { RoutineHost } from './host.js';

const WG = 64;
const prod = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);

/** The operand viewed as [pre, n, post] around `axis`. */
function around(a: ShapedArray, axis: number): [number, number, number] {
  return [prod(a.shape.slice(0, axis)), a.shape[axis] as number, prod(a.shape.slice(axis + 1))];
}

/** The WGSL storage type of a dtype (bool as u32 0/1) and the type its values compare as. */
function types(dtype: DType): { store: string; value: string } {
  return dtype === 'float32' ? { store: 'f32', value: 'f32' } : dtype === 'int32' ? { store: 'i32', value: 'i32' } : { store: 'u32', value: 'u32' };
}

const header = (nUniform: number, bindings: readonly string[]) =>
  [
    `struct Vars { v: array<vec4<i32>, ${Math.ceil(nUniform / 4)}> }`,
    '@group(0) @binding(0) var<uniform> U: Vars;',
    ...bindings.map((b, j) => `@group(0) @binding(${j + 1}) ${b};`),
  ].join('\n');

const invocation = `let o = i32(gid.x + gid.y * nwg.x * ${WG}u);`;
const entry = `@compute @workgroup_size(${WG})\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {`;

function argSource(isMax: boolean, dtype: DType): string {
  const { store } = types(dtype);
  const nan = dtype === 'float32' ? (v: string) => `((bitcast<u32>(${v}) & 0x7fffffffu) > 0x7f800000u)` : () => 'false';
  return `${header(4, [`var<storage, read> x: array<${store}>`, 'var<storage, read_write> out: array<i32>'])}
${entry}
  let outer = U.v[0].x;
  let len = U.v[0].y;
  let inner = U.v[0].z;
  ${invocation}
  if (o >= outer * inner) { return; }
  let base = (o / inner) * len * inner + o % inner;
  var best = x[base];
  var pos = 0i;
  for (var l = 1i; l < len; l++) {
    let v = x[base + l * inner];
    // once best is NaN it stays; a NaN replaces any number (NaN tested on the bits)
    if (!${nan('best')} && (${nan('v')} || v ${isMax ? '>' : '<'} best)) {
      best = v;
      pos = l;
    }
  }
  out[o] = pos;
}`;
}

function arg(isMax: boolean) {
  const name = isMax ? 'argmax' : 'argmin';
  return (backend: RoutineHost, { axis }: { readonly axis: number }, inputs: readonly BackendInput[], outAvals: readonly ShapedArray[]): GpuBuffer[] => {
    const x = inputs[0] as BackendInput;
    const out = outAvals[0] as ShapedArray;
    const [outer, len, inner] = around(x.aval, axis);
    const dst = backend.newBuffer('int32', out.size, name);
    if (out.size === 0) return [dst];
    const pipeline = backend.pipeline(`${name}:${x.aval.dtype}`, 1, 1, () => argSource(isMax, x.aval.dtype));
    const src = backend.buf(x.handle, name).buffer;
    backend.dispatch(pipeline, 1, new Int32Array([outer, len, inner, 0]), [src, dst.buffer], backend.grid(Math.ceil(out.size / WG), name), name);
    return [dst];
  };
}

function gatherSource(dtype: DType): string {
  const { store } = types(dtype);
  return `${header(4, [`var<storage, read> x: array<${store}>`, 'var<storage, read> idx: array<i32>', `var<storage, read_write> out: array<${store}>`])}
${entry}
  let n = U.v[0].x;
  let m = U.v[0].y;
  let post = U.v[0].z;
  let total = U.v[0].w;
  ${invocation}
  if (o >= total) { return; }
  let q = o % post;
  let t = (o / post) % m;
  let p = o / (post * m);
  let i = clamp(idx[t], 0i, n - 1);
  out[o] = x[(p * n + i) * post + q];
}`;
}

export function gather(
  backend: RoutineHost,
  { axis }: PrimitiveParams['gather'],
  inputs: readonly BackendInput[],
  outAvals: readonly ShapedArray[],
): GpuBuffer[] {
  const [x, idx] = inputs as [BackendInput, BackendInput];
  const out = outAvals[0] as ShapedArray;
  const [, n, post] = around(x.aval, axis);
  const dst = backend.newBuffer(out.dtype, out.size, 'gather');
  if (out.size === 0) return [dst];
  const pipeline = backend.pipeline(`gather:${out.dtype}`, 2, 1, () => gatherSource(out.dtype));
  const ins = [backend.buf(x.handle, 'gather').buffer, backend.buf(idx.handle, 'gather').buffer];
  const ints = new Int32Array([n, idx.aval.size, post, out.size]);
  backend.dispatch(pipeline, 2, ints, [...ins, dst.buffer], backend.grid(Math.ceil(out.size / WG), 'gather'), 'gather');
  return [dst];
}

/**
 * argsort by ranks: each element counts the elements of its line that sort before it (stable: ties
 * by position; NaN last ascending, first descending, as the CPU backend) and writes its index at
 * its rank. O(n²) per line: simple and exactly the CPU's order (a bitonic sort is the later fast path).
 */
function argsortSource(dtype: DType, descending: boolean): string {
  const { store } = types(dtype);
  const nan = dtype === 'float32' ? (v: string) => `((bitcast<u32>(${v}) & 0x7fffffffu) > 0x7f800000u)` : () => 'false';
  const [first, second] = descending ? ['>', '<'] : ['<', '>'];
  return `${header(4, [`var<storage, read> x: array<${store}>`, 'var<storage, read_write> out: array<i32>'])}
fn before(v: ${store}, j: i32, u: ${store}, i: i32) -> bool {
  let vn = ${nan('v')};
  let un = ${nan('u')};
  if (vn || un) {
    if (vn && un) { return j < i; }
    return ${descending ? 'vn' : 'un'};
  }
  if (v ${first} u) { return true; }
  if (v ${second} u) { return false; }
  return j < i;
}
${entry}
  let len = U.v[0].x;
  let inner = U.v[0].y;
  let total = U.v[0].z;
  ${invocation}
  if (o >= total) { return; }
  let l = (o / inner) % len;
  let base = o - l * inner;
  let u = x[o];
  var rank = 0i;
  for (var j = 0i; j < len; j++) {
    if (j != l && before(x[base + j * inner], j, u, l)) { rank++; }
  }
  out[base + rank * inner] = l;
}`;
}

export function argsort(
  backend: RoutineHost,
  { axis, descending }: PrimitiveParams['argsort'],
  inputs: readonly BackendInput[],
  outAvals: readonly ShapedArray[],
): GpuBuffer[] {
  const x = inputs[0] as BackendInput;
  const out = outAvals[0] as ShapedArray;
  const [, len, inner] = around(x.aval, axis);
  const dst = backend.newBuffer('int32', out.size, 'argsort');
  if (out.size === 0) return [dst];
  const pipeline = backend.pipeline(`argsort:${x.aval.dtype}:${descending}`, 1, 1, () => argsortSource(x.aval.dtype, descending));
  const ints = new Int32Array([len, inner, out.size, 0]);
  backend.dispatch(pipeline, 1, ints, [backend.buf(x.handle, 'argsort').buffer, dst.buffer], backend.grid(Math.ceil(out.size / WG), 'argsort'), 'argsort');
  return [dst];
}

export const argmax = arg(true);
export const argmin = arg(false);
export { scatterAdd, scatterSet } from './scatter.js';
