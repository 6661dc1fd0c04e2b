// `--backend webgpu` on a few batches: the loss falls, every batch's loss reaches metrics.json
// (they are read back in groups), the files are written, a stop request saves a state that
// --resume finishes, and a diverged run stops on a non-finite loss found in a later group.
// Skipped without a WebGPU adapter, except where it is required (CI, TENFOLD_REQUIRE_WEBGPU=1).
// gpu-env holds the device for the whole file and run() leaves a held device alone, so the
// pipelines are created once (most of this file's time with Mesa's shader cache cold).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCheckpoint } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { adapter } from '../../packages/gpu/test/gpu-env.js';
import { type MnistOptions, parseOptions } from './options.js';
import { type RunResult, run } from './train.js';

// about 5 s a test on an idle machine with lavapipe; the margin is for a loaded one (a software GPU shares the CPU)
const TIMEOUT = 120_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenfold-mnist-webgpu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// 20 batches (a larger --lr than the tutorial's, to learn in them); losses read in groups of 7 (--log-every), so the last group is short
const RUN = ['--backend', 'webgpu', '--epochs', '1', '--lr', '0.05', '--batch-size', '50', '--train-limit', '1000', '--test-limit', '500', '--log-every', '7'];

function options(argv: string[]): MnistOptions {
  const r = parseOptions(argv);
  if (r.kind !== 'run') throw new Error(`expected options, got exit ${r.code}: ${r.text}`);
  return r.options;
}

const metricsOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const statusOf = (r: RunResult) => ('error' in r ? r.error : r.status);

describe.skipIf(!adapter)('mnist on webgpu', () => {
  it(
    'trains: the loss falls, and every batch loss, the checkpoint, the state and the plot are written',
    async () => {
      const out = path.join(tmp, 'run');
      const lines: string[] = [];
      const r = await run(options([...RUN, '--out', out]), (l) => lines.push(l), false);
      expect(statusOf(r)).toBe('complete');
      expect(lines[0]).toMatch(/, webgpu on .* backend, jit$/);
      expect(lines.filter((l) => /Train Loss/.test(l))).toHaveLength(3); // batches 1, 8 and 15
      const m = metricsOf(out);
      expect(m.progress).toEqual({ epochsDone: 1, batchesDone: 0, stepsPerEpoch: 20 });
      expect(m.batchLosses).toHaveLength(20);
      expect(m.batchLosses.every(Number.isFinite)).toBe(true);
      expect(mean(m.batchLosses.slice(-5))).toBeLessThan(0.8 * mean(m.batchLosses.slice(0, 5)));
      expect(m.epochs[0].testAccuracy).toBeGreaterThan(0.5);
      const ckpt = loadCheckpoint(path.join(out, 'mlp.safetensors'));
      expect(E.isRight(ckpt) && Object.values(ckpt.right.tensors).map((t) => t.shape.join('x'))).toEqual(
        expect.arrayContaining(['200x784', '200', '200x200', '10x200', '10']),
      );
      expect(statSync(path.join(out, 'train-state.safetensors')).size).toBeGreaterThan(2 * 4 * 199_210);
      expect(readFileSync(path.join(out, 'plot.svg'), 'utf8')).toMatch(/<polyline/);
    },
    TIMEOUT,
  );

  it(
    'a stop request mid-epoch saves the state; --resume finishes the run on webgpu',
    async () => {
      const out = path.join(tmp, 'stopped');
      const controller = new AbortController();
      // at the first log line, which comes back two groups late (after batch 14): the run stops after the batch it is at
      const stopped = await run(
        options([...RUN, '--out', out]),
        (l) => {
          if (/Train Loss/.test(l)) controller.abort('SIGINT');
        },
        false,
        { signal: controller.signal },
      );
      expect(statusOf(stopped)).toBe('interrupted');
      const saved = metricsOf(out);
      expect(saved.progress.epochsDone).toBe(0);
      expect(saved.progress.batchesDone).toBeGreaterThan(7);
      expect(saved.progress.batchesDone).toBeLessThan(20);
      expect(saved.batchLosses).toHaveLength(saved.progress.batchesDone);

      const resumed = await run(options(['--resume', out]), () => {}, false);
      expect(statusOf(resumed)).toBe('complete');
      const m = metricsOf(out);
      expect(m.batchLosses).toHaveLength(20);
      expect(m.batchLosses.slice(0, saved.batchLosses.length)).toEqual(saved.batchLosses);
      expect(m.epochs[0].testAccuracy).toBeGreaterThan(0.5);
    },
    TIMEOUT,
  );

  it(
    'a non-finite loss stops the run at its batch, though read with later ones',
    async () => {
      const out = path.join(tmp, 'diverged');
      const r = await run(options([...RUN, '--lr', '100', '--out', out]), () => {}, false);
      expect(statusOf(r)).toBe('diverged');
      const m = metricsOf(out);
      const batch = m.progress.batchesDone;
      expect('message' in r && r.message).toMatch(new RegExp(`^the training loss became (NaN|-?Infinity) at epoch 1, batch ${batch}/20 \\(step ${batch}\\)`));
      // JSON writes the non-finite loss as null: it is the last one recorded
      expect(m.batchLosses).toHaveLength(batch);
      expect(m.batchLosses.at(-1)).toBeNull();
      expect(m.batchLosses.slice(0, -1).every(Number.isFinite)).toBe(true);
    },
    TIMEOUT,
  );
});
