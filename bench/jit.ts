// jit against eager on the CPU backend, each pair timed with interleaved samples so the ratio is
// measured in one run: a chain of six cheap elementwise ops on 4·2^20 float32 elements, an Adam
// update over a pytree of 50 small leaves, the cost of calling a cached jitted function, and the
// MNIST MLP's train step (784-200-200-10, batch 200, SGD with momentum), with its compile time.
import { type Array, np, random } from '../packages/core/src/index.js';
import { jit, valueAndGrad } from '../packages/grad/src/index.js';
import { type BenchRow, collectGarbage, emit, fmt, log, measure, measureInterleaved, type Timing, timeRow } from './util.js';

const rows: BenchRow[] = [];
const notes: string[] = [];

/** Times eager and jitted versions of one computation; the jit row notes the speed-up. */
function pair(name: string, eager: () => void, jitted: () => void, target: number | undefined, opts = {}): void {
  collectGarbage();
  const [te, tj] = measureInterleaved([eager, jitted], { warmupRuns: 3, minRuns: 9, maxRuns: 30, budgetMs: 4000, ...opts }) as [Timing, Timing];
  const speedup = te.medianMs / tj.medianMs;
  rows.push(timeRow(`${name}: eager`, 'ms', te));
  rows.push({
    name: `${name}: jit speed-up (eager / jit)`,
    unit: '×',
    higherIsBetter: true,
    value: speedup,
    best: te.minMs / tj.minMs,
    runs: tj.samples.length,
    medianMs: tj.medianMs,
    minMs: tj.minMs,
    opsPerSample: 1,
    ...(target !== undefined ? { target } : {}),
    note: `jit ${fmt(tj.medianMs)} ms`,
  });
  log(`${name}: eager ${fmt(te.medianMs)} ms, jit ${fmt(tj.medianMs)} ms, ${fmt(speedup)}×`);
}

// 1. ((x*1.5+0.5)*x-1)*0.5+x on 4M float32
{
  const N = 4 * 2 ** 20;
  const x = random.uniform(random.key(1), [N]);
  const chain = (v: Array) => np.add(np.multiply(np.subtract(np.multiply(np.add(np.multiply(v, 1.5), 0.5), v), 1), 0.5), v);
  const jchain = jit(chain);
  pair(
    'elementwise chain of 6 ops, float32 [4194304]',
    () => chain(x).dispose(),
    () => jchain(x).dispose(),
    3,
  );
}

// 2. Adam over a pytree of 50 leaves of 64 elements
{
  const leaves = 50;
  const keys = random.split(random.key(2), leaves);
  const params: Array[] = keys.map((k) => random.normal(k, [64]));
  const grads = params.map((p) => np.multiply(p, 0.1));
  const zeros = params.map((p) => np.zerosLike(p));
  type AdamState = { m: Array[]; v: Array[] };
  const [b1, b2, lr, eps] = [0.9, 0.999, 1e-3, 1e-8];
  const adam = (p: Array[], g: Array[], s: AdamState) => {
    const m = s.m.map((mi, i) => np.add(np.multiply(mi, b1), np.multiply(g[i] as Array, 1 - b1)));
    const v = s.v.map((vi, i) => np.add(np.multiply(vi, b2), np.multiply(np.square(g[i] as Array), 1 - b2)));
    const next = p.map((pi, i) => np.subtract(pi, np.multiply(np.divide(m[i] as Array, np.add(np.sqrt(v[i] as Array), eps)), lr)));
    return { p: next, s: { m, v } };
  };
  const jadam = jit(adam);
  const state = { m: zeros, v: zeros };
  const dispose = (r: { p: Array[]; s: AdamState }) => {
    for (const a of [...r.p, ...r.s.m, ...r.s.v]) a.dispose();
  };
  pair(
    'Adam update, 50 leaves of [64]',
    () => dispose(adam(params, grads, state)),
    () => dispose(jadam(params, grads, state)),
    5,
  );
}

// 3. calling a cached jitted function with two small arguments
{
  const add = jit((a: Array, b: Array) => np.add(a, b));
  const a = np.array([1, 2], { dtype: 'float32' });
  const b = np.array([3, 4], { dtype: 'float32' });
  const t = measure(() => add(a, b).dispose(), { batch: 2000, minRuns: 9, maxRuns: 20 });
  rows.push(timeRow('cached jit call, two float32 [2] arguments', 'µs/op', t, { target: 20 }));
  log(`cached jit call: ${fmt((t.medianMs * 1000) / t.batch)} µs`);
}

// 4. the MNIST MLP train step
{
  type Layer = { w: Array; b: Array };
  const keys = random.split(random.key(0), 5);
  const dense = (k: Array, fanIn: number, fanOut: number): Layer => {
    const [kw, kb] = random.split(k);
    const bound = 1 / Math.sqrt(fanIn);
    return { w: random.uniform(kw, [fanIn, fanOut], { minval: -bound, maxval: bound }), b: random.uniform(kb, [fanOut], { minval: -bound, maxval: bound }) };
  };
  const params: Layer[] = [dense(keys[0] as Array, 784, 200), dense(keys[1] as Array, 200, 200), dense(keys[2] as Array, 200, 10)];
  const x = random.normal(keys[3] as Array, [200, 784]);
  const y = random.randint(keys[4] as Array, [200], 0, 10);
  const loss = (p: Layer[], xb: Array, yb: Array): Array => {
    let h = xb;
    p.forEach((l, i) => {
      h = np.add(np.matmul(h, l.w), l.b);
      if (i < p.length - 1) h = np.relu(h);
    });
    return np.negative(np.mean(np.takeAlongAxis(np.logSoftmax(h, -1), np.expandDims(yb, 1), 1)));
  };
  const step = (p: Layer[], mom: Layer[], xb: Array, yb: Array) => {
    const [l, g] = valueAndGrad(loss)(p, xb, yb) as [Array, Layer[]];
    const m = mom.map((mi, i) => ({ w: np.add(np.multiply(mi.w, 0.9), (g[i] as Layer).w), b: np.add(np.multiply(mi.b, 0.9), (g[i] as Layer).b) }));
    const next = p.map((pi, i) => ({ w: np.subtract(pi.w, np.multiply((m[i] as Layer).w, 0.01)), b: np.subtract(pi.b, np.multiply((m[i] as Layer).b, 0.01)) }));
    return { loss: l, params: next, mom: m };
  };
  const jstep = jit(step);
  const mom = params.map((l) => ({ w: np.zerosLike(l.w), b: np.zerosLike(l.b) }));
  const t0 = performance.now();
  jstep(params, mom, x, y);
  const compileMs = performance.now() - t0;
  const kernels = jstep.lower(params, mom, x, y).program.kernelCount;
  const dispose = (r: { loss: Array; params: Layer[]; mom: Layer[] }) => {
    r.loss.dispose();
    for (const l of [...r.params, ...r.mom]) {
      l.w.dispose();
      l.b.dispose();
    }
  };
  pair(
    'MNIST MLP train step (batch 200, SGD momentum)',
    () => dispose(step(params, mom, x, y)),
    () => dispose(jstep(params, mom, x, y)),
    1,
    { budgetMs: 8000, maxRuns: 20 },
  );
  const c = measure(() => jit(step)(params, mom, x, y), { warmupRuns: 0, minRuns: 3, maxRuns: 3 });
  rows.push(timeRow('MNIST MLP train step: first call (trace + compile + run)', 'ms', c));
  notes.push(
    `The jitted train step compiles to ${kernels} kernels plus its matmul routines; the first call in this process took ${fmt(compileMs)} ms (trace, compile, run).`,
  );
}

emit({
  group: 'jit',
  title: 'jit against eager (CPU backend)',
  rows,
  notes: [
    'Pairs are timed with interleaved samples in one process; "speed-up" is eager median / jit median. Results are disposed inside the timed loop.',
    ...notes,
  ],
});
