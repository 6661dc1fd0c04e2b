// The CPU backend's worker helper (backend/cpu/workers.ts) and both pools run as they would on a
// browser page's main thread (no Atomics.wait: spinning, never waiting for a worker to start):
// results are bit-identical to the single-threaded kernels and workers really take shares.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmulKernel } from '../src/backend/cpu/matmul.js';
import { matmulBatched } from '../src/backend/cpu/threads.js';
import { canBlock, setBlockingForTests, spawnWorker, waitWhile } from '../src/backend/cpu/workers.js';
import { ModuleBuilder } from '../src/backend/wasm/emitter.js';
import { uniformChunks, WasmThreadPool } from '../src/backend/wasm/threads.js';
import { cpuThreadsInfo } from '../src/index.js';

process.env.TENFOLD_CPU_THREADS = '3';

describe('cpu workers', () => {
  it('a worker gets its init (shared memory shared) and later messages', () => {
    const cells = new Int32Array(new SharedArrayBuffer(8));
    const w = spawnWorker(
      `function start(init, onMessage) {
        Atomics.store(init.cells, 0, init.value);
        Atomics.notify(init.cells, 0);
        onMessage((m) => { Atomics.store(init.cells, 1, m * 2); Atomics.notify(init.cells, 1); });
      }`,
      { cells, value: 41 },
    );
    expect(w).not.toBeNull();
    w?.post(21);
    for (const i of [0, 1]) for (let t = 0; t < 100 && Atomics.load(cells, i) === 0; t++) waitWhile(cells, i, 0, 100);
    expect(Array.from(cells)).toEqual([41, 42]);
    w?.terminate();
  });

  it('Node may block; a spin-wait returns when the value changes or the time is up', () => {
    expect(canBlock()).toBe(true);
    const previous = setBlockingForTests(false);
    try {
      const cells = new Int32Array(new SharedArrayBuffer(4));
      const t0 = performance.now();
      waitWhile(cells, 0, 0, 30);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
      cells[0] = 1;
      const t1 = performance.now();
      waitWhile(cells, 0, 0, 5000);
      expect(performance.now() - t1).toBeLessThan(1000);
    } finally {
      setBlockingForTests(previous);
    }
  });

  describe('as on a page main thread (no blocking waits)', () => {
    let previous: boolean | undefined;
    beforeAll(() => {
      previous = setBlockingForTests(false);
    });
    afterAll(() => setBlockingForTests(previous));

    it('the JavaScript matmul pool: bit-identical results once its workers run, shares taken by them', () => {
      const [batch, M, N, K] = [6, 40, 48, 200];
      const A = Float64Array.from({ length: batch * M * K }, (_, i) => Math.sin(i));
      const B = Float64Array.from({ length: batch * N * K }, (_, i) => Math.cos(i));
      const expected = new Float64Array(batch * M * N);
      const kernel = matmulKernel('float64', { a: 'mk', b: 'nk' });
      for (let n = 0; n < batch; n++) kernel(A, n * M * K, K, B, n * N * K, expected, n * M * N, M, N, K);
      const before = cpuThreadsInfo().workerShares;
      // the first products may run on this thread alone (workers not running yet); later ones are shared
      let shared = false;
      for (let t = 0; t < 200 && !shared; t++) {
        const out = new Float64Array(batch * M * N);
        matmulBatched('float64', A, 0, B, 0, out, 0, batch, M, N, K);
        expect(out).toEqual(expected);
        shared = cpuThreadsInfo().workerShares > before;
        if (!shared) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
      expect(shared).toBe(true);
      expect(cpuThreadsInfo()).toMatchObject({ host: 'node', threads: 3 });
    });

    it('the WebAssembly pool starts without waiting, and late workers join', () => {
      // a stand-in for the gemm export (its arguments, then the chunk's lo..hi): adds 1 to cell lo
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      const m = new ModuleBuilder();
      m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: 1, shared: true });
      const f = m.func('gemm', Array(11).fill('i32'), []);
      const lo = f.param(7, 'i32');
      f.get(lo).i32Const(4).op('i32.mul');
      f.get(lo).i32Const(4).op('i32.mul').load('i32.load').i32Const(1).op('i32.add').store('i32.store');
      const bytes = m.toBytes();
      const module = new WebAssembly.Module(bytes as BufferSource);
      const pool = WasmThreadPool.create(module, memory, 'gemm', 2);
      expect(pool).not.toBeNull();
      expect(pool?.start()).toBe(true);
      const run = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm as (...a: number[]) => void;
      const cells = new Int32Array(memory.buffer, 0, 64);
      const before = cpuThreadsInfo().workerShares;
      let jobs = 0;
      for (let t = 0; t < 200 && cpuThreadsInfo().workerShares === before; t++) {
        pool?.run(run, [0, 0, 0, 0, 0, 0, 0], uniformChunks(64, 1));
        jobs++;
        expect(cells.every((c) => c === jobs)).toBe(true);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
      expect(cpuThreadsInfo().workerShares).toBeGreaterThan(before);
      pool?.close();
    });
  });
});
