import type { Worker } from 'node:worker_threads';
import type { DType, TypedArray } from '../../dtype.js';
import { matmulKernel, matmulSource } from './matmul.js';

/**
 * Large matmuls are split by rows across worker threads (Node only). The calling thread takes the
 * first share and blocks in Atomics.wait for the rest, so the backend stays synchronous. Inputs
 * are copied into one SharedArrayBuffer; each output element is computed by the same code as on
 * one thread, so results are bit-identical whatever the thread count. TENFOLD_CPU_THREADS sets
 * the total thread count (1 disables workers).
 */

/** Below this many multiply-adds, a thread hand-off costs more than it saves. */
const MIN_MACS = 1 << 21;
const WAIT_LIMIT_MS = 120_000;

type WorkerThreads = typeof import('node:worker_threads');
type Os = typeof import('node:os');

const VIEW = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

function workerSource(): string {
  const f = JSON.stringify(matmulSource(false));
  const i = JSON.stringify(matmulSource(true));
  return `
const { parentPort } = require('node:worker_threads');
const mk = (src) => new Function('A', 'aOff', 'Bt', 'bOff', 'C', 'cOff', 'M', 'N', 'K', src);
const kernels = { float32: mk(${f}), float64: mk(${f}), int32: mk(${i}) };
const views = { float32: Float32Array, float64: Float64Array, int32: Int32Array };
parentPort.on('message', (j) => {
  let status = 1;
  try {
    const buf = new views[j.dtype](j.sab);
    kernels[j.dtype](buf, j.aOff, buf, j.bOff, buf, j.cOff, j.rows, j.N, j.K);
  } catch (e) {
    status = 2;
  }
  Atomics.store(j.flags, j.slot, status);
  Atomics.notify(j.flags, j.slot);
});`;
}

interface Pool {
  workers: Worker[];
  flags: Int32Array;
  scratch: SharedArrayBuffer;
}

let pool: Pool | null | undefined;

function builtin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

function threadCount(os: Os | undefined): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TENFOLD_CPU_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    return Number.isInteger(n) && n >= 1 ? n : 1;
  }
  return Math.min(4, os?.availableParallelism?.() ?? 1);
}

function getPool(): Pool | null {
  if (pool !== undefined) return pool;
  pool = null;
  const wt = builtin<WorkerThreads>('node:worker_threads');
  const os = builtin<Os>('node:os');
  const n = threadCount(os) - 1;
  if (!wt || n < 1 || typeof SharedArrayBuffer === 'undefined' || !wt.isMainThread) return pool;
  const src = workerSource();
  const workers: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const w = new wt.Worker(src, { eval: true });
    w.unref();
    workers.push(w);
  }
  pool = { workers, flags: new Int32Array(new SharedArrayBuffer(4 * n)), scratch: new SharedArrayBuffer(0) };
  return pool;
}

function scratchFor(p: Pool, bytes: number): SharedArrayBuffer {
  if (p.scratch.byteLength < bytes) p.scratch = new SharedArrayBuffer(Math.max(bytes, 2 * p.scratch.byteLength));
  return p.scratch;
}

/** C[M,N] = A[M,K]·Bt[N,K]ᵀ like {@link matmulKernel}, across threads when the product is large. */
export function matmul(
  dtype: DType,
  A: TypedArray,
  aOff: number,
  Bt: TypedArray,
  bOff: number,
  C: TypedArray,
  cOff: number,
  M: number,
  N: number,
  K: number,
): void {
  const kernel = matmulKernel(dtype);
  const p = M * N * K >= MIN_MACS && M >= 8 && dtype !== 'bool' ? getPool() : null;
  if (!p) {
    kernel(A, aOff, Bt, bOff, C, cOff, M, N, K);
    return;
  }
  const parts = p.workers.length + 1;
  // rows per part, in multiples of 4 so every part runs full register tiles
  const share = Math.ceil(M / parts / 4) * 4;
  const own = Math.min(M, share);
  const workerRows = M - own;
  const View = VIEW[dtype as keyof typeof VIEW];
  const sab = scratchFor(p, View.BYTES_PER_ELEMENT * (workerRows * K + N * K + workerRows * N));
  const buf = new View(sab as unknown as ArrayBuffer);
  // layout: [Bt | A rows of the workers | C rows of the workers]
  buf.set(Bt.subarray(bOff, bOff + N * K) as never, 0);
  buf.set(A.subarray(aOff + own * K, aOff + M * K) as never, N * K);
  const cBase = N * K + workerRows * K;
  let row = own;
  let used = 0;
  for (let w = 0; w < p.workers.length && row < M; w++) {
    const rows = Math.min(share, M - row);
    Atomics.store(p.flags, w, 0);
    (p.workers[w] as Worker).postMessage({
      dtype,
      sab,
      aOff: N * K + (row - own) * K,
      bOff: 0,
      cOff: cBase + (row - own) * N,
      rows,
      N,
      K,
      flags: p.flags,
      slot: w,
    });
    row += rows;
    used++;
  }
  kernel(A, aOff, Bt, bOff, C, cOff, own, N, K);
  for (let w = 0; w < used; w++) {
    const start = Date.now();
    while (Atomics.load(p.flags, w) === 0) {
      Atomics.wait(p.flags, w, 0, 1000);
      if (Date.now() - start > WAIT_LIMIT_MS) throw new Error('internal: cpu matmul worker did not answer');
    }
    if (Atomics.load(p.flags, w) !== 1) throw new Error('internal: cpu matmul worker failed');
  }
  C.set(buf.subarray(cBase, cBase + workerRows * N) as never, cOff + own * N);
}
