// Runs that stop early, as real processes (node --import tsx main.ts, with the built packages):
// SIGINT mid-epoch saves and resumes to the parameters of an uninterrupted run, bit for bit;
// SIGKILL in the middle of writing a checkpoint leaves the previous files whole; a diverged run
// exits non-zero and never overwrites the last good checkpoint.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Array, np, tree } from '@tenfold/core';
import { loadCheckpoint, saveCheckpoint } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNumericAttributes } from './testing/svg.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenfold-mnist-stop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// 100 batches an epoch, 2 epochs: about a second an epoch
const RUN = ['--epochs', '2', '--batch-size', '20', '--train-limit', '2000', '--test-limit', '200', '--log-every', '20'];
const main = path.join(here, 'main.ts');
const nodeArgs = (preload: readonly string[]) => ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p]), main];

function runToEnd(args: readonly string[], env: Record<string, string> = {}, preload: readonly string[] = []) {
  return spawnSync(process.execPath, [...nodeArgs(preload), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
}

/** Waits for the process to exit; its exit code, signal and output. */
function exited(child: ChildProcess, out: { stdout: string; stderr: string }): Promise<{ code: number | null; signal: NodeJS.Signals | null } & typeof out> {
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ...out })));
}

/** Every tensor's bytes, by name. */
async function tensorBytes(file: string): Promise<Map<string, Buffer>> {
  const r = loadCheckpoint(file);
  if (E.isLeft(r)) throw new Error(r.left.reason);
  const out = new Map<string, Buffer>();
  for (const [name, x] of Object.entries(r.right.tensors)) {
    const d = await x.data();
    out.set(name, Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  }
  return out;
}

const metricsOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8'));

const ref = path.join(tmp, 'uninterrupted');
let refParams: Map<string, Buffer>;

beforeAll(async () => {
  const r = runToEnd([...RUN, '--out', ref]);
  expect(r.status, r.stderr).toBe(0);
  refParams = await tensorBytes(path.join(ref, 'mlp.safetensors'));
});

describe('SIGINT mid-epoch', () => {
  const out = path.join(tmp, 'sigint');
  const kept = path.join(tmp, 'sigint-before-resume');

  it('finishes the batch, writes checkpoint, state, metrics and plot, exits 130 saying how to resume', async () => {
    const child = spawn(process.execPath, [...nodeArgs([]), ...RUN, '--out', out], { cwd: root });
    const text = { stdout: '', stderr: '' };
    child.stderr?.on('data', (b: Buffer) => {
      text.stderr += b.toString();
    });
    child.stdout?.on('data', (b: Buffer) => {
      text.stdout += b.toString();
      // batch 21 of epoch 1 logged: well inside the first epoch
      if (text.stdout.includes('epoch 1 batch 21/100') && child.signalCode === null && !child.killed) child.kill('SIGINT');
    });
    const r = await exited(child, text);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`Resume with: npm run mnist -- --resume ${out}`);
    const m = metricsOf(out);
    expect(m.status).toBe('interrupted');
    expect(m.progress.epochsDone).toBe(0);
    expect(m.progress.batchesDone).toBeGreaterThanOrEqual(21);
    expect(m.progress.batchesDone).toBeLessThan(100);
    expect(r.stderr).toContain(`interrupted by SIGINT at epoch 1, batch ${m.progress.batchesDone}/100`);
    expect(m.batchLosses).toHaveLength(m.progress.batchesDone);
    expectNumericAttributes(readFileSync(path.join(out, 'plot.svg'), 'utf8'));
    const ckpt = loadCheckpoint(path.join(out, 'mlp.safetensors'));
    expect(E.isRight(ckpt) && ckpt.right.metadata).toMatchObject({ epochs: '0', batchesOfNextEpoch: String(m.progress.batchesDone) });
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
    cpSync(out, kept, { recursive: true });
  });

  it('--resume continues from there to the parameters and metrics of the uninterrupted run, bit for bit', async () => {
    const r = runToEnd(['--resume', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resuming .*: 0 epochs and \d+ batches of epoch 1 were done/);
    expect(await tensorBytes(path.join(out, 'mlp.safetensors'))).toEqual(refParams);
    const [a, b] = [metricsOf(out), metricsOf(ref)];
    expect(a.status).toBe('complete');
    expect(a.batchLosses).toEqual(b.batchLosses);
    expect(a.epochs.map((e: { seconds: number }) => ({ ...e, seconds: 0 }))).toEqual(b.epochs.map((e: { seconds: number }) => ({ ...e, seconds: 0 })));
  });

  it('a run whose loss becomes NaN after that stops with exit 1 and leaves the last good files as they were', async () => {
    // the saved state with one weight set to NaN: the first resumed step's loss is NaN
    const state = path.join(kept, 'train-state.safetensors');
    const loaded = loadCheckpoint(state);
    if (E.isLeft(loaded)) throw new Error(loaded.left.reason);
    let first = true;
    const [leaves, def] = tree.flatten(loaded.right.params as unknown);
    const bad = tree.unflatten(
      def,
      leaves.map((l) => {
        if (typeof l !== 'object' || !first) return l;
        first = false;
        return np.multiply(l as Array, Number.NaN);
      }),
    );
    expect(E.isRight(saveCheckpoint(state, bad, { metadata: loaded.right.metadata }))).toBe(true);
    const before = [readFileSync(state), readFileSync(path.join(kept, 'mlp.safetensors'))];

    const r = runToEnd(['--resume', kept]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^mnist: the training loss became NaN at epoch 1, batch \d+\/100 \(step \d+\): training diverged \(try a smaller --lr than 0\.01\)\. Stopped; .*mlp\.safetensors and .*train-state\.safetensors are left as they were, at epoch 1, batch \d+ \(the last good state\)\n$/,
    );
    expect([readFileSync(state), readFileSync(path.join(kept, 'mlp.safetensors'))]).toEqual(before);
    const m = metricsOf(kept);
    expect(m.status).toBe('diverged');
    expect(m.batchLosses.at(-1)).toBeNull();
    expect(readFileSync(path.join(kept, 'plot.svg'), 'utf8')).toContain('training loss not finite at epoch 1');
  });
});

describe('SIGKILL while the checkpoint is written', () => {
  const out = path.join(tmp, 'killed');

  it('leaves the previous checkpoint and state whole (a half-written temporary file beside them)', async () => {
    // the second write of mlp.safetensors (after epoch 2) is cut in half and the process killed
    const r = runToEnd([...RUN, '--out', out], { KILL_TARGET: 'mlp.safetensors', KILL_AT: '2' }, [path.join(here, 'testing', 'kill-during-write.ts')]);
    expect(r.signal, `exit ${r.status}: ${r.stderr.slice(-2000)}`).toBe('SIGKILL');
    const ckpt = loadCheckpoint(path.join(out, 'mlp.safetensors'));
    if (E.isLeft(ckpt)) throw new Error(ckpt.left.reason);
    expect(ckpt.right.metadata).toMatchObject({ epochs: '1', batchesOfNextEpoch: '0' });
    const partial = readdirSync(out).filter((f) => f.startsWith('mlp.safetensors.tmp-'));
    expect(partial).toHaveLength(1);
    expect(statSync(path.join(out, partial[0] as string)).size).toBeLessThan(statSync(path.join(out, 'mlp.safetensors')).size);
    expect(metricsOf(out)).toMatchObject({ status: 'running', progress: { epochsDone: 1, batchesDone: 0 } });
    expect(existsSync(path.join(out, 'train-state.safetensors'))).toBe(true);
  });

  it("--resume from there ends with the uninterrupted run's parameters", async () => {
    const r = runToEnd(['--resume', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(await tensorBytes(path.join(out, 'mlp.safetensors'))).toEqual(refParams);
  });
});

describe('a run that diverges in its first epoch (lr 100)', () => {
  it('exits 1 with the step and the cause, and writes no checkpoint', () => {
    const out = path.join(tmp, 'diverged');
    const r = runToEnd([...RUN, '--lr', '100', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^mnist: the training loss became (NaN|-?Infinity) at epoch 1, batch (\d+)\/100 \(step \2\): training diverged \(try a smaller --lr than 100\)\. Stopped; no checkpoint was written/,
    );
    expect(existsSync(path.join(out, 'mlp.safetensors'))).toBe(false);
    expect(existsSync(path.join(out, 'train-state.safetensors'))).toBe(false);
    const m = metricsOf(out);
    expect(m.status).toBe('diverged');
    expect(m.batchLosses.at(-1)).toBeNull();
    expectNumericAttributes(readFileSync(path.join(out, 'plot.svg'), 'utf8'));
  });
});
