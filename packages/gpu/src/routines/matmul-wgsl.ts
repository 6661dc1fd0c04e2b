// The WGSL of dot_general's shaders (routines/matmul.ts runs them): a tiled product with register
// blocking, each invocation computing an RM×RN block of the output (RN/4 vec4 accumulators per
// row) and each workgroup a TM×TN tile, in one of two modes:
// - 'registers' (CPU-backed adapters such as lavapipe): operands are read straight from the
//   storage buffers (the CPU's caches are the tiles); 8×8 blocks, 64×64 tiles;
// - 'shared' (GPUs): the workgroup stages TM×TK and TK×TN slabs of both operands in workgroup
//   memory and each invocation accumulates a 4×4 block from them; 64×64 tiles, TK = 16;
// and a direct product, one invocation per output. B is read as vec4s (and C written as vec4s)
// where rows are contiguous and 4-aligned. Rows and columns past the edge read the last valid one
// (so the k loop has no bounds checks) and are not stored. Indices are u32 (signed division in
// WGSL compiles to a guarded division).
//
// Layout: the uniform starts with the header the WGSL helpers read (wgsl/exp.ts), then the
// product's 12 parameters (PARAMS_SLOT), then an epilogue's float constants (EPILOGUE_SLOT); A and
// B are bindings 1 and 2, an epilogue's inputs follow (EPILOGUE_BINDING), then C. An epilogue
// (wgsl/epilogue.ts) is applied to every output element before it is stored.
import type { DType } from '@tenfold/core';
import type { RenderedEpilogue } from '../wgsl/epilogue.js';
import { HEADER_SLOTS } from '../wgsl/exp.js';
import type { MatmulMode } from './host.js';

export interface Tiling {
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

/**
 * 'registers' in 128×32 tiles, for products whose columns do not fill 64-column tiles (the MLP's
 * 200-wide layers: 224 columns computed instead of 256, and 14 workgroups instead of 16 for 200×200).
 * Past-the-edge columns are computed and dropped, while past-the-edge rows are skipped (see the
 * shader), so narrow tiles waste less; measured on lavapipe 1.2-1.6× faster for 200×784×200,
 * 784×200×200 and 200×200×200, and 5-15% slower than 64×64 tiles at n = 512 and 1024.
 */
export const NARROW_REGISTERS: Tiling = { mode: 'registers', rm: 8, rn: 8, wx: 4, wy: 16, tk: 0 };

/** The uniform slot of the product's 12 parameters (after the helpers' header). */
export const PARAMS_SLOT = HEADER_SLOTS;
/** Their vec4 in the uniform. */
const P = PARAMS_SLOT / 4;
/** The uniform slot of an epilogue's first float constant (after the parameters). */
export const EPILOGUE_SLOT = PARAMS_SLOT + 12;
/** The binding of an epilogue's first input (after A and B). */
export const EPILOGUE_BINDING = 3;

/** The uniform and the storage bindings of a product's shader (`u` the uniform's component type). */
function bindings(u: string, aType: string, bType: string, cType: string, epi: RenderedEpilogue | null): string {
  const vec4s = P + 3 + Math.ceil((epi?.constants.length ?? 0) / 4);
  const nE = epi?.inputs.length ?? 0;
  const L = [
    `struct Vars { v: array<vec4<${u}>, ${vec4s}> }`,
    '@group(0) @binding(0) var<uniform> U: Vars;',
    `@group(0) @binding(1) var<storage, read> A: array<${aType}>;`,
    `@group(0) @binding(2) var<storage, read> B: array<${bType}>;`,
  ];
  if (epi !== null) L.push(epi.decl);
  L.push(`@group(0) @binding(${EPILOGUE_BINDING + nE}) var<storage, read_write> C: array<${cType}>;`);
  if (epi !== null) L.push(epi.code);
  return L.join('\n');
}

/**
 * The shader of a tiled product: `vecB` reads B as vec4s along n, `vecC` writes C as vec4s; `epi`
 * is applied to each element before it is stored.
 */
export function tiledSource(dtype: DType, t: Tiling, vecB: boolean, vecC: boolean, epi: RenderedEpilogue | null = null, outDType = dtype): string {
  const ty = dtype === 'int32' ? 'i32' : 'f32';
  const v4 = `vec4<${ty}>`;
  const outTy = outDType === 'int32' ? 'i32' : 'f32';
  const TM = t.rm * t.wy;
  const TN = t.rn * t.wx;
  const Q = t.rn / 4;
  const rows = Array.from({ length: t.rm }, (_, i) => i);
  const quads = Array.from({ length: Q }, (_, j) => j);
  const mad = (a: string, b: string, c: string) => (ty === 'f32' ? `fma(${v4}(${a}), ${b}, ${c})` : `${c} + ${v4}(${a}) * ${b}`);
  const L: string[] = [];
  L.push(bindings('u32', ty, vecB ? v4 : ty, vecC ? `vec4<${outTy}>` : outTy, epi));
  if (t.mode === 'shared') {
    L.push(`var<workgroup> As: array<${ty}, ${TM * t.tk}>;`, `var<workgroup> Bs: array<${v4}, ${(t.tk * TN) / 4}>;`);
  }
  L.push(`@compute @workgroup_size(${t.wx}, ${t.wy})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nwg: vec3u) {
  let nb = U.v[${P}].x;
  let M = U.v[${P}].y;
  let N = U.v[${P}].z;
  let K = U.v[${P}].w;
  let sAb = U.v[${P + 1}].x;
  let sAm = U.v[${P + 1}].y;
  let sAk = U.v[${P + 1}].z;
  let sBb = U.v[${P + 1}].w;
  let sBk = U.v[${P + 2}].x;
  let sBn = U.v[${P + 2}].y;
  let tilesM = U.v[${P + 2}].z;
  let tilesN = U.v[${P + 2}].w;
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
    // lavapipe runs consecutive invocations (x fastest) as one SIMD group and skips a group whose
    // lanes have all returned: whole rows of invocations past M do no work (no barriers here)
    L.push('  if (m0 >= M) { return; }');
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
  if (epi === null) {
    for (const i of rows) {
      L.push(`  if (m0 + ${i}u < M) {`, `    let r${i} = cBase + (m0 + ${i}u) * N + n0;`);
      for (const j of quads) {
        if (vecC) L.push(`    if (n0 + ${4 * j}u < N) { C[(r${i} + ${4 * j}u) / 4u] = c${i}_${j}; }`);
        else for (let c = 0; c < 4; c++) L.push(`    if (n0 + ${4 * j + c}u < N) { C[r${i} + ${4 * j + c}u] = c${i}_${j}[${c}]; }`);
      }
      L.push('  }');
    }
  } else {
    // the epilogue written once, in a loop over the invocation's block (copied into a private
    // array): unrolled RM×RN times, its bounds-checked loads took lavapipe 6-13 s to compile (0.5 s now)
    L.push(`  var cs = array<${v4}, ${t.rm * Q}>(${rows.flatMap((i) => quads.map((j) => `c${i}_${j}`)).join(', ')});`);
    L.push(`  for (var i = 0u; i < ${t.rm}u; i++) {`, '    if (m0 + i >= M) { break; }', '    let r = cBase + (m0 + i) * N + n0;');
    if (vecC) {
      L.push(
        `    for (var j = 0u; j < ${Q}u; j++) {`,
        '      if (n0 + 4u * j >= N) { break; }',
        `      let v = cs[i * ${Q}u + j];`,
        `      var w: vec4<${outTy}>;`,
        '      for (var c = 0u; c < 4u; c++) { w[c] = epilogue(r + 4u * j + c, v[c]); }',
        '      C[(r + 4u * j) / 4u] = w;',
        '    }',
      );
    } else {
      L.push(
        `    for (var c = 0u; c < ${t.rn}u; c++) {`,
        '      if (n0 + c >= N) { break; }',
        `      C[r + c] = epilogue(r + c, cs[i * ${Q}u + c / 4u][c % 4u]);`,
        '    }',
      );
    }
    L.push('  }');
  }
  L.push('}');
  return L.join('\n');
}

/** Invocations per workgroup of the one-output-per-invocation shader. */
export const DIRECT_WG = 64;

/** One invocation per output element, looping over K: for products too thin for tiles. */
export function directSource(dtype: DType, epi: RenderedEpilogue | null = null, outDType = dtype): string {
  const ty = dtype === 'int32' ? 'i32' : 'f32';
  return `${bindings('i32', ty, ty, outDType === 'int32' ? 'i32' : 'f32', epi)}
@compute @workgroup_size(${DIRECT_WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let M = U.v[${P}].y;
  let N = U.v[${P}].z;
  let K = U.v[${P}].w;
  let o = i32(gid.x + gid.y * nwg.x * ${DIRECT_WG}u);
  if (o >= U.v[${P}].x * M * N) { return; }
  let n = o % N;
  let m = (o / N) % M;
  let b = o / (M * N);
  var a = b * U.v[${P + 1}].x + m * U.v[${P + 1}].y;
  var c = b * U.v[${P + 1}].w + n * U.v[${P + 2}].y;
  var acc: ${ty} = ${dtype === 'int32' ? '0i' : '0.0f'};
  for (var k = 0i; k < K; k++) {
    acc = acc + A[a] * B[c];
    a += U.v[${P + 1}].z;
    c += U.v[${P + 2}].x;
  }
  C[o] = ${epi === null ? 'acc' : 'epilogue(u32(o), acc)'};
}`;
}
