// `npm run bench:gpu`: tenfold's WebGPU backend against TensorFlow.js's and jax-js's WebGPU
// backends in one Node process on one Dawn GPU object (issue 14's performance section): float32
// matmul at n = 256, 1024, 2048 (and 4096 on a hardware adapter), tanh(1.5x+0.5)*x-1 on 4M
// elements, and an MNIST MLP epoch (300 jitted train steps, each awaiting its loss). Samples of
// the three libraries are interleaved; the table gives medians and tenfold's ratio to the faster
// peer, and is written into BENCHMARKS.md in a section named by the adapter.
//
//   npm run bench:gpu                          all workloads, writes BENCHMARKS.md
//   npm run bench:gpu -- --only=matmul,mlp     a subset, printed only
//   npm run bench:gpu -- --no-write            all, printed only
//   npm run bench:gpu -- --dawn=adapter=llvmpipe   flags for Dawn's create() (pick an adapter)
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { destroyWebGPU } from '../packages/gpu/src/index.js';
import type { Case } from './gpu/case.js';
import { elementwiseCases } from './gpu/elementwise.js';
import { startLibs } from './gpu/libs.js';
import { matmulCases } from './gpu/matmul.js';
import { type AsyncMeasureOptions, measureInterleavedAsync } from './gpu/measure.js';
import { mlpCases } from './gpu/mlp.js';
import { markdown } from './gpu/report.js';
import type { Workload } from './gpu/result.js';
import { slug, writeSection } from './gpu/write.js';
import { fmt, log } from './util.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string) => args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const only = opt('only').flatMap((s) => s.split(','));
const want = (w: string) => only.length === 0 || only.includes(w);
const write = only.length === 0 && !args.includes('--no-write');

const EPOCH_STEPS = 300; // 60000 examples / batch 200
const CHUNK = 30; // steps per sample: 10 samples of each library make one epoch

const t0 = performance.now();
const loadStart = os.loadavg()[0] ?? 0;
const libs = await startLibs(opt('dawn'));
const hw = !libs.report.isFallbackAdapter;
// the issue's targets: on lavapipe at least 1.5× the faster peer on every workload; on a GPU, matmul
// 4096 at least half of jax-js
const LAVAPIPE_TARGET = hw ? undefined : { ratio: 1.5 };
log(`adapter: ${libs.report.name}${hw ? '' : ' (fallback)'}; peers missing: ${[...libs.missing].map(([k, v]) => `${k}: ${v}`).join('; ') || 'none'}`);

const workloads: Workload[] = [];
async function measure(
  name: string,
  unit: string,
  higherIsBetter: boolean,
  figure: (ms: number) => number,
  sample: string,
  cases: Case[],
  o: AsyncMeasureOptions,
  target: Workload['target'] = LAVAPIPE_TARGET,
) {
  log(`${name}...`);
  const timings = await measureInterleavedAsync(
    cases.map((c) => c.op),
    o,
  );
  for (const c of cases) c.dispose();
  const w: Workload = {
    name,
    unit,
    higherIsBetter,
    figure,
    sample,
    results: cases.map((c, i) => ({ who: c.who, timing: timings[i] as Workload['results'][number]['timing'] })),
    ...(target ? { target } : {}),
  };
  for (const r of w.results) log(`  ${r.who}: ${r.timing instanceof Error ? `failed: ${r.timing.message}` : `${fmt(figure(r.timing.medianMs))} ${unit}`}`);
  workloads.push(w);
}

if (want('matmul')) {
  // enough products per sample that a hardware adapter's sample is not just the queue's latency
  const plan: [number, number][] = hw
    ? [
        [256, 64],
        [1024, 16],
        [2048, 4],
        [4096, 1],
      ]
    : [
        [256, 8],
        [1024, 1],
        [2048, 1],
      ];
  for (const [n, reps] of plan) {
    const big = !hw && n >= 2048;
    await measure(
      `matmul n=${n}`,
      'GFLOP/s',
      true,
      (ms) => (2 * n ** 3 * reps) / ms / 1e6,
      `${reps} product${reps > 1 ? 's' : ''}, then waiting for the device`,
      matmulCases(libs, n, reps),
      { warmupRuns: big ? 1 : 2, minRuns: big ? 5 : 9, maxRuns: 15, budgetMs: big ? 0 : 20_000 },
      hw && n === 4096 ? { ratio: 0.5, peer: 'jax-js' } : LAVAPIPE_TARGET,
    );
  }
}

if (want('elementwise')) {
  const size = 4 * 2 ** 20;
  await measure('tanh(1.5x+0.5)·x−1, 4M float32', 'ms', false, (ms) => ms, 'one evaluation, then waiting for the device', elementwiseCases(libs, size), {
    warmupRuns: 3,
    minRuns: 9,
    maxRuns: 25,
    budgetMs: 10_000,
  });
}

if (want('mlp')) {
  await measure(
    'MNIST MLP epoch (300 train steps)',
    's',
    false,
    (ms) => (ms * (EPOCH_STEPS / CHUNK)) / 1000,
    `${CHUNK} train steps, each awaiting its loss (an epoch is ${EPOCH_STEPS / CHUNK} samples)`,
    mlpCases(libs, CHUNK),
    { warmupRuns: 1, minRuns: EPOCH_STEPS / CHUNK, maxRuns: EPOCH_STEPS / CHUNK, budgetMs: 0 },
  );
}

destroyWebGPU();
const version = (pkg: string) => {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
};
const peers = ['TensorFlow.js', 'jax-js'];
const notes = [
  'Each library runs on its own device from the same Dawn GPU object (npm `webgpu`), handed to TensorFlow.js and jax-js as `navigator.gpu` with the WebGPU enums as globals (bench/gpu/navigator.ts): Node 20 has no `navigator`, and both read `GPUBufferUsage` and friends as globals.',
  'Waiting for the device: tenfold `backend.sync()`, jax-js `blockUntilReady()` (it records lazily, so each result is asked for), TensorFlow.js `submitQueue()` then `device.queue.onSubmittedWorkDone()`. Matmul inputs are the same random float32 values in every library.',
  'tanh workload: jitted into one kernel by tenfold and jax-js; TensorFlow.js has no jit and runs it eagerly (one kernel per op) inside `tf.tidy`.',
  'MLP: 784-200-200-10, batch 200, softmax cross-entropy, SGD with momentum 0.9 and learning rate 0.01, same initial weights; tenfold and jax-js jit the whole step (gradient and update), TensorFlow.js runs the same forward and backward ops eagerly, its gradients written out (the Node build of tfjs-core registers none; `bench/gpu/mlp.ts`). Every step awaits its loss. The batch is the same random [200, 784] each step (a real loop uploads 0.6 MB per step more). The epoch figure is the median sample × 10; the 10 samples are one full epoch of 300 steps.',
];
const info = {
  adapter: libs.report.name,
  vendor: libs.report.vendor,
  fallback: libs.report.isFallbackAdapter,
  command: `npm run bench:gpu${args.length ? ` -- ${args.join(' ')}` : ''}`,
  date: new Date().toISOString(),
  seconds: (performance.now() - t0) / 1000,
  loadStart,
  loadEnd: os.loadavg()[0] ?? 0,
  versions: {
    'npm webgpu (Dawn)': version('webgpu'),
    '@tensorflow/tfjs-backend-webgpu': version('@tensorflow/tfjs-backend-webgpu'),
    '@jax-js/jax': version('@jax-js/jax'),
  },
};
const body = markdown(info, workloads, peers, [...[...libs.missing].map(([k, v]) => `${k} could not run: ${v}`), ...notes]);
const title = `WebGPU against TensorFlow.js and jax-js: ${libs.report.name.replace(/ \(.*$/, '')} (issue 14)`;
process.stdout.write(`${title}\n\n${body}\n`);
if (write) {
  writeSection(path.join(root, 'BENCHMARKS.md'), libs.report.name, title, body);
  log(`wrote BENCHMARKS.md (section ${slug(libs.report.name)})`);
}
process.exit(0);
