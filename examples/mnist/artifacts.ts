// The files a run keeps in its output directory, each written atomically after every epoch and
// when the run stops: the model checkpoint (parameters only, for inference), the resume state
// (resume.ts), metrics.json and plot.svg. A diverged run writes only metrics.json and plot.svg, so
// the checkpoint and the resume state stay those of the last good epoch.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { saveCheckpointAsync } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { writeFileAtomic } from './atomic.js';
import type { MnistOptions } from './options.js';
import { renderPlot } from './plot.js';
import { type Progress, STATE_FILE, saveResumeState, type Trained } from './resume.js';

/** 'running' after an epoch of a run that goes on; the other three when it ends. */
export type RunStatus = 'running' | 'complete' | 'interrupted' | 'diverged';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function checkpointPath(opts: MnistOptions): string {
  return path.join(opts.out, `${opts.model}.safetensors`);
}

/** The files a run writes into its output directory. */
function artifactNames(model: MnistOptions['model']): string[] {
  return [`${model}.safetensors`, STATE_FILE, 'metrics.json', 'plot.svg'];
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

export interface Snapshot {
  readonly opts: MnistOptions;
  readonly status: RunStatus;
  /** Why the run stopped (interrupted or diverged). */
  readonly message?: string;
  readonly stepsPerEpoch: number;
  readonly progress: Progress;
  /** The state to save; absent for a diverged run (its last good files are kept). */
  readonly trained?: Trained;
}

/** The options as saved and as shown in metrics.json (where a run goes on is not one of them). */
export function savedOptions(opts: MnistOptions): Omit<MnistOptions, 'resume'> {
  const { resume: _, ...rest } = opts;
  return rest;
}

/**
 * Writes the run's files; returns why one could not be written (the earlier ones of this call are
 * written, the rest unchanged). Reads the arrays asynchronously: works on every backend.
 */
export async function writeArtifacts(s: Snapshot): Promise<string | undefined> {
  const { opts, progress } = s;
  if (s.trained !== undefined) {
    const ckpt = await saveCheckpointAsync(checkpointPath(opts), s.trained.params, {
      metadata: {
        model: opts.model,
        epochs: String(progress.epochsDone),
        batchesOfNextEpoch: String(progress.batchesDone),
        seed: String(opts.seed),
        accuracy: String(progress.epochs.at(-1)?.testAccuracy ?? ''),
      },
    });
    if (E.isLeft(ckpt)) return ckpt.left.reason;
    const state = await saveResumeState(opts.out, s.trained, savedOptions(opts), progress);
    if (E.isLeft(state)) return state.left;
  }
  // JSON has no NaN/Infinity: JSON.stringify writes a diverged batch's loss as null
  const metrics = {
    status: s.status,
    ...(s.message === undefined ? {} : { message: s.message }),
    options: savedOptions(opts),
    progress: { epochsDone: progress.epochsDone, batchesDone: progress.batchesDone, stepsPerEpoch: s.stepsPerEpoch },
    epochs: progress.epochs,
    batchLosses: progress.batchLosses,
  };
  const title = `tenfold MNIST ${opts.model}: ${progress.epochsDone} of ${opts.epochs} epochs${s.status === 'running' || s.status === 'complete' ? '' : ` (${s.status})`}`;
  try {
    writeFileAtomic(path.join(opts.out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    writeFileAtomic(
      path.join(opts.out, 'plot.svg'),
      renderPlot({ title, stepsPerEpoch: s.stepsPerEpoch, batchLosses: progress.batchLosses, epochs: progress.epochs }),
    );
  } catch (e) {
    return `cannot write the metrics or the plot to '${opts.out}': ${errorText(e)}`;
  }
  return undefined;
}
