import { setWasmMatmulEnabled, wasmEnabled } from './enabled.js';
import { wasmFeatures } from './features.js';
import { HEAP_MAX_PAGES, wasmHeap } from './heap.js';
import { DEFAULT_BLOCKING, defaultGemmConfig, WasmGemm, type WasmMatmulLayout } from './matmul.js';
import { type WasmThreadPool, wasmThreadCount } from './threads.js';

/**
 * The process-wide WebAssembly matmul the CPU backend routes large float32 products to, made on
 * first use. Environment (read once):
 * - `TENFOLD_WASM=0` turns it off (every product runs the JavaScript kernel);
 * - relaxed SIMD's fused multiply-add is used where the runtime has it (on Node 20 tenfold turns
 *   on V8's flag for it: see features.ts; `TENFOLD_WASM_RELAXED_SIMD=0` refuses).
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

let products = 0;

/** How many dot_general calls the WebAssembly matmul has run (tests check the routing with it). */
export function wasmMatmulCount(): number {
  return products;
}

let gemm: WasmGemm | null | undefined;

function make(): WasmGemm | null {
  if (!wasmFeatures().simd) return null;
  try {
    // on the process heap (shared: the workers run on it too) where there is one
    const heap = wasmHeap();
    const threads = heap !== null ? wasmThreadCount() : 1;
    const config = { ...defaultGemmConfig(wasmFeatures().relaxedSimd), ...(heap !== null ? { sharedMaxPages: HEAP_MAX_PAGES } : {}) };
    return new WasmGemm(config, DEFAULT_BLOCKING, threads, heap ?? undefined);
  } catch {
    // e.g. a page whose content security policy forbids compiling WebAssembly
    return null;
  }
}

/** The WebAssembly matmul, or null where it is off or unavailable. */
export function wasmMatmul(): WasmMatmulFn | null {
  if (!wasmEnabled()) return null;
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

/** The process heap's worker pool (the matmul's, started on first use), or null where there is none. */
export function wasmThreadPool(): WasmThreadPool | null {
  if (!wasmMatmul() || !gemm) return null;
  return gemm.pool();
}

/** What the matmul runs with, for benchmark notes: null when it is off or unavailable. */
export function wasmMatmulInfo(): { fma: boolean; tile: string; threads: number } | null {
  if (!wasmMatmul() || !gemm) return null;
  return { fma: gemm.config.fma, tile: `${gemm.config.mr}x${gemm.config.nr}`, threads: gemm.threadCount() };
}

// (kept importable from here, where it always was)
export { setWasmMatmulEnabled, wasmEnabled };
