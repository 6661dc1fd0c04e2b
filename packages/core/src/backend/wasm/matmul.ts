import { wasmFeatures } from './features.js';
import { type GemmConfig, type GemmExports, gemmModuleBytes } from './gemm.js';
import { gemmSplit, WasmThreadPool } from './threads.js';

/**
 * The float32 matmul in WebAssembly SIMD (gemm.ts), driven from JavaScript: operands are copied
 * into the module's memory, packed into panels there, multiplied by the tiled loop nest, and the
 * product copied out. One instance per configuration, its memory grown as products need.
 */

const PAGE = 65536;
/** At most 2 GiB of memory: the kernels' address arithmetic is signed i32. */
const MAX_BYTES = 2 ** 31 - PAGE;
const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Layouts as in the CPU backend's matmul: A stored [M,K] ('mk') or [K,M] ('km'); B [N,K] ('nk') or [K,N] ('kn'). */
export interface WasmMatmulLayout {
  a: 'mk' | 'km';
  b: 'nk' | 'kn';
}

/** Blocking of the loop nest: k block and rows per block of A, in elements. */
export interface GemmBlocking {
  kc: number;
  mc: number;
}

/**
 * A product (one batch) is shared between threads when it has at least this many multiply-adds:
 * waking a sleeping worker and waiting for it costs some tens of microseconds, about 0.5 M
 * multiply-adds of this kernel.
 */
export const THREAD_MIN_WORK = 1 << 20;

export class WasmGemm {
  readonly config: GemmConfig;
  readonly blocking: GemmBlocking;
  readonly memory: WebAssembly.Memory;
  readonly exports: GemmExports;
  /** Threads a large product is shared among, the calling one included (workers start on first use). */
  readonly threads: number;
  readonly #module: WebAssembly.Module;
  #pool: WasmThreadPool | null | undefined;
  #f32: Float32Array;

  /** `threads` > 1 needs `config.sharedMaxPages` (a shared memory the workers instantiate on). */
  constructor(config: GemmConfig, blocking: GemmBlocking = DEFAULT_BLOCKING, threads = 1) {
    this.config = config;
    this.blocking = blocking;
    this.threads = config.sharedMaxPages !== undefined ? Math.max(1, threads) : 1;
    const module = new WebAssembly.Module(gemmModuleBytes(config) as BufferSource);
    this.#module = module;
    this.memory =
      config.sharedMaxPages !== undefined
        ? new WebAssembly.Memory({ initial: 1, maximum: config.sharedMaxPages, shared: true })
        : new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as GemmExports;
    this.#f32 = new Float32Array(this.memory.buffer);
  }

  /** A view of the whole memory (renewed after the memory grows). */
  get f32(): Float32Array {
    if (this.#f32.buffer !== this.memory.buffer || this.#f32.byteLength !== this.memory.buffer.byteLength) this.#f32 = new Float32Array(this.memory.buffer);
    return this.#f32;
  }

  /** The worker pool, started on first use; null when this instance is single-threaded or workers are unavailable. */
  #workers(): WasmThreadPool | null {
    if (this.#pool === undefined) {
      const pool = this.threads > 1 ? WasmThreadPool.create(this.#module, this.memory, 'gemm', this.threads - 1) : null;
      // a pool whose workers do not start is dropped: products then run on this thread
      this.#pool = pool?.start() ? pool : null;
    }
    return this.#pool;
  }

  /** How many threads this instance really uses (starts the workers). */
  threadCount(): number {
    return (this.#workers()?.workers.length ?? 0) + 1;
  }

  /** Grows the memory to at least `bytes`; false when it cannot (over 2 GiB, or the memory's maximum, or out of memory). */
  reserve(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    if (bytes > MAX_BYTES) return false;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * For each n < batch: C_n[M,N] = A_n·B_n, A_n at n·M·K and B_n at n·N·K in their layouts, C_n
   * at n·M·N (dense, row-major). Requires M, N, K ≥ 1. False (and C untouched) when one product's
   * operands, panels and result do not fit in the memory: the caller then uses another kernel.
   */
  matmul(A: Float32Array, B: Float32Array, C: Float32Array, batch: number, M: number, N: number, K: number, layout: WasmMatmulLayout): boolean {
    const { mr, nr } = this.config;
    const mp = Math.ceil(M / mr);
    const np = Math.ceil(N / nr);
    const ldc = np * nr;
    // regions: A and B as given, their panels, the padded C
    const aRaw = ALIGN;
    const bRaw = aRaw + align(4 * M * K);
    const ap = bRaw + align(4 * N * K);
    const bp = ap + align(4 * mp * mr * K);
    const c = bp + align(4 * np * nr * K);
    const end = c + align(4 * mp * mr * ldc);
    if (!this.reserve(end)) return false;
    const mem = this.f32;
    const [rs, aks] = layout.a === 'mk' ? [K, 1] : [1, M];
    const [cs, bks] = layout.b === 'nk' ? [K, 1] : [1, N];
    const blocks = Math.ceil(K / this.blocking.kc);
    const kc = Math.ceil(K / blocks);
    const mc = Math.max(1, Math.floor(this.blocking.mc / mr));
    const x = this.exports;
    const pool = M * N * K >= THREAD_MIN_WORK ? this.#workers() : null;
    const split = pool ? gemmSplit(mp, np, pool.workers.length + 1) : null;
    const fixed = [ap, bp, c, K, ldc * 4, kc, mc];
    for (let n = 0; n < batch; n++) {
      mem.set(A.subarray(n * M * K, (n + 1) * M * K), aRaw / 4);
      mem.set(B.subarray(n * N * K, (n + 1) * N * K), bRaw / 4);
      x.pack_a(aRaw, rs * 4, aks * 4, M, K, ap);
      x.pack_b(bRaw, cs * 4, bks * 4, N, K, bp);
      if (pool && split) pool.run(x.gemm as (...a: number[]) => void, fixed, split);
      else x.gemm(ap, bp, c, K, ldc * 4, kc, mc, 0, mp, 0, np);
      const out = n * M * N;
      if (ldc === N) C.set(mem.subarray(c / 4, c / 4 + M * N), out);
      else for (let i = 0; i < M; i++) C.set(mem.subarray(c / 4 + i * ldc, c / 4 + i * ldc + N), out + i * N);
    }
    return true;
  }
}

export const DEFAULT_BLOCKING: GemmBlocking = { kc: 256, mc: 120 };

/** The default register tile: 6×8 (see gemm.ts). */
export function defaultGemmConfig(fma = wasmFeatures().relaxedSimd): GemmConfig {
  return { mr: 6, nr: 8, fma };
}
