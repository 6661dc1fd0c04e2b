// Stress test for the WebAssembly matmul's thread pool (not part of `npm test`: it needs minutes of
// an oversubscribed machine). Runs PROCESSES copies of a loop of threaded products at once, each
// checked bit for bit against one thread. Before the claim cell was closed between jobs (see
// packages/core/src/backend/wasm/threads.ts), 3 of 4 copies failed within 60 s on the 2-core
// machine ("11 of 10 chunks done"); after, none in 4 × 60 s, twice. Every other product goes into
// an array of a WebAssembly heap (written in place, its last row panel beside the shared chunks).
//
//   npx tsx scripts/stress-wasm-threads.ts [seconds=60] [processes=4] [threads=3]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WasmHeap } from '../packages/core/src/backend/wasm/heap.js';
import { DEFAULT_BLOCKING, WasmGemm } from '../packages/core/src/backend/wasm/matmul.js';

const [seconds = 60, processes = 4, threads = 3] = process.argv.slice(2, 5).map(Number);
const ROW_MAJOR_BT = { a: 'mk', b: 'nk' } as const;

function loop(): void {
  const gemm = (t: number) => new WasmGemm({ mr: 6, nr: 8, fma: false, ...(t > 1 ? { sharedMaxPages: 4096 } : {}) }, DEFAULT_BLOCKING, t);
  const one = gemm(1);
  const many = gemm(threads);
  const heap = new WasmHeap(new WebAssembly.Memory({ initial: 1, maximum: 4096, shared: true }), 64 << 20, 0);
  const inHeap = new WasmGemm({ mr: 6, nr: 8, fma: false, sharedMaxPages: 4096 }, DEFAULT_BLOCKING, threads, heap);
  // shapes of different chunk counts, each just over the threading threshold
  const shapes = [
    [128, 128, 64],
    [96, 200, 80],
    [300, 60, 70],
    [64, 512, 40],
    [202, 200, 80], // N a multiple of 8, M not of 6: in place but the last row panel
    [10, 1000, 120], // split by columns, in place but the last row panel
  ] as const;
  const fill = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 500 - 1);
  const cases = shapes.map(([M, N, K], s) => {
    const A = fill(M * K, s);
    const B = fill(N * K, s + 9);
    const want = new Float32Array(M * N);
    one.matmul(A, B, want, 1, M, N, K, ROW_MAJOR_BT);
    const hA = heap.take('float32', M * K, true) as Float32Array;
    const hB = heap.take('float32', N * K, true) as Float32Array;
    hA.set(A);
    hB.set(B);
    return { M, N, K, A, B, hA, hB, want };
  });
  const end = Date.now() + seconds * 1000;
  let products = 0;
  while (Date.now() < end) {
    const c = cases[products++ % cases.length] as (typeof cases)[number];
    const heapRun = products % 2 === 0;
    const got = heapRun ? (heap.take('float32', c.M * c.N, true) as Float32Array) : new Float32Array(c.M * c.N);
    if (heapRun) inHeap.matmul(c.hA, c.hB, got, 1, c.M, c.N, c.K, ROW_MAJOR_BT);
    else many.matmul(c.A, c.B, got, 1, c.M, c.N, c.K, ROW_MAJOR_BT);
    if (got.some((v, i) => !Object.is(v, c.want[i])))
      throw new Error(`product ${products} (${c.M}x${c.N}x${c.K}${heapRun ? ', in the heap' : ''}) differs from one thread`);
    if (heapRun) heap.release(got);
  }
  console.log(`${products} products, all bit-identical to one thread`);
}

if (process.env.STRESS_CHILD === '1') loop();
else {
  const runs = Array.from({ length: processes }, (_, i) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), String(seconds), '1', String(threads)], {
      env: { ...process.env, STRESS_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (out += b));
    return new Promise<boolean>((resolve) =>
      child.on('close', (code) => {
        console.log(`copy ${i + 1}: ${code === 0 ? 'ok' : `failed (exit ${code})`}\n  ${out.trim().split('\n').slice(0, 6).join('\n  ')}`);
        resolve(code === 0);
      }),
    );
  });
  Promise.all(runs).then((ok) => process.exit(ok.every(Boolean) ? 0 : 1));
}
