import { canBlock, countWorkerShares, defaultThreadCount, type ScriptWorker, spawnWorker, waitWhile } from '../cpu/workers.js';

/**
 * Worker threads for the WebAssembly matmul and large elementwise kernels (Node's worker_threads,
 * or Web Workers in a cross-origin-isolated page; see ../cpu/workers.ts): each worker instantiates
 * the matmul's compiled module on the same shared WebAssembly.Memory, then sleeps in
 * `Atomics.wait`. A product is cut into chunks (ranges of row panels or of column panels, long ones
 * first: see guidedChunks), a kernel into ranges of its outermost loop; the calling thread
 * publishes the job in shared cells, wakes the workers, and every thread, the caller included,
 * claims chunks one at a time until none is left. The caller then waits only for chunks that were claimed and not
 * yet finished, never for a particular worker: on a busy machine a worker that wakes late finds
 * the work done and does nothing (measured: with a fixed half per thread, the caller spent a
 * quarter of its matmul time waiting for a descheduled worker). The backend stays synchronous; no
 * messages are posted per product (a message costs more than a futex wake; see WORKER_SPIN_MS); each
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
/**
 * Waking a sleeping worker can be slow. Measured on this project's 2-vCPU virtual machine, an
 * Atomics.notify that woke a worker took 20-40 µs of the caller's time when the host was quiet and
 * 130-570 µs when it was busy (the wake interrupts the other vCPU through the hypervisor), while a
 * train step publishes a job every few hundred microseconds. A worker that keeps watching for the
 * next job after its last (as XNNPACK's pthreadpool spins before it sleeps) needs no wake, but
 * where wakes are cheap the watching costs more than it saves (the MNIST step took about 5 % longer
 * with 3 ms of watching on the quiet host). So the caller times the notifies that woke someone
 * and the workers watch for WORKER_SPIN_MS only while those take more than SLOW_WAKE_MS on
 * average. The caller, its own chunks done, watches CALLER_SPIN_MS for the workers' last (short)
 * chunks before it sleeps.
 */
const WORKER_SPIN_MS = 3;
const SLOW_WAKE_MS = 0.1;
const CALLER_SPIN_MS = 0.5;
/**
 * Shared cells (Int32): WAKE (the job number, bumped to wake the workers), CLAIM (job << CHUNK_BITS
 * | next chunk), DONE (chunks finished), FAILED (a chunk threw), then the job: its KIND, CHUNKS and
 * where each chunk starts (STARTS: CHUNKS + 1 bounds, the last the end), its argument count NARGS,
 * the arguments at ARGS and at FLOATS which of them are float32 (their cells hold the bits); for a
 * kernel also its ID and the address AT and length LEN of its module's bytes in the memory; and
 * SPIN_US, how long workers watch for the next job. Each worker's ready flag sits on a cache line
 * of its own after them.
 */
const WAKE = 0;
const CLAIM = 1;
const DONE = 2;
const FAILED = 3;
const KIND = 4;
const CHUNKS = 5;
/** How long (µs) workers watch for the next job before they sleep (see WORKER_SPIN_MS). */
const SPIN_US = 6;
const ID = 8;
const AT = 9;
const LEN = 10;
const NARGS = 11;
const ARGS = 16;
/** The most arguments a job carries (beyond them a kernel runs on the calling thread). */
export const MAX_JOB_ARGS = 96;
const FLOATS = ARGS + MAX_JOB_ARGS;
/** The most chunks a job has. */
export const MAX_CHUNKS = 256;
const STARTS = FLOATS + MAX_JOB_ARGS;
const GEMM = 1;
const KERNEL = 2;
const LINE = 16;
const READY = Math.ceil((STARTS + MAX_CHUNKS + 1) / LINE) * LINE;
const readyCell = (slot: number) => READY + slot * LINE;
/** Low bits of the claim cell that count chunks; the rest hold the job number (1 … JOB_LIMIT). */
const CHUNK_BITS = 10;
const JOB_LIMIT = 2 ** (31 - CHUNK_BITS) - 1;

/**
 * The job's code, as source text so the workers run the very same: `claimChunks` claims chunks of
 * job `job` and runs each with `run(lo, hi)` (made by `runner` once the first claim succeeded: the
 * job's cells cannot change before that chunk is done); it returns how many this thread finished.
 * `jobArgs` reads a job's arguments.
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
    const lo = cells[${STARTS} + i];
    const hi = cells[${STARTS} + i + 1];
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
function jobArgs(cells, floats) {
  const n = cells[${NARGS}];
  const args = [];
  for (let a = 0; a < n; a++) args.push(cells[${FLOATS} + a] ? floats[${ARGS} + a] : cells[${ARGS} + a]);
  return args;
}`;

type Runner = () => (lo: number, hi: number) => void;

// compiled from the same text the workers run
const job = new Function(`${JOB_CODE}; return { claimChunks };`)() as {
  claimChunks: (cells: Int32Array, job: number, runner: Runner) => number;
};

/**
 * The worker's script: `start` (see {@link spawnWorker}) instantiates the gemm module, reports,
 * then claims chunks of every job: a gemm job calls the module's export `fn`. A kernel's module is
 * compiled from its bytes in the shared memory the first time the worker meets its id (no message
 * needed: the worker never leaves Atomics.wait for its event loop).
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
  const kernelOf = (id) => {
    let kernel = kernels.get(id);
    if (kernel === undefined) {
      const bytes = new Uint8Array(memory.buffer, cells[${AT}], cells[${LEN}]).slice();
      kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.kernel;
      kernels.set(id, kernel);
    }
    return kernel;
  };
  const runner = () => {
    const fn = cells[${KIND}] === ${GEMM} ? gemm : kernelOf(cells[${ID}]);
    const args = jobArgs(cells, floats);
    return (lo, hi) => fn(...args, lo, hi);
  };
  let seen = 0;
  while (gemm) {
    // watch for the next job before sleeping while the caller finds wakes slow (see WORKER_SPIN_MS)
    const spin = cells[${SPIN_US}];
    if (spin > 0) {
      const until = performance.now() + spin / 1000;
      while (Atomics.load(cells, ${WAKE}) === seen && performance.now() < until) {}
    }
    Atomics.wait(cells, ${WAKE}, seen);
    seen = Atomics.load(cells, ${WAKE});
    claimChunks(cells, seen, runner);
  }
}`;
}

/**
 * Bounds of chunks of [0, total) for `threads` threads claiming them in order: each chunk a
 * 2·threads-th of what is left (at least `min`, a multiple of `min` except the last), so the first
 * chunks are long (few claims, panels reused) and the last ones short: the thread that finds no
 * chunk left waits for at most a short one. At most MAX_CHUNKS chunks.
 */
export function guidedChunks(total: number, threads: number, min: number): number[] {
  const floor = Math.max(min, Math.ceil(total / MAX_CHUNKS));
  const step = Math.ceil(floor / min) * min;
  const starts = [0];
  let at = 0;
  while (at < total) {
    const share = Math.ceil((total - at) / (2 * threads));
    at = Math.min(total, at + Math.max(step, Math.ceil(share / min) * min));
    starts.push(at);
  }
  return starts;
}

/** Bounds of chunks of [0, total), `chunk` units each (the last may be shorter). */
export function uniformChunks(total: number, chunk: number): number[] {
  const starts = [];
  for (let at = 0; at < total; at += chunk) starts.push(at);
  starts.push(total);
  return starts;
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
  /** The running mean (ms) of what an Atomics.notify that woke a worker cost this thread. */
  #wakeCost = 0;

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
   * Runs `gemm(...args, lo, hi)` (this thread's instance of the export the workers call) over the
   * chunks [starts[c], starts[c + 1]) on this thread and the workers; returns when every chunk is
   * done. `alongside`, if given, runs on this thread once the workers are woken, before it claims
   * chunks. Call {@link start} first.
   */
  run(gemm: (...args: number[]) => void, args: readonly number[], starts: readonly number[], alongside?: () => void): void {
    if (args.length > MAX_JOB_ARGS) throw new Error('internal: too many arguments for a wasm gemm job');
    this.#publish(GEMM, starts, (cells) => {
      cells[NARGS] = args.length;
      for (let a = 0; a < args.length; a++) {
        cells[FLOATS + a] = 0;
        cells[ARGS + a] = args[a] as number;
      }
    });
    try {
      alongside?.();
    } finally {
      // (the published chunks are waited for even if `alongside` threw: they write the caller's blocks)
      this.#finish('matmul', () => (lo, hi) => gemm(...args, lo, hi));
    }
  }

  /**
   * Runs `kernel(...args, lo, hi)` over the chunks [starts[c], starts[c + 1]) on this thread and the
   * workers (which compile `shared`'s module the first time they meet it); `floats[a]` says that
   * `args[a]` is a float32. Returns when every chunk is done. Call {@link start} first.
   */
  runKernel(kernel: (...args: number[]) => void, shared: SharedKernel, args: readonly number[], floats: readonly boolean[], starts: readonly number[]): void {
    if (args.length > MAX_JOB_ARGS) throw new Error('internal: too many arguments for a wasm kernel job');
    this.#publish(KERNEL, starts, (cells) => {
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

  /** Writes a job of `kind` with chunks between `starts` and wakes the workers. */
  #publish(kind: number, starts: readonly number[], write: (cells: Int32Array) => void): void {
    if (!this.#started) throw new Error('internal: wasm thread pool used before it started');
    const chunks = starts.length - 1;
    if (chunks < 1 || chunks > MAX_CHUNKS) throw new Error(`internal: a wasm job needs 1 to ${MAX_CHUNKS} chunks, got ${chunks}`);
    const cells = this.#cells;
    // the previous job's chunks are all done; close its claims before its cells change (see above)
    Atomics.store(cells, CLAIM, 0);
    this.#job = (this.#job % JOB_LIMIT) + 1;
    cells[KIND] = kind;
    cells[CHUNKS] = chunks;
    for (let c = 0; c <= chunks; c++) cells[STARTS + c] = starts[c] as number;
    write(cells);
    Atomics.store(cells, DONE, 0);
    Atomics.store(cells, FAILED, 0);
    Atomics.store(cells, CLAIM, this.#job << CHUNK_BITS);
    Atomics.store(cells, WAKE, this.#job);
    const t0 = performance.now();
    if (Atomics.notify(cells, WAKE) > 0) {
      this.#wakeCost += 0.1 * (performance.now() - t0 - this.#wakeCost);
      Atomics.store(cells, SPIN_US, this.#wakeCost > SLOW_WAKE_MS ? WORKER_SPIN_MS * 1000 : 0);
    }
  }

  /** Claims chunks of the published job here too, then waits for those the workers claimed. */
  #finish(what: string, runner: Runner): void {
    const cells = this.#cells;
    const jobNo = this.#job;
    const chunks = cells[CHUNKS] as number;
    countWorkerShares(chunks - job.claimChunks(cells, jobNo, runner));
    // the workers' last chunks are short (guided chunks): watch for them before sleeping
    const until = performance.now() + CALLER_SPIN_MS;
    while (Atomics.load(cells, DONE) < chunks && performance.now() < until) {
      // spin
    }
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
