// Training helpers: trainStep reduces the loss on a tiny problem, fitEpoch is the fold of manual
// steps (arrays and iterables, sync and async), and runs are deterministic given their keys.
import { type Array, np, random, tree } from '@tenfold/core';
import {
  adam,
  crossEntropy,
  dense,
  dropout,
  fitEpoch,
  fitEpochAsync,
  initTrainState,
  meanLoss,
  mse,
  type OptState,
  type ParamsOf,
  relu,
  sequential,
  sgd,
  type TrainState,
  trainStep,
} from '@tenfold/nn';
import { describe, expect, expectTypeOf, it } from 'vitest';

const vals = (x: Array): number[] => globalThis.Array.from(x.dataSync() as ArrayLike<number>);
const leafValues = (t: unknown): number[][] => tree.leaves(t).map((l) => (typeof l === 'object' ? vals(l) : [Number(l)]));

type Batch = [Array, Array];

/** A separable 3-class problem: labels are the argmax of x·Wtrue. */
function makeData(seed: number, n: number): Batch {
  const [kx, kw] = random.split(random.key(seed));
  const x = random.normal(kx, [n, 4]);
  const w = random.normal(kw, [4, 3]);
  return [x, np.argmax(np.matmul(x, w), -1)];
}

function batchesOf([x, y]: Batch, size: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < (x.shape[0] as number); i += size) out.push([x.index(np.slice(i, i + size)), y.index(np.slice(i, i + size))]);
  return out;
}

const model = sequential(dense(4, 16), relu(), dense(16, 3));
type Params = ParamsOf<typeof model>;
const lossFn = (p: Params, [x, y]: Batch): Array => crossEntropy(model.apply(p, x), y);

describe('trainStep', () => {
  it('reduces the loss on a tiny synthetic problem', () => {
    const data = makeData(0, 64);
    const optimizer = sgd({ lr: 0.1, momentum: 0.9 });
    const step = trainStep(lossFn, optimizer);
    let state = initTrainState(model.init(random.key(1)), optimizer);
    expectTypeOf(state).toEqualTypeOf<TrainState<Params, OptState<Params, 'sgd'>>>();
    const initial = lossFn(state.params, data).item() as number;
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = step(state, data);
      state = r.state;
      losses.push(r.loss.item() as number);
    }
    expect(losses[0]).toBeCloseTo(initial, 5); // the loss is the one before the update
    expect(state.step).toBe(30);
    expect(state.optState.count).toBe(30);
    const final = lossFn(state.params, data).item() as number;
    expect(final).toBeLessThan(0.5 * initial);
  });

  it('works with adam and an mse regression', () => {
    const [x] = makeData(2, 32);
    const target = np.sum(x, 1, { keepdims: true });
    const reg = dense(4, 1);
    const optimizer = adam({ lr: 0.05 });
    const step = trainStep((p: ParamsOf<typeof reg>, b: Array) => mse(reg.apply(p, b), target), optimizer);
    let state = initTrainState(reg.init(random.key(0)), optimizer);
    const first = step(state, x).loss.item() as number;
    for (let i = 0; i < 100; i++) state = step(state, x).state;
    expect(step(state, x).loss.item() as number).toBeLessThan(0.05 * first);
  });
});

describe('fitEpoch', () => {
  const data = makeData(3, 40);
  const batches = batchesOf(data, 8);
  const optimizer = sgd({ lr: 0.05, momentum: 0.9, nesterov: true });
  const step = trainStep(lossFn, optimizer);
  const init = initTrainState(model.init(random.key(4)), optimizer);

  it('equals stepping by hand, and the callback observes every batch', () => {
    let manual = init;
    const manualLosses: number[] = [];
    for (const b of batches) {
      const r = step(manual, b);
      manual = r.state;
      manualLosses.push(r.loss.item() as number);
    }
    const seen: [number, number][] = [];
    const { state, losses } = fitEpoch(step, init, batches, {
      onBatch: ({ index, loss, state: s }) => {
        seen.push([index, s.step]);
        expect(loss.shape).toEqual([]);
      },
    });
    expect(state.step).toBe(batches.length);
    expect(leafValues(state.params)).toEqual(leafValues(manual.params));
    expect(leafValues(state.optState)).toEqual(leafValues(manual.optState));
    expect(losses.map((l) => l.item())).toEqual(manualLosses);
    expect(seen).toEqual(batches.map((_, i) => [i, i + 1]));
    expect(meanLoss(losses)).toBeCloseTo(manualLosses.reduce((s, v) => s + v, 0) / manualLosses.length, 6);
    // the input state is untouched
    expect(init.step).toBe(0);
  });

  it('folds any iterable (a generator) and async iterables the same way', async () => {
    function* gen(): Generator<Batch> {
      yield* batches;
    }
    async function* agen(): AsyncGenerator<Batch> {
      yield* batches;
    }
    const fromArray = fitEpoch(step, init, batches);
    const fromGen = fitEpoch(step, init, gen());
    const fromAsync = await fitEpochAsync(step, init, agen());
    expect(leafValues(fromGen.state.params)).toEqual(leafValues(fromArray.state.params));
    expect(leafValues(fromAsync.state.params)).toEqual(leafValues(fromArray.state.params));
    expect(fromGen.losses.length).toBe(batches.length);
    const empty = fitEpoch(step, init, []);
    expect(empty.state).toBe(init);
    expect(meanLoss(empty.losses)).toBeNaN();
  });

  it('fitEpochAsync yields to the event loop between steps (so finalizers can free memory)', async () => {
    const events: string[] = [];
    setImmediate(() => events.push('task'));
    await fitEpochAsync(step, init, batches, { onBatch: ({ index }) => events.push(`batch ${index}`) });
    expect(events.indexOf('task')).toBeGreaterThan(0);
    expect(events.indexOf('task')).toBeLessThan(events.length - 1);
    const noYield: string[] = [];
    setImmediate(() => noYield.push('task'));
    await fitEpochAsync(step, init, batches, { yieldEvery: 0, onBatch: ({ index }) => noYield.push(`batch ${index}`) });
    expect(noYield).not.toContain('task');
    await expect(fitEpochAsync(step, init, batches, { yieldEvery: -1 })).rejects.toThrow(/yieldEvery/);
  });

  it('two epochs continue the step count and keep decreasing the loss', () => {
    const e1 = fitEpoch(step, init, batches);
    const e2 = fitEpoch(step, e1.state, batches);
    expect(e2.state.step).toBe(2 * batches.length);
    expect(meanLoss(e2.losses)).toBeLessThan(meanLoss(e1.losses));
  });
});

describe('determinism', () => {
  const data = makeData(5, 16);
  const dropModel = sequential(dense(4, 16), relu(), dropout(0.5), dense(16, 3));
  type DropParams = ParamsOf<typeof dropModel>;
  const optimizer = sgd({ lr: 0.1 });
  const step = trainStep((p: DropParams, [x, y]: Batch, ctx) => crossEntropy(dropModel.apply(p, x, { train: true, key: ctx.key }), y), optimizer);
  const run = (initSeed: number, dropSeed: number) =>
    fitEpoch(step, initTrainState(dropModel.init(random.key(initSeed)), optimizer, { key: random.key(dropSeed) }), [data, data, data]).state;

  it('same keys → same params; another dropout key → other params', () => {
    const a = run(0, 1);
    const b = run(0, 1);
    const c = run(0, 2);
    const d = run(3, 1);
    expect(leafValues(a.params)).toEqual(leafValues(b.params));
    expect(leafValues(a.params)).not.toEqual(leafValues(c.params));
    expect(leafValues(a.params)).not.toEqual(leafValues(d.params));
  });

  it('each step gets its own key: random.foldIn(key, step)', () => {
    const seen: number[][] = [];
    const probe = trainStep((p: Params, [x, y]: Batch, ctx) => {
      if (ctx.key !== undefined) seen.push(vals(ctx.key));
      return crossEntropy(model.apply(p, x), y);
    }, optimizer);
    const key = random.key(7);
    fitEpoch(probe, initTrainState(model.init(random.key(0)), optimizer, { key }), [data, data]);
    expect(seen).toEqual([vals(random.foldIn(key, 0)), vals(random.foldIn(key, 1))]);
    // without a key, dropout in training mode fails clearly
    const noKey = initTrainState(dropModel.init(random.key(0)), optimizer);
    expect(() => step(noKey, data)).toThrow(/needs a PRNG key/);
  });
});
