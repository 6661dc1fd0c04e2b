// The training run: a pure loss(params, batch), an optimizer fold over shuffled batches per epoch,
// a test pass as the tutorial prints it, and the artifacts (checkpoint, metrics, plot).
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Array, np, random, setDefaultBackend } from '@tenfold/core';
import { jit } from '@tenfold/grad';
import {
  adam,
  correct,
  cosineDecay,
  epochKey,
  fitEpochAsync,
  initTrainState,
  type Layer,
  type LearningRate,
  loadMnist,
  type MnistSplit,
  nllLoss,
  type Optimizer,
  saveCheckpoint,
  sgd,
  shuffledBatches,
  takeBatch,
  trainStep,
} from '@tenfold/nn';
import * as E from 'fp-ts/lib/Either.js';
import { cnn, mlp } from './models.js';
import type { MnistOptions } from './options.js';
import { type EpochRecord, renderPlot } from './plot.js';
import { epochProgress } from './progress.js';

export interface RunSummary {
  readonly epochs: readonly EpochRecord[];
  readonly finalAccuracy: number;
  readonly checkpoint: string;
}

/** Where messages go: stdout lines (tests capture them). */
export type Print = (line: string) => void;

type Batch = { readonly images: Array; readonly labels: Array };

/** One test batch's summed NLL and correct count, as Arrays (jitted unless --no-jit). */
type BatchEval = (params: unknown, images: Array, labels: Array) => { loss: Array; correct: Array };

function batchEvaluator(model: Layer<unknown>, jitted: boolean): BatchEval {
  const f: BatchEval = (params, images, labels) => {
    const logProbs = model.apply(params, images);
    return { loss: nllLoss(logProbs, labels, { reduction: 'sum' }), correct: correct(logProbs, labels) };
  };
  return jitted ? jit(f) : f;
}

/** Average NLL (summed, then divided by the set size), correct count and accuracy over a split. */
function evaluate(evalBatch: BatchEval, params: unknown, split: MnistSplit, batchSize = 1000): { loss: number; correct: number; total: number } {
  const total = split.labels.shape[0] as number;
  let lossSum = 0;
  let correctSum = 0;
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    const images = split.images.index(np.slice(start, end));
    const labels = split.labels.index(np.slice(start, end));
    const r = evalBatch(params, images, labels);
    lossSum += r.loss.item() as number;
    correctSum += r.correct.item() as number;
  }
  return { loss: lossSum / total, correct: correctSum, total };
}

function makeOptimizer(opts: MnistOptions, lr: LearningRate): Optimizer<'sgd'> | Optimizer<'adam'> {
  return opts.optimizer === 'adam' ? adam({ lr, weightDecay: opts.weightDecay }) : sgd({ lr, momentum: opts.momentum, weightDecay: opts.weightDecay });
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The files a run writes into its output directory. */
function artifactNames(model: MnistOptions['model']): string[] {
  return [`${model}.safetensors`, 'metrics.json', 'plot.svg'];
}

/**
 * Creates the output directory (and its parents) and checks that the artifacts can be written
 * there; returns why not. Runs before training, so a bad `--out` costs seconds, not the whole run.
 */
export function prepareOutDir(out: string, model: MnistOptions['model']): string | undefined {
  try {
    const existing = statSync(out, { throwIfNoEntry: false });
    if (existing !== undefined && !existing.isDirectory()) {
      return `--out '${out}' exists and is not a directory; pass a directory path (it is created if missing)`;
    }
    mkdirSync(out, { recursive: true });
    accessSync(out, constants.W_OK);
    const blocked = artifactNames(model).find((name) => statSync(path.join(out, name), { throwIfNoEntry: false })?.isDirectory());
    if (blocked !== undefined)
      return `--out '${out}': '${path.join(out, blocked)}' is a directory where the run writes a file; remove it or choose another --out`;
    return undefined;
  } catch (e) {
    return `cannot use --out '${out}' as the output directory: ${errorText(e)}`;
  }
}

/**
 * Watches the losses for NaN/±∞ (a diverged run): `check` returns a warning the first time the
 * training loss, and the first time the test loss, is not finite; `warnings` keeps them for
 * metrics.json. Training goes on (the user decides), but never silently.
 */
function divergenceWatch(lr: number) {
  const warnings: string[] = [];
  const warned = new Set<string>();
  const check = (what: 'training loss' | 'test loss', value: number, where: string): string | undefined => {
    if (Number.isFinite(value) || warned.has(what)) return undefined;
    warned.add(what);
    const line = `warning: the ${what} is ${value} ${where}: training has diverged (try a smaller --lr than ${lr}); the run goes on, metrics.json records non-finite losses as null and plot.svg leaves them out`;
    warnings.push(line);
    return line;
  };
  return { warnings, check };
}

/**
 * Trains and evaluates as the options say. A data error or an unusable `--out` (checked before
 * training) comes back as `{ error }`, a one-line message for the caller to print.
 */
export async function run(opts: MnistOptions, print: Print, interactive: boolean): Promise<RunSummary | { error: string }> {
  setDefaultBackend(opts.backend);
  const data = loadMnist({
    dir: opts.data,
    layout: opts.model === 'cnn' ? 'nchw' : 'flat',
    limit: { train: opts.trainLimit, test: opts.testLimit },
  });
  if (E.isLeft(data)) return { error: data.left.reason };
  const outError = prepareOutDir(opts.out, opts.model);
  if (outError !== undefined) return { error: outError };
  const { train, test } = data.right;
  const nTrain = train.labels.shape[0] as number;
  const nTest = test.labels.shape[0] as number;
  const stepsPerEpoch = Math.ceil(nTrain / opts.batchSize);
  const model: Layer<unknown> = opts.model === 'cnn' ? (cnn() as Layer<unknown>) : (mlp() as Layer<unknown>);
  const [initKey, shuffleKey] = random.split(random.key(opts.seed));
  const lr: LearningRate = opts.schedule === 'cosine' ? cosineDecay(opts.lr, opts.epochs * stepsPerEpoch) : opts.lr;
  const optimizer = makeOptimizer(opts, lr);
  print(
    `tenfold MNIST: ${opts.model} (${model.name}), ${opts.epochs} epochs, batch ${opts.batchSize}, ${opts.optimizer} lr ${opts.lr}${opts.optimizer === 'sgd' ? ` momentum ${opts.momentum}` : ''}${opts.schedule === 'cosine' ? ' (cosine decay)' : ''}, seed ${opts.seed}, ${opts.backend} backend, ${opts.jit ? 'jit' : 'eager (--no-jit)'}`,
  );
  print(`data: ${nTrain} training and ${nTest} test images`);

  // The whole model in one pure function of (params, batch): what grad differentiates.
  const loss = (params: unknown, batch: Batch): Array => nllLoss(model.apply(params, batch.images), batch.labels);
  // jit (default): the step (forward, backward, update) and the test pass each compile once to a
  // kernel program; --no-jit runs them op by op. Both give the same numbers up to float rounding.
  const step = trainStep(loss, optimizer as Optimizer<'sgd'>, { jit: opts.jit });
  const evalBatch = batchEvaluator(model, opts.jit);
  let state = initTrainState(model.init(initKey), optimizer as Optimizer<'sgd'>);
  const records: EpochRecord[] = [];
  const watch = divergenceWatch(opts.lr);
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const t0 = performance.now();
    const order = shuffledBatches(epochKey(shuffleKey, epoch), nTrain, opts.batchSize);
    const progress = epochProgress(epoch, opts.epochs, order.length, interactive, print);
    let running = 0;
    let seen = 0;
    const batches = function* (): Generator<Batch> {
      for (const idx of order) yield takeBatch(train, idx);
    };
    const result = await fitEpochAsync(step, state, batches(), {
      onBatch: ({ index, loss: l }) => {
        const value = l.item() as number;
        running += value;
        seen++;
        progress.tick(index + 1, running / seen);
        if (index % opts.logEvery === 0) progress.log(`epoch ${epoch} batch ${index + 1}/${order.length}: Train Loss ${value.toFixed(6)}`);
        const warning = watch.check(
          'training loss',
          value,
          `at epoch ${epoch}, batch ${index + 1}/${order.length} (step ${(epoch - 1) * stepsPerEpoch + index + 1})`,
        );
        if (warning !== undefined) progress.warn(warning);
      },
    });
    state = result.state;
    progress.stop();
    const trainSeconds = (performance.now() - t0) / 1000;
    const ev = evaluate(evalBatch, state.params, test);
    const seconds = (performance.now() - t0) / 1000;
    records.push({ epoch, trainLoss: running / Math.max(1, seen), testLoss: ev.loss, testAccuracy: ev.correct / ev.total, seconds });
    print(
      `epoch ${epoch}/${opts.epochs}: Average loss: ${ev.loss.toFixed(4)}, Correct: ${ev.correct}/${ev.total}, Accuracy: ${((100 * ev.correct) / ev.total).toFixed(2)}% (train ${trainSeconds.toFixed(1)} s, ${(seen / trainSeconds).toFixed(1)} batch/s)`,
    );
    const testWarning = watch.check('test loss', ev.loss, `after epoch ${epoch}`);
    if (testWarning !== undefined) print(testWarning);
  }

  const checkpoint = path.join(opts.out, `${opts.model}.safetensors`);
  const saved = saveCheckpoint(checkpoint, state.params, {
    metadata: { model: opts.model, epochs: String(opts.epochs), seed: String(opts.seed), accuracy: String(records.at(-1)?.testAccuracy ?? '') },
  });
  if (E.isLeft(saved)) return { error: saved.left.reason };
  // JSON has no NaN/Infinity: JSON.stringify writes a diverged run's losses as null (see EpochRecord)
  const metrics = { options: opts, epochs: records, warnings: watch.warnings };
  try {
    writeFileSync(path.join(opts.out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    writeFileSync(path.join(opts.out, 'plot.svg'), renderPlot(records, `tenfold MNIST ${opts.model}: loss and test accuracy per epoch`));
  } catch (e) {
    return { error: `cannot write the metrics or the plot to '${opts.out}' (the checkpoint ${checkpoint} was saved): ${errorText(e)}` };
  }
  const meanEpoch = records.reduce((s, r) => s + r.seconds, 0) / Math.max(1, records.length);
  const finalAccuracy = records.at(-1)?.testAccuracy ?? 0;
  const diverged = watch.warnings.length > 0 ? ' (diverged: see the warnings above)' : '';
  print(
    `done: test accuracy ${(100 * finalAccuracy).toFixed(2)}% after ${records.length} epochs, ${meanEpoch.toFixed(1)} s per epoch (training + test pass)${diverged}`,
  );
  print(`wrote ${checkpoint}, ${path.join(opts.out, 'metrics.json')} and ${path.join(opts.out, 'plot.svg')}`);
  return { epochs: records, finalAccuracy, checkpoint };
}
