// The WGSL of conv's implicit-GEMM shader (routines/conv.ts runs it). Per group, the conv is the
// product out[m, o] = Σ_k patch[m, k] · w[o, k] with M = N·OH·OW output pixels, N = O/groups
// output channels and K = C/groups·KH·KW, where patch (im2col) is never stored: each invocation
// gathers its pixels' input values for the current (c, kh, kw) straight from the NCHW input.
//
// A workgroup computes a TM×TN tile: WG invocations along pixels, each holding RM pixels (strided
// by WG, so neighbouring invocations read neighbouring pixels) × RN output channels. The channels
// of a tile are the same for all its invocations, so the weight loads have uniform addresses
// (a CPU-backed adapter such as lavapipe does them once per SIMD batch, broadcast) and only the
// input is gathered. The reduction walks c, kh, kw as nested loops (no divisions in the loop);
// positions outside the input read 0 (multiplied, not skipped, so 0·inf is NaN as on the CPU).
// Pixels and channels past the edge compute with the last valid one and are not stored.
//
// Split-K: with `split`, workgroups also divide the input channels into S chunks and store their
// partial products in [S, out] order; the reduce shader sums them (and applies the epilogue).
//
// Layout: the uniform starts with the helpers' header (wgsl/exp.ts), then the 28 parameters
// (PARAMS_SLOT, see conv.ts), then an epilogue's float constants (EPILOGUE_SLOT); the input and
// the weights are bindings 1 and 2, an epilogue's inputs follow (EPILOGUE_BINDING), then the output.
import type { DType } from '@tenfold/core';
import type { RenderedEpilogue } from '../wgsl/epilogue.js';
import { HEADER_SLOTS } from '../wgsl/exp.js';

export interface ConvTiling {
  /** Pixels and output channels per invocation (rn a multiple of 4). */
  readonly rm: number;
  readonly rn: number;
  /** Invocations per workgroup, all along pixels. */
  readonly wg: number;
}

/** Measured on lavapipe (scripts/bench-conv.ts): of 4×4 to 8×16 blocks and 8 to 64 invocations, 4×8 and 8×8 by 16 were fastest. */
export const CONV_TILING: ConvTiling = { rm: 4, rn: 8, wg: 16 };
/** For convs with at most 4 output channels per group (an input gradient into few channels), whose columns 8 would mostly waste. */
export const NARROW_TILING: ConvTiling = { rm: 8, rn: 4, wg: 16 };

export const PARAMS_SLOT = HEADER_SLOTS;
const P = PARAMS_SLOT / 4;
export const PARAM_COUNT = 28;
export const EPILOGUE_SLOT = PARAMS_SLOT + PARAM_COUNT;
export const EPILOGUE_BINDING = 3;
/** The reduce shader's epilogue inputs follow its one input (the partial products). */
export const REDUCE_EPILOGUE_BINDING = 2;
/** Outputs per invocation-workgroup of the reduce shader. */
export const REDUCE_WG = 64;

const field = (s: number) => `U.v[${P + (s >> 2)}].${'xyzw'[s & 3]}`;

/** The parameter names in uniform order (conv.ts writes them in this order). */
export const PARAM_NAMES = [
  'M',
  'Og',
  'Cg',
  'KH',
  'KW',
  'OH',
  'OW',
  'H',
  'W',
  'C',
  'O',
  'outN',
  'sh',
  'sw',
  'ph',
  'pw',
  'rh',
  'rw',
  'dh',
  'dw',
  'tilesM',
  'tilesN',
  'groups',
  'flags',
  'cSplit',
  'pad0',
  'pad1',
  'pad2',
] as const;

function uniforms(epi: RenderedEpilogue | null): string {
  const vec4s = P + PARAM_COUNT / 4 + Math.ceil((epi?.constants.length ?? 0) / 4);
  return `struct Vars { v: array<vec4<u32>, ${vec4s}> }\n@group(0) @binding(0) var<uniform> U: Vars;`;
}

/**
 * The implicit-GEMM shader: `dilated` adds the lhs (input) dilation tests, `split` stores partial
 * products per input-channel chunk (no epilogue then), `epi` is applied before the store.
 */
export function convSource(dtype: DType, t: ConvTiling, dilated: boolean, split: boolean, epi: RenderedEpilogue | null, outDType = dtype): string {
  const ty = dtype === 'int32' ? 'i32' : 'f32';
  const v4 = `vec4<${ty}>`;
  const outTy = split ? ty : outDType === 'int32' ? 'i32' : 'f32';
  const TM = t.rm * t.wg;
  const Q = t.rn / 4;
  const rows = [...Array(t.rm).keys()];
  const quads = [...Array(Q).keys()];
  const cols = [...Array(t.rn).keys()];
  const zero = ty === 'f32' ? '0.0f' : '0i';
  const mad = (a: string, b: string, c: string) => (ty === 'f32' ? `fma(${v4}(${a}), ${b}, ${c})` : `${c} + ${v4}(${a}) * ${b}`);
  const u = (name: (typeof PARAM_NAMES)[number]) => field(PARAM_NAMES.indexOf(name));
  const i32u = (name: (typeof PARAM_NAMES)[number]) => `bitcast<i32>(${u(name)})`;
  const L: string[] = [uniforms(epi)];
  L.push(`@group(0) @binding(1) var<storage, read> X: array<${ty}>;`, `@group(0) @binding(2) var<storage, read> F: array<${ty}>;`);
  if (epi !== null) L.push(epi.decl);
  L.push(`@group(0) @binding(${EPILOGUE_BINDING + (epi?.inputs.length ?? 0)}) var<storage, read_write> Y: array<${outTy}>;`);
  if (epi !== null) L.push(epi.code);
  L.push(`@compute @workgroup_size(${t.wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nwg: vec3u) {
  let M = ${u('M')};
  let Og = ${u('Og')};
  let Cg = ${u('Cg')};
  let KH = ${u('KH')};
  let KW = ${u('KW')};
  let OH = ${u('OH')};
  let OW = ${u('OW')};
  let H = ${u('H')};
  let W = ${u('W')};
  let O = ${u('O')};
  let tilesM = ${u('tilesM')};
  let tilesN = ${u('tilesN')};
  let cSplit = ${u('cSplit')};
  let HW = H * W;
  let P = OH * OW;
  let K = Cg * KH * KW;
  // tile order: split chunk, group, pixel tile, channel tile (neighbouring workgroups share pixels)
  let nSplit = max(1u, (Cg + cSplit - 1u) / cSplit);
  let perGroup = tilesM * tilesN;
  var tile = wid.x + wid.y * nwg.x;
  let groups = ${u('groups')};
  if (tile >= nSplit * groups * perGroup) { return; }
  let s = tile / (groups * perGroup);
  tile = tile % (groups * perGroup);
  let g = tile / perGroup;
  let tm = (tile % perGroup) / tilesN;
  let tn = tile % tilesN;
  // feature groups take the group's input channels, batch groups its images
  let c0 = select(0u, g * Cg, (${u('flags')} & 1u) != 0u);
  let img0 = select(0u, g * ${u('outN')}, (${u('flags')} & 2u) != 0u);
  let cBegin = s * cSplit;
  let cEnd = min(Cg, cBegin + cSplit);`);
  for (const i of rows) {
    L.push(
      `  let m${i} = tm * ${TM}u + ${i * t.wg}u + li;`,
      `  let q${i} = min(m${i}, M - 1u);`,
      `  let n${i} = q${i} / P;`,
      `  let p${i} = q${i} % P;`,
      `  let y${i} = i32(p${i} / OW) * ${i32u('sh')} - ${i32u('ph')};`,
      `  let x${i} = i32(p${i} % OW) * ${i32u('sw')} - ${i32u('pw')};`,
      `  let base${i} = ((img0 + n${i}) * ${u('C')} + c0 + cBegin) * HW;`,
    );
  }
  for (const j of cols) L.push(`  let w${j} = (g * Og + min(tn * ${t.rn}u + ${j}u, Og - 1u)) * K + cBegin * KH * KW;`);
  for (const i of rows) for (const j of quads) L.push(`  var c${i}_${j} = ${v4}();`);
  L.push(`  let rh = ${i32u('rh')};`, `  let rw = ${i32u('rw')};`);
  if (dilated) L.push(`  let dh = ${i32u('dh')};`, `  let dw = ${i32u('dw')};`);
  L.push('  var xc = 0u;', '  var wk = 0u;', '  for (var c = cBegin; c < cEnd; c++) {', '    for (var kh = 0i; kh < i32(KH); kh++) {');
  // per row: whether the input row exists, and its offset
  for (const i of rows) {
    if (dilated) {
      L.push(
        `      let yd${i} = y${i} + kh * rh;`,
        `      let yi${i} = yd${i} / dh;`,
        `      let yok${i} = yd${i} >= 0i && yd${i} % dh == 0i && yi${i} < i32(H);`,
        `      let row${i} = base${i} + xc + u32(yi${i}) * W;`,
      );
    } else {
      L.push(`      let yi${i} = y${i} + kh * rh;`, `      let yok${i} = u32(yi${i}) < H;`, `      let row${i} = base${i} + xc + u32(yi${i}) * W;`);
    }
  }
  L.push('      for (var kw = 0i; kw < i32(KW); kw++) {');
  for (const j of quads) L.push(`        let f${j} = ${v4}(${[0, 1, 2, 3].map((e) => `F[w${4 * j + e} + wk]`).join(', ')});`);
  for (const i of rows) {
    if (dilated) {
      L.push(
        `        let xd${i} = x${i} + kw * rw;`,
        `        let xi${i} = xd${i} / dw;`,
        `        let ok${i} = yok${i} && xd${i} >= 0i && xd${i} % dw == 0i && xi${i} < i32(W);`,
      );
    } else {
      L.push(`        let xi${i} = x${i} + kw * rw;`, `        let ok${i} = yok${i} && u32(xi${i}) < W;`);
    }
    L.push(`        let a${i} = select(${zero}, X[select(0u, row${i} + u32(xi${i}), ok${i})], ok${i});`);
    for (const j of quads) L.push(`        c${i}_${j} = ${mad(`a${i}`, `f${j}`, `c${i}_${j}`)};`);
  }
  L.push('        wk++;', '      }', '    }', '    xc += HW;', '  }');
  // the output index of (row, channel): (n·O + o)·P + p
  L.push(`  let outBase = s * ${u('outN')} * O * P;`, `  let o0 = g * Og + tn * ${t.rn}u;`, `  let nO = min(${t.rn}u, Og - tn * ${t.rn}u);`);
  L.push(`  var rs = array<u32, ${t.rm}>(${rows.map((i) => `select(0xffffffffu, n${i} * O * P + p${i}, m${i} < M)`).join(', ')});`);
  // the store (and epilogue) written once, in a loop over a private copy: unrolled, it took lavapipe longer to compile
  L.push(`  var cs = array<${ty}, ${t.rm * t.rn}>(${rows.flatMap((i) => cols.map((j) => `c${i}_${j >> 2}[${j & 3}]`)).join(', ')});`);
  L.push(
    `  for (var i = 0u; i < ${t.rm}u; i++) {`,
    '    if (rs[i] == 0xffffffffu) { break; }',
    '    for (var j = 0u; j < nO; j++) {',
    '      let o = rs[i] + (o0 + j) * P;',
    `      Y[outBase + o] = ${epi === null || split ? `cs[i * ${t.rn}u + j]` : `epilogue(o, cs[i * ${t.rn}u + j])`};`,
    '    }',
    '  }',
    '}',
  );
  return L.join('\n');
}

/** Sums the S partial products of each output (and applies the epilogue): one invocation per output. */
export function reduceSource(dtype: DType, epi: RenderedEpilogue | null, outDType = dtype): string {
  const ty = dtype === 'int32' ? 'i32' : 'f32';
  const outTy = outDType === 'int32' ? 'i32' : 'f32';
  const L = [uniforms(epi), `@group(0) @binding(1) var<storage, read> Z: array<${ty}>;`];
  if (epi !== null) L.push(epi.decl);
  L.push(`@group(0) @binding(${REDUCE_EPILOGUE_BINDING + (epi?.inputs.length ?? 0)}) var<storage, read_write> Y: array<${outTy}>;`);
  if (epi !== null) L.push(epi.code);
  // reuses the conv's parameters: the size is outN·O·OH·OW, S = ceil(Cg / cSplit)
  L.push(`@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let size = ${field(PARAM_NAMES.indexOf('outN'))} * ${field(PARAM_NAMES.indexOf('O'))} * ${field(PARAM_NAMES.indexOf('OH'))} * ${field(PARAM_NAMES.indexOf('OW'))};
  let S = max(1u, (${field(PARAM_NAMES.indexOf('Cg'))} + ${field(PARAM_NAMES.indexOf('cSplit'))} - 1u) / ${field(PARAM_NAMES.indexOf('cSplit'))});
  let o = gid.x + gid.y * nwg.x * ${REDUCE_WG}u;
  if (o >= size) { return; }
  var acc = Z[o];
  for (var s = 1u; s < S; s++) { acc += Z[s * size + o]; }
  Y[o] = ${epi === null ? 'acc' : 'epilogue(o, acc)'};
}`);
  return L.join('\n');
}
