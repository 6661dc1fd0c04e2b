import { enableRelaxedSimdFlag, wasmFeatures } from './features.js';
import { DEFAULT_BLOCKING, defaultGemmConfig, WasmGemm, type WasmMatmulLayout } from './matmul.js';
import { wasmThreadCount } from './threads.js';

/**
 * The process-wide WebAssembly matmul the CPU backend routes large float32 products to, made on
 * first use. Environment (read once):
 * - `TENFOLD_WASM=0` turns it off (every product runs the JavaScript kernel);
 * - `TENFOLD_WASM_RELAXED_SIMD=1` turns on V8's relaxed-SIMD flag on Node 20 so the kernel can
 *   use fused multiply-add (see {@link enableRelaxedSimdFlag}); where the runtime already has
 *   relaxed SIMD (Node 22+, browsers) it is used without asking.
 */
/** Runs the product (see WasmGemm.matmul); false when it does not fit in WebAssembly memory. */
export type WasmMatmulFn = (
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  batch: number,
  M: number,
  N: number,
  K: number,
  layout: WasmMatmulLayout,
) => boolean;

function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

const MAX_PAGES = 32768;

let enabled: boolean | undefined;
let products = 0;

/** How many dot_general calls the WebAssembly matmul has run (tests check the routing with it). */
export function wasmMatmulCount(): number {
  return products;
}

let gemm: WasmGemm | null | undefined;

function make(): WasmGemm | null {
  if (env('TENFOLD_WASM_RELAXED_SIMD') === '1') enableRelaxedSimdFlag();
  if (!wasmFeatures().simd) return null;
  try {
    const threads = wasmFeatures().sharedMemory ? wasmThreadCount() : 1;
    // a shared memory for the workers, at most 2 GiB (the kernels' address arithmetic is signed i32)
    const config = { ...defaultGemmConfig(wasmFeatures().relaxedSimd), ...(threads > 1 ? { sharedMaxPages: MAX_PAGES } : {}) };
    return new WasmGemm(config, DEFAULT_BLOCKING, threads);
  } catch {
    // e.g. a page whose content security policy forbids compiling WebAssembly
    return null;
  }
}

/** The WebAssembly matmul, or null where it is off or unavailable. */
export function wasmMatmul(): WasmMatmulFn | null {
  if (enabled === undefined) enabled = env('TENFOLD_WASM') !== '0';
  if (!enabled) return null;
  if (gemm === undefined) gemm = make();
  const g = gemm;
  return g
    ? (A, B, C, batch, M, N, K, layout) => {
        const ran = g.matmul(A, B, C, batch, M, N, K, layout);
        if (ran) products++;
        return ran;
      }
    : null;
}

/** Whether WebAssembly kernels are on (TENFOLD_WASM=0 or setWasmMatmulEnabled(false) turn them off). */
export function wasmEnabled(): boolean {
  if (enabled === undefined) enabled = env('TENFOLD_WASM') !== '0';
  return enabled;
}

/**
 * Turns the WebAssembly kernels (the matmul and the elementwise kernels) on or off for this
 * process (tests and benchmarks compare them with the JavaScript ones); returns the previous setting.
 */
export function setWasmMatmulEnabled(on: boolean): boolean {
  const previous = enabled ?? env('TENFOLD_WASM') !== '0';
  enabled = on;
  return previous;
}

/** What the matmul runs with, for benchmark notes: null when it is off or unavailable. */
export function wasmMatmulInfo(): { fma: boolean; tile: string; threads: number } | null {
  if (!wasmMatmul() || !gemm) return null;
  return { fma: gemm.config.fma, tile: `${gemm.config.mr}x${gemm.config.nr}`, threads: gemm.threadCount() };
}
