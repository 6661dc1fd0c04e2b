// A user's program, built from the packed packages (scripts/check-packages.ts installs the
// tarballs into a fresh project, type-checks this file strictly — lib es2022 + dom, no @types,
// skipLibCheck false — and runs it). Each check is a value a broken package would get wrong.
import { type Array, np, random, tree, version } from '@tenfold/core';
import { initWebGPU } from '@tenfold/gpu';
import { grad, jit, valueAndGrad, vmap } from '@tenfold/grad';
import { checkGrads } from '@tenfold/grad/testing';
import { dense, initTrainState, logSoftmax, meanLossAsync, nllLoss, relu, sequential, sgd, trainStep } from '@tenfold/nn';
import { loadCheckpoint, saveCheckpoint } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`package check failed: ${what}`);
  console.log(`ok: ${what}`);
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

check(/^\d+\.\d+\.\d+/.test(version), `core's version is exported (${version})`);

const x = np.array([1, 2, 3, 4], { dtype: 'float32' }).reshape(2, 2);
check(
  same(await np.add(np.matmul(x, x), 1).tolistAsync(), [
    [8, 11],
    [16, 23],
  ]),
  'np: matmul and broadcasting add',
);
check((await np.array([1, 2, 3]).sum().itemAsync()) === 6, 'itemAsync');
check(
  same(
    globalThis.Array.from(await random.bits(random.key(1701), [3]).data()).map((v) => v >>> 0),
    [1111271205, 2679469115, 974515252],
  ),
  "random.bits matches JAX's threefry",
);
check(tree.structure({ b: [1, 2], a: x }).toString() === "PyTreeDef({'a': *, 'b': [*, *]})", 'tree.structure');

const f = (v: Array) => np.sum(np.multiply(v, v));
const v = np.array([1, -2, 3], { dtype: 'float32' });
check(same(await grad(f)(v).tolistAsync(), [2, -4, 6]), 'grad of a sum of squares');
const [value, g] = valueAndGrad(f)(v);
check((await value.itemAsync()) === 14 && same(await g.tolistAsync(), [2, -4, 6]), 'valueAndGrad');
check(same(await jit(f)(v).tolistAsync(), 14), 'jit');
check(same(await vmap((r: Array) => np.sum(r))(x).tolistAsync(), [3, 7]), 'vmap over rows');
checkGrads((a: Array) => np.sum(np.tanh(a)), [np.array([0.5, -1], { dtype: 'float64' })]);
check(true, '@tenfold/grad/testing: checkGrads');

// a few SGD steps of a tiny MLP on a fixed problem lower the loss
const model = sequential(dense(4, 8), relu(), dense(8, 3), logSoftmax());
type Params = ReturnType<typeof model.init>;
type Batch = { readonly images: Array; readonly labels: Array };
const loss = (p: Params, b: Batch) => nllLoss(model.apply(p, b.images), b.labels);
const optimizer = sgd({ lr: 0.1, momentum: 0.9 });
const step = trainStep(loss, optimizer, { jit: true });
const batch: Batch = { images: random.normal(random.key(1), [12, 4]), labels: np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], { dtype: 'int32' }) };
let state = initTrainState(model.init(random.key(0)), optimizer);
const losses: Array[] = [];
for (let i = 0; i < 20; i++) {
  const r = step(state, batch);
  state = r.state;
  losses.push(r.loss);
}
const first = (await losses[0]?.itemAsync()) as number;
const last = (await losses.at(-1)?.itemAsync()) as number;
check(last < first * 0.8, `trainStep (jit) lowers the loss: ${first.toFixed(4)} -> ${last.toFixed(4)}`);
check(Number.isFinite(await meanLossAsync(losses)), 'meanLossAsync');

// a checkpoint round trip (safetensors, atomic write) gives back the same values
const saved = saveCheckpoint('params.safetensors', state.params);
check(E.isRight(saved), 'saveCheckpoint');
const loaded = loadCheckpoint('params.safetensors');
if (E.isLeft(loaded)) throw new Error(loaded.left.reason);
const before = await Promise.all(tree.leaves(state.params).map(async (l) => (typeof l === 'object' ? globalThis.Array.from(await l.data()) : [l])));
const after = await Promise.all(tree.leaves(loaded.right.params).map(async (l) => (typeof l === 'object' ? globalThis.Array.from(await l.data()) : [l])));
check(same(before, after), 'loadCheckpoint gives back the saved parameters');

// the disposable protocol is part of the types with lib es2022 (no ESNext.Disposable)
const tmp = np.ones([3]);
tmp[Symbol.dispose]();
check(tmp.toString().includes('disposed'), 'Array[Symbol.dispose]');

check(typeof initWebGPU === 'function', '@tenfold/gpu loads (the device is not started here)');

// An array made by a second copy of @tenfold/core (unpacked beside this project by the check)
// is named as such where grad meets it.
const secondCopy = (await import(new URL('./second-copy/package/dist/index.js', import.meta.url).href)) as typeof import('@tenfold/core');
const foreign = secondCopy.np.array([1, 2], { dtype: 'float32' }) as unknown as Array;
let message = '';
try {
  grad(f)(foreign);
} catch (e) {
  message = e instanceof Error ? e.message : String(e);
}
check(
  message.includes('two copies of @tenfold/core are loaded') && message.includes('second-copy/package/') && message.includes('node_modules/@tenfold/core/'),
  'an array of a second copy of core: the error names both copies',
);
