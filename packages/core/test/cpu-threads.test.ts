// The cpu backend's threaded matmul: every split (by batch, by rows), every placement of the
// operands (ordinary arrays through the scratch buffer, shared ones in place, offsets) and every
// layout gives bit-identical results to the single-threaded kernel, because each output element
// is computed by the same code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MatmulLayout, matmulKernel } from '../src/backend/cpu/matmul.js';
import { cpuThreadCount, matmulBatched, plan } from '../src/backend/cpu/threads.js';
import { type ConcreteArray, lax, np, random } from '../src/index.js';

// three threads whatever the machine, so the splits below are exercised (the pool starts lazily)
process.env.TENFOLD_CPU_THREADS = '3';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;
const CTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

/** Deterministic values: small integers for int32 (exact), fractions otherwise. */
function fill<T extends Float32Array | Float64Array | Int32Array>(a: T, seed: number, int: boolean): T {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = int ? (s >>> 24) - 128 : s / 2 ** 32 - 0.5;
  }
  return a;
}

function make(C: Ctor, n: number, shared: boolean): Float32Array | Float64Array | Int32Array {
  return shared ? new C(new SharedArrayBuffer(n * C.BYTES_PER_ELEMENT) as unknown as ArrayBuffer) : new C(n);
}

interface Case {
  dtype: keyof typeof CTORS;
  batch: number;
  M: number;
  N: number;
  K: number;
  shared: [boolean, boolean, boolean];
  layout?: MatmulLayout;
}

function runCase({ dtype, batch, M, N, K, shared, layout = { a: 'mk', b: 'nk' } }: Case) {
  const C = CTORS[dtype];
  const int = dtype === 'int32';
  // operands sit at an offset inside larger arrays, as the batched kernel's callers pass them
  const off = 3;
  const A = fill(make(C, off + batch * M * K, shared[0]), 1, int);
  const B = fill(make(C, off + batch * N * K, shared[1]), 2, int);
  const out = make(C, off + batch * M * N, shared[2]);
  out.fill(7);
  matmulBatched(dtype, A, off, B, off, out, off, batch, M, N, K, layout);
  const expected = new C(off + batch * M * N).fill(7);
  const kernel = matmulKernel(dtype, layout);
  const lda = layout.a === 'mk' ? K : M;
  for (let n = 0; n < batch; n++) kernel(A, off + n * M * K, lda, B, off + n * N * K, expected, off + n * M * N, M, N, K);
  return { out, expected };
}

/** Elements that differ bit for bit (NaN never appears here); cheaper than a deep equality over millions. */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

describe('threaded matmul (cpu backend)', () => {
  it('runs on worker threads here', () => {
    expect(cpuThreadCount()).toBe(3);
  });

  // first of the threaded tests, so the scratch buffer starts empty
  it('a scratch buffer grown by a float32 product of odd size still serves float64 products', () => {
    // stages 394,753 float32 elements (operands and the workers' share of the result): an odd count
    expect(np.matmul(np.ones([3, 256, 171]), np.ones([3, 171, 257])).dataSync()[0]).toBe(171);
    const y = np.matmul(np.ones([184, 64], { dtype: 'float64' }), np.ones([64, 184], { dtype: 'float64' }));
    expect(y.dtype).toBe('float64');
    expect(y.dataSync()[0]).toBe(64);
  });

  const cases: Case[] = [
    // split by batch: many small products (vmap's per-example outer products have K = 1)
    { dtype: 'float32', batch: 400, M: 37, N: 73, K: 1, shared: [true, true, true] },
    { dtype: 'float32', batch: 9, M: 40, N: 33, K: 200, shared: [false, false, false] },
    { dtype: 'float64', batch: 5, M: 44, N: 48, K: 250, shared: [true, false, true] },
    { dtype: 'int32', batch: 3, M: 52, N: 41, K: 400, shared: [false, true, false] },
    // split by rows: one large product, rows not a multiple of the tile or thread count
    { dtype: 'float32', batch: 1, M: 131, N: 67, K: 300, shared: [true, true, true] },
    { dtype: 'float32', batch: 1, M: 131, N: 67, K: 300, shared: [false, false, false] },
    { dtype: 'float64', batch: 1, M: 9, N: 250, K: 1000, shared: [false, true, true] },
    // operands read in place in every layout: A as [K,M], B as [K,N]
    { dtype: 'float32', batch: 1, M: 131, N: 67, K: 300, shared: [true, true, true], layout: { a: 'km', b: 'kn' } },
    { dtype: 'float32', batch: 1, M: 130, N: 66, K: 301, shared: [false, true, false], layout: { a: 'km', b: 'nk' } },
    { dtype: 'float64', batch: 6, M: 41, N: 39, K: 230, shared: [true, false, true], layout: { a: 'mk', b: 'kn' } },
    { dtype: 'int32', batch: 7, M: 35, N: 45, K: 200, shared: [true, true, false], layout: { a: 'km', b: 'kn' } },
  ];
  for (const c of cases) {
    it(`${c.dtype} batch ${c.batch}, [${c.M},${c.K}]·[${c.K},${c.N}], shared ${c.shared.join('/')}: bit-identical to one thread`, () => {
      const { out, expected } = runCase(c);
      expect(c.batch * c.M * c.N * (c.K + 1)).toBeGreaterThanOrEqual(1 << 21); // large enough to go to the threads
      expect(mismatches(out, expected)).toBe(0);
    });
  }

  for (const layout of [
    { a: 'mk', b: 'nk' },
    { a: 'km', b: 'nk' },
    { a: 'mk', b: 'kn' },
    { a: 'km', b: 'kn' },
  ] as const) {
    it(`layout ${layout.a}/${layout.b}: every tile path equals the naive product (same order of additions)`, () => {
      for (const [M, N, K] of [
        [8, 8, 5],
        [7, 10, 5],
        [1, 9, 13],
        [13, 3, 4],
        [5, 17, 1],
        [4, 4, 1],
      ] as const) {
        const A = fill(new Float32Array(M * K), 5, false);
        const B = fill(new Float32Array(K * N), 6, false);
        const aAt = (i: number, k: number) => A[layout.a === 'mk' ? i * K + k : k * M + i] as number;
        const bAt = (k: number, j: number) => B[layout.b === 'nk' ? j * K + k : k * N + j] as number;
        const out = new Float32Array(M * N);
        matmulKernel('float32', layout)(A, 0, layout.a === 'mk' ? K : M, B, 0, out, 0, M, N, K);
        const expected = new Float32Array(M * N);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += aAt(i, k) * bAt(k, j);
            expected[i * N + j] = s;
          }
        }
        expect(mismatches(out, expected), `M=${M} N=${N} K=${K}`).toBe(0);
      }
    });
  }

  it("a split gives every output element to exactly one thread; the workers' outputs are the range [lo, hi)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        (batch, M, N, workers) => {
          const writes = new Int32Array(batch * M * N);
          let misplaced = 0;
          for (const { own, slots, lo, hi } of plan(batch, M, N, workers)) {
            expect(slots.length).toBeLessThanOrEqual(workers);
            [own, ...slots].forEach(([b0, b1, r0, r1], t) => {
              for (let n = b0; n < b1; n++) {
                for (let i = (n * M + r0) * N; i < (n * M + r1) * N; i++) {
                  writes[i] = (writes[i] as number) + 1;
                  // the calling thread (t = 0) writes outside [lo, hi), the workers inside it
                  if (i >= lo && i < hi) misplaced += t > 0 ? 0 : 1;
                  else misplaced += t > 0 ? 1 : 0;
                }
              }
            });
          }
          expect(writes.every((w) => w === 1)).toBe(true);
          expect(misplaced).toBe(0);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it("a worker's batches are copied back while it runs: results of a long batched product are complete", () => {
    // 600 outer products [64]×[96]: each worker reports progress 200 times, once per product
    const { out, expected } = runCase({ dtype: 'float32', batch: 600, M: 64, N: 96, K: 1, shared: [false, false, false] });
    expect(mismatches(out, expected)).toBe(0);
  });

  it('products with too few rows to share run on the calling thread, correctly', () => {
    const { out, expected } = runCase({ dtype: 'float32', batch: 2, M: 1, N: 1024, K: 1024, shared: [false, false, false], layout: { a: 'mk', b: 'kn' } });
    expect(mismatches(out, expected)).toBe(0);
  });

  it('leaves elements outside the output range untouched', () => {
    const { out } = runCase({ dtype: 'float32', batch: 8, M: 64, N: 64, K: 64, shared: [false, false, true] });
    expect(Array.from(out.subarray(0, 3))).toEqual([7, 7, 7]);
  });

  it('batched outer products through dot_general are exact products', () => {
    const [ka, kb] = random.split(random.key(3));
    const a = random.normal(ka, [300, 120, 1]);
    const b = random.normal(kb, [300, 90, 1]);
    const out = lax.dotGeneral(a, b, { contracting: [[2], [2]], batch: [[0], [0]] }).dataSync();
    const av = a.dataSync();
    const bv = b.dataSync();
    let wrong = 0;
    for (let n = 0; n < 300; n++) {
      for (let i = 0; i < 120; i++) {
        for (let j = 0; j < 90; j++) if (out[(n * 120 + i) * 90 + j] !== Math.fround((av[n * 120 + i] as number) * (bv[n * 90 + j] as number))) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });

  it('what users read is on ordinary ArrayBuffers, even results computed by the threads', () => {
    // (stored arrays may be views of the shared WebAssembly heap; reads copy them out)
    const x = np.matmul(np.ones([512, 64]), np.ones([64, 512])) as ConcreteArray;
    const data = x.dataSync();
    expect(data[0]).toBe(64);
    expect(data.length).toBe(512 * 512);
    expect(data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(data.buffer instanceof SharedArrayBuffer).toBe(false);
  });
});
