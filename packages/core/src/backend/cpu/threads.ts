import type { DType, TypedArray } from '../../dtype.js';
import { KERNEL_PARAMS, layoutKey, type MatmulLayout, matmulKernel, matmulSourceFor, ROW_MAJOR_BT } from './matmul.js';
import { canBlock, countWorkerShares, defaultThreadCount, inNodeWorker, type ScriptWorker, spawnWorker, waitWhile, workerHost } from './workers.js';

/**
 * Large matmuls are split across worker threads (Node's worker_threads, or Web Workers in a
 * cross-origin-isolated page; see ./workers.ts): by batch when a batched product has
 * at least one batch per thread (per-example gradients under vmap are hundreds of outer
 * products), otherwise by rows. The calling thread takes the first share, written straight into
 * the result, and blocks in Atomics.wait for the rest, so the backend stays synchronous. The
 * workers read and write through one shared scratch buffer (see `stage`). Each output element is
 * computed by the same code as on one thread, so results are bit-identical whatever the thread
 * count. TENFOLD_CPU_THREADS sets the total thread count (1 disables workers). On a page's main
 * thread, which may not block, the wait spins, and the pool is used only once every worker has
 * said it is running (a Web Worker may start only after that thread returns to its event loop:
 * until then products run on the calling thread).
 */

/** Below this much work (multiply-adds plus output writes), a thread hand-off costs more than it saves. */
const MIN_WORK = 1 << 21;
const WAIT_LIMIT_MS = 120_000;

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
  /** Batches finished so far, counted in `progress[slot]` so the caller can copy them back early. */
  progress: Int32Array;
  slot: number;
}

/** The worker's script: `start` (see {@link spawnWorker}) marks the worker running, then runs the jobs it is sent. */
function workerSource(): string {
  return `
function start(init, onMessage) {
  const kernels = new Map();
  const views = { float32: Float32Array, float64: Float64Array, int32: Int32Array };
  Atomics.store(init.running, init.slot, 1);
  onMessage((j) => {
    let status = 1;
    try {
      let k = kernels.get(j.key);
      if (!k) kernels.set(j.key, (k = new Function(${KERNEL_PARAMS.map((p) => `'${p}'`).join(', ')}, j.src)));
      const V = views[j.dtype];
      const A = new V(j.a), B = new V(j.b), C = new V(j.c);
      const rows = j.r1 - j.r0;
      for (let n = j.b0; n < j.b1; n++) {
        k(A, j.aOff + n * j.M * j.K + j.r0 * j.aRowStep, j.lda, B, j.bOff + n * j.N * j.K, C, j.cOff + (n * j.M + j.r0) * j.N, rows, j.N, j.K);
        Atomics.store(j.progress, j.slot, n + 1 - j.b0);
        Atomics.notify(j.progress, j.slot);
      }
    } catch (e) {
      status = 2;
    }
    Atomics.store(j.flags, j.slot, status);
    Atomics.notify(j.flags, j.slot);
  });
}`;
}

interface Pool {
  workers: ScriptWorker[];
  /** Per worker: 1 once its script runs. */
  running: Int32Array;
  /** Per worker: 0 while a job runs, 1 when it finished, 2 when it threw. */
  flags: Int32Array;
  /** Per worker: how many of the current job's batches are written. */
  progress: Int32Array;
  scratch: SharedArrayBuffer;
}

let pool: Pool | null | undefined;

function getPool(): Pool | null {
  if (pool !== undefined) return pool;
  pool = null;
  const n = defaultThreadCount() - 1;
  if (n < 1 || workerHost() === null || inNodeWorker()) return pool;
  const src = workerSource();
  const cells = () => new Int32Array(new SharedArrayBuffer(4 * n));
  const running = cells();
  const workers: ScriptWorker[] = [];
  for (let slot = 0; slot < n; slot++) {
    const w = spawnWorker(src, { running, slot });
    if (w === null) break;
    workers.push(w);
  }
  if (workers.length < n) {
    for (const w of workers) w.terminate();
    return pool;
  }
  pool = { workers, running, flags: cells(), progress: cells(), scratch: new SharedArrayBuffer(0) };
  return pool;
}

/**
 * Whether the pool can take a product now: always where this thread may block (Node: a worker not
 * yet started will start), else once every worker runs (a page's main thread must not wait for that).
 */
function poolReady(p: Pool): boolean {
  if (canBlock()) return true;
  for (let w = 0; w < p.workers.length; w++) if (Atomics.load(p.running, w) !== 1) return false;
  return true;
}

/** Threads that run large matmuls, the calling one included (starts the worker pool). */
export function cpuThreadCount(): number {
  return (getPool()?.workers.length ?? 0) + 1;
}

function scratchFor(p: Pool, bytes: number): SharedArrayBuffer {
  // whole 8-byte words, so a buffer grown for float32 still holds a Float64Array view
  if (p.scratch.byteLength < bytes) p.scratch = new SharedArrayBuffer(Math.ceil(Math.max(bytes, 2 * p.scratch.byteLength) / 8) * 8);
  return p.scratch;
}

/** The shared buffer under `x` and the element offset of `x[off]` in it, or null when `x` is not shared. */
function sharedOf(x: TypedArray, off: number): { sab: SharedArrayBuffer; off: number } | null {
  if (typeof SharedArrayBuffer === 'undefined' || !(x.buffer instanceof SharedArrayBuffer)) return null;
  return { sab: x.buffer, off: x.byteOffset / x.BYTES_PER_ELEMENT + off };
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
  B: TypedArray,
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
  const candidate = work >= MIN_WORK && dtype !== 'bool' && (batch > 1 || M >= 8) ? getPool() : null;
  const p = candidate && poolReady(candidate) ? candidate : null;
  const dispatches = p ? plan(batch, M, N, p.workers.length) : [];
  if (!p || dispatches.every((d) => d.slots.length === 0)) {
    // small, or too few rows to share (e.g. two row-vector products on three threads)
    for (let n = 0; n < batch; n++) kernel(A, aOff + n * M * K, lda, B, bOff + n * N * K, C, cOff + n * M * N, M, N, K);
    return;
  }
  const key = `${dtype}:${layoutKey(layout)}`;
  const src = matmulSourceFor(dtype, layout);
  const outLen = Math.max(...dispatches.map((d) => d.hi - d.lo));
  const staged = stage(p, dtype as MatmulDType, A, aOff, batch * M * K, B, bOff, batch * N * K, C, cOff, outLen);
  for (const { own, slots, lo } of dispatches) {
    slots.forEach(([b0, b1, r0, r1], w) => {
      Atomics.store(p.flags, w, 0);
      Atomics.store(p.progress, w, 0);
      (p.workers[w] as ScriptWorker).post({
        ...staged.job,
        // a worker writes element i of C at cOff + i: C itself, or the scratch range that mirrors [lo, hi)
        cOff: staged.cInPlace ? staged.job.cOff : staged.job.cOff - lo,
        key,
        src,
        aRowStep,
        lda,
        b0,
        b1,
        r0,
        r1,
        M,
        N,
        K,
        flags: p.flags,
        progress: p.progress,
        slot: w,
      } satisfies Job);
    });
    const [b0, b1, r0, r1] = own;
    for (let n = b0; n < b1; n++) kernel(A, aOff + n * M * K + r0 * aRowStep, lda, B, bOff + n * N * K, C, cOff + (n * M + r0) * N, r1 - r0, N, K);
    // copy each worker's batches back as they finish, while its later ones are still computing
    slots.forEach(([wb0, wb1, wr0, wr1], w) => {
      for (let done = 0; done < wb1 - wb0; ) {
        const now = awaitProgress(p, w, done);
        staged.copyBack(((wb0 + done) * M + wr0) * N, ((wb0 + now - 1) * M + wr1) * N, lo);
        done = now;
      }
    });
    awaitWorkers(p, slots.length);
    countWorkerShares(slots.length);
  }
}

/** One thread's share: batches [b0, b1) × rows [r0, r1). */
type Share = [number, number, number, number];

/**
 * How a product is split: each dispatch is the calling thread's share and the workers' shares,
 * whose outputs form one contiguous range [lo, hi) of C's elements. By batch when there is at
 * least one batch per thread, else by rows of each batch in turn. Shares are even: the calling
 * thread also copies the workers' batches back, but it does so while they compute (measured on
 * 200 outer products of 784×200: smaller shares for the calling thread were no faster).
 */
export function plan(batch: number, M: number, N: number, workers: number): Array<{ own: Share; slots: Share[]; lo: number; hi: number }> {
  const parts = workers + 1;
  if (batch >= parts) {
    // whole batches per thread; the calling thread takes the first share
    const share = Math.ceil(batch / parts);
    const slots: Share[] = [];
    for (let b0 = share; b0 < batch && slots.length < workers; b0 += share) slots.push([b0, Math.min(batch, b0 + share), 0, M]);
    return [{ own: [0, Math.min(batch, share), 0, M], slots, lo: share * M * N, hi: batch * M * N }];
  }
  // rows per part, in multiples of 4 so every part runs full register tiles
  const share = Math.ceil(M / parts / 4) * 4;
  return globalThis.Array.from({ length: batch }, (_, n) => {
    const slots: Share[] = [];
    for (let r0 = share; r0 < M && slots.length < workers; r0 += share) slots.push([n, n + 1, r0, Math.min(M, r0 + share)]);
    return { own: [n, n + 1, 0, Math.min(M, share)] as Share, slots, lo: Math.min(M * N * (n + 1), (n * M + share) * N), hi: (n + 1) * M * N };
  });
}

/**
 * Where the workers find the operands and put their results: in place when an array is on shared
 * memory, else in the pool's scratch buffer (inputs copied in; the workers' share of the output,
 * at most `outLen` elements, copied back by `copyBack`). The backend's own arrays are ordinary
 * ArrayBuffers: V8 does not count SharedArrayBuffers towards the pressure that triggers garbage
 * collection, so unreleased shared arrays would pile up (measured: +500 MB RSS over an MLP
 * training run). The scratch buffer persists, sized by the largest product seen.
 */
function stage(
  p: Pool,
  dtype: MatmulDType,
  A: TypedArray,
  aOff: number,
  aLen: number,
  B: TypedArray,
  bOff: number,
  bLen: number,
  C: TypedArray,
  cOff: number,
  outLen: number,
): {
  job: Pick<Job, 'dtype' | 'a' | 'aOff' | 'b' | 'bOff' | 'c' | 'cOff'>;
  cInPlace: boolean;
  /** Copies C's elements [from, to) back from the scratch range that mirrors C from element `lo`. */
  copyBack: (from: number, to: number, lo: number) => void;
} {
  const a = sharedOf(A, aOff);
  const b = sharedOf(B, bOff);
  const c = sharedOf(C, cOff);
  const View = VIEW[dtype];
  const need = (a ? 0 : aLen) + (b ? 0 : bLen) + (c ? 0 : outLen);
  const sab = need > 0 ? scratchFor(p, need * View.BYTES_PER_ELEMENT) : null;
  const scratch = sab ? new View(sab as unknown as ArrayBuffer) : null;
  let used = 0;
  const take = (x: TypedArray | null, off: number, len: number) => {
    const at = used;
    used += len;
    if (x) (scratch as TypedArray).set(x.subarray(off, off + len) as never, at);
    return { sab: sab as SharedArrayBuffer, off: at };
  };
  const aa = a ?? take(A, aOff, aLen);
  const bb = b ?? take(B, bOff, bLen);
  const cc = c ?? take(null, 0, outLen);
  return {
    job: { dtype, a: aa.sab, aOff: aa.off, b: bb.sab, bOff: bb.off, c: cc.sab, cOff: cc.off },
    cInPlace: c !== null,
    copyBack: (from, to, lo) => {
      if (!c && to > from) C.set((scratch as TypedArray).subarray(cc.off + from - lo, cc.off + to - lo) as never, cOff + from);
    },
  };
}

/** Waits until worker `w` has finished more than `done` batches; returns how many it has. */
function awaitProgress(p: Pool, w: number, done: number): number {
  const start = Date.now();
  for (;;) {
    const now = Atomics.load(p.progress, w);
    if (now > done) return now;
    if (Atomics.load(p.flags, w) === 2) throw new Error('internal: cpu matmul worker failed');
    waitWhile(p.progress, w, done, 1000);
    if (Date.now() - start > WAIT_LIMIT_MS) throw new Error('internal: cpu matmul worker did not answer');
  }
}

function awaitWorkers(p: Pool, count: number): void {
  for (let w = 0; w < count; w++) {
    const start = Date.now();
    while (Atomics.load(p.flags, w) === 0) {
      waitWhile(p.flags, w, 0, 1000);
      if (Date.now() - start > WAIT_LIMIT_MS) throw new Error('internal: cpu matmul worker did not answer');
    }
    if (Atomics.load(p.flags, w) !== 1) throw new Error('internal: cpu matmul worker failed');
  }
}
