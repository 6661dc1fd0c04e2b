// Conv on WebGPU: the implicit GEMM (routines/conv.ts) against the direct convolution kernel
// (routines/window.ts), on the MNIST CNN's conv layers and the convs of their gradients (as grad's
// transpose rules build them: the input gradient a conv of the cotangent with the swapped,
// reversed kernel, the weight gradient a conv of the swapped input with the swapped cotangent).
// Run from the repository root:
//   npx tsx packages/gpu/scripts/bench-conv.ts [batch] [name filter]
// Samples interleave the two kernels (RUNS each, default 3: the direct kernel takes seconds);
// prints medians (ms, each a conv and a wait for the queue) and the speed-up.
import { type Array, lax, random, setDefaultBackend } from '@tenfold/core';
import { destroyWebGPU, initWebGPU, webgpuBackend } from '@tenfold/gpu';
import { convSettings } from '../src/routines/conv.js';

const N = Number(process.argv[2] ?? 64);
const only = process.argv[3] ?? '';
const runs = Number(process.env.RUNS ?? 3);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[s.length >> 1] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const report = await initWebGPU();
setDefaultBackend('webgpu');
const backend = webgpuBackend();
console.log(`adapter: ${report.name} (${report.vendor}${report.isFallbackAdapter ? ', fallback' : ''}); ${new Date().toISOString().slice(0, 10)}; batch ${N}`);

const SAME5: [number, number][] = [
  [2, 2],
  [2, 2],
];
/** [name, lhs shape, rhs shape]: 5×5 SAME convs, stride 1 (their gradients' padding is SAME too). */
const layers: [string, number[], number[]][] = [
  ['conv1 fwd [N,1,28,28]*[32,1,5,5]', [N, 1, 28, 28], [32, 1, 5, 5]],
  ['conv1 dX [N,32,28,28]*[1,32,5,5]', [N, 32, 28, 28], [1, 32, 5, 5]],
  ['conv1 dW [1,N,28,28]*[32,N,28,28]', [1, N, 28, 28], [32, N, 28, 28]],
  ['conv2 fwd [N,32,14,14]*[64,32,5,5]', [N, 32, 14, 14], [64, 32, 5, 5]],
  ['conv2 dX [N,64,14,14]*[32,64,5,5]', [N, 64, 14, 14], [32, 64, 5, 5]],
  ['conv2 dW [32,N,14,14]*[64,N,14,14]', [32, N, 14, 14], [64, N, 14, 14]],
];

console.log('\n| conv | direct ms | implicit GEMM ms | speed-up | GFLOP/s (GEMM) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, xs, ws] of layers.filter(([n]) => n.includes(only))) {
  const [k1, k2] = random.split(random.key(xs.length + (ws[0] as number)));
  const x = random.normal(k1 as Array, xs);
  const w = random.normal(k2 as Array, ws);
  const op = (gemm: boolean) => async () => {
    convSettings.implicitGemm = gemm;
    const t0 = performance.now();
    lax.conv(x, w, { padding: SAME5 }).dispose();
    await backend.sync();
    return performance.now() - t0;
  };
  const first = lax.conv(x, w, { padding: SAME5 });
  // 2 flops per term of each output's Cg·KH·KW-term dot product
  const flops = 2 * first.size * (ws[1] as number) * (ws[2] as number) * (ws[3] as number);
  first.dispose();
  const samples: Record<'direct' | 'gemm', number[]> = { direct: [], gemm: [] };
  await op(false)();
  await op(true)();
  for (let r = 0; r < runs; r++) {
    samples.direct.push(await op(false)());
    samples.gemm.push(await op(true)());
  }
  const d = median(samples.direct);
  const g = median(samples.gemm);
  console.log(`| ${name} | ${d.toFixed(1)} | ${g.toFixed(1)} | ${(d / g).toFixed(1)}× | ${(flops / g / 1e6).toFixed(2)} |`);
  x.dispose();
  w.dispose();
}
convSettings.implicitGemm = true;
destroyWebGPU();
