// The resume state of a run: what `--resume DIR` needs to go on where the run stopped and end with
// the parameters an uninterrupted run gets, bit for bit. One safetensors file (written atomically,
// so it is the run's single source of truth) holding the parameters and the optimizer state
// (momentum buffers or Adam moments, and the update count) as tensors, and in its metadata the
// options, the position (epochs done, and batches done of the next epoch: with the seed, this
// fixes every PRNG key still to come, since epoch e shuffles with a key derived from the seed and
// e) and the metrics so far. Read back through io-ts and checked against the model's own tree.
import path from 'node:path';
import { loadCheckpoint, loadParams, saveCheckpointAsync } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import type { EpochRecord } from './plot.js';

export const STATE_FILE = 'train-state.safetensors';
const PROGRESS_KEY = 'mnist.progress';

/** Where a run stands: epochs done, then batches done of the next epoch. */
export interface Progress {
  readonly epochsDone: number;
  readonly batchesDone: number;
  readonly epochs: readonly EpochRecord[];
  /** Every training batch's loss so far, in order. */
  readonly batchLosses: readonly number[];
}

/** The trained state: parameters, optimizer state, steps taken (nn's TrainState without a key). */
export interface Trained {
  readonly params: unknown;
  readonly optState: unknown;
  readonly step: number;
}

export interface ResumeState {
  /** The options as saved (JSON): the caller decodes them with its own codec. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly progress: Progress;
}

const Count = new t.Type<number, number, unknown>(
  'a count (an integer >= 0)',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c, `expected an integer >= 0, got ${JSON.stringify(u)}`)),
  (a) => a,
);

const Finite = new t.Type<number, number, unknown>(
  'a finite number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u),
  (u, c) => (typeof u === 'number' && Number.isFinite(u) ? t.success(u) : t.failure(u, c, `expected a finite number, got ${JSON.stringify(u)}`)),
  (a) => a,
);

const EpochRecordC = t.type({ epoch: Count, trainLoss: Finite, testLoss: Finite, testAccuracy: Finite, seconds: Finite });

const SavedC = t.type({
  format: t.literal(1),
  options: t.UnknownRecord,
  epochsDone: Count,
  batchesDone: Count,
  epochs: t.array(EpochRecordC),
  batchLosses: t.array(Finite),
});

function describeErrors(errors: t.Errors): string {
  const first = errors[0];
  if (first === undefined) return 'invalid';
  const where = first.context
    .map((c) => c.key)
    .filter((k) => k !== '')
    .join('.');
  return `${where === '' ? '' : `${where}: `}${first.message ?? `expected ${first.context.at(-1)?.type.name ?? 'another value'}, got ${JSON.stringify(first.value)}`}`;
}

/**
 * Writes the resume state into `dir` (atomically: a crash keeps the previous state file whole);
 * reads the arrays asynchronously, so it works on every backend.
 */
export async function saveResumeState(dir: string, trained: Trained, options: unknown, progress: Progress): Promise<E.Either<string, string>> {
  const file = path.join(dir, STATE_FILE);
  const saved: t.TypeOf<typeof SavedC> = {
    format: 1,
    options: options as Record<string, unknown>,
    epochsDone: progress.epochsDone,
    batchesDone: progress.batchesDone,
    epochs: [...progress.epochs],
    batchLosses: [...progress.batchLosses],
  };
  const r = await saveCheckpointAsync(
    file,
    { params: trained.params, optState: trained.optState, step: trained.step },
    { metadata: { [PROGRESS_KEY]: JSON.stringify(saved) } },
  );
  return E.isLeft(r) ? E.left(r.left.reason) : E.right(file);
}

/** Reads the options and position saved in `dir`; says why when the directory holds no usable state. */
export function readResumeState(dir: string): E.Either<string, ResumeState> {
  const file = path.join(dir, STATE_FILE);
  const loaded = loadCheckpoint(file);
  if (E.isLeft(loaded)) return E.left(`cannot resume from '${dir}': ${loaded.left.reason}`);
  const json = loaded.right.metadata[PROGRESS_KEY];
  if (json === undefined) return E.left(`cannot resume from '${dir}': ${file} has no '${PROGRESS_KEY}' metadata (not written by this program)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    return E.left(`cannot resume from '${dir}': ${file}: the '${PROGRESS_KEY}' metadata is not JSON (${(e as Error).message})`);
  }
  return pipe(
    SavedC.decode(parsed),
    E.bimap(
      (errors) => `cannot resume from '${dir}': ${file}: ${describeErrors(errors)}`,
      (s): ResumeState => ({
        options: s.options,
        progress: { epochsDone: s.epochsDone, batchesDone: s.batchesDone, epochs: s.epochs, batchLosses: s.batchLosses },
      }),
    ),
  );
}

/** The saved parameters and optimizer state, checked leaf by leaf against `template` (names, dtypes, shapes). */
export function readTrained<T extends Trained>(dir: string, template: T): E.Either<string, T> {
  const r = loadParams(path.join(dir, STATE_FILE), template);
  return E.isLeft(r) ? E.left(`cannot resume from '${dir}': ${r.left.reason}`) : E.right(r.right);
}
