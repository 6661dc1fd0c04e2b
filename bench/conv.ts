// conv2d and pooling for an MNIST-sized batch (NCHW, OIHW kernels, stride 1, 'SAME'):
// layer 1 [N,1,28,28] * [32,1,5,5], layer 2 [N,32,14,14] * [64,32,5,5], and 2×2 max pooling
// (lax.reduceWindow, stride 2) of [N,32,28,28].
import { lax, np } from '../packages/core/src/index.js';
import { type BenchRow, collectGarbage, emit, log, measure, randomFloat32, throughputRow, timeRow } from './util.js';

const N = 64;
const rows: BenchRow[] = [];
const opts = { warmupRuns: 1, warmupMs: 300, minRuns: 5, maxRuns: 15, budgetMs: 2500 };

function convCase(label: string, C: number, H: number, W: number, O: number, K: number): void {
  const x = np.array(randomFloat32(N * C * H * W, 1), { shape: [N, C, H, W] });
  const w = np.array(randomFloat32(O * C * K * K, 2, -0.1, 0.1), { shape: [O, C, K, K] });
  const out = lax.conv(x, w, { padding: 'SAME' });
  const [, , OH, OW] = out.shape as [number, number, number, number];
  out.dispose();
  const flops = 2 * N * O * OH * OW * C * K * K;
  const t = measure(() => lax.conv(x, w, { padding: 'SAME' }).dispose(), opts);
  const name = `${label}: [${N},${C},${H},${W}] * [${O},${C},${K},${K}] → [${N},${O},${OH},${OW}]`;
  const r = throughputRow(name, 'GFLOP/s', flops / 1e9, t, { note: `${t.medianMs.toFixed(1)} ms per batch (best ${t.minMs.toFixed(1)})` });
  rows.push(r);
  log(`${name}: ${r.value.toFixed(2)} GFLOP/s, ${t.medianMs.toFixed(1)} ms/batch (median of ${r.runs})`);
  x.dispose();
  w.dispose();
  collectGarbage();
}

convCase('conv layer 1', 1, 28, 28, 32, 5);
convCase('conv layer 2', 32, 14, 14, 64, 5);

{
  const shape = [N, 32, 28, 28];
  const size = N * 32 * 28 * 28;
  const x = np.array(randomFloat32(size, 3), { shape });
  const pool = () => lax.reduceWindow(x, 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] });
  const outSize = pool().size;
  const t = measure(() => pool().dispose(), opts);
  const gb = (4 * (size + outSize)) / 1e9;
  const name = `max pool 2×2 stride 2: [${shape.join(',')}] → [${N},32,14,14]`;
  const r = timeRow(name, 'ms', t, { note: `${(gb / (t.medianMs / 1000)).toFixed(2)} GB/s (reads + writes, 4 × ${size + outSize} bytes)` });
  rows.push(r);
  log(`${name}: ${r.value.toFixed(2)} ms (median of ${r.runs})`);
  x.dispose();
}

emit({
  group: 'conv',
  title: `conv2d and pooling, MNIST-sized batch (N = ${N}, float32, NCHW, stride 1, 'SAME')`,
  rows,
  notes: [
    'conv GFLOP/s = 2·N·O·OH·OW·C·KH·KW / time (the padded border is counted as if it were computed). The issue sets no target for these.',
    'Max pooling is lax.reduceWindow(x, "max", [1,1,2,2], { windowStrides: [1,1,2,2] }); its row is in ms per batch, GB/s in the note.',
  ],
});
