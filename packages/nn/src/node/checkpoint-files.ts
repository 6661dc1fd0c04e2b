/**
 * Checkpoints on disk (Node): the byte-level codec of `../checkpoint` plus atomic writes (a
 * temporary file, fsync, rename) and reads from a path.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import {
  decodeCheckpoint,
  decodeParams,
  type EncodedCheckpoint,
  encodeCheckpoint,
  encodeCheckpointAsync,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  type SaveCheckpointOptions,
} from '../checkpoint/checkpoint.js';
import { CheckpointError } from '../checkpoint/safetensors.js';

/** What {@link saveCheckpoint} wrote. */
export interface SavedCheckpoint {
  readonly path: string;
  /** The file's size in bytes. */
  readonly bytes: number;
  /** The tensor names, in `tree.flatten` order of the params. */
  readonly names: readonly string[];
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Writes `bytes` to a temporary file next to `path`, fsyncs it and renames it over `path`. */
function writeAtomically(path: string, bytes: Uint8Array): E.Either<CheckpointError, void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    const f = fd;
    fd = undefined;
    closeSync(f);
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing: the first error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may not exist (open failed)
    }
    return E.left(new CheckpointError(path, `${path}: cannot save the checkpoint: ${errorText(e)} (any previous file at this path is unchanged)`));
  }
  // Persist the rename itself; best effort (not every platform can fsync a directory).
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // ignored
  }
  return E.right(undefined);
}

function written(path: string, enc: E.Either<CheckpointError, EncodedCheckpoint>): E.Either<CheckpointError, SavedCheckpoint> {
  if (E.isLeft(enc)) return enc;
  const w = writeAtomically(path, enc.right.bytes);
  if (E.isLeft(w)) return w;
  return E.right({ path, bytes: enc.right.bytes.length, names: enc.right.names });
}

/**
 * Saves a params pytree as a safetensors file (see `encodeCheckpoint` for what a tree may hold
 * and how tensors are named). The file is written to `path.tmp-<pid>-<random>`, fsynced and
 * renamed over `path`: a failed save never leaves a partial file and keeps any previous one. Reads
 * the arrays with `dataSync()` (CPU backend); use {@link saveCheckpointAsync} on other backends.
 *
 * @example
 * const r = saveCheckpoint('mlp.safetensors', params, { metadata: { epoch: '3' } });
 * if (E.isLeft(r)) console.error(r.left.reason);
 */
export function saveCheckpoint(path: string, params: unknown, opts: SaveCheckpointOptions = {}): E.Either<CheckpointError, SavedCheckpoint> {
  return written(path, encodeCheckpoint(params, { ...opts, name: path }));
}

/**
 * As {@link saveCheckpoint}, reading the arrays with `await x.data()` (every backend).
 *
 * @example
 * const r = await saveCheckpointAsync('mlp.safetensors', params);
 */
export async function saveCheckpointAsync(
  path: string,
  params: unknown,
  opts: SaveCheckpointOptions = {},
): Promise<E.Either<CheckpointError, SavedCheckpoint>> {
  return written(path, await encodeCheckpointAsync(params, { ...opts, name: path }));
}

function readBytes(path: string): E.Either<CheckpointError, Uint8Array> {
  try {
    return E.right(readFileSync(path));
  } catch (e) {
    return E.left(new CheckpointError(path, `${path}: cannot read the checkpoint: ${errorText(e)}`));
  }
}

/**
 * Loads a safetensors file (see `decodeCheckpoint`): every tensor as an Array, the user metadata
 * and, when the file was written by {@link saveCheckpoint}, the exact pytree that was saved.
 *
 * @example
 * const r = loadCheckpoint('mlp.safetensors');
 * if (E.isRight(r)) r.right.tensors['0.weight']; // Array (a sequential model's first layer)
 */
export function loadCheckpoint(path: string, opts: LoadCheckpointOptions = {}): E.Either<CheckpointError, LoadedCheckpoint> {
  const bytes = readBytes(path);
  return E.isLeft(bytes) ? bytes : decodeCheckpoint(bytes.right, { ...opts, name: path });
}

/**
 * Loads a checkpoint file into the structure of `template` (see `decodeParams`: names, dtypes and
 * shapes must match).
 *
 * @example
 * const params = loadParams('mlp.safetensors', model.init(random.key(0)));
 * if (E.isLeft(params)) throw params.left;
 */
export function loadParams<T>(path: string, template: T, opts: LoadCheckpointOptions = {}): E.Either<CheckpointError, T> {
  const bytes = readBytes(path);
  return E.isLeft(bytes) ? bytes : decodeParams(bytes.right, template, { ...opts, name: path });
}
