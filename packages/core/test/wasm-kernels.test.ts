// The WebAssembly SIMD renderer of elementwise kernels (backend/wasm/render-wasm.ts): the
// element-semantics table and random fused programs give, bit for bit, what the JavaScript
// renderer gives; kernels it cannot express run as JavaScript.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jit } from '../../grad/src/index.js';
import { compileJs } from '../src/backend/cpu/render-js.js';
import { cpuThreadsInfo } from '../src/backend/cpu/workers.js';
import { compileWasmKernel, setKernelThreadMinElements, wasmKernelRuns } from '../src/backend/wasm/elementwise.js';
import { setWasmMatmulEnabled, wasmMatmulCount } from '../src/backend/wasm/engine.js';
import { wasmFeatures } from '../src/backend/wasm/features.js';
import { setWasmHeapEnabled } from '../src/backend/wasm/heap.js';
import { renderWasm } from '../src/backend/wasm/render-wasm.js';
import {
  type Array,
  type ConcreteArray,
  CpuBackend,
  type Executable,
  kernelIR as K,
  type Kernel,
  np,
  random,
  registerBackend,
  withBackend,
} from '../src/index.js';
import { caseArbitrary, checkCase, OP_TABLE } from './op-table.js';

/** The CPU backend with every kernel the renderer can express run in WebAssembly, at any size. */
class WasmEverywhere extends CpuBackend {
  rendered = 0;
  override compile(kernel: Kernel): Executable {
    const js = compileJs(kernel);
    const wasm = compileWasmKernel(kernel, js, 0);
    if (wasm === null) return js as unknown as Executable;
    this.rendered++;
    return wasm as unknown as Executable;
  }
}

describe.runIf(wasmFeatures().simd)('WebAssembly elementwise kernels', () => {
  it('pass the element-semantics table', async () => {
    const backend = new WasmEverywhere();
    expect(await K.checkElementSemantics(backend)).toEqual([]);
    // arithmetic, comparisons, selects, casts and min/max of float32 and int32 render (exp, pow... do not)
    expect(backend.rendered).toBeGreaterThan(30);
  });

  it('sum over leading axes in float64 accumulators, as the JavaScript kernels do, bit for bit', () => {
    const f = jit((x: Array) => [np.sum(x, 0), np.negative(np.mean(np.square(x), 0))]);
    for (const shape of [
      [300, 41],
      [7, 5, 129],
      [1000, 3],
    ]) {
      const x = random.normal(random.key(shape[0] as number), shape);
      // (compiled with WebAssembly on, then run with it off: the JavaScript fallback)
      const runs = wasmKernelRuns();
      const got = (f(x) as Array[]).map((a) => a.tolist());
      expect(wasmKernelRuns() - runs).toBe(2);
      const was = setWasmMatmulEnabled(false);
      const want = (f(x) as Array[]).map((a) => a.tolist());
      setWasmMatmulEnabled(was);
      expect(got).toEqual(want);
    }
  });

  it('pass it on plain typed arrays too (copied through temporary heap blocks)', async () => {
    const previous = setWasmHeapEnabled(false);
    try {
      expect(await K.checkElementSemantics(new WasmEverywhere())).toEqual([]);
    } finally {
      setWasmHeapEnabled(previous);
    }
  });

  it('render loads that step by one or zero along the innermost loop, and refuse other strides', () => {
    const f32 = 'float32';
    const loops = [
      { size: K.int(3), reduce: false },
      { size: K.int(5), reduce: false },
    ];
    const row = K.add(K.mul(K.loopIndex(0), K.int(5)), K.loopIndex(1));
    const add = new K.Kernel({
      name: 'a',
      inputs: [f32, f32],
      outDType: f32,
      loops,
      body: K.binary('add', K.load(0, f32, row), K.load(1, f32, K.loopIndex(0))),
      vars: 0,
    });
    expect(renderWasm(add)).not.toBeNull();
    const transposed = K.add(K.mul(K.loopIndex(1), K.int(3)), K.loopIndex(0));
    const t = new K.Kernel({ name: 't', inputs: [f32], outDType: f32, loops, body: K.load(0, f32, transposed), vars: 0 });
    expect(renderWasm(t)).toBeNull();
    const e = new K.Kernel({ name: 'e', inputs: [f32], outDType: f32, loops, body: K.unary('log', K.load(0, f32, row)), vars: 0 });
    expect(renderWasm(e)).toBeNull();
  });

  it("jitted programs give the JavaScript kernels' results bit for bit, on every row length", () => {
    const prog = (x: Array, y: Array, b: Array) => {
      const h = np.add(np.multiply(x, 1.5), np.reshape(b, [1, -1]));
      const r = np.where(np.greater(h, y), np.maximum(h, 0), np.subtract(y, np.sqrt(np.abs(h))));
      return [
        np.floor(np.divide(r, 0.7)),
        np.astype(np.astype(np.multiply(r, 3), 'int32'), 'float32'),
        np.negative(np.minimum(x, y)),
        // sums over the leading axis (float64 accumulators), one with a fused epilogue
        np.sum(np.multiply(h, y), 0),
        np.negative(np.mean(np.abs(r), 0)),
      ];
    };
    const jitted = jit(prog);
    const before = wasmKernelRuns();
    fc.assert(
      // rows of any length mod 4, outputs above the size where the WebAssembly kernels take over
      fc.property(fc.integer({ min: 9, max: 13 }), fc.integer({ min: 29, max: 61 }), fc.integer({ min: 0, max: 1000 }), (rows, cols, seed) => {
        const ks = random.split(random.key(seed), 3);
        const x = random.normal(ks[0] as Array, [rows, cols]);
        const y = random.normal(ks[1] as Array, [rows, cols]);
        const b = random.normal(ks[2] as Array, [cols]);
        const was = setWasmMatmulEnabled(false);
        const want = (prog(x, y, b) as Array[]).map((a) => a.tolist());
        setWasmMatmulEnabled(was);
        const got = (jitted(x, y, b) as Array[]).map((a) => a.tolist());
        expect(got).toEqual(want);
      }),
      { seed: 3, numRuns: 40 },
    );
    expect(wasmKernelRuns() - before).toBeGreaterThan(40);
  });

  it('large kernels run on the worker threads too, bit for bit as one thread, whatever the split of their outermost loop', () => {
    // (one loop, split in 16-element lines; two and three
    // loops, split by rows of the outermost, with a float var (the weakly typed 0.75) and a broadcast)
    const prog = (x: Array, b: Array, s: Array) => [
      np.tanh(np.add(np.multiply(np.reshape(x, [-1]), 0.75), 0.25)),
      np.where(np.greater(x, np.reshape(b, [1, -1])), np.exp(x), np.multiply(x, s)),
      np.astype(np.multiply(np.reshape(x, [2, -1, 8]), 3), 'int32'),
    ];
    const jitted = jit(prog);
    const before = cpuThreadsInfo().workerShares;
    fc.assert(
      fc.property(fc.integer({ min: 257, max: 400 }), fc.integer({ min: 0, max: 1000 }), (rows, seed) => {
        const cols = 256;
        // (threads from 2^16 outputs on here, below the default threshold, to keep the test small)
        expect(rows * cols).toBeGreaterThanOrEqual(SMALL_THREADED);
        const ks = random.split(random.key(seed), 3);
        const x = random.normal(ks[0] as Array, [rows, cols]);
        const b = random.normal(ks[1] as Array, [cols]);
        const s = random.normal(ks[2] as Array, []);
        const was = setWasmMatmulEnabled(false);
        const js = (prog(x, b, s) as Array[]).map((a) => a.dataSync());
        setWasmMatmulEnabled(was);
        const got = withThreadMin(SMALL_THREADED, () => (jitted(x, b, s) as Array[]).map((a) => a.dataSync()));
        // arithmetic bit for bit as the JavaScript kernels; exp and tanh within their 2 ulps
        expect(got[2]).toEqual(js[2]);
        for (const k of [0, 1]) {
          const g = got[k] as Float32Array;
          const w = js[k] as Float32Array;
          let worst = 0;
          for (let i = 0; i < g.length; i++) worst = Math.max(worst, ulps(g[i] as number, w[i] as number));
          expect(worst).toBeLessThanOrEqual(2);
        }
        // and exactly what one thread computes: the same program with threads below its size
        expect(withThreadMin(Number.POSITIVE_INFINITY, () => (jitted(x, b, s) as Array[]).map((a) => a.dataSync()))).toEqual(got);
      }),
      { seed: 5, numRuns: 4 },
    );
    if (cpuThreadsInfo().threads > 1) expect(cpuThreadsInfo().workerShares).toBeGreaterThan(before);
  });
});

/** Every kernel in WebAssembly at any size, exp and tanh without relaxed SIMD's madd. */
class WasmMulAdd extends CpuBackend {
  override compile(kernel: Kernel): Executable {
    const js = compileJs(kernel);
    return (compileWasmKernel(kernel, js, 0, false) ?? js) as unknown as Executable;
  }
}
registerBackend('wasm-all-mul-add', () => new WasmMulAdd({ name: 'wasm-all-mul-add' }));

const SMALL_THREADED = 1 << 16;

/** Runs `fn` with elementwise kernels threaded from `n` outputs on (Infinity: kept on the calling thread). */
function withThreadMin<T>(n: number, fn: () => T): T {
  const was = setKernelThreadMinElements(n);
  try {
    return fn();
  } finally {
    setKernelThreadMinElements(was);
  }
}

// every kernel the WebAssembly renderer expresses runs there, whatever its size
registerBackend('wasm-all', () => new CpuBackend({ name: 'wasm-all', wasmMinElements: 0 }));

describe.runIf(wasmFeatures().simd)('the op table on WebAssembly kernels at every size', () => {
  for (const rec of OP_TABLE) {
    it(rec.name, () => {
      for (const dtype of rec.dtypes) {
        fc.assert(
          fc.property(caseArbitrary(rec, dtype), (c) => {
            withBackend('wasm-all', () => checkCase(rec, dtype, c));
          }),
          { seed: 11, numRuns: 4 },
        );
      }
    });
  }
});

describe("the 'js' backend: the pure JavaScript reference", () => {
  it('keeps plain typed arrays, runs no WebAssembly, and agrees with the default backend', () => {
    const f = (x: Array, w: Array) => np.sum(np.maximum(np.matmul(x, w), 0), 1);
    const ks = random.split(random.key(4), 2);
    const [x, w] = [random.normal(ks[0] as Array, [64, 96]), random.normal(ks[1] as Array, [96, 80])];
    const [xs, ws] = [x.tolist() as number[][], w.tolist() as number[][]];
    const before = [wasmKernelRuns(), wasmMatmulCount()];
    const got = withBackend('js', () => {
      const xj = np.array(xs, { dtype: 'float32' });
      const wj = np.array(ws, { dtype: 'float32' });
      const out = jit(f)(xj, wj) as ConcreteArray;
      expect(out.backend.name).toBe('js');
      expect((out.backend as CpuBackend).view(out.handle).buffer).toBeInstanceOf(ArrayBuffer);
      return out.tolist() as number[];
    });
    expect([wasmKernelRuns(), wasmMatmulCount()]).toEqual(before);
    const want = f(x, w).tolist() as number[];
    // the default backend sums each product in float32 (WebAssembly), the reference in float64
    got.forEach((v, i) => {
      expect(Math.abs(v - (want[i] as number))).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(want[i] as number)));
    });
  });
});

/** The distance in float32 steps between two finite float32 values. */
function ulps(a: number, b: number): number {
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  const ordered = (i: number) => (i < 0 ? -2147483648 - i : i);
  return Math.abs(ordered(bits[0] as number) - ordered(bits[1] as number));
}

describe.runIf(wasmFeatures().simd)('exp and tanh in WebAssembly SIMD', () => {
  // every float32 from a dense sweep of the interesting range plus random bit patterns
  const sweep = (lo: number, hi: number, n: number) => Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const bitsOf = (seed: number, n: number) => {
    let s = seed;
    const u = new Uint32Array(n).map(() => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s;
    });
    return new Float32Array(u.buffer).filter((v) => Number.isFinite(v));
  };
  const check = (name: string, f: (x: Array) => Array, ref: (x: number) => number, xs: Float32Array, backend = 'wasm-all') => {
    const runs = wasmKernelRuns();
    const got = withBackend(backend, () => f(np.array(xs)).dataSync());
    expect(wasmKernelRuns()).toBeGreaterThan(runs);
    let worst = 0;
    let at = 0;
    xs.forEach((x, i) => {
      const want = Math.fround(ref(x));
      const g = got[i] as number;
      if (Object.is(g, want)) return;
      // (the JavaScript reference rounds a float64 result once, within an ulp of exact)
      const d = Number.isFinite(want) && Number.isFinite(g) ? ulps(g, want) : Number.POSITIVE_INFINITY;
      if (d > worst) [worst, at] = [d, x];
    });
    expect(worst, `${name}: worst error ${worst} ulps at x = ${at}`).toBeLessThanOrEqual(2);
  };

  it('exp: within 2 ulps from underflow through overflow, subnormal results included, and exact at the special values', () => {
    check('exp', np.exp, Math.exp, sweep(-104, 89, 200_001));
    check(
      'exp',
      np.exp,
      Math.exp,
      bitsOf(1, 100_000).map((v) => Math.max(-110, Math.min(95, v))),
    );
    const special = withBackend('wasm-all', () =>
      np.exp(np.array([0, -0, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NaN, 88.8, -103.9])).tolist(),
    ) as number[];
    expect(special.slice(0, 5)).toEqual([1, 1, 0, Number.POSITIVE_INFINITY, Number.NaN]);
    expect(special[5]).toBe(Number.POSITIVE_INFINITY);
    expect(special[6]).toBe(Math.fround(Math.exp(Math.fround(-103.9))));
  });

  it('tanh: within 2 ulps everywhere, odd (tanh(-0) is -0), saturating at ±1, NaN through', () => {
    check('tanh', np.tanh, Math.tanh, sweep(-12, 12, 200_001));
    check('tanh', np.tanh, Math.tanh, bitsOf(2, 100_000));
    const special = withBackend('wasm-all', () =>
      np.tanh(np.array([-0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1e-30])).tolist(),
    ) as number[];
    expect(special.slice(0, 5)).toEqual([-0, 0, 1, -1, Number.NaN]);
    expect(special[5]).toBe(Math.fround(1e-30));
  });

  // (the tests above use fused multiply-adds where the runtime has relaxed SIMD, as users get)
  it('exp and tanh with a separate multiply and add (runtimes without relaxed SIMD): also within 2 ulps', () => {
    check('exp', np.exp, Math.exp, sweep(-104, 89, 200_001), 'wasm-all-mul-add');
    check(
      'exp',
      np.exp,
      Math.exp,
      bitsOf(3, 100_000).map((v) => Math.max(-110, Math.min(95, v))),
      'wasm-all-mul-add',
    );
    check('tanh', np.tanh, Math.tanh, sweep(-12, 12, 200_001), 'wasm-all-mul-add');
    check('tanh', np.tanh, Math.tanh, bitsOf(4, 100_000), 'wasm-all-mul-add');
  });
});
