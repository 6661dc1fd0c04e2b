import type { Worker } from 'node:worker_threads';
import type { DType, TypedArray } from '../../dtype.js';
import { KERNEL_PARAMS, layoutKey, type MatmulLayout, matmulKernel, matmulSource, ROW_MAJOR_BT } from './matmul.js';

/**
 * Large matmuls are split across worker threads (Node only): by batch when a batched product has
 * at least one batch per thread (per-example gradients under vmap are thousands of small outer
 * products), otherwise by rows. The calling thread takes the first share and blocks in
 * Atomics.wait for the rest, so the backend stays synchronous. Operands and results that live on
 * a SharedArrayBuffer (every large buffer of the cpu backend, see pool.ts) are used in place;
 * others go through one shared scratch buffer. Each output element is computed by the same code
 * as on one thread, so results are bit-identical whatever the thread count. TENFOLD_CPU_THREADS
 * sets the total thread count (1 disables workers).
 */

/** Below this much work (multiply-adds plus output writes), a thread hand-off costs more than it saves. */
const MIN_WORK = 1 << 21;
const WAIT_LIMIT_MS = 120_000;

type WorkerThreads = typeof import('node:worker_threads');
type Os = typeof import('node:os');
type MatmulDType = 'float32' | 'float64' | 'int32';

const VIEW = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

/** One worker's share: batches [b0, b1) of rows [r0, r1), operands as element offsets into shared buffers. */
interface Job {
  dtype: MatmulDType;
  /** The kernel's cache key in the worker and its source (compiled there on first use). */
  key: string;
  src: string;
  /** Where row r of batch n starts in A: aOff + n·M·K + r·aRowStep, with A's lda. */
  aRowStep: number;
  lda: number;
  a: SharedArrayBuffer;
  aOff: number;
  b: SharedArrayBuffer;
  bOff: number;
  c: SharedArrayBuffer;
  cOff: number;
  b0: number;
  b1: number;
  r0: number;
  r1: number;
  M: number;
  N: number;
  K: number;
  flags: Int32Array;
  slot: number;
}

function workerSource(): string {
  return `
const { parentPort } = require('node:worker_threads');
const kernels = new Map();
const views = { float32: Float32Array, float64: Float64Array, int32: Int32Array };
parentPort.on('message', (j) => {
  let status = 1;
  try {
    let k = kernels.get(j.key);
    if (!k) kernels.set(j.key, (k = new Function(${KERNEL_PARAMS.map((p) => `'${p}'`).join(', ')}, j.src)));
    const V = views[j.dtype];
    const A = new V(j.a), B = new V(j.b), C = new V(j.c);
    const rows = j.r1 - j.r0;
    for (let n = j.b0; n < j.b1; n++) {
      k(A, j.aOff + n * j.M * j.K + j.r0 * j.aRowStep, j.lda, B, j.bOff + n * j.N * j.K, C, j.cOff + (n * j.M + j.r0) * j.N, rows, j.N, j.K);
    }
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
const sources = new Map<string, string>();

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

/** Threads that run large matmuls, the calling one included (starts the worker pool). */
export function cpuThreadCount(): number {
  return (getPool()?.workers.length ?? 0) + 1;
}

function scratchFor(p: Pool, bytes: number): SharedArrayBuffer {
  if (p.scratch.byteLength < bytes) p.scratch = new SharedArrayBuffer(Math.max(bytes, 2 * p.scratch.byteLength));
  return p.scratch;
}

/** The shared buffer under `x` and the element offset of `x[off]` in it, or null when `x` is not shared. */
function sharedOf(x: TypedArray, off: number): { sab: SharedArrayBuffer; off: number } | null {
  if (typeof SharedArrayBuffer === 'undefined' || !(x.buffer instanceof SharedArrayBuffer)) return null;
  return { sab: x.buffer, off: x.byteOffset / x.BYTES_PER_ELEMENT + off };
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
  layout: MatmulLayout = ROW_MAJOR_BT,
): void {
  matmulBatched(dtype, A, aOff, Bt, bOff, C, cOff, 1, M, N, K, layout);
}

/**
 * For each n < batch: C_n[M,N] = A_n·B_n in the given layout (see {@link matmulKernel}), where A_n
 * starts at aOff + n·M·K, B_n at bOff + n·N·K and C_n at cOff + n·M·N. Runs across threads when
 * the work is large enough.
 */
export function matmulBatched(
  dtype: DType,
  A: TypedArray,
  aOff: number,
  Bt: TypedArray,
  bOff: number,
  C: TypedArray,
  cOff: number,
  batch: number,
  M: number,
  N: number,
  K: number,
  layout: MatmulLayout = ROW_MAJOR_BT,
): void {
  const kernel = matmulKernel(dtype, layout);
  const lda = layout.a === 'mk' ? K : M;
  const aRowStep = layout.a === 'mk' ? K : 1;
  const work = batch * M * N * (K + 1);
  const p = work >= MIN_WORK && dtype !== 'bool' && (batch > 1 || M >= 8) ? getPool() : null;
  if (!p) {
    for (let n = 0; n < batch; n++) kernel(A, aOff + n * M * K, lda, Bt, bOff + n * N * K, C, cOff + n * M * N, M, N, K);
    return;
  }
  const parts = p.workers.length + 1;
  const key = `${dtype}:${layoutKey(layout)}`;
  let src = sources.get(key);
  if (src === undefined) {
    src = matmulSource(dtype === 'int32', layout);
    sources.set(key, src);
  }
  const operands = place(p, dtype as MatmulDType, A, aOff, batch * M * K, Bt, bOff, batch * N * K, C, cOff, batch * M * N);
  const run = (b0: number, b1: number, r0: number, r1: number, slots: Array<[number, number, number, number]>) => {
    slots.forEach(([wb0, wb1, wr0, wr1], w) => {
      Atomics.store(p.flags, w, 0);
      (p.workers[w] as Worker).postMessage({
        ...operands.job,
        key,
        src,
        aRowStep,
        lda,
        b0: wb0,
        b1: wb1,
        r0: wr0,
        r1: wr1,
        M,
        N,
        K,
        flags: p.flags,
        slot: w,
      } satisfies Job);
    });
    const { out, outOff } = operands;
    for (let n = b0; n < b1; n++) kernel(A, aOff + n * M * K + r0 * aRowStep, lda, Bt, bOff + n * N * K, out, outOff + (n * M + r0) * N, r1 - r0, N, K);
    awaitWorkers(p, slots.length);
  };
  if (batch >= parts) {
    // whole batches per thread; the calling thread takes the first share
    const share = Math.ceil(batch / parts);
    const slots: Array<[number, number, number, number]> = [];
    for (let b0 = share; b0 < batch && slots.length < p.workers.length; b0 += share) slots.push([b0, Math.min(batch, b0 + share), 0, M]);
    run(0, Math.min(batch, share), 0, M, slots);
  } else {
    // rows per part, in multiples of 4 so every part runs full register tiles
    const share = Math.ceil(M / parts / 4) * 4;
    for (let n = 0; n < batch; n++) {
      const slots: Array<[number, number, number, number]> = [];
      for (let r0 = share; r0 < M && slots.length < p.workers.length; r0 += share) slots.push([n, n + 1, r0, Math.min(M, r0 + share)]);
      run(n, n + 1, 0, Math.min(M, share), slots);
    }
  }
  operands.finish();
}

/**
 * Where the threads find the operands: in place when shared, else copied into the scratch buffer.
 * `out` is where the calling thread writes its share: C itself when shared, else the scratch copy
 * that `finish` copies back.
 */
function place(
  p: Pool,
  dtype: MatmulDType,
  A: TypedArray,
  aOff: number,
  aLen: number,
  Bt: TypedArray,
  bOff: number,
  bLen: number,
  C: TypedArray,
  cOff: number,
  cLen: number,
): { job: Pick<Job, 'dtype' | 'a' | 'aOff' | 'b' | 'bOff' | 'c' | 'cOff'>; out: TypedArray; outOff: number; finish: () => void } {
  const a = sharedOf(A, aOff);
  const b = sharedOf(Bt, bOff);
  const c = sharedOf(C, cOff);
  const View = VIEW[dtype];
  const need = (a ? 0 : aLen) + (b ? 0 : bLen) + (c ? 0 : cLen);
  const sab = need > 0 ? scratchFor(p, need * View.BYTES_PER_ELEMENT) : null;
  const scratch = sab ? new View(sab as unknown as ArrayBuffer) : null;
  let used = 0;
  const stage = (x: TypedArray, off: number, len: number, copy: boolean) => {
    const at = used;
    used += len;
    if (copy) (scratch as TypedArray).set(x.subarray(off, off + len) as never, at);
    return { sab: sab as SharedArrayBuffer, off: at };
  };
  const aa = a ?? stage(A, aOff, aLen, true);
  const bb = b ?? stage(Bt, bOff, bLen, true);
  const cc = c ?? stage(C, cOff, cLen, false);
  return {
    job: { dtype, a: aa.sab, aOff: aa.off, b: bb.sab, bOff: bb.off, c: cc.sab, cOff: cc.off },
    out: c ? C : (scratch as TypedArray),
    outOff: c ? cOff : cc.off,
    finish: () => {
      if (!c) C.set((scratch as TypedArray).subarray(cc.off, cc.off + cLen) as never, cOff);
    },
  };
}

function awaitWorkers(p: Pool, count: number): void {
  for (let w = 0; w < count; w++) {
    const start = Date.now();
    while (Atomics.load(p.flags, w) === 0) {
      Atomics.wait(p.flags, w, 0, 1000);
      if (Date.now() - start > WAIT_LIMIT_MS) throw new Error('internal: cpu matmul worker did not answer');
    }
    if (Atomics.load(p.flags, w) !== 1) throw new Error('internal: cpu matmul worker failed');
  }
}
