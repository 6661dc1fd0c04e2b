/**
 * Worker threads for the CPU backend's matmuls, in Node (worker_threads) and in browsers (Web
 * Workers, only where cross-origin isolation gives shared memory): starting one from a script, and
 * waiting on a shared cell. A browser page's main thread may not block in `Atomics.wait`, so there
 * waiting spins on `Atomics.load` instead; and a Web Worker may not start until that thread returns
 * to its event loop, so callers there must never wait for a worker to start (see the pools).
 */

/** What the CPU backend's workers did in this thread (pages and tests check that threads really ran). */
export interface CpuThreadsInfo {
  /** Where workers run: 'node', 'web' (Web Workers, a cross-origin-isolated page) or null (single-threaded). */
  readonly host: WorkerHost;
  /** Threads a large product is shared among, the calling one included (1 where host is null). */
  readonly threads: number;
  /** Workers started so far (pools start on the first large product). */
  readonly started: number;
  /** Shares of products (chunks or row ranges) that workers computed. */
  readonly workerShares: number;
}

const counts = { started: 0, workerShares: 0 };

/** Counts shares of a product that workers computed (called by the pools). */
export function countWorkerShares(n: number): void {
  counts.workerShares += n;
}

/** What the CPU backend's worker threads are and have done. */
export function cpuThreadsInfo(): CpuThreadsInfo {
  const host = workerHost();
  return { host, threads: host === null ? 1 : defaultThreadCount(), started: counts.started, workerShares: counts.workerShares };
}

/** A started worker. */
export interface ScriptWorker {
  post(message: unknown): void;
  terminate(): void;
}

/** Where workers with shared memory can run: Node, a cross-origin-isolated page (or worker), or nowhere. */
export type WorkerHost = 'node' | 'web' | null;

type WorkerThreads = typeof import('node:worker_threads');

function builtin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

interface WebGlobals {
  Worker?: new (url: string) => { postMessage(m: unknown): void; terminate(): void };
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}
const web = globalThis as WebGlobals;

/** Where this runtime can start workers that share memory with it. */
export function workerHost(): WorkerHost {
  if (typeof SharedArrayBuffer === 'undefined') return null;
  if (builtin<WorkerThreads>('node:worker_threads')) return 'node';
  // without cross-origin isolation a page has no SharedArrayBuffer; checked again for clarity
  if (typeof web.Worker === 'function' && web.crossOriginIsolated === true && typeof Blob === 'function' && typeof URL.createObjectURL === 'function')
    return 'web';
  return null;
}

/** Whether this is one of Node's worker threads (pools are started from the main thread only). */
export function inNodeWorker(): boolean {
  const wt = builtin<WorkerThreads>('node:worker_threads');
  return wt !== undefined && !wt.isMainThread;
}

/** TENFOLD_CPU_THREADS (Node), else the hardware threads (Node's availableParallelism, a browser's hardwareConcurrency), at most 4. */
export function defaultThreadCount(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TENFOLD_CPU_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    return Number.isInteger(n) && n >= 1 ? n : 1;
  }
  const os = builtin<typeof import('node:os')>('node:os');
  const hw = os?.availableParallelism?.() ?? web.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(4, hw));
}

let blocking: boolean | undefined;

/** Whether this thread may block in `Atomics.wait` (not a browser page's main thread). */
export function canBlock(): boolean {
  if (blocking === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}

/** @internal Tests: behave as a page's main thread (spin, never wait for a worker to start); returns the previous setting. */
export function setBlockingForTests(on: boolean | undefined): boolean | undefined {
  const previous = blocking;
  blocking = on;
  return previous;
}

/** Waits (at most `ms`) while `cells[index]` holds `value`: `Atomics.wait` where allowed, else a spin. */
export function waitWhile(cells: Int32Array, index: number, value: number, ms: number): void {
  if (canBlock()) {
    Atomics.wait(cells, index, value, ms);
    return;
  }
  const end = performance.now() + ms;
  while (Atomics.load(cells, index) === value && performance.now() < end) {
    // spin: the workers run on other cores
  }
}

const blobUrls = new Map<string, string>();

/**
 * Starts a worker running `body`, a script (no imports, no `require`) that defines
 * `function start(init, onMessage)`: it is called once with `init` (structured-cloned: shared
 * buffers, WebAssembly modules and memories are shared) and `onMessage(f)` registers the handler
 * of the messages {@link ScriptWorker.post} sends afterwards. Node workers are unref'd (an idle
 * pool does not hold the process open). Null where no worker can be started.
 */
export function spawnWorker(body: string, init: unknown, opts: { ignoreErrors?: boolean } = {}): ScriptWorker | null {
  const host = workerHost();
  if (host === 'node') {
    const wt = builtin<WorkerThreads>('node:worker_threads') as WorkerThreads;
    const src = `const { parentPort, workerData } = require('node:worker_threads');\n${body}\nstart(workerData, (f) => parentPort.on('message', f));`;
    // no execArgv: a parent run with --input-type=module would make this CommonJS script fail
    const w = new wt.Worker(src, { eval: true, execArgv: [], workerData: init });
    w.unref();
    // a worker that fails reports it through shared cells; this keeps its error event from being unhandled
    if (opts.ignoreErrors === true) w.on('error', () => {});
    counts.started++;
    return { post: (m) => w.postMessage(m), terminate: () => void w.terminate() };
  }
  if (host === 'web') {
    const src = `${body}\nself.onmessage = (e) => { self.onmessage = null; start(e.data, (f) => { self.onmessage = (m) => f(m.data); }); };`;
    let url = blobUrls.get(src);
    if (url === undefined) {
      url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
      blobUrls.set(src, url);
    }
    const W = web.Worker as NonNullable<WebGlobals['Worker']>;
    const w = new W(url);
    w.postMessage(init);
    counts.started++;
    return { post: (m) => w.postMessage(m), terminate: () => w.terminate() };
  }
  return null;
}
