// Eager dispatch overhead: microseconds per op on tiny arrays, where the kernel's work is
// negligible and the time is the API layer (promotion, broadcasting checks, shape inference,
// the trace stack, kernel lookup, buffer allocation) plus dispose. Each sample is a batch of
// BATCH ops; the table reports the median (and minimum) over samples.
import { lax, np, withBackend } from '../packages/core/src/index.js';
import { type BenchRow, emit, fmt, log, measureInterleaved, type Timing, timeRow } from './util.js';

const BATCH = 10_000;
const TARGET_TINY_ADD_US = 5;

const x = np.array(new Float32Array([1, 2]), { shape: [2] });
const y = np.array(new Float32Array([3, 4]), { shape: [2] });
const m = np.array(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
// the same on the pure JavaScript backend (no WebAssembly heap): the default must not be slower
const [xj, yj] = withBackend('js', () => [np.array(new Float32Array([1, 2]), { shape: [2] }), np.array(new Float32Array([3, 4]), { shape: [2] })]);

let sink = 0;
const cases: [string, () => void][] = [
  ['np.add(x, y), float32 [2]', () => np.add(x, y).dispose()],
  ['np.add(x, 1), JS scalar', () => np.add(x, 1).dispose()],
  ['np.matmul(m, m), [2,2]', () => np.matmul(m, m).dispose()],
  ['np.sum(x), [2] → scalar', () => np.sum(x).dispose()],
  ['lax.add(x, y) (primitive, no NumPy layer)', () => lax.add(x, y).dispose()],
  ["np.add(x, y), float32 [2], on the 'js' backend", () => np.add(xj as never, yj as never).dispose()],
  [
    'reference: new Float32Array(2) + JS loop',
    () => {
      const out = new Float32Array(2);
      const a = new Float32Array([1, 2]);
      for (let i = 0; i < 2; i++) out[i] = (a[i] as number) + 1;
      sink += out[1] as number;
    },
  ],
];

const timings = measureInterleaved(
  cases.map((c) => c[1]),
  { batch: BATCH, warmupRuns: 5, warmupMs: 500, minRuns: 11, maxRuns: 60, budgetMs: 4000 },
) as Timing[];
const base = timings[0] as Timing;
const rows: BenchRow[] = cases.map(([name], i) => {
  const t = timings[i] as Timing;
  const row = timeRow(name, 'µs/op', t, i === 0 ? { target: TARGET_TINY_ADD_US } : { note: `${fmt(t.medianMs / base.medianMs)}× the tiny add` });
  log(`${name}: ${row.value.toFixed(2)} µs/op (median of ${row.runs} batches of ${BATCH})`);
  return row;
});
if (sink === 0.5) log('');

emit({
  group: 'dispatch',
  title: 'Eager dispatch overhead (tiny operands)',
  rows,
  notes: [
    `Each sample runs ${BATCH} ops (each result disposed); the cases' samples are interleaved, so the "× the tiny add" ratios compare like with like.`,
    'np.add(x, 1) includes making the weakly typed scalar operand and broadcasting it; np.sum reduces to a 0-d array.',
  ],
});
