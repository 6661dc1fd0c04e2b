// tenfold against its peers in one process, each pair of measurements interleaved sample by
// sample so a shared machine's load falls on both alike: jax-js (its WebAssembly device) and
// TensorFlow.js (its WebAssembly backend). Float32 matmul n=1024, the fused elementwise workload
// tanh(1.5x+0.5)*x-1 on 4M elements (jit where the library has it), a tiny eager add, and the
// tutorial's MNIST MLP train step (784-200-200-10, batch 200, SGD momentum 0.9, jit) on random
// data of MNIST's shapes, whose time × 300 is an epoch's compute.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as jaxjs from '@jax-js/jax';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { wasmMatmulInfo } from '../packages/core/src/backend/wasm/engine.js';
import { type Array, np, random } from '../packages/core/src/index.js';
import { jit, valueAndGrad } from '../packages/grad/src/index.js';
import { type BenchRow, emit, fmt, log, measureInterleaved, type Timing, throughputRow, timeRow } from './util.js';

type JArray = jaxjs.Array;
const jnp = jaxjs.numpy;

const rows: BenchRow[] = [];
const notes: string[] = [];

/** Rows for one workload: tenfold first, then each peer with tenfold's ratio to it. */
function compare(
  name: string,
  unit: 'GFLOP/s' | 'GB/s' | 'µs/op' | 'ms',
  amount: number,
  cases: readonly [string, () => void][],
  opts: Parameters<typeof measureInterleaved>[1],
  target?: number,
): Timing[] {
  const timings = measureInterleaved(
    cases.map((c) => c[1]),
    opts,
  );
  const ours = timings[0] as Timing;
  cases.forEach(([who], i) => {
    const t = timings[i] as Timing;
    const ratio = i === 0 ? '' : `tenfold ${fmt(t.medianMs / ours.medianMs)}× as fast`;
    const extra: Partial<BenchRow> = { ...(i === 0 && target !== undefined ? { target } : {}), ...(ratio ? { note: ratio } : {}) };
    rows.push(unit === 'µs/op' || unit === 'ms' ? timeRow(`${name}: ${who}`, unit, t, extra) : throughputRow(`${name}: ${who}`, unit, amount, t, extra));
    log(`${name}: ${who} ${fmt(t.medianMs / t.batch)} ms/op`);
  });
  return timings;
}

await jaxjs.init('wasm');
jaxjs.defaultDevice('wasm');
const require = createRequire(import.meta.url);
setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
await tf.setBackend('wasm');
await tf.ready();

// 1. matmul n=1024
{
  const n = 1024;
  const a = random.normal(random.key(1), [n, n]);
  const b = random.normal(random.key(2), [n, n]);
  const ja = jnp.array(a.dataSync() as Float32Array).reshape([n, n]);
  const jb = jnp.array(b.dataSync() as Float32Array).reshape([n, n]);
  const ta = tf.tensor2d(a.dataSync() as Float32Array, [n, n]);
  const tb = tf.tensor2d(b.dataSync() as Float32Array, [n, n]);
  compare(
    'float32 matmul n=1024',
    'GFLOP/s',
    (2 * n ** 3) / 1e9,
    [
      ['tenfold', () => np.matmul(a, b).dispose()],
      ['jax-js (wasm)', () => jnp.matmul(ja.ref, jb.ref).dataSync()],
      [
        'TensorFlow.js (wasm)',
        () => {
          const c = tf.matMul(ta, tb);
          c.dataSync();
          c.dispose();
        },
      ],
    ],
    { warmupRuns: 3, minRuns: 7, maxRuns: 15, budgetMs: 6000 },
    50,
  );
  const info = wasmMatmulInfo();
  if (info)
    notes.push(
      `tenfold's matmul: ${info.tile} tiles, ${info.fma ? 'relaxed-SIMD fused multiply-add' : 'separate multiply and add'}, ${info.threads} thread(s).`,
    );
}

// 2. tanh(1.5x+0.5)*x-1 on 4M float32 (read 4 bytes, write 4 bytes per element)
{
  const N = 4 * 2 ** 20;
  const x = random.uniform(random.key(3), [N]);
  const ours = jit((v: Array) => np.subtract(np.multiply(np.tanh(np.add(np.multiply(v, 1.5), 0.5)), v), 1));
  const jx = jnp.array(x.dataSync() as Float32Array);
  const theirs = jaxjs.jit((v: JArray) => jnp.tanh(v.ref.mul(1.5).add(0.5)).mul(v).sub(1));
  const tx = tf.tensor1d(x.dataSync() as Float32Array);
  compare(
    'tanh(1.5x+0.5)*x-1, float32 [4194304]',
    'GB/s',
    (8 * N) / 1e9,
    [
      ['tenfold (jit)', () => ours(x).dispose()],
      ['jax-js (jit, wasm)', () => theirs(jx.ref).dataSync()],
      [
        'TensorFlow.js (wasm, eager)',
        () => {
          const y = tf.tidy(() => tf.sub(tf.mul(tf.tanh(tf.add(tf.mul(tx, 1.5), 0.5)), tx), 1));
          y.dataSync();
          y.dispose();
        },
      ],
    ],
    { warmupRuns: 3, minRuns: 7, maxRuns: 15, budgetMs: 6000 },
    4,
  );
}

// 3. a tiny eager add of two float32 [2]
{
  const x = np.array(new Float32Array([1, 2]));
  const y = np.array(new Float32Array([3, 4]));
  const jx = jnp.array(new Float32Array([1, 2]));
  const jy = jnp.array(new Float32Array([3, 4]));
  const tx = tf.tensor1d([1, 2]);
  const ty = tf.tensor1d([3, 4]);
  compare(
    'eager add, float32 [2] (dispatch)',
    'µs/op',
    1,
    [
      ['tenfold', () => np.add(x, y).dispose()],
      ['jax-js (wasm)', () => jnp.add(jx.ref, jy.ref).dispose()],
      ['TensorFlow.js (wasm)', () => tf.add(tx, ty).dispose()],
    ],
    { batch: 2000, warmupRuns: 5, minRuns: 11, maxRuns: 30, budgetMs: 3000 },
  );
  notes.push('The eager add is not read back (each library computes it when asked or at once, as it does).');
}

// 4. the MNIST MLP train step, jitted, on random data of MNIST's shapes
{
  type Layer = { w: Array; b: Array };
  const keys = random.split(random.key(0), 5);
  const dense = (k: Array, i: number, o: number): Layer => ({
    w: random.uniform(k, [i, o], { minval: -1 / Math.sqrt(i), maxval: 1 / Math.sqrt(i) }),
    b: np.zeros([o]),
  });
  let params: Layer[] = [dense(keys[0] as Array, 784, 200), dense(keys[1] as Array, 200, 200), dense(keys[2] as Array, 200, 10)];
  let mom: Layer[] = params.map((l) => ({ w: np.zerosLike(l.w), b: np.zerosLike(l.b) }));
  const x = random.normal(keys[3] as Array, [200, 784]);
  const labels = random.randint(keys[4] as Array, [200], 0, 10);
  const y = np.astype(np.equal(np.expandDims(labels, 1), np.arange(10)), 'float32');
  const loss = (p: Layer[], xb: Array, yb: Array): Array => {
    let h = xb;
    p.forEach((l, i) => {
      h = np.add(np.matmul(h, l.w), l.b);
      if (i < p.length - 1) h = np.relu(h);
    });
    return np.multiply(np.sum(np.multiply(np.logSoftmax(h, -1), yb)), -1 / 200);
  };
  const step = jit(
    (p: Layer[], m: Layer[], xb: Array, yb: Array) => {
      const [l, g] = valueAndGrad(loss)(p, xb, yb) as [Array, Layer[]];
      const m2 = m.map((mi, i) => ({ w: np.add(np.multiply(mi.w, 0.9), (g[i] as Layer).w), b: np.add(np.multiply(mi.b, 0.9), (g[i] as Layer).b) }));
      const p2 = p.map((pi, i) => ({
        w: np.subtract(pi.w, np.multiply((m2[i] as Layer).w, 0.01)),
        b: np.subtract(pi.b, np.multiply((m2[i] as Layer).b, 0.01)),
      }));
      return { l, p: p2, m: m2 };
    },
    { donateArgnums: [0, 1] },
  );

  // jax-js: the same network, loss and update, with its move semantics (.ref keeps an array)
  type JLayer = { w: JArray; b: JArray };
  const jfrom = (a: Array, shape: number[]) => jnp.array(a.dataSync() as Float32Array).reshape(shape);
  let jparams: JLayer[] = params.map((l) => ({ w: jfrom(l.w, [...l.w.shape]), b: jfrom(l.b, [...l.b.shape]) }));
  let jmom: JLayer[] = jparams.map((l) => ({ w: jnp.zerosLike(l.w.ref), b: jnp.zerosLike(l.b.ref) }));
  const jx = jfrom(x, [200, 784]);
  const jy = jfrom(y, [200, 10]);
  const jloss = (p: JLayer[], xb: JArray, yb: JArray): JArray => {
    let h = xb;
    p.forEach((l, i) => {
      h = jnp.matmul(h, l.w).add(l.b);
      if (i < p.length - 1) h = jaxjs.nn.relu(h);
    });
    return jaxjs.nn
      .logSoftmax(h, -1)
      .mul(yb)
      .sum()
      .mul(-1 / 200);
  };
  const refs = <T>(t: T): T => jaxjs.tree.map((v: JArray) => v.ref, t as never) as T;
  const jstep = jaxjs.jit((p: JLayer[], m: JLayer[], xb: JArray, yb: JArray) => {
    const [l, g] = jaxjs.valueAndGrad(jloss)(refs(p), xb, yb) as [JArray, JLayer[]];
    const m2 = m.map((mi, i) => ({ w: mi.w.mul(0.9).add((g[i] as JLayer).w), b: mi.b.mul(0.9).add((g[i] as JLayer).b) }));
    const p2 = p.map((pi, i) => ({ w: pi.w.sub((m2[i] as JLayer).w.ref.mul(0.01)), b: pi.b.sub((m2[i] as JLayer).b.ref.mul(0.01)) }));
    return [l, p2, m2];
  });

  const timings = compare(
    'MNIST MLP train step (batch 200, jit)',
    'ms',
    1,
    [
      [
        'tenfold',
        () => {
          const r = step(params, mom, x, y);
          params = r.p;
          mom = r.m;
          r.l.item();
          r.l.dispose();
        },
      ],
      [
        'jax-js (wasm)',
        () => {
          const [l, p2, m2] = jstep(jparams, jmom, jx.ref, jy.ref) as [JArray, JLayer[], JLayer[]];
          jparams = p2;
          jmom = m2;
          l.dataSync(); // (jax-js reads consume the array)
        },
      ],
    ],
    { warmupRuns: 5, minRuns: 15, maxRuns: 40, budgetMs: 8000 },
  );
  const [ours, theirs] = timings as [Timing, Timing];
  notes.push(
    `An epoch of the tutorial (300 such steps) is about ${fmt((ours.medianMs * 300) / 1000)} s of train-step compute in tenfold and ${fmt((theirs.medianMs * 300) / 1000)} s in jax-js here (the issue's target: at most 1.4 s, 2× faster than jax-js).`,
  );
}

emit({ group: 'peers', title: 'tenfold against jax-js and TensorFlow.js (WebAssembly, same process, interleaved)', rows, notes });
