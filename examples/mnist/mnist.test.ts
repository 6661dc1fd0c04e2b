import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '@tenfold/nn';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { type MnistOptions, parseOptions } from './options.js';
import { renderPlot } from './plot.js';
import { run } from './train.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenfold-mnist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

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
    });
  });

  it.each([
    [['--epochs', '0'], /--epochs must be an integer >= 1/],
    [['--epochs', '2.5'], /--epochs must be an integer/],
    [['--batch-size', 'x'], /--batch-size must be an integer >= 1.*got 'x'/],
    [['--lr', '-1'], /--lr must be a number > 0/],
    [['--lr', 'NaN'], /--lr must be a number/],
    [['--momentum', '1.5'], /--momentum must be a number >= 0 and <= 1/],
    [['--model', 'rnn'], /--model must be one of mlp, cnn, got 'rnn'/],
    [['--backend', 'tpu'], /--backend must be one of cpu/],
    [['--optimizer', 'lbfgs'], /--optimizer must be one of sgd, adam/],
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

  it('--help lists every option and exits 0', () => {
    const r = parseOptions(['--help']);
    expect(r.kind === 'exit' && r.code).toBe(0);
    for (const flag of ['--model', '--epochs', '--batch-size', '--lr', '--momentum', '--seed', '--backend', '--data', '--out', '--log-every', '--help']) {
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

describe('mnist end to end (2,000 training images, one epoch)', () => {
  const lines: string[] = [];
  const opts = (out: string) => ({
    ...options(['--epochs', '1', '--batch-size', '50', '--train-limit', '2000', '--test-limit', '1000', '--out', out, '--log-every', '20']),
  });

  it('learns far above chance and writes the checkpoint, metrics and plot', async () => {
    const out = path.join(tmp, 'a');
    const result = await run(opts(out), (l) => lines.push(l), false);
    if ('error' in result) throw new Error(result.error);
    // chance is 10%; 40 SGD steps on 2,000 images reach well above 70%
    expect(result.finalAccuracy).toBeGreaterThan(0.7);
    expect(lines.some((l) => /Average loss: \d\.\d{4}, Correct: \d+\/1000, Accuracy: \d+\.\d\d%/.test(l))).toBe(true);
    expect(lines.some((l) => /Train Loss/.test(l))).toBe(true);

    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.epochs).toHaveLength(1);
    expect(metrics.epochs[0].testAccuracy).toBeCloseTo(result.finalAccuracy, 10);
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
    const a = await run(opts(path.join(tmp, 'b')), () => {}, false);
    const b = await run(opts(path.join(tmp, 'c')), () => {}, false);
    if ('error' in a || 'error' in b) throw new Error('run failed');
    expect(b.epochs[0]?.testLoss).toBe(a.epochs[0]?.testLoss);
    expect(b.finalAccuracy).toBe(a.finalAccuracy);
  });
});

describe('plot', () => {
  it('draws one point per epoch for each curve', () => {
    const svg = renderPlot(
      [
        { epoch: 1, trainLoss: 0.5, testLoss: 0.3, testAccuracy: 0.9, seconds: 1 },
        { epoch: 2, trainLoss: 0.2, testLoss: 0.2, testAccuracy: 0.95, seconds: 1 },
      ],
      'x < y & z',
    );
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg.match(/<circle/g)).toHaveLength(6);
    expect(svg).toContain('x &lt; y &amp; z');
  });
});
