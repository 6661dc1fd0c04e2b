// The WebAssembly SIMD float32 matmul (backend/wasm): against a float64-accumulated reference (the
// JavaScript kernel's semantics) within float32 rounding scaled by the contraction length, for
// random shapes that are and are not multiples of the 6×8 tile, every operand layout, batches,
// several k blocks, with and without fused multiply-add; NaN and ±Inf reach the same outputs as in
// the JavaScript kernel; threaded products are bit-identical to one thread; and the CPU backend's
// dot_general routes large float32 products here and everything else to JavaScript.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { matmulKernel } from '../src/backend/cpu/matmul.js';
import { WASM_MIN_WORK } from '../src/backend/wasm/dot.js';
import { ModuleBuilder } from '../src/backend/wasm/emitter.js';
import { setWasmMatmulEnabled, wasmMatmulCount } from '../src/backend/wasm/engine.js';
import { enableRelaxedSimdFlag, wasmFeatures } from '../src/backend/wasm/features.js';
import type { GemmConfig } from '../src/backend/wasm/gemm.js';
import { WasmHeap } from '../src/backend/wasm/heap.js';
import { DEFAULT_BLOCKING, type GemmBlocking, THREAD_MIN_WORK, WasmGemm, type WasmMatmulLayout } from '../src/backend/wasm/matmul.js';
import { guidedChunks, MAX_CHUNKS, WasmThreadPool } from '../src/backend/wasm/threads.js';
import { lax, np, random } from '../src/index.js';

// relaxed SIMD is on by default from Node 22; on Node 20 the opt-in turns V8's flag on, so both
// kernels are tested here
const FMA = enableRelaxedSimdFlag();

const LAYOUTS: readonly WasmMatmulLayout[] = [
  { a: 'mk', b: 'nk' },
  { a: 'km', b: 'nk' },
  { a: 'mk', b: 'kn' },
  { a: 'km', b: 'kn' },
];

function fill(a: Float32Array, seed: number): Float32Array {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return a;
}

const aAt = (A: Float32Array, l: WasmMatmulLayout, n: number, i: number, k: number, M: number, K: number) =>
  A[n * M * K + (l.a === 'mk' ? i * K + k : k * M + i)] as number;
const bAt = (B: Float32Array, l: WasmMatmulLayout, n: number, k: number, j: number, N: number, K: number) =>
  B[n * N * K + (l.b === 'nk' ? j * K + k : k * N + j)] as number;

/**
 * Elements outside |got - ref| ≤ (K + 2)·2⁻²⁴·Σₖ|aᵢₖ·bₖⱼ|: float32 summation of K products (each
 * rounded, or fused) against the float64 sum rounded once. NaN must meet NaN, ±Inf the same Inf.
 */
function badElements(got: Float32Array, A: Float32Array, B: Float32Array, batch: number, M: number, N: number, K: number, l: WasmMatmulLayout): string[] {
  const bad: string[] = [];
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let ref = 0;
        let mag = 0;
        for (let k = 0; k < K; k++) {
          const p = aAt(A, l, n, i, k, M, K) * bAt(B, l, n, k, j, N, K);
          ref += p;
          mag += Math.abs(p);
        }
        const want = Math.fround(ref);
        const g = got[(n * M + i) * N + j] as number;
        const ok = Number.isNaN(want) ? Number.isNaN(g) : !Number.isFinite(want) ? g === want : Math.abs(g - want) <= (K + 2) * 2 ** -24 * mag * 1.0001;
        if (!ok && bad.length < 5) bad.push(`[${n},${i},${j}]: ${g} vs ${want}`);
      }
    }
  }
  return bad;
}

const gemms = new Map<string, WasmGemm>();
function gemmFor(fma: boolean, blocking: GemmBlocking, threads = 1): WasmGemm {
  const key = `${fma}:${blocking.kc}:${blocking.mc}:${threads}`;
  let g = gemms.get(key);
  if (!g) {
    const config: GemmConfig = { mr: 6, nr: 8, fma, ...(threads > 1 ? { sharedMaxPages: 4096 } : {}) };
    g = new WasmGemm(config, blocking, threads);
    gemms.set(key, g);
  }
  return g;
}

const CONFIGS: Array<{ name: string; fma: boolean; blocking: GemmBlocking }> = [
  { name: 'mul+add', fma: false, blocking: DEFAULT_BLOCKING },
  // small blocks: several k blocks and row blocks even for small shapes
  { name: 'mul+add, kc 7, mc 12', fma: false, blocking: { kc: 7, mc: 12 } },
  ...(FMA ? [{ name: 'relaxed madd', fma: true, blocking: DEFAULT_BLOCKING }] : []),
];

describe('wasm matmul (float32, WebAssembly SIMD)', () => {
  it('the relaxed-SIMD opt-in reports what the probe finds (true on Node 20 with the flag, and on Node 22+)', () => {
    expect(FMA).toBe(wasmFeatures().relaxedSimd);
    expect(wasmFeatures().simd).toBe(true);
  });

  for (const { name, fma, blocking } of CONFIGS) {
    it(`${name}: random shapes, layouts and batches agree with the float64-accumulated product`, () => {
      const g = gemmFor(fma, blocking);
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 0, max: 3 }),
          fc.integer(),
          (batch, M, N, K, li, seed) => {
            const l = LAYOUTS[li] as WasmMatmulLayout;
            const A = fill(new Float32Array(batch * M * K), seed);
            const B = fill(new Float32Array(batch * N * K), seed + 1);
            const C = new Float32Array(batch * M * N).fill(Number.NaN);
            g.matmul(A, B, C, batch, M, N, K, l);
            expect(badElements(C, A, B, batch, M, N, K, l)).toEqual([]);
          },
        ),
        { seed: 7, numRuns: 80 },
      );
    });
  }

  it('long contractions (several k blocks of the default blocking) and tiles at every edge', () => {
    for (const [M, N, K] of [
      [37, 45, 600],
      [6, 8, 513],
      [1, 1, 1000],
      [61, 3, 257],
    ] as const) {
      for (const l of LAYOUTS) {
        const A = fill(new Float32Array(M * K), M);
        const B = fill(new Float32Array(N * K), N);
        const C = new Float32Array(M * N);
        gemmFor(false, DEFAULT_BLOCKING).matmul(A, B, C, 1, M, N, K, l);
        expect(badElements(C, A, B, 1, M, N, K, l), `${M}x${N}x${K} ${l.a}/${l.b}`).toEqual([]);
      }
    }
  });

  for (const fma of FMA ? [false, true] : [false]) {
    it(`NaN and ±Inf reach the same outputs as in the JavaScript kernel (${fma ? 'relaxed madd' : 'mul+add'})`, () => {
      const [M, N, K] = [13, 19, 23];
      const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
      for (let trial = 0; trial < 20; trial++) {
        const l = LAYOUTS[trial % 4] as WasmMatmulLayout;
        const A = fill(new Float32Array(M * K), trial);
        const B = fill(new Float32Array(N * K), trial + 100);
        // a few specials in each operand, at positions that depend on the trial
        for (let s = 0; s < 3; s++) {
          A[(trial * 37 + s * 101) % A.length] = special[(trial + s) % 3] as number;
          B[(trial * 53 + s * 71) % B.length] = special[(trial + 2 * s) % 3] as number;
        }
        const C = new Float32Array(M * N);
        gemmFor(fma, DEFAULT_BLOCKING).matmul(A, B, C, 1, M, N, K, l);
        const js = new Float32Array(M * N);
        matmulKernel('float32', l)(A, 0, l.a === 'mk' ? K : M, B, 0, js, 0, M, N, K);
        const kind = (x: number) => (Number.isNaN(x) ? 'NaN' : x === Number.POSITIVE_INFINITY ? '+Inf' : x === Number.NEGATIVE_INFINITY ? '-Inf' : 'finite');
        const differ: string[] = [];
        for (let i = 0; i < M * N; i++) if (kind(C[i] as number) !== kind(js[i] as number)) differ.push(`${i}: ${C[i]} vs ${js[i]}`);
        expect(differ).toEqual([]);
        expect(badElements(C, A, B, 1, M, N, K, l)).toEqual([]);
      }
    });
  }

  it('threaded products are bit-identical to one thread, split by rows or by columns', () => {
    const one = gemmFor(false, DEFAULT_BLOCKING);
    const three = gemmFor(false, DEFAULT_BLOCKING, 3);
    expect(three.threadCount()).toBe(3);
    for (const [batch, M, N, K] of [
      [1, 200, 64, 300], // more row panels than column panels
      [2, 30, 390, 200], // more column panels
      [1, 97, 101, 600], // odd sizes, several k blocks
    ] as const) {
      expect(M * N * K).toBeGreaterThanOrEqual(THREAD_MIN_WORK);
      for (const l of [LAYOUTS[0], LAYOUTS[3]] as WasmMatmulLayout[]) {
        const A = fill(new Float32Array(batch * M * K), 3);
        const B = fill(new Float32Array(batch * N * K), 4);
        const c1 = new Float32Array(batch * M * N);
        const c3 = new Float32Array(batch * M * N);
        one.matmul(A, B, c1, batch, M, N, K, l);
        three.matmul(A, B, c3, batch, M, N, K, l);
        let differ = 0;
        for (let i = 0; i < c1.length; i++) if (!Object.is(c1[i], c3[i])) differ++;
        expect(differ, `${batch}x${M}x${N}x${K}`).toBe(0);
        expect(badElements(c3, A, B, batch, M, N, K, l)).toEqual([]);
      }
    }
  });

  it('a product into the heap is written in place where its rows are whole tiles: the same bits as one copied out, neighbours untouched', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4096, shared: true });
    const heap = new WasmHeap(memory, 64 << 20, 0);
    const config: GemmConfig = { mr: 6, nr: 8, fma: false, sharedMaxPages: 4096 };
    const one = new WasmGemm(config, { kc: 64, mc: 12 }, 1, heap);
    const three = new WasmGemm(config, { kc: 64, mc: 12 }, 3, heap);
    const plain = gemmFor(false, { kc: 64, mc: 12 });
    for (const [batch, M, N, K] of [
      [1, 200, 200, 130], // N a multiple of 8, M not of 6: the last row panel through scratch (threaded)
      [2, 36, 32, 70], // whole tiles both ways
      [2, 4, 16, 33], // fewer rows than a panel: all through scratch
      [1, 50, 20, 40], // N not a multiple of 8: copied out
      [1, 7, 4096, 300], // split by columns (threaded), last row panel partial
    ] as const) {
      for (const l of [LAYOUTS[0], LAYOUTS[3]] as WasmMatmulLayout[]) {
        const A = fill(heap.take('float32', batch * M * K, true) as Float32Array, M);
        const B = fill(heap.take('float32', batch * N * K, true) as Float32Array, N);
        const want = new Float32Array(batch * M * N);
        plain.matmul(A, B, want, batch, M, N, K, l);
        for (const g of [one, three]) {
          // C inside a larger heap array, with sentinels on both sides
          const room = heap.take('float32', batch * M * N + 64, true) as Float32Array;
          room.fill(-7);
          const C = room.subarray(32, 32 + batch * M * N);
          expect(g.matmul(A, B, C, batch, M, N, K, l)).toBe(true);
          let differ = 0;
          for (let i = 0; i < C.length; i++) if (!Object.is(C[i], want[i])) differ++;
          expect(differ, `${batch}x${M}x${N}x${K} ${l.a}/${l.b}, ${g.threads} threads`).toBe(0);
          expect(Array.from(room.subarray(0, 32)).every((v) => v === -7)).toBe(true);
          expect(Array.from(room.subarray(32 + C.length)).every((v) => v === -7)).toBe(true);
          heap.release(room);
        }
        expect(badElements(want, A, B, batch, M, N, K, l)).toEqual([]);
        heap.release(A);
        heap.release(B);
      }
    }
    expect(heap.stats().inUse).toBe(0);
  });

  it('a pool whose workers cannot instantiate the module is given up, not waited on forever', () => {
    // the module imports its memory under a name the workers do not provide (they give env.memory)
    const m = new ModuleBuilder();
    m.importMemory({ module: 'elsewhere', name: 'memory', initial: 1, maximum: 1, shared: true });
    m.func('gemm', []);
    const needsMore = new WebAssembly.Module(m.toBytes() as BufferSource);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const pool = WasmThreadPool.create(needsMore, memory, 'gemm', 1);
    expect(pool).not.toBeNull();
    expect(pool?.start()).toBe(false);
  });

  it('Node exits by itself after threaded products, also when run as an ES module from -e', () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const script = [
      "const { np } = await import('./packages/core/src/index.ts');",
      "const { wasmMatmulInfo } = await import('./packages/core/src/backend/wasm/engine.ts');",
      'const a = np.ones([300, 300]);',
      'console.log(np.matmul(a, a).dataSync()[0], wasmMatmulInfo().threads);',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, TENFOLD_CPU_THREADS: '2' },
    });
    expect(out.trim()).toBe('300 2');
  });

  it('a product too large for WebAssembly memory (2 GiB) is declined, so dot_general keeps the JavaScript kernel', () => {
    const g = gemmFor(false, DEFAULT_BLOCKING);
    // 23170² floats per operand: the operands alone are 4.3 GB
    const n = 23170;
    expect(g.matmul(new Float32Array(0), new Float32Array(0), new Float32Array(0), 1, n, n, n, LAYOUTS[0] as WasmMatmulLayout)).toBe(false);
    // and the instance still multiplies what fits
    const c = new Float32Array(4);
    expect(g.matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), c, 1, 2, 2, 2, LAYOUTS[0] as WasmMatmulLayout)).toBe(true);
    expect(Array.from(c)).toEqual([1 * 5 + 2 * 6, 1 * 7 + 2 * 8, 3 * 5 + 4 * 6, 3 * 7 + 4 * 8]);
  });

  it('guided chunks cover the range once, long ones first, whole multiples of their minimum but the last', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 22 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 64 }), (total, threads, min) => {
        const starts = guidedChunks(total, threads, min);
        expect(starts[0]).toBe(0);
        expect(starts.at(-1)).toBe(total);
        expect(starts.length - 1).toBeLessThanOrEqual(MAX_CHUNKS);
        for (let c = 1; c < starts.length - 1; c++) expect((starts[c] as number) % min).toBe(0);
        const sizes = starts.slice(1).map((end, c) => end - (starts[c] as number));
        expect(sizes.every((n) => n >= 1)).toBe(true);
        // long chunks first: never longer than the one before, the first about a 2·threads-th
        expect(sizes.every((n, c) => c === 0 || n <= (sizes[c - 1] as number))).toBe(true);
        const first = Math.max(Math.ceil(total / (2 * threads)), Math.ceil(total / MAX_CHUNKS));
        expect(sizes[0]).toBeLessThanOrEqual(Math.ceil(first / min) * min);
      }),
      { seed: 4, numRuns: 300 },
    );
    expect(guidedChunks(34, 2, 1)).toEqual([0, 9, 16, 21, 25, 28, 30, 31, 32, 33, 34]);
  });
});

describe('dot_general on the cpu backend: large float32 products run on the wasm matmul', () => {
  afterAll(() => {
    setWasmMatmulEnabled(true);
  });

  /** lax.dotGeneral with the wasm matmul on, and off (the JavaScript kernel), and how many products went to wasm. */
  function both(x: ReturnType<typeof np.array>, y: ReturnType<typeof np.array>, params: Parameters<typeof lax.dotGeneral>[2]) {
    setWasmMatmulEnabled(true);
    const before = wasmMatmulCount();
    const on = lax.dotGeneral(x, y, params);
    const routed = wasmMatmulCount() - before;
    setWasmMatmulEnabled(false);
    const off = lax.dotGeneral(x, y, params);
    setWasmMatmulEnabled(true);
    return { on, off, routed };
  }

  it('transposed operands and batch dimensions anywhere agree with the JavaScript kernel', () => {
    const keys = random.split(random.key(11), 16);
    const cases: Array<{ a: number[]; b: number[]; params: Parameters<typeof lax.dotGeneral>[2] }> = [
      // a @ b, aᵀ @ b, a @ bᵀ, aᵀ @ bᵀ
      { a: [37, 50], b: [50, 29], params: { contracting: [[1], [0]], batch: [[], []] } },
      { a: [50, 37], b: [50, 29], params: { contracting: [[0], [0]], batch: [[], []] } },
      { a: [37, 50], b: [29, 50], params: { contracting: [[1], [1]], batch: [[], []] } },
      { a: [50, 37], b: [29, 50], params: { contracting: [[0], [1]], batch: [[], []] } },
      // batch dimensions leading, in the middle (a copy in free-major order), several free dims
      { a: [3, 20, 31], b: [3, 31, 17], params: { contracting: [[2], [1]], batch: [[0], [0]] } },
      { a: [20, 3, 31], b: [31, 3, 17], params: { contracting: [[2], [0]], batch: [[1], [1]] } },
      { a: [4, 5, 6, 33], b: [33, 7, 2], params: { contracting: [[3], [0]], batch: [[], []] } },
      // two contracting dimensions
      {
        a: [9, 8, 12],
        b: [12, 8, 10],
        params: {
          contracting: [
            [1, 2],
            [1, 0],
          ],
          batch: [[], []],
        },
      },
    ];
    cases.forEach(({ a, b, params }, i) => {
      const x = random.normal(keys[2 * i] as never, a);
      const y = random.normal(keys[2 * i + 1] as never, b);
      const { on, off, routed } = both(x, y, params);
      expect(routed, `case ${i}`).toBe(1);
      expect(on.shape).toEqual(off.shape);
      const got = on.dataSync();
      const want = off.dataSync();
      const K = params.contracting[0].reduce((n, d) => n * (a[d] as number), 1);
      let worst = 0;
      for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs((got[j] as number) - (want[j] as number)));
      // standard normal operands: |Σ aₖbₖ| terms are O(1), so K·2⁻²⁴·(Σ|aₖbₖ| ≈ K) bounds the error
      expect(worst, `case ${i}`).toBeLessThanOrEqual(K * K * 2 ** -24 + 1e-6);
    });
  });

  it('float64, int32 and small products stay on the JavaScript kernel', () => {
    const f64 = np.ones([40, 40], { dtype: 'float64' });
    const i32 = np.ones([40, 40], { dtype: 'int32' });
    const small = np.ones([4, 4]);
    const before = wasmMatmulCount();
    expect(np.matmul(f64, f64).dataSync()[0]).toBe(40);
    expect(np.matmul(i32, i32).dataSync()[0]).toBe(40);
    expect(4 * 4 * 4).toBeLessThan(WASM_MIN_WORK);
    expect(np.matmul(small, small).dataSync()[0]).toBe(4);
    expect(wasmMatmulCount()).toBe(before);
    // outer products (K = 1, as vmap's per-example gradients) are large enough to go to wasm,
    // where they run 2-3x faster, and are exact there too
    const [ka, kb] = random.split(random.key(5));
    const u = random.normal(ka, [300, 1]);
    const v = random.normal(kb, [1, 200]);
    const uv = np.matmul(u, v).dataSync();
    expect(wasmMatmulCount()).toBe(before + 1);
    const [uu, vv] = [u.dataSync(), v.dataSync()];
    let inexact = 0;
    for (let i = 0; i < 300; i++) for (let j = 0; j < 200; j++) if (uv[i * 200 + j] !== Math.fround((uu[i] as number) * (vv[j] as number))) inexact++;
    expect(inexact).toBe(0);
  });

  it('NaN and Inf propagate through np.matmul as on the JavaScript kernel', () => {
    const a = np.ones([30, 40]).dataSync().slice();
    a[5] = Number.NaN; // row 0
    a[40 * 7 + 3] = Number.POSITIVE_INFINITY; // row 7
    const b = np.ones([40, 20]).dataSync().slice();
    b[20 * 9 + 4] = Number.NEGATIVE_INFINITY; // column 4
    const x = np.array(a, { shape: [30, 40] });
    const y = np.array(b, { shape: [40, 20] });
    const { on, off, routed } = both(x, y, { contracting: [[1], [0]], batch: [[], []] });
    expect(routed).toBe(1);
    const got = Array.from(on.dataSync());
    const want = Array.from(off.dataSync());
    expect(got).toEqual(want); // small integers: every sum is exact in float32 too
    expect(Number.isNaN(got[0] as number)).toBe(true);
    expect(got[7 * 20 + 4]).toBeNaN(); // +Inf + -Inf
    expect(got[7 * 20]).toBe(Number.POSITIVE_INFINITY);
    expect(got[1 * 20 + 4]).toBe(Number.NEGATIVE_INFINITY);
  });
});
