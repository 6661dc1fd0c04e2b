import type { Worker } from 'node:worker_threads';

/**
 * Worker threads for the WebAssembly matmul (Node only): each worker instantiates the same
 * compiled module on the same shared WebAssembly.Memory, then sleeps in `Atomics.wait` on its
 * control cell. A product is split into ranges of tiles: the calling thread writes each worker's
 * arguments into its cells and wakes it, computes the first range itself, then waits for the
 * others, so the backend stays synchronous. No messages are posted per product (a futex wake costs
 * microseconds, a message tens of them), and each output tile is computed by the same code on one
 * thread, so results are bit-identical whatever the thread count.
 *
 * Workers never post messages (a 'message' listener would keep the process alive) and are unref'd,
 * so an idle pool does not hold the process open. A worker reports in a shared cell when it is
 * ready; the caller waits for that (bounded) before the first product, because a worker that fails
 * to start can only say so by an event, which a caller blocked in `Atomics.wait` never receives.
 * If one does not start, the pool is given up and products run on the calling thread.
 */

const WAIT_LIMIT_MS = 120_000;
/** Worker start-up takes some tens of milliseconds; a busy machine may take much longer. */
const START_LIMIT_MS = 20_000;
/** Int32 cells per worker: one 64-byte cache line, so workers do not share lines. */
const CELLS = 16;
/**
 * Cell indices: the job's sequence number (the caller bumps it); the finished one (the worker
 * sets it; negative when the job threw); 1 once the worker is ready (-1 when it could not
 * instantiate the module); the arguments from ARGS.
 */
const SEQ = 0;
const DONE = 1;
const READY = 2;
const ARGS = 3;
export const MAX_ARGS = CELLS - ARGS;

type WorkerThreads = typeof import('node:worker_threads');

function builtin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

/** The worker's script (CommonJS: the workers get no execArgv, so `--input-type=module` is not inherited). */
function workerSource(fn: string): string {
  return `
const { workerData } = require('node:worker_threads');
const { module, memory, control, slot } = workerData;
const cells = new Int32Array(control, slot * ${CELLS * 4}, ${CELLS});
let run = null;
try {
  run = new WebAssembly.Instance(module, { env: { memory } }).exports[${JSON.stringify(fn)}];
} catch (e) {
  run = null;
}
Atomics.store(cells, ${READY}, run ? 1 : -1);
Atomics.notify(cells, ${READY});
let seen = 0;
while (run) {
  Atomics.wait(cells, ${SEQ}, seen);
  seen = Atomics.load(cells, ${SEQ});
  let status = seen;
  try {
    run(${Array.from({ length: MAX_ARGS }, (_, i) => `cells[${ARGS + i}]`).join(', ')});
  } catch (e) {
    status = -seen;
  }
  Atomics.store(cells, ${DONE}, status);
  Atomics.notify(cells, ${DONE});
}`;
}

/** `workers` threads that each run the export `fn` of `module` on `memory` when told. */
export class WasmThreadPool {
  readonly workers: readonly Worker[];
  readonly #cells: Int32Array;
  readonly #seq: number[];
  #started = false;

  private constructor(workers: Worker[], cells: Int32Array) {
    this.workers = workers;
    this.#cells = cells;
    this.#seq = workers.map(() => 0);
  }

  /** A pool of `count` workers, or null where worker threads or shared memory are unavailable. */
  static create(module: WebAssembly.Module, memory: WebAssembly.Memory, fn: string, count: number): WasmThreadPool | null {
    const wt = builtin<WorkerThreads>('node:worker_threads');
    if (!wt || count < 1 || typeof SharedArrayBuffer === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) return null;
    const control = new SharedArrayBuffer(count * CELLS * 4);
    const src = workerSource(fn);
    const workers: Worker[] = [];
    try {
      for (let slot = 0; slot < count; slot++) {
        const w = new wt.Worker(src, { eval: true, execArgv: [], workerData: { module, memory, control, slot } });
        w.unref();
        // a worker that fails is reported through its cells; this keeps its error event from being unhandled
        w.on('error', () => {});
        workers.push(w);
      }
    } catch {
      for (const w of workers) void w.terminate();
      return null;
    }
    return new WasmThreadPool(workers, new Int32Array(control));
  }

  /**
   * Waits (bounded) until every worker has instantiated the module. False when one failed or did
   * not start in time: the pool is then terminated and must not be used.
   */
  start(): boolean {
    if (this.#started) return true;
    const deadline = Date.now() + START_LIMIT_MS;
    for (let w = 0; w < this.workers.length; w++) {
      const at = w * CELLS + READY;
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
    for (const w of this.workers) void w.terminate();
  }

  /**
   * Runs `local(jobs[0])` here and the module's function on `jobs[i]` on worker i - 1, and returns
   * when all are done. At most one job more than there are workers; every job has at most MAX_ARGS
   * i32 arguments. Call {@link start} first.
   */
  run(local: (args: readonly number[]) => void, jobs: ReadonlyArray<readonly number[]>): void {
    const remote = jobs.length - 1;
    if (!this.#started) throw new Error('internal: wasm thread pool used before it started');
    if (remote > this.workers.length) throw new Error('internal: more wasm jobs than threads');
    for (let w = 0; w < remote; w++) {
      const args = jobs[w + 1] as readonly number[];
      if (args.length > MAX_ARGS) throw new Error('internal: too many arguments for a wasm worker');
      const base = w * CELLS;
      for (let i = 0; i < args.length; i++) this.#cells[base + ARGS + i] = args[i] as number;
      const seq = ((this.#seq[w] as number) % 0x3fffffff) + 1;
      this.#seq[w] = seq;
      Atomics.store(this.#cells, base + SEQ, seq);
      Atomics.notify(this.#cells, base + SEQ);
    }
    let failure: unknown;
    try {
      if (jobs[0]) local(jobs[0]);
    } catch (e) {
      failure = e;
    }
    // wait for every worker started, even when the local share failed: they write to shared memory
    for (let w = 0; w < remote; w++) this.#await(w);
    if (failure !== undefined) throw failure;
  }

  #await(w: number): void {
    const at = w * CELLS + DONE;
    const seq = this.#seq[w] as number;
    const start = Date.now();
    for (;;) {
      const done = Atomics.load(this.#cells, at);
      if (done === seq) return;
      if (done === -seq) throw new Error('internal: a wasm matmul worker failed');
      Atomics.wait(this.#cells, at, done, 1000);
      if (Date.now() - start > WAIT_LIMIT_MS) throw new Error('internal: a wasm matmul worker did not answer');
    }
  }
}

/** Threads to use, the calling one included: TENFOLD_CPU_THREADS, else the available parallelism (at most 4). */
export function wasmThreadCount(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TENFOLD_CPU_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    return Number.isInteger(n) && n >= 1 ? n : 1;
  }
  const os = builtin<typeof import('node:os')>('node:os');
  return Math.min(4, os?.availableParallelism?.() ?? 1);
}

/** [lo, hi) ranges splitting `count` items into at most `parts` near-equal non-empty ranges. */
export function splitRange(count: number, parts: number): Array<[number, number]> {
  const n = Math.max(1, Math.min(parts, count));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const lo = Math.floor((count * i) / n);
    const hi = Math.floor((count * (i + 1)) / n);
    if (hi > lo) out.push([lo, hi]);
  }
  return out;
}
