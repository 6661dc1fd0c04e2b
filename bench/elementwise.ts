// Elementwise throughput on 4·2^20 float32 elements: add counts 3·4·N bytes (two reads, one
// write), exp 2·4·N. A plain JS loop over Float32Arrays (allocating its output, as the library
// must) is timed in the same process as a reference for what V8 scalar code reaches here.
import { np } from '../packages/core/src/index.js';
import { type BenchRow, collectGarbage, emit, fmt, log, measureInterleaved, randomFloat32, type Timing, throughputRow } from './util.js';

const N = 4 * 2 ** 20;
const TARGET_ADD_GBS = 2;
const opts = { warmupRuns: 3, minRuns: 9, maxRuns: 40, budgetMs: 2500 };

const xs = randomFloat32(N, 1);
const ys = randomFloat32(N, 2);
const x = np.array(xs, { shape: [N] });
const y = np.array(ys, { shape: [N] });

// Raw-loop references. The outputs are kept in a sink so V8 cannot drop the work.
let sink = 0;
function rawAdd(): void {
  const out = new Float32Array(N);
  for (let i = 0; i < N; i++) out[i] = (xs[i] as number) + (ys[i] as number);
  sink += out[N - 1] as number;
}
function rawExp(): void {
  const out = new Float32Array(N);
  for (let i = 0; i < N; i++) out[i] = Math.exp(xs[i] as number);
  sink += out[N - 1] as number;
}

const addBytes = (3 * 4 * N) / 1e9;
const expBytes = (2 * 4 * N) / 1e9;
/** Times a library op and its JS-loop reference with interleaved samples, so their ratio is fair. */
const pair = (name: string, op: () => void, refName: string, ref: () => void, gb: number, extra: Partial<BenchRow> = {}): [BenchRow, BenchRow] => {
  collectGarbage();
  const [t, tRef] = measureInterleaved([op, ref], opts) as [Timing, Timing];
  const row = throughputRow(name, 'GB/s', gb, t, extra);
  const refRow = throughputRow(refName, 'GB/s', gb, tRef);
  row.note = `${fmt(row.value / refRow.value)}× the JS loop`;
  log(`${name}: ${row.value.toFixed(2)} GB/s (median of ${row.runs}, ${row.medianMs.toFixed(2)} ms); JS loop ${refRow.value.toFixed(2)} GB/s`);
  return [row, refRow];
};

const [add, rawA] = pair('np.add(x, y)', () => np.add(x, y).dispose(), 'reference: JS loop a[i] + b[i]', rawAdd, addBytes, { target: TARGET_ADD_GBS });
const [exp, rawE] = pair('np.exp(x)', () => np.exp(x).dispose(), 'reference: JS loop Math.exp(a[i])', rawExp, expBytes);
if (sink === 0.5) log('');

emit({
  group: 'elementwise',
  title: `Elementwise throughput (float32, N = 4·2^20 = ${N} elements)`,
  rows: [add, rawA, exp, rawE],
  notes: [
    'Bytes counted: add 3 × 4 × N (read x, read y, write out), exp 2 × 4 × N. The result is disposed inside the timed loop.',
    'The reference rows are a plain TypeScript loop over Float32Arrays that allocates its output, timed in the same process; "× the JS loop" is the ratio of medians from this run.',
  ],
});
