// The training run: a pure loss(params, batch), an optimizer fold over shuffled batches per epoch,
// a test pass as the tutorial prints it, and the run's files after every epoch (artifacts.ts). It
// stops cleanly when asked (an AbortSignal: main.ts aborts on SIGINT/SIGTERM) after the current
// batch, stops at the first non-finite loss without saving, and resumes from a saved state.
import path from 'node:path';
import { type Array, np, random } from '@tenfold/core';
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
  type MnistSplit,
  nllLoss,
  type Optimizer,
  sgd,
  shuffledBatches,
  takeBatch,
  trainStep,
} from '@tenfold/nn';
import { loadMnist } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { checkpointPath, prepareOutDir, type RunStatus, writeArtifacts } from './artifacts.js';
import { type SelectedBackend, selectBackend } from './backend.js';
import { lossReader } from './loss-reader.js';
import { type Batch, cnn, mlp, modelLoss } from './models.js';
import { decodeSavedOptions, type MnistOptions } from './options.js';
import type { EpochRecord } from './plot.js';
import { epochProgress } from './progress.js';
import { type Progress, readResumeState, readTrained, STATE_FILE, type Trained } from './resume.js';

export { prepareOutDir } from './artifacts.js';

export interface RunSummary {
  readonly status: 'complete';
  readonly epochs: readonly EpochRecord[];
  readonly finalAccuracy: number;
  readonly checkpoint: string;
}

/** A run that ended early: interrupted (its state saved, resumable) or diverged (nothing saved). */
export interface RunStopped {
  readonly status: 'interrupted' | 'diverged';
  /** What happened and what to do, for the user. */
  readonly message: string;
  readonly epochs: readonly EpochRecord[];
}

export type RunResult = RunSummary | RunStopped | { readonly error: string };

export interface RunControl {
  /** Aborted: finish the current batch, save, and stop (its reason, e.g. 'SIGINT', is named in the message). */
  readonly signal?: AbortSignal;
}

/** Where messages go: stdout lines (tests capture them). */
export type Print = (line: string) => void;

function disposeBatch(batch: Batch): void {
  batch.images.dispose();
  batch.labels.dispose();
}

/** One test batch's summed NLL and correct count, as Arrays (jitted unless --no-jit). */
type BatchEval = (params: unknown, images: Array, labels: Array) => { loss: Array; correct: Array };

function batchEvaluator(model: Layer<unknown>, jitted: boolean): BatchEval {
  const f: BatchEval = (params, images, labels) => {
    const logProbs = model.apply(params, images);
    return { loss: nllLoss(logProbs, labels, { reduction: 'sum' }), correct: correct(logProbs, labels) };
  };
  return jitted ? jit(f) : f;
}

/**
 * Average NLL (summed, then divided by the set size), correct count and accuracy over a split.
 * Every batch runs before the first read, so WebGPU waits for the device once, not per batch.
 */
async function evaluate(
  evalBatch: BatchEval,
  params: unknown,
  split: MnistSplit,
  backend: SelectedBackend,
  batchSize = 1000,
): Promise<{ loss: number; correct: number; total: number }> {
  const total = split.labels.shape[0] as number;
  const results: { loss: Array; correct: Array }[] = [];
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    const { images, labels } = backend.toDevice(
      backend.onHost(() => ({ images: split.images.index(np.slice(start, end)), labels: split.labels.index(np.slice(start, end)) })),
    );
    results.push(evalBatch(params, images, labels));
  }
  const values = await Promise.all(results.map(async (r) => [(await r.loss.itemAsync()) as number, (await r.correct.itemAsync()) as number] as const));
  let lossSum = 0;
  let correctSum = 0;
  for (const [l, c] of values) {
    lossSum += l;
    correctSum += c;
  }
  return { loss: lossSum / total, correct: correctSum, total };
}

function makeOptimizer(opts: MnistOptions, lr: LearningRate): Optimizer<'sgd'> | Optimizer<'adam'> {
  return opts.optimizer === 'adam' ? adam({ lr, weightDecay: opts.weightDecay }) : sgd({ lr, momentum: opts.momentum, weightDecay: opts.weightDecay });
}

const EMPTY: Progress = { epochsDone: 0, batchesDone: 0, epochs: [], batchLosses: [] };

/** The options and position to start from: the command line's, or with --resume the saved run's. */
function startingPoint(opts: MnistOptions): E.Either<string, { opts: MnistOptions; progress: Progress }> {
  if (opts.resume === undefined) return E.right({ opts, progress: EMPTY });
  const dir = opts.resume;
  const saved = readResumeState(dir);
  if (E.isLeft(saved)) return saved;
  const decoded = decodeSavedOptions({ ...saved.right.options, out: dir, resume: dir, logEvery: opts.logEvery, data: opts.data ?? saved.right.options.data });
  if (E.isLeft(decoded)) return E.left(`cannot resume from '${dir}': ${path.join(dir, STATE_FILE)}: ${decoded.left}`);
  return E.right({ opts: decoded.right, progress: saved.right.progress });
}

/** Why a saved position does not fit the run it claims to belong to (a damaged or foreign file). */
function positionError(p: Progress, stepsPerEpoch: number, opts: MnistOptions): string | undefined {
  if (p.epochs.length !== p.epochsDone) return `it records ${p.epochs.length} epochs' metrics for ${p.epochsDone} epochs done`;
  if (p.batchesDone >= stepsPerEpoch) return `${p.batchesDone} batches done of an epoch of ${stepsPerEpoch}`;
  if (p.batchLosses.length !== p.epochsDone * stepsPerEpoch + p.batchesDone) {
    return `${p.batchLosses.length} batch losses for ${p.epochsDone} epochs of ${stepsPerEpoch} batches and ${p.batchesDone} more`;
  }
  if (p.epochsDone > opts.epochs || (p.epochsDone === opts.epochs && p.batchesDone > 0)) return `it is past the run's ${opts.epochs} epochs`;
  return undefined;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function resumeCommand(out: string): string {
  return `npm run mnist -- --resume ${/^[\w./-]+$/.test(out) ? out : `'${out.replace(/'/g, "'\\''")}'`}`;
}

/**
 * Trains and evaluates as the options say. A data error, an unusable `--out` or resume directory
 * (checked before training) or a failed write comes back as `{ error }`, a one-line message.
 */
export async function run(cli: MnistOptions, print: Print, interactive: boolean, control: RunControl = {}): Promise<RunResult> {
  const start = startingPoint(cli);
  if (E.isLeft(start)) return { error: start.left };
  const { opts } = start.right;
  // the saved run's backend with --resume
  let backend: SelectedBackend;
  try {
    backend = await selectBackend(opts.backend);
  } catch (e) {
    return { error: `cannot use the ${opts.backend} backend: ${e instanceof Error ? e.message : String(e)}` };
  }
  try {
    return await train(opts, start.right.progress, backend, print, interactive, control);
  } finally {
    backend.release();
  }
}

/** How many losses the run reads back at a time: one on the CPU, a log interval's on WebGPU. */
const lossGroup = (opts: MnistOptions, backend: SelectedBackend): number => (backend.asyncReads ? opts.logEvery : 1);

async function train(
  opts: MnistOptions,
  saved: Progress,
  backend: SelectedBackend,
  print: Print,
  interactive: boolean,
  control: RunControl,
): Promise<RunResult> {
  const data = backend.onHost(() =>
    loadMnist({
      dir: opts.data,
      layout: opts.model === 'cnn' ? 'nchw' : 'flat',
      limit: { train: opts.trainLimit, test: opts.testLimit },
    }),
  );
  if (E.isLeft(data)) return { error: data.left.reason };
  const outError = prepareOutDir(opts.out, opts.model);
  if (outError !== undefined) return { error: outError };
  const { train, test } = data.right;
  const nTrain = train.labels.shape[0] as number;
  const nTest = test.labels.shape[0] as number;
  const stepsPerEpoch = Math.ceil(nTrain / opts.batchSize);
  const badPosition = positionError(saved, stepsPerEpoch, opts);
  if (badPosition !== undefined) return { error: `cannot resume from '${opts.out}': ${path.join(opts.out, STATE_FILE)}: ${badPosition}` };
  if (opts.resume !== undefined && saved.epochsDone === opts.epochs) {
    return { error: `the run in '${opts.out}' is complete (${opts.epochs} of ${opts.epochs} epochs): nothing to resume` };
  }

  const model: Layer<unknown> = opts.model === 'cnn' ? (cnn() as Layer<unknown>) : (mlp() as Layer<unknown>);
  const [initKey] = random.split(random.key(opts.seed));
  // the same key made where the data is, which is shuffled there
  const [, shuffleKey] = backend.onHost(() => random.split(random.key(opts.seed)));
  const lr: LearningRate = opts.schedule === 'cosine' ? cosineDecay(opts.lr, opts.epochs * stepsPerEpoch) : opts.lr;
  const optimizer = makeOptimizer(opts, lr);
  // The whole model in one pure function of (params, batch): what grad differentiates.
  const loss = modelLoss(model);
  // jit (default): the step (forward, backward, update) and the test pass each compile once to a
  // kernel program; --no-jit runs them op by op. Both give the same numbers up to float rounding.
  // The jitted step takes over the state it is given (donation: the update writes into the old
  // parameters' memory, 15 % faster on the CPU): the loop keeps only the newest state, and every
  // save and evaluation is awaited before the next step runs.
  const step = trainStep(loss, optimizer as Optimizer<'sgd'>, { jit: opts.jit, donate: opts.jit });
  const evalBatch = batchEvaluator(model, opts.jit);
  let state = initTrainState(model.init(initKey), optimizer as Optimizer<'sgd'>);
  if (opts.resume !== undefined) {
    const loaded = readTrained(opts.out, state);
    if (E.isLeft(loaded)) return { error: loaded.left };
    if (loaded.right.step !== saved.batchLosses.length) {
      return { error: `cannot resume from '${opts.out}': the saved state has taken ${loaded.right.step} steps, its metrics ${saved.batchLosses.length}` };
    }
    state = loaded.right;
  }
  print(
    `tenfold MNIST: ${opts.model} (${model.name}), ${opts.epochs} epochs, batch ${opts.batchSize}, ${opts.optimizer} lr ${opts.lr}${opts.optimizer === 'sgd' ? ` momentum ${opts.momentum}` : ''}${opts.schedule === 'cosine' ? ' (cosine decay)' : ''}, seed ${opts.seed}, ${backend.description} backend, ${opts.jit ? 'jit' : 'eager (--no-jit)'}`,
  );
  print(`data: ${nTrain} training and ${nTest} test images`);
  if (opts.resume !== undefined) {
    print(
      `resuming ${opts.out}: ${plural(saved.epochsDone, 'epoch', 'epochs')} and ${plural(saved.batchesDone, 'batch', 'batches')} of epoch ${saved.epochsDone + 1} were done`,
    );
  }

  const records: EpochRecord[] = [...saved.epochs];
  const batchLosses: number[] = [...saved.batchLosses];
  const progress = (epochsDone: number, batchesDone: number): Progress => ({ epochsDone, batchesDone, epochs: [...records], batchLosses: [...batchLosses] });
  const trained = (): Trained => ({ params: state.params, optState: state.optState, step: state.step });
  const write = (status: RunStatus, p: Progress, message?: string, keep = false): Promise<string | undefined> =>
    writeArtifacts({ opts, status, stepsPerEpoch, progress: p, ...(message === undefined ? {} : { message }), ...(keep ? {} : { trained: trained() }) });
  // where the files on disk stand, for the message of a diverged run (which leaves them as they are)
  const at = (epochsDone: number, batchesDone: number) =>
    batchesDone === 0 ? `the end of epoch ${epochsDone}` : `epoch ${epochsDone + 1}, batch ${batchesDone}`;
  let lastSaved = opts.resume === undefined ? undefined : at(saved.epochsDone, saved.batchesDone);
  const lastGood = (): string =>
    lastSaved === undefined
      ? 'no checkpoint was written (the run diverged in its first epoch)'
      : `${checkpointPath(opts)} and ${path.join(opts.out, STATE_FILE)} are left as they were, at ${lastSaved} (the last good state)`;

  for (let epoch = saved.epochsDone + 1; epoch <= opts.epochs; epoch++) {
    const t0 = performance.now();
    const order = backend.onHost(() => shuffledBatches(epochKey(shuffleKey, epoch), nTrain, opts.batchSize));
    const first = epoch === saved.epochsDone + 1 ? saved.batchesDone : 0;
    const bar = epochProgress(epoch, opts.epochs, order.length, interactive, print);
    const before = batchLosses.slice((epoch - 1) * stepsPerEpoch);
    let running = before.reduce((s, v) => s + v, 0);
    let seen = before.length;
    let diverged: { batch: number; value: number } | undefined;
    const reader = lossReader(lossGroup(opts, backend), backend.asyncReads);
    let b = first; // the batch (of this epoch) whose loss comes back next
    const record = (values: readonly number[]) => {
      for (const value of values) {
        // a read group may hold losses of steps after a non-finite one: they are not recorded
        if (diverged !== undefined) return;
        batchLosses.push(value);
        if (!Number.isFinite(value)) {
          diverged = { batch: b + 1, value };
          return;
        }
        running += value;
        seen++;
        bar.tick(b + 1, running / seen);
        if (b % opts.logEvery === 0) bar.log(`epoch ${epoch} batch ${b + 1}/${order.length}: Train Loss ${value.toFixed(6)}`);
        b++;
      }
    };
    const batches = async function* (): AsyncGenerator<Batch> {
      for (let i = first; i < order.length; i++) {
        // checked between batches: a signal lets the current batch finish
        if (control.signal?.aborted === true || diverged !== undefined) return;
        const onHost = backend.onHost(() => takeBatch(train, order[i] as Array));
        const batch = backend.toDevice(onHost);
        // (released as soon as they are used rather than left to the collector: on the CPU the
        // batch is 627 KB of the WebAssembly heap a step, which V8 does not count as its own)
        if (batch !== onHost) disposeBatch(onHost);
        yield batch;
        // the step has run on it (on WebGPU it may still be queued: the collector frees it there)
        if (batch === onHost) disposeBatch(batch);
        record(await reader.due());
      }
    };
    const result = await fitEpochAsync(step, state, batches(), { onBatch: ({ loss: l }) => reader.add(l) });
    record(await reader.drain());
    bar.stop();
    // a divergence found late (WebGPU reads in groups) ends the epoch's record at that batch
    const done = diverged === undefined ? first + result.losses.length : diverged.batch;
    if (diverged !== undefined) {
      const stepNo = (epoch - 1) * stepsPerEpoch + diverged.batch;
      const message = `the training loss became ${diverged.value} at epoch ${epoch}, batch ${diverged.batch}/${order.length} (step ${stepNo}): training diverged (try a smaller --lr than ${opts.lr}). Stopped; ${lastGood()}`;
      const err = await write('diverged', progress(epoch - 1, done), message, true);
      return err === undefined ? { status: 'diverged', message, epochs: records } : { error: `${message}; and ${err}` };
    }
    state = result.state;
    if (done < order.length) {
      const reason = String(control.signal?.reason ?? 'a stop request');
      const where = done === 0 ? `after epoch ${epoch - 1}` : `at epoch ${epoch}, batch ${done}/${order.length}`;
      const message = `interrupted by ${reason} ${where}; saved the state, metrics and plot in ${opts.out}. Resume with: ${resumeCommand(opts.out)}`;
      const err = await write('interrupted', progress(epoch - 1, done), message);
      return err === undefined ? { status: 'interrupted', message, epochs: records } : { error: `interrupted by ${reason}, but ${err}` };
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const ev = await evaluate(evalBatch, state.params, test, backend);
    const seconds = (performance.now() - t0) / 1000;
    const trainLoss = running / Math.max(1, seen);
    print(
      `epoch ${epoch}/${opts.epochs}: Average loss: ${ev.loss.toFixed(4)}, Correct: ${ev.correct}/${ev.total}, Accuracy: ${((100 * ev.correct) / ev.total).toFixed(2)}% (train ${trainSeconds.toFixed(1)} s, ${((done - first) / trainSeconds).toFixed(1)} batch/s)`,
    );
    if (!Number.isFinite(ev.loss)) {
      const message = `the test loss is ${ev.loss} after epoch ${epoch}: training diverged (try a smaller --lr than ${opts.lr}). Stopped; ${lastGood()}`;
      const err = await write('diverged', progress(epoch - 1, done), message, true);
      return err === undefined ? { status: 'diverged', message, epochs: records } : { error: `${message}; and ${err}` };
    }
    records.push({ epoch, trainLoss, testLoss: ev.loss, testAccuracy: ev.correct / ev.total, seconds });
    const err = await write(epoch === opts.epochs ? 'complete' : 'running', progress(epoch, 0));
    if (err !== undefined) return { error: err };
    lastSaved = at(epoch, 0);
  }

  const ran = records.slice(saved.epochsDone);
  const meanEpoch = ran.reduce((s, r) => s + r.seconds, 0) / Math.max(1, ran.length);
  const finalAccuracy = records.at(-1)?.testAccuracy ?? 0;
  print(
    `done: test accuracy ${(100 * finalAccuracy).toFixed(2)}% after ${plural(records.length, 'epoch', 'epochs')}, ${meanEpoch.toFixed(1)} s per epoch (training + test pass)`,
  );
  print(`wrote ${checkpointPath(opts)}, ${path.join(opts.out, STATE_FILE)}, ${path.join(opts.out, 'metrics.json')} and ${path.join(opts.out, 'plot.svg')}`);
  return { status: 'complete', epochs: records, finalAccuracy, checkpoint: checkpointPath(opts) };
}
