import type { DType, TypedArray } from '../../dtype.js';

/**
 * C[M,N] = A·B, with each operand read in one of two layouts, so a small product can read a
 * row-major weight matrix in place instead of transposing it (dot.ts decides when that pays):
 * - A is stored [M,K] ('mk', rows contraction-contiguous) or [K,M] ('km');
 * - B is stored [N,K] ('nk', i.e. Bᵀ row-major) or [K,N] ('kn', plain row-major).
 * 4×4 register tiles keep 16 accumulators live, so each loaded value feeds four multiply-adds;
 * leftover rows (all of them in a vector-matrix product) run 1×4 tiles, leftover columns 4×1
 * tiles, and the corner plain dot products. Every layout adds the k terms in the same order, so
 * results do not depend on it. Generated once per dtype and layout so each copy stays monomorphic
 * in V8.
 */
export type MatmulKernel = (
  A: TypedArray,
  aOff: number,
  lda: number,
  B: TypedArray,
  bOff: number,
  C: TypedArray,
  cOff: number,
  M: number,
  N: number,
  K: number,
) => void;

/**
 * `lda` is the distance between A's rows ('mk') or between its k-slices ('km'): K or M for a whole
 * matrix; a thread computing a band of a 'km' matrix's rows passes the whole matrix's M. B and C
 * are dense.
 */
export const KERNEL_PARAMS = ['A', 'aOff', 'lda', 'B', 'bOff', 'C', 'cOff', 'M', 'N', 'K'] as const;

export type ALayout = 'mk' | 'km';
export type BLayout = 'nk' | 'kn';
export interface MatmulLayout {
  a: ALayout;
  b: BLayout;
}
export const ROW_MAJOR_BT: MatmulLayout = { a: 'mk', b: 'nk' };

export const layoutKey = (l: MatmulLayout): string => `${l.a}${l.b}`;

/** The kernel body (parameters {@link KERNEL_PARAMS}); also compiled inside worker threads (see threads.ts). */
export function matmulSource(int: boolean, layout: MatmulLayout): string {
  const mac = (acc: string, x: string, y: string) => (int ? `${acc} = (${acc} + Math.imul(${x}, ${y})) | 0;` : `${acc} += ${x} * ${y};`);
  const aAt = (row: string, k: string) => (layout.a === 'mk' ? `A[aOff + (${row}) * lda + ${k}]` : `A[aOff + (${k}) * lda + ${row}]`);
  const bAt = (col: string, k: string) => (layout.b === 'nk' ? `B[bOff + (${col}) * K + ${k}]` : `B[bOff + (${k}) * N + ${col}]`);

  // 4×4 tile at rows i.., columns j..: loads through pointers that advance with k
  const tileInit: string[] = [];
  const tileLoads: string[] = [];
  const tileStep: string[] = [];
  if (layout.a === 'mk') {
    tileInit.push('const pa0 = aOff + i * lda, pa1 = pa0 + lda, pa2 = pa1 + lda, pa3 = pa2 + lda;');
    tileLoads.push('const a0 = A[pa0 + k], a1 = A[pa1 + k], a2 = A[pa2 + k], a3 = A[pa3 + k];');
  } else {
    tileInit.push('let pa = aOff + i;');
    tileLoads.push('const a0 = A[pa], a1 = A[pa + 1], a2 = A[pa + 2], a3 = A[pa + 3];');
    tileStep.push('pa += lda;');
  }
  if (layout.b === 'nk') {
    tileInit.push('const pb0 = bOff + j * K, pb1 = pb0 + K, pb2 = pb1 + K, pb3 = pb2 + K;');
    tileLoads.push('const b0 = B[pb0 + k], b1 = B[pb1 + k], b2 = B[pb2 + k], b3 = B[pb3 + k];');
  } else {
    tileInit.push('let pb = bOff + j;');
    tileLoads.push('const b0 = B[pb], b1 = B[pb + 1], b2 = B[pb + 2], b3 = B[pb + 3];');
    tileStep.push('pb += N;');
  }
  const accs: string[] = [];
  const body: string[] = [];
  const stores: string[] = [];
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      accs.push(`s${r}${c} = 0`);
      body.push(mac(`s${r}${c}`, `a${r}`, `b${c}`));
      stores.push(`C[o${r} + ${c}] = s${r}${c};`);
    }
  }
  const rowTileBody = [0, 1, 2, 3].map((c) => mac(`t${c}`, 'a', `B[${layout.b === 'nk' ? `pb${c} + k` : `pb + ${c}`}]`)).join(' ');
  const rowTileInit = layout.b === 'nk' ? 'const pb0 = bOff + j * K, pb1 = pb0 + K, pb2 = pb1 + K, pb3 = pb2 + K;' : 'let pb = bOff + j;';

  // K = 1 is an outer product (per-example gradients under vmap): no reduction to tile, so the
  // loop is bound by stores; unrolling by 8 lets V8 keep up with memory (about 2× the plain loop).
  // With K = 1 both layouts of each operand are the same memory.
  const times = (x: string) => (int ? `Math.imul(a, ${x})` : `a * ${x}`);
  const outer8 = Array.from({ length: 8 }, (_, u) => `C[q + ${u}] = ${times(`B[p + ${u}]`)};`).join(' ');
  return `
if (K === 1) {
  const N8 = N - (N % 8);
  for (let i = 0; i < M; i++) {
    const a = ${aAt('i', '0')}, o = cOff + i * N;
    let j = 0;
    for (; j < N8; j += 8) { const p = bOff + j, q = o + j; ${outer8} }
    for (; j < N; j++) C[o + j] = ${times('B[bOff + j]')};
  }
  return;
}
const M4 = M - (M % 4), N4 = N - (N % 4);
for (let i = 0; i < M4; i += 4) {
  for (let j = 0; j < N4; j += 4) {
    ${tileInit.join(' ')}
    let ${accs.join(', ')};
    for (let k = 0; k < K; k++) {
      ${tileLoads.join(' ')}
      ${body.join(' ')}
      ${tileStep.join(' ')}
    }
    const o0 = cOff + i * N + j, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
    ${stores.join(' ')}
  }
}
// leftover rows: 1×4 tiles (a vector-matrix product is all leftover rows)
for (let i = M4; i < M; i++) {
  const o = cOff + i * N;
  for (let j = 0; j < N4; j += 4) {
    ${rowTileInit}
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let k = 0; k < K; k++) {
      const a = ${aAt('i', 'k')};
      ${rowTileBody}
      ${layout.b === 'kn' ? 'pb += N;' : ''}
    }
    C[o + j] = t0; C[o + j + 1] = t1; C[o + j + 2] = t2; C[o + j + 3] = t3;
  }
}
// leftover columns: 4×1 tiles (independent sums keep the adds from waiting on each other), then dot products
for (let j = N4; j < N; j++) {
  for (let i = 0; i < M4; i += 4) {
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let k = 0; k < K; k++) {
      const b = ${bAt('j', 'k')};
      ${[0, 1, 2, 3].map((r) => mac(`t${r}`, aAt(`i + ${r}`, 'k'), 'b')).join(' ')}
    }
    const o = cOff + i * N + j;
    C[o] = t0; C[o + N] = t1; C[o + 2 * N] = t2; C[o + 3 * N] = t3;
  }
}
for (let i = M4; i < M; i++) {
  for (let j = N4; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) { ${mac('s', aAt('i', 'k'), bAt('j', 'k'))} }
    C[cOff + i * N + j] = s;
  }
}`;
}

const sources = new Map<string, string>();
const kernels = new Map<string, MatmulKernel>();

/** The cached kernel body for `dtype` and `layout` (worker threads compile the same text). */
export function matmulSourceFor(dtype: DType, layout: MatmulLayout): string {
  const key = `${dtype}:${layoutKey(layout)}`;
  let src = sources.get(key);
  if (src === undefined) {
    src = matmulSource(dtype === 'int32', layout);
    sources.set(key, src);
  }
  return src;
}

export function matmulKernel(dtype: DType, layout: MatmulLayout = ROW_MAJOR_BT): MatmulKernel {
  const key = `${dtype}:${layoutKey(layout)}`;
  let k = kernels.get(key);
  if (!k) {
    k = new Function(...KERNEL_PARAMS, matmulSourceFor(dtype, layout)) as MatmulKernel;
    kernels.set(key, k);
  }
  return k;
}
