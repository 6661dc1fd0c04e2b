// The jitted train step: the same losses and parameters as the eager step (sgd with momentum,
// nesterov and weight decay, adam, adamw, cosine and step schedules, dropout keys), one trace
// for many steps, live buffers flat over steps, and clear errors for what a traced step cannot do.
import { type Array, getBackend, np, random, tree } from '@tenfold/core';
import {
  adam,
  adamw,
  cosineDecay,
  crossEntropy,
  dense,
  dropout,
  fitEpoch,
  fitEpochAsync,
  initTrainState,
  type JittedStepFn,
  meanLoss,
  type Optimizer,
  type OptimizerKind,
  type OptState,
  type ParamsOf,
  relu,
  sequential,
  sgd,
  stepDecay,
  type TrainState,
  trainStep,
} from '@tenfold/nn';
import { describe, expect, expectTypeOf, it } from 'vitest';

const vals = (x: Array): number[] => globalThis.Array.from(x.dataSync() as ArrayLike<number>);
const arrays = (t: unknown): Array[] => tree.leaves(t).filter((l): l is Array => typeof l === 'object' && l !== null);

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

const model = sequential(dense(4, 16), relu(), dense(16, 16), relu(), dense(16, 3));
type Params = ParamsOf<typeof model>;
const lossFn = (p: Params, [x, y]: Batch): Array => crossEntropy(model.apply(p, x), y);

/** Runs `steps` steps of `step` from `state` over the batches in turn: the losses and the final state. */
function runSteps<S>(
  step: (s: TrainState<Params, S>, b: Batch) => { state: TrainState<Params, S>; loss: Array },
  state: TrainState<Params, S>,
  batches: Batch[],
  steps: number,
) {
  const losses: number[] = [];
  let s = state;
  for (let i = 0; i < steps; i++) {
    const r = step(s, batches[i % batches.length] as Batch);
    s = r.state;
    losses.push(r.loss.item() as number);
  }
  return { losses, state: s };
}

/** Equal within float32 rounding of a few fused steps (relative 1e-5, absolute 1e-6). */
function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i] as number;
    expect(Math.abs(g - w)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(w));
  });
}

const optimizers: [string, Optimizer<OptimizerKind>][] = [
  ['sgd with momentum', sgd({ lr: 0.1, momentum: 0.9 })],
  ['sgd, nesterov, weight decay, cosine schedule', sgd({ lr: cosineDecay(0.1, 12), momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['sgd with dampening and a step schedule', sgd({ lr: stepDecay(0.2, 4, 0.5), momentum: 0.5, dampening: 0.3 })],
  ['plain sgd', sgd({ lr: 0.05 })],
  ['adam with a cosine schedule', adam({ lr: cosineDecay(0.02, 12) })],
  ['adam with L2 weight decay', adam({ lr: 0.01, weightDecay: 1e-2 })],
  ['adamw', adamw({ lr: 0.01 })],
];

describe('trainStep(..., { jit: true }) equals the eager step', () => {
  const batches = batchesOf(makeData(0, 64), 16);
  const params = model.init(random.key(1));

  for (const [name, optimizer] of optimizers) {
    it(name, () => {
      const eager = trainStep(lossFn, optimizer);
      const jitted = trainStep(lossFn, optimizer, { jit: true });
      const init = initTrainState(params, optimizer);
      const e = runSteps(eager, init, batches, 12);
      const j = runSteps(jitted, init, batches, 12);
      expectClose(j.losses, e.losses);
      expect(j.losses.at(-1) as number).toBeLessThan(j.losses[0] as number);
      expectClose(arrays(j.state.params).flatMap(vals), arrays(e.state.params).flatMap(vals));
      expectClose(arrays(j.state.optState).flatMap(vals), arrays(e.state.optState).flatMap(vals));
      // the host numbers advance as in eager mode; the whole run was one trace
      expect(j.state.step).toBe(12);
      expect((j.state.optState as { count: number }).count).toBe(12);
      expect(jitted.stats).toMatchObject({ traces: 1, hits: 11, size: 1 });
      // the input state is untouched
      expect(init.step).toBe(0);
    });
  }

  it('the cosine schedule reaches exactly 0 (an integer-valued rate) without retracing', () => {
    const optimizer = sgd({ lr: cosineDecay(0.1, 4), momentum: 0.9 });
    const jitted = trainStep(lossFn, optimizer, { jit: true });
    runSteps(jitted, initTrainState(params, optimizer), batches, 8);
    expect(optimizer.scalars(5).lr).toBe(0);
    expect(jitted.stats.traces).toBe(1);
  });

  it('types: a JittedStepFn over the same state as the eager step', () => {
    const optimizer = sgd({ lr: 0.1, momentum: 0.9 });
    const jitted = trainStep(lossFn, optimizer, { jit: true });
    expectTypeOf(jitted).toEqualTypeOf<JittedStepFn<Params, OptState<Params, 'sgd'>, Batch>>();
    const r = jitted(initTrainState(params, optimizer), batches[0] as Batch);
    expectTypeOf(r.state).toEqualTypeOf<TrainState<Params, OptState<Params, 'sgd'>>>();
  });

  it('folds with fitEpoch and fitEpochAsync as the eager step does, over two epochs', async () => {
    const optimizer = sgd({ lr: cosineDecay(0.1, 8), momentum: 0.9 });
    const eager = trainStep(lossFn, optimizer);
    const jitted = trainStep(lossFn, optimizer, { jit: true });
    const init = initTrainState(params, optimizer);
    const e1 = fitEpoch(eager, init, batches);
    const e2 = fitEpoch(eager, e1.state, batches);
    const j1 = fitEpoch(jitted, init, batches);
    const j2 = await fitEpochAsync(jitted, j1.state, batches);
    expectClose([meanLoss(j1.losses), meanLoss(j2.losses)], [meanLoss(e1.losses), meanLoss(e2.losses)]);
    expect(j2.state.step).toBe(8);
    expect(jitted.stats.traces).toBe(1);
  });

  it('a batch of another shape traces once more; lower() shows the compiled program', () => {
    const optimizer = adam({ lr: 0.01 });
    const jitted = trainStep(lossFn, optimizer, { jit: true });
    let state = initTrainState(params, optimizer);
    const [x, y] = makeData(1, 10);
    for (const b of [...batches, [x, y] as Batch, ...batches]) state = jitted(state, b).state;
    expect(jitted.stats).toMatchObject({ traces: 2, size: 2 });
    const lowered = jitted.lower(state, batches[0] as Batch);
    expect(lowered.program.kernelCount).toBeGreaterThan(0);
    expect(lowered.toString()).toMatch(/dot_general|matmul/);
    jitted.clearCache();
    expect(jitted.stats.size).toBe(0);
  });
});

describe('randomness and the step context in a jitted step', () => {
  const data = makeData(5, 16);
  const dropModel = sequential(dense(4, 16), relu(), dropout(0.5), dense(16, 3));
  type DropParams = ParamsOf<typeof dropModel>;
  const optimizer = sgd({ lr: 0.1 });
  const dropLoss = (p: DropParams, [x, y]: Batch, ctx: { key: Array | undefined }) => crossEntropy(dropModel.apply(p, x, { train: true, key: ctx.key }), y);

  it('dropout keys are random.foldIn(key, step) as in eager mode: the same losses', () => {
    const init = initTrainState(dropModel.init(random.key(0)), optimizer, { key: random.key(1) });
    const eager = trainStep(dropLoss, optimizer);
    const jitted = trainStep(dropLoss, optimizer, { jit: true });
    const run = (step: typeof eager) => {
      const losses: number[] = [];
      let s = init;
      for (let i = 0; i < 5; i++) {
        const r = step(s, data);
        s = r.state;
        losses.push(r.loss.item() as number);
      }
      return losses;
    };
    const e = run(eager);
    const j = run(jitted);
    expectClose(j, e);
    // each step had its own mask (the losses differ more than the updates explain)
    expect(new Set(j).size).toBe(5);
    expect(jitted.stats.traces).toBe(1);
  });

  it('ctx.step is a clear error inside a jitted step; reading a traced value too', () => {
    const params = model.init(random.key(0));
    const usesStep = trainStep((p: Params, b: Batch, ctx) => np.multiply(lossFn(p, b), ctx.step + 1), optimizer, { jit: true });
    expect(() => usesStep(initTrainState(params, optimizer), data)).toThrow(/ctx\.step is a host number.*ctx\.key/);
    const reads = trainStep((p: Params, b: Batch) => ((lossFn(p, b).item() as number) > 0 ? lossFn(p, b) : np.zeros([])), optimizer, { jit: true });
    expect(() => reads(initTrainState(params, optimizer), data)).toThrow(/traced/);
  });

  it('a state whose step is not a host integer is a clear error', () => {
    const params = model.init(random.key(0));
    const jitted = trainStep(lossFn, optimizer, { jit: true });
    expect(() => jitted({ ...initTrainState(params, optimizer), step: 1.5 }, data)).toThrow(/the state's step must be an integer >= 0/);
  });
});

describe('memory of the jitted step', () => {
  it('allocates only its outputs: live buffers stay flat when the previous state is disposed', () => {
    const backend = getBackend();
    const batches = batchesOf(makeData(2, 64), 16);
    for (const optimizer of [sgd({ lr: cosineDecay(0.1, 100), momentum: 0.9 }), adam({ lr: 1e-2 })] as Optimizer<OptimizerKind>[]) {
      const jitted = trainStep(lossFn, optimizer, { jit: true });
      // the state owns copies of the initial parameters, so that disposing it frees only its own
      const fresh = tree.map((p) => np.array(p), model.init(random.key(3))) as Params;
      let state = initTrainState(fresh, optimizer);
      const step = (i: number): void => {
        const r = jitted(state, batches[i % batches.length] as Batch);
        for (const a of [...arrays(state.params), ...arrays(state.optState)]) a.dispose();
        r.loss.dispose();
        state = r.state;
      };
      for (let i = 0; i < 3; i++) step(i);
      const before = backend.stats();
      for (let i = 3; i < 40; i++) step(i);
      expect(backend.stats()).toEqual(before);
      expect(jitted.stats.traces).toBe(1);
    }
  });

  it('without dispose calls, the collector frees the finished steps: live buffers return to the baseline', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const backend = getBackend();
    const batches = batchesOf(makeData(4, 64), 16);
    const optimizer = adam({ lr: cosineDecay(1e-2, 200) });
    const jitted = trainStep(lossFn, optimizer, { jit: true });
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        gc?.();
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    let state = initTrainState(model.init(random.key(5)), optimizer);
    for (let i = 0; i < 3; i++) state = jitted(state, batches[i % batches.length] as Batch).state;
    await settle();
    const baseline = backend.stats().liveBuffers;
    for (let i = 0; i < 100; i++) state = jitted(state, batches[i % batches.length] as Batch).state;
    await settle();
    const after = backend.stats().liveBuffers;
    if (gc === undefined) {
      // no collector to call: only bound the growth (100 steps of 13 outputs each, never freed)
      expect(after - baseline).toBeLessThan(100 * 13);
      return;
    }
    expect(after).toBe(baseline);
  });

  it('with donate, a step takes over the state it is given: the same losses, nothing new allocated, the old state unusable', () => {
    const backend = getBackend();
    const batches = batchesOf(makeData(6, 64), 16);
    const optimizer = adam({ lr: cosineDecay(1e-2, 100) });
    const copy = () => initTrainState(tree.map((p) => np.array(p), model.init(random.key(7))) as Params, optimizer);
    const plain = runSteps(trainStep(lossFn, optimizer, { jit: true }), copy(), batches, 6);
    const donating = trainStep(lossFn, optimizer, { jit: true, donate: true });
    const first = copy();
    const d = runSteps(donating, first, batches, 6);
    expect(d.losses).toEqual(plain.losses);
    expect(() => first.params[0].weight.dataSync()).toThrow(/donat/);
    expect(() => donating(first, batches[0] as Batch)).toThrow(/donat/);
    // steady state: only the loss is new (and disposed here); the old state's arrays went back to the backend
    let state = d.state;
    const step = (i: number): void => {
      const r = donating(state, batches[i % batches.length] as Batch);
      r.loss.dispose();
      state = r.state;
    };
    step(0);
    const before = backend.stats();
    for (let i = 1; i < 30; i++) step(i);
    expect(backend.stats()).toEqual(before);
    expect(donating.stats.traces).toBe(1);
    expect(() => trainStep(lossFn, optimizer, { donate: true })).toThrow(/donate needs jit/);
  });
});
