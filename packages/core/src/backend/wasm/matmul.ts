import { wasmFeatures } from './features.js';
import { type GemmConfig, type GemmExports, gemmModuleBytes } from './gemm.js';
import { WasmHeap } from './heap.js';
import { guidedChunks, WasmThreadPool } from './threads.js';

/**
 * The float32 matmul in WebAssembly SIMD (gemm.ts), driven from JavaScript: operands are packed
 * into panels (each thread packing the panels of its own chunks), multiplied by the tiled loop
 * nest, and the product written where it goes when that is a heap array whose rows are whole tiles
 * wide, else copied out. It runs on the process's WebAssembly heap (heap.ts), so operands that are
 * heap arrays are packed from where they are; others are first copied into scratch blocks. Without
 * a shared heap it keeps a memory of its own (and one thread).
 */
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
  /** Where operands, panels and products go: the process heap, or one over a memory of our own. */
  readonly #heap: WasmHeap;
  #pool: WasmThreadPool | null | undefined;

  /**
   * On `heap` (whose memory must be shared with `config.sharedMaxPages` pages at most, as the
   * module imports it) or, without one, on a private memory; `threads` > 1 needs a shared memory.
   */
  constructor(config: GemmConfig, blocking: GemmBlocking = DEFAULT_BLOCKING, threads = 1, heap?: WasmHeap) {
    this.config = config;
    this.blocking = blocking;
    this.threads = config.sharedMaxPages !== undefined ? Math.max(1, threads) : 1;
    const module = new WebAssembly.Module(gemmModuleBytes(config) as BufferSource);
    this.#module = module;
    this.memory =
      heap?.memory ??
      (config.sharedMaxPages !== undefined
        ? new WebAssembly.Memory({ initial: 1, maximum: config.sharedMaxPages, shared: true })
        : new WebAssembly.Memory({ initial: 1, maximum: MAX_PRIVATE_PAGES }));
    this.#heap = heap ?? new WasmHeap(this.memory, 0);
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as GemmExports;
  }

  /** The worker pool, started on first use; null when this instance is single-threaded or workers are unavailable. */
  #workers(): WasmThreadPool | null {
    if (this.#pool === undefined) {
      const pool = this.threads > 1 ? WasmThreadPool.create(this.#module, this.memory, 'gemm_chunk', this.threads - 1) : null;
      // a pool whose workers do not start is dropped: products then run on this thread
      this.#pool = pool?.start() ? pool : null;
    }
    return this.#pool;
  }

  /** The started worker pool (shared with elementwise kernels), or null when this instance is single-threaded. */
  pool(): WasmThreadPool | null {
    return this.#workers();
  }

  /** How many threads this instance really uses (starts the workers). */
  threadCount(): number {
    return (this.#workers()?.workers.length ?? 0) + 1;
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
    const heap = this.#heap;
    // C in the heap with rows of whole tiles (N a multiple of NR) is written where it is: only its
    // last, partial row panel goes through a scratch panel (the kernel stores whole tiles)
    const inPlace = ldc === N && heap.owns(C);
    const pDirect = inPlace ? Math.floor(M / mr) : 0;
    const blocks: number[] = [];
    const take = (bytes: number): number | null => {
      const at = heap.takeBlock(bytes);
      if (at !== null) blocks.push(at);
      return at;
    };
    try {
      // operands in the heap are read where they are; others are copied in, one batch at a time
      const aIn = heap.owns(A) ? -1 : take(4 * M * K);
      const bIn = heap.owns(B) ? -1 : take(4 * N * K);
      const ap = take(4 * mp * mr * K);
      const bp = take(4 * np * nr * K);
      const c = pDirect < mp ? take(4 * (mp - pDirect) * mr * ldc) : -1;
      if (aIn === null || bIn === null || ap === null || bp === null || c === null) return false;
      // (views made after every block is taken: growing an unshared memory detaches older ones)
      const mem = new Float32Array(this.memory.buffer);
      const [rs, aks] = layout.a === 'mk' ? [K, 1] : [1, M];
      const [cs, bks] = layout.b === 'nk' ? [K, 1] : [1, N];
      const blocksK = Math.ceil(K / this.blocking.kc);
      const kc = Math.ceil(K / blocksK);
      const mc = Math.max(1, Math.floor(this.blocking.mc / mr));
      const x = this.exports;
      // the row panels computed in C (in place) or in scratch, all of them; the rest in scratch
      const pMain = inPlace ? pDirect : mp;
      // chunks of row panels or of column panels (the larger count); each chunk packs its own
      // panels of the operand split (in parallel), the other operand is packed first
      const byRows = pMain === 0 || pMain >= np;
      const pool = M * N * K >= THREAD_MIN_WORK && pMain > 0 ? this.#workers() : null;
      // scratch rows start at panel pDirect: its address as if panel 0 were there (i32 arithmetic wraps)
      const cScratch = c >= 0 ? (c - pDirect * mr * ldc * 4) | 0 : 0;
      const fixed = (cAt: number) => [ap, bp, cAt, K, ldc * 4, kc, mc];
      for (let n = 0; n < batch; n++) {
        let aRaw = A.byteOffset + 4 * n * M * K;
        if (aIn >= 0) {
          mem.set(A.subarray(n * M * K, (n + 1) * M * K), aIn / 4);
          aRaw = aIn;
        }
        let bRaw = B.byteOffset + 4 * n * N * K;
        if (bIn >= 0) {
          mem.set(B.subarray(n * N * K, (n + 1) * N * K), bIn / 4);
          bRaw = bIn;
        }
        if (byRows) x.pack_b(bRaw, cs * 4, bks * 4, N, K, bp);
        else x.pack_a(aRaw, rs * 4, aks * 4, M, K, ap);
        const split = byRows ? [aRaw, rs * 4, aks * 4, M, 1, np] : [bRaw, cs * 4, bks * 4, N, 0, pMain];
        const cOut = C.byteOffset + 4 * n * M * N;
        const cMain = inPlace ? cOut : cScratch;
        // by rows, the scratch panel packs its A rows and runs beside the shared chunks; by
        // columns it needs every B panel, so it runs after them
        const scratchRows = () => {
          if (c < 0 || !inPlace) return;
          if (byRows) x.gemm_chunk(...fixed(cScratch), ...split, pDirect, mp);
          else x.gemm(ap, bp, cScratch, K, ldc * 4, kc, mc, pDirect, mp, 0, np);
        };
        const total = byRows ? pMain : np;
        if (pool && total > 0) {
          pool.run(x.gemm_chunk, [...fixed(cMain), ...split], guidedChunks(total, pool.workers.length + 1, 1), byRows ? scratchRows : undefined);
          if (!byRows) scratchRows();
        } else {
          if (total > 0) x.gemm_chunk(...fixed(cMain), ...split, 0, total);
          scratchRows();
        }
        // the rows computed in scratch, out to C
        const r0 = pDirect * mr;
        if (heap.owns(C)) x.copy_rows(cOut + r0 * N * 4, N * 4, c, ldc * 4, N * 4, M - r0);
        else for (let i = 0; i < M; i++) C.set(mem.subarray(c / 4 + i * ldc, c / 4 + i * ldc + N), n * M * N + i * N);
      }
      return true;
    } finally {
      for (const at of blocks) heap.releaseAt(at);
    }
  }
}

/** A private memory stays under 2 GiB: the kernels' address arithmetic is signed i32. */
const MAX_PRIVATE_PAGES = 2 ** 15 - 1;

export const DEFAULT_BLOCKING: GemmBlocking = { kc: 256, mc: 120 };

/** The default register tile: 6×8 (see gemm.ts). */
export function defaultGemmConfig(fma = wasmFeatures().relaxedSimd): GemmConfig {
  return { mr: 6, nr: 8, fma };
}
