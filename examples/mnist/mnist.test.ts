import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { type MnistOptions, parseOptions } from './options.js';
import { prepareOutDir, type RunResult, type RunSummary, run } from './train.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenfold-mnist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The summary of a run that completed (a test failure otherwise). */
function completed(r: RunResult): RunSummary {
  if ('error' in r) throw new Error(r.error);
  if (r.status !== 'complete') throw new Error(`the run stopped: ${r.message}`);
  return r;
}

function options(argv: string[]): MnistOptions {
  const r = parseOptions(argv);
  if (r.kind !== 'run') throw new Error(`expected options, got exit ${r.code}: ${r.text}`);
  return r.options;
}

describe('mnist options', () => {
  it("defaults are the tutorial's settings", () => {
    expect(options([])).toMatchObject({
      model: 'mlp',
      epochs: 10,
      batchSize: 200,
      lr: 0.01,
      momentum: 0.9,
      optimizer: 'sgd',
      seed: 0,
      backend: 'cpu',
      logEvery: 10,
      out: 'runs/mnist-mlp',
      jit: true,
    });
    expect(options(['--no-jit']).jit).toBe(false);
    expect(options(['--backend', 'js']).backend).toBe('js');
  });

  it.each([
    [['--epochs', '0'], /--epochs must be an integer >= 1/],
    [['--epochs', '2.5'], /--epochs must be an integer/],
    [['--batch-size', 'x'], /--batch-size must be an integer >= 1.*got 'x'/],
    [['--lr', '-1'], /--lr must be a number > 0/],
    [['--lr', 'NaN'], /--lr must be a number/],
    [['--momentum', '1.5'], /--momentum must be a number >= 0 and <= 1/],
    [['--model', 'rnn'], /--model must be one of mlp, cnn, got 'rnn'/],
    [['--backend', 'tpu'], /--backend must be one of cpu, js, webgpu/],
    [['--optimizer', 'lbfgs'], /--optimizer must be one of sgd, adam/],
    [['--lr', '0x10'], /--lr must be a number > 0.*got '0x10'/],
    [['--lr', '0b1'], /--lr must be a number/],
    [['--lr', ''], /--lr must be a number/],
    [['--lr', ' '], /--lr must be a number/],
    [['--momentum', '0o1'], /--momentum must be a number/],
    [['--epochs', '1e1'], /--epochs must be an integer >= 1.*got '1e1'/],
    [['--seed', '0x10'], /--seed must be an integer/],
    [['--train-limit', '0x10'], /--train-limit must be an integer/],
    [['--out', ''], /--out must be a non-empty path/],
    [['--data', ''], /--data must be a non-empty path/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--epochs'], /argument missing/],
    [['surplus'], /too many arguments/],
  ])('rejects %j with exit code 2 and says why', (argv, message) => {
    const r = parseOptions(argv);
    expect(r.kind).toBe('exit');
    if (r.kind === 'exit') {
      expect(r.code).toBe(2);
      expect(r.text).toMatch(message);
      expect(r.text).toMatch(/--help/);
    }
  });

  it.each([
    [['--train-limit', 'abc'], "--train-limit must be an integer >= 1 and <= 60000 (decimal digits, e.g. 10), got 'abc'"],
    [['--test-limit', '0'], "--test-limit must be an integer >= 1 and <= 10000 (decimal digits, e.g. 10), got '0'"],
  ])('an optional option %j prints only its own message', (argv, message) => {
    const r = parseOptions(argv);
    expect(r.kind === 'exit' && r.text).toBe(`${message}\nRun with --help for the options.`);
  });

  it('reports every invalid option, one line each', () => {
    const r = parseOptions(['--epochs', 'x', '--train-limit', 'y']);
    expect(r.kind === 'exit' && r.text.split('\n')).toEqual([
      "--epochs must be an integer >= 1 and <= 10000 (decimal digits, e.g. 10), got 'x'",
      "--train-limit must be an integer >= 1 and <= 60000 (decimal digits, e.g. 10), got 'y'",
      'Run with --help for the options.',
    ]);
  });

  it('accepts plain decimal numbers, with a fraction or exponent where a float is allowed', () => {
    expect(options(['--lr', '1e-2']).lr).toBe(0.01);
    expect(options(['--lr', '.5']).lr).toBe(0.5);
    expect(options(['--lr', '+2.5E-1']).lr).toBe(0.25);
    expect(options(['--epochs', '010']).epochs).toBe(10);
    expect(options(['--seed', '-3']).seed).toBe(-3);
    expect(options(['--train-limit', '500', '--test-limit', '7'])).toMatchObject({ trainLimit: 500, testLimit: 7 });
    expect(options([])).toMatchObject({ trainLimit: undefined, testLimit: undefined, data: undefined });
  });

  it("--resume takes the saved run's options: only --data and --log-every may be given with it", () => {
    expect(options(['--resume', 'runs/x', '--log-every', '5', '--data', 'd'])).toMatchObject({ resume: 'runs/x', out: 'runs/x', logEvery: 5, data: 'd' });
    const r = parseOptions(['--resume', 'runs/x', '--lr', '0.1', '--no-jit']);
    expect(r.kind === 'exit' && r.code).toBe(2);
    expect(r.kind === 'exit' && r.text).toMatch(
      /^--resume continues a run with the options it was started with; --lr, --no-jit cannot be given with it \(only --data and --log-every\)\n/,
    );
    expect(parseOptions(['--resume', '']).kind === 'exit').toBe(true);
  });

  it('--help lists every option and exits 0', () => {
    const r = parseOptions(['--help']);
    expect(r.kind === 'exit' && r.code).toBe(0);
    for (const flag of [
      '--model',
      '--epochs',
      '--batch-size',
      '--lr',
      '--momentum',
      '--seed',
      '--backend',
      '--data',
      '--out',
      '--log-every',
      '--no-jit',
      '--resume',
      '--help',
    ]) {
      expect(r.kind === 'exit' && r.text).toContain(flag);
    }
  });

  it('the program itself exits with code 2 on a bad option', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'main.ts'), '--epochs', '0'], { cwd: root, encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/--epochs must be an integer >= 1/);
  });

  it('reports a missing data directory with the reason and exit code 1', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'main.ts'), '--data', path.join(tmp, 'nowhere'), '--epochs', '1'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/nowhere/);
  });
});

describe('the output directory is checked before training', () => {
  const quick = (out: string) => options(['--epochs', '1', '--train-limit', '200', '--test-limit', '100', '--out', out]);

  it('an existing file as --out: a one-line error, exit code 1, nothing trained', () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const res = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'main.ts'), ...['--train-limit', '200', '--test-limit', '100', '--epochs', '1', '--out', file]],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(`mnist: --out '${file}' exists and is not a directory; pass a directory path (it is created if missing)\n`);
    expect(res.stdout).not.toMatch(/epoch/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('run() returns the error without printing a training line', async () => {
    const lines: string[] = [];
    const under = path.join(tmp, 'a-file-2');
    writeFileSync(under, '');
    const r = await run(quick(path.join(under, 'sub')), (l) => lines.push(l), false);
    expect('error' in r && r.error).toMatch(/^cannot use --out '.*a-file-2\/sub' as the output directory: ENOTDIR/);
    expect(lines).toEqual([]);
  });

  it('a directory where an artifact goes is reported before training', async () => {
    const out = path.join(tmp, 'blocked');
    mkdirSync(path.join(out, 'metrics.json'), { recursive: true });
    const lines: string[] = [];
    const r = await run(quick(out), (l) => lines.push(l), false);
    expect('error' in r && r.error).toMatch(/metrics\.json' is a directory where the run writes a file/);
    expect(lines).toEqual([]);
  });

  it('creates a missing output directory, parents included', () => {
    const out = path.join(tmp, 'new', 'nested');
    expect(prepareOutDir(out, 'mlp')).toBeUndefined();
    expect(statSync(out).isDirectory()).toBe(true);
  });
});

describe('mnist end to end (2,000 training images, one epoch)', () => {
  const lines: string[] = [];
  const opts = (out: string) => ({
    ...options(['--epochs', '1', '--batch-size', '50', '--train-limit', '2000', '--test-limit', '1000', '--out', out, '--log-every', '20']),
  });

  it('learns far above chance and writes the checkpoint, metrics and plot', async () => {
    const out = path.join(tmp, 'a');
    const result = completed(await run(opts(out), (l) => lines.push(l), false));
    // chance is 10%; 40 SGD steps on 2,000 images reach well above 70%
    expect(result.finalAccuracy).toBeGreaterThan(0.7);
    expect(lines.some((l) => /Average loss: \d\.\d{4}, Correct: \d+\/1000, Accuracy: \d+\.\d\d%/.test(l))).toBe(true);
    expect(lines.some((l) => /Train Loss/.test(l))).toBe(true);

    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.status).toBe('complete');
    expect(metrics.progress).toEqual({ epochsDone: 1, batchesDone: 0, stepsPerEpoch: 40 });
    expect(metrics.epochs).toHaveLength(1);
    expect(metrics.epochs[0].testAccuracy).toBeCloseTo(result.finalAccuracy, 10);
    // every batch's loss, and the epoch's training loss is their mean
    expect(metrics.batchLosses).toHaveLength(40);
    expect(metrics.epochs[0].trainLoss).toBeCloseTo(metrics.batchLosses.reduce((a: number, b: number) => a + b, 0) / 40, 10);
    expect(statSync(path.join(out, 'train-state.safetensors')).size).toBeGreaterThan(2 * 4 * 199_210);
    expect(readFileSync(path.join(out, 'plot.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);

    const ckpt = loadCheckpoint(result.checkpoint);
    expect(E.isRight(ckpt)).toBe(true);
    if (E.isRight(ckpt)) {
      const shapes = Object.values(ckpt.right.tensors).map((t) => t.shape.join('x'));
      expect(shapes.sort()).toEqual(['10', '10x200', '200', '200', '200x200', '200x784'].sort());
      expect(ckpt.right.metadata).toMatchObject({ model: 'mlp', epochs: '1' });
    }
  });

  it('the same seed gives the same result', async () => {
    const a = completed(await run(opts(path.join(tmp, 'b')), () => {}, false));
    const b = completed(await run(opts(path.join(tmp, 'c')), () => {}, false));
    expect(b.epochs[0]?.testLoss).toBe(a.epochs[0]?.testLoss);
    expect(b.finalAccuracy).toBe(a.finalAccuracy);
  });

  it('--resume of a directory without a saved run, or of a complete run, says why and trains nothing', async () => {
    const lines: string[] = [];
    const missing = await run(options(['--resume', path.join(tmp, 'nothing-here')]), (l) => lines.push(l), false);
    expect('error' in missing && missing.error).toMatch(/^cannot resume from '.*nothing-here': .*train-state\.safetensors: cannot read the checkpoint: ENOENT/);
    const done = await run(options(['--resume', path.join(tmp, 'a')]), (l) => lines.push(l), false);
    expect('error' in done && done.error).toMatch(/^the run in '.*' is complete \(1 of 1 epochs\): nothing to resume$/);
    expect(lines).toEqual([]);
  });

  it('the jitted run (the default) and --no-jit (eager) train to the same losses and accuracy', async () => {
    const printed: string[][] = [[], []];
    const jitted = completed(await run(opts(path.join(tmp, 'jit')), (l) => printed[0]?.push(l), false));
    const eager = completed(await run({ ...opts(path.join(tmp, 'eager')), jit: false }, (l) => printed[1]?.push(l), false));
    expect(printed[0]?.[0]).toMatch(/, jit$/);
    expect(printed[1]?.[0]).toMatch(/, eager \(--no-jit\)$/);
    const [j, e] = [jitted.epochs[0], eager.epochs[0]];
    expect(j?.trainLoss).toBeCloseTo(e?.trainLoss as number, 4);
    expect(j?.testLoss).toBeCloseTo(e?.testLoss as number, 4);
    expect(Math.abs(jitted.finalAccuracy - eager.finalAccuracy)).toBeLessThanOrEqual(0.002);
  });
});
