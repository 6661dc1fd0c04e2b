import type { DType, TypedArray } from '../../dtype.js';

/**
 * C[M,N] = A[M,K] · Bt[N,K]ᵀ, with both operands contraction-contiguous (the layout that lets the
 * inner loop stream two rows). 4×4 register tiles keep 16 accumulators live, so each loaded value
 * feeds four multiply-adds; remainders fall back to plain dot products. Generated once per dtype
 * so each copy stays monomorphic in V8.
 */
export type MatmulKernel = (A: TypedArray, aOff: number, Bt: TypedArray, bOff: number, C: TypedArray, cOff: number, M: number, N: number, K: number) => void;

/** The kernel body; also compiled inside worker threads (see threads.ts). */
export function matmulSource(int: boolean): string {
  const mac = (acc: string, x: string, y: string) => (int ? `${acc} = (${acc} + Math.imul(${x}, ${y})) | 0;` : `${acc} += ${x} * ${y};`);
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
  // K = 1 is an outer product (per-example gradients under vmap): no reduction to tile, so the
  // loop is bound by stores; unrolling by 8 lets V8 keep up with memory (about 2× the plain loop)
  const times = (x: string) => (int ? `Math.imul(a, ${x})` : `a * ${x}`);
  const outer8 = Array.from({ length: 8 }, (_, u) => `C[q + ${u}] = ${times(`Bt[p + ${u}]`)};`).join(' ');
  return `
if (K === 1) {
  const N8 = N - (N % 8);
  for (let i = 0; i < M; i++) {
    const a = A[aOff + i], o = cOff + i * N;
    let j = 0;
    for (; j < N8; j += 8) { const p = bOff + j, q = o + j; ${outer8} }
    for (; j < N; j++) C[o + j] = ${times('Bt[bOff + j]')};
  }
  return;
}
const M4 = M - (M % 4), N4 = N - (N % 4);
for (let i = 0; i < M4; i += 4) {
  const pa0 = aOff + i * K, pa1 = pa0 + K, pa2 = pa1 + K, pa3 = pa2 + K;
  for (let j = 0; j < N4; j += 4) {
    const pb0 = bOff + j * K, pb1 = pb0 + K, pb2 = pb1 + K, pb3 = pb2 + K;
    let ${accs.join(', ')};
    for (let k = 0; k < K; k++) {
      const a0 = A[pa0 + k], a1 = A[pa1 + k], a2 = A[pa2 + k], a3 = A[pa3 + k];
      const b0 = Bt[pb0 + k], b1 = Bt[pb1 + k], b2 = Bt[pb2 + k], b3 = Bt[pb3 + k];
      ${body.join(' ')}
    }
    const o0 = cOff + i * N + j, o1 = o0 + N, o2 = o1 + N, o3 = o2 + N;
    ${stores.join(' ')}
  }
}
for (let i = 0; i < M; i++) {
  const jStart = i < M4 ? N4 : 0;
  const pa = aOff + i * K;
  for (let j = jStart; j < N; j++) {
    const pb = bOff + j * K;
    let s = 0;
    for (let k = 0; k < K; k++) { ${mac('s', 'A[pa + k]', 'Bt[pb + k]')} }
    C[cOff + i * N + j] = s;
  }
}`;
}

const kernels = new Map<DType, MatmulKernel>();

export function matmulKernel(dtype: DType): MatmulKernel {
  let k = kernels.get(dtype);
  if (!k) {
    k = new Function('A', 'aOff', 'Bt', 'bOff', 'C', 'cOff', 'M', 'N', 'K', matmulSource(dtype === 'int32')) as MatmulKernel;
    kernels.set(dtype, k);
  }
  return k;
}
