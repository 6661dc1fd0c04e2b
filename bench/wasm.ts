// The WebAssembly SIMD float32 matmul (packages/core/src/backend/wasm) against the JavaScript
// kernel, at n = 256, 512, 1024 (2n³ flops per product), interleaved so the ratios are measured
// in one run:
// - np.matmul as users run it (the CPU backend routes large float32 products to wasm; its
//   default: all cores, relaxed-SIMD FMA only where the runtime already has it);
// - np.matmul on the JavaScript kernel (the wasm route switched off: the "before");
// - the wasm matmul called directly (operands copied in, packed, multiplied, copied out) with
//   mul+add or fused multiply-add, on 1 thread and on all cores; FMA rows need relaxed SIMD, which
//   this script turns on with V8's flag on Node 20 *after* the default rows are measured;
// - the loop nest alone on packed panels that stay in cache: the generated code's own ceiling.
import { setWasmMatmulEnabled, wasmMatmulInfo } from '../packages/core/src/backend/wasm/engine.js';
import { enableRelaxedSimdFlag, wasmFeatures } from '../packages/core/src/backend/wasm/features.js';
import { DEFAULT_BLOCKING, WasmGemm } from '../packages/core/src/backend/wasm/matmul.js';
import { wasmThreadCount } from '../packages/core/src/backend/wasm/threads.js';
import { np } from '../packages/core/src/index.js';
import { type BenchRow, collectGarbage, emit, fmt, log, measure, measureInterleaved, randomFloat32, throughputRow } from './util.js';

const SIZES = [256, 512, 1024] as const;
const TARGET_GFLOPS_1024 = 50;
const rows: BenchRow[] = [];
const notes: string[] = [];

const opts = (n: number) => ({ warmupRuns: 2, warmupMs: n >= 1024 ? 0 : 200, minRuns: n >= 1024 ? 5 : 9, maxRuns: 25, budgetMs: n >= 1024 ? 6000 : 2000 });

// 1. np.matmul, wasm route on (default configuration) vs off (the JavaScript kernel)
const defaultInfo = (() => {
  const a = np.ones([64, 64]);
  np.matmul(a, a).dispose();
  a.dispose();
  return wasmMatmulInfo();
})();
for (const n of SIZES) {
  const a = np.array(randomFloat32(n * n, 1), { shape: [n, n] });
  const b = np.array(randomFloat32(n * n, 2), { shape: [n, n] });
  const flops = (2 * n ** 3) / 1e9;
  const on = () => {
    setWasmMatmulEnabled(true);
    np.matmul(a, b).dispose();
  };
  const off = () => {
    setWasmMatmulEnabled(false);
    np.matmul(a, b).dispose();
  };
  const [tOn, tOff] = measureInterleaved([on, off], { ...opts(n), budgetMs: n >= 1024 ? 12000 : 4000 });
  setWasmMatmulEnabled(true);
  const rOn = throughputRow(`n=${n}: np.matmul (wasm, default)`, 'GFLOP/s', flops, tOn as never, n === 1024 ? { target: TARGET_GFLOPS_1024 } : {});
  const rOff = throughputRow(`n=${n}: np.matmul, JavaScript kernel (wasm off)`, 'GFLOP/s', flops, tOff as never);
  rOn.note = `${fmt(rOn.value / rOff.value)}× the JavaScript kernel`;
  rows.push(rOn, rOff);
  log(`n=${n}: np.matmul wasm ${fmt(rOn.value)} GFLOP/s, JS ${fmt(rOff.value)} GFLOP/s`);
  a.dispose();
  b.dispose();
  collectGarbage();
}

// 2. the wasm matmul called directly, each kernel variant and thread count
const fma = enableRelaxedSimdFlag();
const threads = wasmFeatures().sharedMemory ? wasmThreadCount() : 1;
const variants: Array<{ name: string; g: WasmGemm }> = [];
for (const useFma of fma ? [false, true] : [false]) {
  for (const t of threads > 1 ? [1, threads] : [1]) {
    const config = { mr: 6, nr: 8, fma: useFma, ...(t > 1 ? { sharedMaxPages: 32768 } : {}) };
    variants.push({ name: `${useFma ? 'relaxed madd' : 'mul+add'}, ${t} thread${t > 1 ? 's' : ''}`, g: new WasmGemm(config, DEFAULT_BLOCKING, t) });
  }
}
for (const n of SIZES) {
  const A = randomFloat32(n * n, 1);
  const B = randomFloat32(n * n, 2);
  const C = new Float32Array(n * n);
  const timings = measureInterleaved(
    variants.map(
      ({ g }) =>
        () =>
          g.matmul(A, B, C, 1, n, n, n, { a: 'mk', b: 'kn' }),
    ),
    { ...opts(n), budgetMs: (n >= 1024 ? 3000 : 1000) * variants.length },
  );
  variants.forEach(({ name }, i) => {
    const row = throughputRow(`n=${n}: wasm matmul, ${name}`, 'GFLOP/s', (2 * n ** 3) / 1e9, timings[i] as never);
    rows.push(row);
    log(`n=${n}: ${name}: ${fmt(row.value)} GFLOP/s`);
  });
  collectGarbage();
}

// 3. the generated code's own ceiling: the tiled loop nest alone on packed panels that stay in
// cache (48×64×256: 8×8 tiles), called from JavaScript 200 times per sample
for (const { name, g } of variants.filter((v) => v.g.threads === 1)) {
  const [M, N, K] = [48, 64, 256];
  const calls = 200;
  // (the panels at fixed offsets in the instance's memory: no product is running meanwhile)
  const have = g.memory.buffer.byteLength;
  if (have < 1 << 20) g.memory.grow(((1 << 20) - have) / 65536);
  const gemm = g.exports.gemm;
  const t = measure(
    () => {
      for (let i = 0; i < calls; i++) gemm(4096, 4096 + 65536, 4096 + 2 * 65536, K, N * 4, K, 8, 0, M / 6, 0, N / 8);
    },
    { warmupRuns: 3, minRuns: 9, budgetMs: 1500 },
  );
  const row = throughputRow(`loop nest alone, packed panels in cache (48×64×256), ${name}`, 'GFLOP/s', (2 * M * N * K * calls) / 1e9, t);
  rows.push(row);
  log(`in-cache ${name}: ${fmt(row.value)} GFLOP/s`);
}

const info = defaultInfo;
notes.push(
  'GFLOP/s = 2n³ / time per product (median and best of the interleaved samples). "wasm matmul" rows call the kernel on Float32Arrays directly: copying the operands into WebAssembly memory, packing, the tiled product and copying the result out are all timed.',
  `Default configuration measured here: ${info ? `${info.tile} register tile, ${info.fma ? 'relaxed-SIMD FMA' : 'f32x4.mul + f32x4.add (no relaxed SIMD here)'}, ${info.threads} thread(s)` : 'wasm matmul unavailable'}. On Node 20 tenfold turns on V8's --experimental-wasm-relaxed-simd at run time before its first WebAssembly probe (TENFOLD_WASM_RELAXED_SIMD=0 refuses; on by default from Node 22); the mul+add rows are the kernel without it.`,
  "SIMD limits from the issue (2 cores of this class): about 48 GFLOP/s with separate multiply and add, 96 with FMA (24 and 48 per core); the 'loop nest alone' rows measure the generated code's own ceiling on one core (no copies, no packing, operands in cache).",
);

emit({ group: 'wasm', title: 'WebAssembly SIMD float32 matmul (backend/wasm), n×n @ n×n', rows, notes });
