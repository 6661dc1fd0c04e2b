import { canBlock, countWorkerShares, defaultThreadCount, type ScriptWorker, spawnWorker, waitWhile } from '../cpu/workers.js';

/**
 * Worker threads for the WebAssembly matmul and large elementwise kernels (Node's worker_threads,
 * or Web Workers in a cross-origin-isolated page; see ../cpu/workers.ts): each worker instantiates
 * the matmul's compiled module on the same shared WebAssembly.Memory, then sleeps in
 * `Atomics.wait`. A product is cut into chunks (ranges of row panels or of column panels), a
 * kernel into ranges of its outermost loop; the calling thread publishes the
 * job in shared cells, wakes the workers, and every thread, the caller included, claims chunks one
 * at a time until none is left. The caller then waits only for chunks that were claimed and not
 * yet finished, never for a particular worker: on a busy machine a worker that wakes late finds
 * the work done and does nothing (measured: with a fixed half per thread, the caller spent a
 * quarter of its matmul time waiting for a descheduled worker). The backend stays synchronous; no
 * messages are posted per product (a futex wake costs microseconds, a message tens of them); each
 * output tile is computed by the same code on one thread, so results are bit-identical whatever
 * the thread count.
 *
 * A claim is a compare-and-swap on a cell holding (job number << CHUNK_BITS | next chunk), so a
 * worker still holding an old job's number can never take a chunk of a newer one. The caller closes
 * that cell (stores 0, no job's number) before it writes the next job: a worker that read the old
 * job's last claim, then was descheduled while the caller published a new job with more chunks,
 * would otherwise see the new chunk count, take a chunk of the old job with the new bounds and
 * count it done in the new job (found by a stress test: the caller then waited for "11 of 10
 * chunks" until its time limit). Workers never post
 * messages (a 'message' listener would keep the process alive) and are unref'd, so an idle pool
 * does not hold the process open. Each worker reports in a shared cell once it has instantiated the
 * module; the caller waits for that (bounded) before the first product, because a worker that fails
 * to start can only say so by an event, which a caller blocked in `Atomics.wait` never receives. If
 * one does not start, the pool is given up and products run on the calling thread. On a page's
 * main thread, which may neither block nor wait for a Web Worker to start (it may start only once
 * that thread returns to its event loop), `start` does not wait and waiting spins: workers that are
 * not running yet simply claim no chunks, and join the products that come after they start.
 */

const WAIT_LIMIT_MS = 120_000;
/** Worker start-up takes some tens of milliseconds; a busy machine may take much longer. */
const START_LIMIT_MS = 20_000;
/** Chunks per thread: enough that a late or slow thread leaves little to wait for. */
const CHUNKS_PER_THREAD = 4;
/**
 * Shared cells (Int32): WAKE (the job number, bumped to wake the workers), CLAIM (job << CHUNK_BITS
 * | next chunk), DONE (chunks finished), FAILED (a chunk threw), then the job: its KIND, the size
 * TOTAL of the dimension it splits, CHUNK (its units per chunk) and CHUNKS; for a gemm whether
 * chunks are rows (BY_ROWS), the other dimension's panel count (OTHER) and the gemm's fixed
 * arguments at ARGS; for a kernel its ID, the address AT and length LEN of its module's bytes in
 * the memory, its argument count NARGS, the arguments at ARGS and at FLOATS which of them are
 * float32 (their cells hold the bits). Each worker's ready flag sits on a cache line of its own
 * after them.
 */
const WAKE = 0;
const CLAIM = 1;
const DONE = 2;
const FAILED = 3;
const KIND = 4;
const TOTAL = 5;
const CHUNK = 6;
const CHUNKS = 7;
const BY_ROWS = 8;
const OTHER = 9;
const ID = 8;
const AT = 9;
const LEN = 10;
const NARGS = 11;
const ARGS = 16;
/** The most arguments a kernel job carries (beyond them a kernel runs on the calling thread). */
export const MAX_KERNEL_ARGS = 96;
const FLOATS = ARGS + MAX_KERNEL_ARGS;
const GEMM = 1;
const KERNEL = 2;
/** The gemm export's arguments before its four panel bounds. */
export const FIXED_ARGS = 7;
const LINE = 16;
const READY = Math.ceil((FLOATS + MAX_KERNEL_ARGS) / LINE) * LINE;
const readyCell = (slot: number) => READY + slot * LINE;
/** Low bits of the claim cell that count chunks; the rest hold the job number (1 … JOB_LIMIT). */
const CHUNK_BITS = 10;
const JOB_LIMIT = 2 ** (31 - CHUNK_BITS) - 1;

/**
 * The job's code, as source text so the workers run the very same: `claimChunks` claims chunks of
 * job `job` and runs each with `run(lo, hi)` (made by `runner` once the first claim succeeded: the
 * job's cells cannot change before that chunk is done); it returns how many this thread finished.
 * `kernelArgs` reads a kernel job's arguments.
 */
const JOB_CODE = `function claimChunks(cells, job, runner) {
  let run = null;
  let mine = 0;
  for (;;) {
    const v = Atomics.load(cells, ${CLAIM});
    if (v >>> ${CHUNK_BITS} !== job) return mine;
    const i = v & ${(1 << CHUNK_BITS) - 1};
    if (i >= cells[${CHUNKS}]) return mine;
    if (Atomics.compareExchange(cells, ${CLAIM}, v, v + 1) !== v) continue;
    const lo = i * cells[${CHUNK}];
    const hi = Math.min(lo + cells[${CHUNK}], cells[${TOTAL}]);
    try {
      if (run === null) run = runner();
      run(lo, hi);
    } catch (e) {
      Atomics.store(cells, ${FAILED}, 1);
    }
    mine++;
    if (Atomics.add(cells, ${DONE}, 1) + 1 === cells[${CHUNKS}]) Atomics.notify(cells, ${DONE});
  }
}
function kernelArgs(cells, floats) {
  const n = cells[${NARGS}];
  const args = [];
  for (let a = 0; a < n; a++) args.push(cells[${FLOATS} + a] ? floats[${ARGS} + a] : cells[${ARGS} + a]);
  return args;
}
function gemmRunner(cells, gemm) {
  const fixed = [];
  for (let a = 0; a < ${FIXED_ARGS}; a++) fixed.push(cells[${ARGS} + a]);
  const other = cells[${OTHER}];
  return cells[${BY_ROWS}] ? (lo, hi) => gemm(...fixed, lo, hi, 0, other) : (lo, hi) => gemm(...fixed, 0, other, lo, hi);
}`;

type Runner = () => (lo: number, hi: number) => void;

// compiled from the same text the workers run
const job = new Function(`${JOB_CODE}; return { claimChunks, kernelArgs, gemmRunner };`)() as {
  claimChunks: (cells: Int32Array, job: number, runner: Runner) => number;
  kernelArgs: (cells: Int32Array, floats: Float32Array) => number[];
  gemmRunner: (cells: Int32Array, gemm: (...a: number[]) => void) => (lo: number, hi: number) => void;
};

/**
 * The worker's script: `start` (see {@link spawnWorker}) instantiates the gemm module, reports,
 * then claims chunks of every job. A kernel's module is compiled from its bytes in the shared
 * memory the first time the worker meets its id (no message needed: the worker never leaves
 * Atomics.wait for its event loop).
 */
function workerSource(fn: string): string {
  return `
${JOB_CODE}
function start(init) {
  const { module, memory, control, slot } = init;
  const cells = new Int32Array(control);
  const floats = new Float32Array(control);
  const kernels = new Map();
  let gemm = null;
  try {
    gemm = new WebAssembly.Instance(module, { env: { memory } }).exports[${JSON.stringify(fn)}];
  } catch (e) {
    gemm = null;
  }
  Atomics.store(cells, ${READY} + slot * ${LINE}, gemm ? 1 : -1);
  Atomics.notify(cells, ${READY} + slot * ${LINE});
  const kernelRunner = () => {
    const id = cells[${ID}];
    let kernel = kernels.get(id);
    if (kernel === undefined) {
      const bytes = new Uint8Array(memory.buffer, cells[${AT}], cells[${LEN}]).slice();
      kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.kernel;
      kernels.set(id, kernel);
    }
    const args = kernelArgs(cells, floats);
    return (lo, hi) => kernel(...args, lo, hi);
  };
  const runner = () => (cells[${KIND}] === ${GEMM} ? gemmRunner(cells, gemm) : kernelRunner());
  let seen = 0;
  while (gemm) {
    Atomics.wait(cells, ${WAKE}, seen);
    seen = Atomics.load(cells, ${WAKE});
    claimChunks(cells, seen, runner);
  }
}`;
}

/** How a gemm is split: ranges of row panels (`byRows`) or of column panels, `chunk` panels at a time. */
export interface GemmSplit {
  byRows: boolean;
  /** Panels along the split dimension. */
  total: number;
  /** Panels along the other one. */
  other: number;
  chunk: number;
}

/** The split of an mp × np panel grid for `threads` threads: the larger dimension, about CHUNKS_PER_THREAD chunks per thread. */
export function gemmSplit(mp: number, np: number, threads: number): GemmSplit {
  const byRows = mp >= np;
  const total = byRows ? mp : np;
  return { byRows, total, other: byRows ? np : mp, chunk: Math.max(1, Math.ceil(total / (threads * CHUNKS_PER_THREAD))) };
}

/** A kernel module the workers can compile: its id and where its bytes are in the shared memory. */
export interface SharedKernel {
  readonly id: number;
  readonly at: number;
  readonly length: number;
}

/**
 * Worker threads that run, chunk by chunk beside the calling thread, the gemm export of `module`
 * or elementwise kernels' modules, on the shared `memory`.
 */
export class WasmThreadPool {
  readonly workers: readonly ScriptWorker[];
  readonly #cells: Int32Array;
  readonly #floats: Float32Array;
  #job = 0;
  #started = false;

  private constructor(workers: ScriptWorker[], cells: Int32Array) {
    this.workers = workers;
    this.#cells = cells;
    this.#floats = new Float32Array(cells.buffer);
  }

  /** A pool of `count` workers, or null where worker threads or shared memory are unavailable. */
  static create(module: WebAssembly.Module, memory: WebAssembly.Memory, fn: string, count: number): WasmThreadPool | null {
    if (count < 1 || typeof SharedArrayBuffer === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) return null;
    const control = new SharedArrayBuffer(readyCell(count) * 4);
    const src = workerSource(fn);
    const workers: ScriptWorker[] = [];
    try {
      for (let slot = 0; slot < count; slot++) {
        const w = spawnWorker(src, { module, memory, control, slot }, { ignoreErrors: true });
        if (w === null) throw new Error('no workers here');
        workers.push(w);
      }
    } catch {
      for (const w of workers) w.terminate();
      return null;
    }
    return new WasmThreadPool(workers, new Int32Array(control));
  }

  /**
   * Waits (bounded) until every worker has instantiated the module. False when one failed or did
   * not start in time: the pool is then terminated and must not be used. Where this thread may not
   * block (a page's main thread), it does not wait: false only when a worker already failed.
   */
  start(): boolean {
    if (this.#started) return true;
    if (!canBlock()) {
      for (let w = 0; w < this.workers.length; w++) {
        if (Atomics.load(this.#cells, readyCell(w)) === -1) {
          this.close();
          return false;
        }
      }
      this.#started = true;
      return true;
    }
    const deadline = Date.now() + START_LIMIT_MS;
    for (let w = 0; w < this.workers.length; w++) {
      const at = readyCell(w);
      for (;;) {
        const ready = Atomics.load(this.#cells, at);
        if (ready === 1) break;
        const left = deadline - Date.now();
        if (ready === -1 || left <= 0) {
          this.close();
          return false;
        }
        Atomics.wait(this.#cells, at, 0, Math.min(left, 100));
      }
    }
    this.#started = true;
    return true;
  }

  /** Stops the workers (asynchronously; they are unref'd, so this is only tidiness). */
  close(): void {
    for (const w of this.workers) w.terminate();
  }

  /**
   * Runs `gemm(...fixed, rows, cols)` over the chunks of `split` on this thread and the workers;
   * returns when every chunk is done. Call {@link start} first.
   */
  run(gemm: (...args: number[]) => void, fixed: readonly number[], split: GemmSplit): void {
    if (fixed.length !== FIXED_ARGS) throw new Error('internal: wasm gemm job needs its fixed arguments');
    this.#publish(GEMM, split.total, split.chunk, (cells) => {
      for (let a = 0; a < FIXED_ARGS; a++) cells[ARGS + a] = fixed[a] as number;
      cells[BY_ROWS] = split.byRows ? 1 : 0;
      cells[OTHER] = split.other;
    });
    this.#finish('matmul', () => job.gemmRunner(this.#cells, gemm));
  }

  /**
   * Runs `kernel(...args, lo, hi)` over [0, total) in chunks of `chunk` on this thread and the
   * workers (which compile `shared`'s module the first time they meet it); `floats[a]` says that
   * `args[a]` is a float32. Returns when every chunk is done. Call {@link start} first.
   */
  runKernel(
    kernel: (...args: number[]) => void,
    shared: SharedKernel,
    args: readonly number[],
    floats: readonly boolean[],
    total: number,
    chunk: number,
  ): void {
    if (args.length > MAX_KERNEL_ARGS) throw new Error('internal: too many arguments for a wasm kernel job');
    this.#publish(KERNEL, total, chunk, (cells) => {
      cells[ID] = shared.id;
      cells[AT] = shared.at;
      cells[LEN] = shared.length;
      cells[NARGS] = args.length;
      for (let a = 0; a < args.length; a++) {
        const float = floats[a] === true;
        cells[FLOATS + a] = float ? 1 : 0;
        if (float) this.#floats[ARGS + a] = args[a] as number;
        else cells[ARGS + a] = args[a] as number;
      }
    });
    this.#finish('kernel', () => (lo, hi) => kernel(...args, lo, hi));
  }

  /** Writes a job of `kind` and wakes the workers. */
  #publish(kind: number, total: number, chunk: number, write: (cells: Int32Array) => void): void {
    if (!this.#started) throw new Error('internal: wasm thread pool used before it started');
    const chunks = Math.ceil(total / chunk);
    if (chunks >= 1 << CHUNK_BITS) throw new Error('internal: too many chunks for a wasm job');
    const cells = this.#cells;
    // the previous job's chunks are all done; close its claims before its cells change (see above)
    Atomics.store(cells, CLAIM, 0);
    this.#job = (this.#job % JOB_LIMIT) + 1;
    cells[KIND] = kind;
    cells[TOTAL] = total;
    cells[CHUNK] = chunk;
    cells[CHUNKS] = chunks;
    write(cells);
    Atomics.store(cells, DONE, 0);
    Atomics.store(cells, FAILED, 0);
    Atomics.store(cells, CLAIM, this.#job << CHUNK_BITS);
    Atomics.store(cells, WAKE, this.#job);
    Atomics.notify(cells, WAKE);
  }

  /** Claims chunks of the published job here too, then waits for those the workers claimed. */
  #finish(what: string, runner: Runner): void {
    const cells = this.#cells;
    const jobNo = this.#job;
    const chunks = cells[CHUNKS] as number;
    countWorkerShares(chunks - job.claimChunks(cells, jobNo, runner));
    const start = Date.now();
    for (;;) {
      const done = Atomics.load(cells, DONE);
      if (done === chunks) break;
      // more than were published: a chunk was counted twice; fail now rather than wait in vain
      if (done > chunks) throw new Error(`internal: wasm ${what} job ${jobNo} counted ${done} of ${chunks} chunks done`);
      waitWhile(cells, DONE, done, 1000);
      if (Date.now() - start > WAIT_LIMIT_MS) {
        // (what the cells say, for whoever meets this: which chunks were claimed and finished)
        const claim = Atomics.load(cells, CLAIM);
        const ready = this.workers.map((_, w) => Atomics.load(cells, readyCell(w)));
        throw new Error(
          `internal: a wasm ${what} worker did not answer in ${WAIT_LIMIT_MS / 1000} s (job ${jobNo}: ${Atomics.load(cells, DONE)} of ${chunks} chunks done, ${claim & ((1 << CHUNK_BITS) - 1)} claimed, claim cell of job ${claim >>> CHUNK_BITS}; workers ready: ${ready.join(', ')})`,
        );
      }
    }
    if (Atomics.load(cells, FAILED) !== 0) throw new Error(`internal: a wasm ${what} chunk failed`);
  }
}

/** Threads to use, the calling one included: TENFOLD_CPU_THREADS, else the hardware threads (at most 4). */
export function wasmThreadCount(): number {
  return defaultThreadCount();
}
