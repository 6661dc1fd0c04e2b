// WebGPU benchmarks of @tenfold/gpu (run from the repository root, where tsconfig maps the packages
// to their sources):
//   npx tsx packages/gpu/scripts/bench.ts [matmul] [step] [dispatch] [reduce]
// matmul: GFLOP/s of float32 [n,n]·[n,n] at n = 256, 512, 1024 (each sample: the product, then
// waiting for the queue): the shader before register blocking, then each tiling (the adapter's
// first); step: ms per jitted MNIST-MLP train step (784-200-200-10, batch 200,
// SGD with momentum; each sample awaits the loss), with dispatches batched into one submission and
// the matmuls' epilogues fused, with the epilogues run as kernels of their own, and with one
// submission per dispatch, interleaved; dispatch: 400 small eager ops then a read, the
// same two ways; reduce: a sum over 2^20 and 2^24 elements.
// Prints a table per group; medians of the samples after a warm-up.
import { type Array, type ConcreteArray, np, random, setDefaultBackend } from '@tenfold/core';
import { destroyWebGPU, initWebGPU, type MatmulMode, webgpuBackend } from '@tenfold/gpu';
import { jit, valueAndGrad } from '@tenfold/grad';
import { beforeSource, T } from './matmul-before.js';

const groups = process.argv.slice(2);
const want = (g: string) => groups.length === 0 || groups.includes(g);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[s.length >> 1] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** Times `op` (awaited) `runs` times after `warmup` runs; returns the sorted samples in ms. */
async function time(op: () => Promise<void>, runs: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await op();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await op();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

const report = await initWebGPU();
setDefaultBackend('webgpu');
const backend = webgpuBackend();
console.log(`adapter: ${report.name} (${report.vendor}${report.isFallbackAdapter ? ', fallback' : ''}); ${new Date().toISOString().slice(0, 10)}`);

if (want('matmul')) {
  // the shader before register blocking (scripts/matmul-before.ts) and both tilings of the
  // routine, samples interleaved
  const modes = ['before', backend.matmulMode, backend.matmulMode === 'registers' ? 'shared' : 'registers'];
  const initial = backend.matmulMode;
  console.log('\nmatmul float32 [n,n]·[n,n]');
  console.log('| n | kernel | median ms | GFLOP/s (median) | GFLOP/s (best) | runs |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
  const before = backend.pipeline('bench:matmul-before', 2, 1, () => beforeSource('float32'));
  for (const n of [256, 512, 1024]) {
    const [ka, kb] = random.split(random.key(n));
    const a = random.normal(ka as Array, [n, n]);
    const b = random.normal(kb as Array, [n, n]);
    const reps = n <= 256 ? 8 : n <= 512 ? 2 : 1;
    const tiles = Math.ceil(n / T) ** 2;
    const ints = new Int32Array([1, n, n, n, 0, n, 1, 0, n, 1, Math.ceil(n / T), Math.ceil(n / T)]);
    const ha = backend.buf((a as ConcreteArray).liveHandle('bench'));
    const hb = backend.buf((b as ConcreteArray).liveHandle('bench'));
    const product = (m: string) => {
      if (m !== 'before') {
        backend.matmulMode = m as MatmulMode;
        np.matmul(a, b).dispose();
        return;
      }
      const c = backend.newBuffer('float32', n * n, 'bench');
      backend.dispatch(before, 2, ints, [ha.buffer, hb.buffer, c.buffer], backend.grid(tiles, 'bench'), 'bench');
      backend.releaseBuffer(c);
    };
    const op = (m: string) => async () => {
      for (let r = 0; r < reps; r++) product(m);
      await backend.sync();
    };
    const samples = new Map<string, number[]>(modes.map((m) => [m, []]));
    for (const m of modes) await time(op(m), 0, 2);
    for (let rep = 0; rep < (n >= 1024 ? 7 : 11); rep++) {
      for (const m of modes) (samples.get(m) as number[]).push(...(await time(op(m), 1, 0)));
    }
    const flop = 2 * n ** 3 * reps;
    const gf = (ms: number) => flop / ms / 1e6;
    for (const [m, s] of samples) {
      console.log(`| ${n} | ${m} | ${(median(s) / reps).toFixed(2)} | ${gf(median(s)).toFixed(2)} | ${gf(Math.min(...s)).toFixed(2)} | ${s.length} |`);
    }
    a.dispose();
    b.dispose();
  }
  backend.matmulMode = initial;
}

if (want('step')) {
  type Layer = { w: Array; b: Array };
  const keys = random.split(random.key(0), 5);
  const dense = (k: Array, fanIn: number, fanOut: number): Layer => {
    const [kw, kb] = random.split(k);
    const bound = 1 / Math.sqrt(fanIn);
    return {
      w: random.uniform(kw as Array, [fanIn, fanOut], { minval: -bound, maxval: bound }),
      b: random.uniform(kb as Array, [fanOut], { minval: -bound, maxval: bound }),
    };
  };
  let params: Layer[] = [dense(keys[0] as Array, 784, 200), dense(keys[1] as Array, 200, 200), dense(keys[2] as Array, 200, 10)];
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
  // with the matmuls' epilogues fused (the default) and run as kernels of their own: two jitted
  // copies of the step, each program prepared under its setting
  type Step = ReturnType<typeof jit<typeof step>>;
  const fused: Step = jit(step);
  const separate: Step = jit(step);
  let mom = params.map((l) => ({ w: np.zerosLike(l.w), b: np.zerosLike(l.b) }));
  const program = fused.lower(params, mom, x, y).program;
  let recordMs = 0;
  const one = (jstep: Step) => async () => {
    const t0 = performance.now();
    const r = jstep(params, mom, x, y);
    recordMs += performance.now() - t0;
    for (const l of [...params, ...mom]) {
      l.w.dispose();
      l.b.dispose();
    }
    params = r.params;
    mom = r.mom;
    await r.loss.data();
    r.loss.dispose();
  };
  const batched = backend.batchLimit;
  const modes: { name: string; limit: number; j: Step }[] = [
    { name: 'batched, epilogues fused', limit: batched, j: fused },
    { name: 'batched, epilogues as kernels', limit: batched, j: separate },
    { name: 'one submission per dispatch, epilogues fused', limit: 1, j: fused },
  ];
  const samples = new Map<string, number[]>(modes.map((m) => [m.name, []]));
  const record = new Map<string, number[]>(modes.map((m) => [m.name, []]));
  // each program is prepared (and asks whether epilogues fuse) at its first call
  for (const m of modes) {
    backend.fuseEpilogues = m.j === fused;
    backend.batchLimit = m.limit;
    await time(one(m.j), 0, 3);
  }
  for (let rep = 0; rep < 15; rep++) {
    for (const m of modes) {
      backend.batchLimit = m.limit;
      recordMs = 0;
      (samples.get(m.name) as number[]).push(...(await time(one(m.j), 1, 0)));
      (record.get(m.name) as number[]).push(recordMs);
    }
  }
  backend.batchLimit = batched;
  backend.fuseEpilogues = true;
  const counts: Record<string, number> = {};
  for (const s of program.steps) {
    const kind = s.kind === 'routine' && s.epilogue !== undefined ? 'routine with epilogue' : s.kind;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  console.log(`\njitted MNIST MLP train step (batch 200, SGD momentum): ${JSON.stringify(counts)}`);
  console.log('| mode | median ms | best ms | median ms in the call (recording) | runs |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [m, s] of samples)
    console.log(`| ${m} | ${median(s).toFixed(2)} | ${Math.min(...s).toFixed(2)} | ${median(record.get(m) as number[]).toFixed(2)} | ${s.length} |`);
}

if (want('dispatch')) {
  // dispatch-bound: 200 small eager ops, then one read; batched and one submission per dispatch
  const x = random.uniform(random.key(5), [1000]);
  const chain = async () => {
    let y = x;
    for (let i = 0; i < 200; i++) {
      const z = np.add(np.multiply(y, 0.999), 0.001);
      if (y !== x) y.dispose();
      y = z;
    }
    await y.data();
    y.dispose();
  };
  const limit = backend.batchLimit;
  const modes: [string, number][] = [
    ['batched', limit],
    ['one submission per dispatch', 1],
  ];
  const samples = new Map<string, number[]>(modes.map(([m]) => [m, []]));
  for (const [, l] of modes) {
    backend.batchLimit = l;
    await time(chain, 0, 3);
  }
  for (let rep = 0; rep < 15; rep++) {
    for (const [m, l] of modes) {
      backend.batchLimit = l;
      (samples.get(m) as number[]).push(...(await time(chain, 1, 0)));
    }
  }
  backend.batchLimit = limit;
  console.log('\n400 eager elementwise ops on float32 [1000] (200 × (x·0.999 + 0.001)), then one read');
  console.log('| mode | median ms | best ms | runs |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [m, s] of samples) console.log(`| ${m} | ${median(s).toFixed(2)} | ${Math.min(...s).toFixed(2)} | ${s.length} |`);
}

if (want('reduce')) {
  console.log('\nsum of float32 [n]');
  console.log('| n | median ms | GB/s |');
  console.log('| ---: | ---: | ---: |');
  for (const n of [2 ** 20, 2 ** 24]) {
    const a = random.uniform(random.key(3), [n]);
    const s = await time(async () => {
      np.sum(a).dispose();
      await backend.sync();
    }, 9);
    console.log(`| ${n} | ${median(s).toFixed(2)} | ${((4 * n) / median(s) / 1e6).toFixed(2)} |`);
  }
}

destroyWebGPU();
