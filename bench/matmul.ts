// float32 matmul throughput: np.matmul of two n×n float32 arrays, 2n³ flops per product.
import { np } from '../packages/core/src/index.js';
import { type BenchRow, collectGarbage, emit, log, measure, randomFloat32, throughputRow } from './util.js';

const TARGET_GFLOPS_1024 = 4;
const rows: BenchRow[] = [];

for (const n of [256, 512, 1024]) {
  const a = np.array(randomFloat32(n * n, 1), { shape: [n, n] });
  const b = np.array(randomFloat32(n * n, 2), { shape: [n, n] });
  const flops = 2 * n * n * n;
  const t = measure(() => np.matmul(a, b).dispose(), {
    warmupRuns: 1,
    warmupMs: n >= 1024 ? 0 : 300,
    minRuns: n >= 1024 ? 5 : 7,
    budgetMs: n >= 1024 ? 4000 : 1500,
  });
  const row = throughputRow(`n=${n}`, 'GFLOP/s', flops / 1e9, t, n === 1024 ? { target: TARGET_GFLOPS_1024 } : {});
  rows.push(row);
  log(`matmul n=${n}: ${row.value.toFixed(2)} GFLOP/s (median of ${row.runs}, ${t.medianMs.toFixed(1)} ms)`);
  a.dispose();
  b.dispose();
  collectGarbage();
}

emit({
  group: 'matmul',
  title: 'float32 matmul (np.matmul, n×n @ n×n)',
  rows,
  notes: [
    'GFLOP/s = 2n³ / time per product. "Median" uses the median time, "Best" the minimum time; the product is disposed inside the timed loop.',
    "Reference from the issue (not measured here): TensorFlow.js's pure-JS CPU backend reaches about 0.8 GFLOP/s at n=1024.",
  ],
});
