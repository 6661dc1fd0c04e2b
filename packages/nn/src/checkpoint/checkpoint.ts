/**
 * Checkpoints as bytes (browser-safe): any params pytree encoded as a safetensors file and decoded
 * back, either as the exact tree that was encoded or checked against a template tree. Saving to and
 * loading from a path (atomic writes) is in `@tenfold/nn/node`.
 */
import { type Array, ConcreteArray, type DType, np, type TypedArray, tree } from '@tenfold/core';
import * as E from 'fp-ts/lib/Either.js';
import { describeDecodeError } from '../data/errors.js';
import {
  DTYPE_OF,
  describeTree,
  FORMAT_METADATA_KEY,
  FORMAT_VERSION,
  formatVersionError,
  parseSkeleton,
  rebuildTree,
  SAFETENSORS_DTYPE_OF,
  TREE_METADATA_KEY,
} from './pytree.js';
import { CheckpointError, decodeSafetensors, encodeSafetensors, MetadataC, type SafetensorsTensor } from './safetensors.js';

export interface SaveCheckpointOptions {
  /** Extra `__metadata__` entries (string values; keys starting with 'tenfold.' are reserved). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Options of {@link encodeCheckpoint}: the metadata, and the name error reasons start with (default '<bytes>'). */
export interface EncodeCheckpointOptions extends SaveCheckpointOptions {
  readonly name?: string;
}

/** What {@link encodeCheckpoint} made. */
export interface EncodedCheckpoint {
  /** The safetensors file. */
  readonly bytes: Uint8Array;
  /** The tensor names, in `tree.flatten` order of the params. */
  readonly names: readonly string[];
}

export interface LoadCheckpointOptions {
  /** Backend for the loaded arrays (default: the current default backend; {@link decodeParams} uses each template leaf's). */
  readonly backend?: string;
}

/** Options of {@link decodeCheckpoint} and {@link decodeParams}: the backend, and the name error reasons start with (default '<bytes>'). */
export interface DecodeCheckpointOptions extends LoadCheckpointOptions {
  readonly name?: string;
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint {
  /** Every tensor by name (JS number and boolean leaves as 0-d arrays). */
  readonly tensors: Readonly<Record<string, Array>>;
  /** The `__metadata__` entries given when saving (without the reserved 'tenfold.*' keys). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * The saved pytree, rebuilt exactly (same containers, keys, null/undefined, JS number and boolean
   * leaves); undefined when the file was not written by tenfold (no tree metadata).
   */
  readonly params: tree.Tree | undefined;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A pytree as safetensors tensors plus the metadata, reading leaves with `read`. */
function encodeTree(path: string, params: unknown, opts: SaveCheckpointOptions, read: (x: Array) => TypedArray): E.Either<CheckpointError, EncodedCheckpoint> {
  const err = (reason: string) => E.left(new CheckpointError(path, `${path}: cannot save the checkpoint: ${reason}`));
  const meta = MetadataC.decode(opts.metadata ?? {});
  if (E.isLeft(meta)) return err(`metadata: ${describeDecodeError(meta.left)}`);
  const reserved = Object.keys(meta.right).find((k) => k.startsWith('tenfold.'));
  if (reserved !== undefined) return err(`metadata key '${reserved}' is reserved (keys starting with 'tenfold.' hold the tree structure)`);
  let described: ReturnType<typeof describeTree>;
  try {
    described = describeTree(params);
  } catch (e) {
    return err(errorText(e));
  }
  const tensors: SafetensorsTensor[] = [];
  for (const { path: leafPath, name, leaf } of described.leaves) {
    try {
      if (typeof leaf === 'boolean') tensors.push({ name, dtype: 'BOOL', shape: [], data: new Uint8Array([leaf ? 1 : 0]) });
      else if (typeof leaf === 'number') {
        // -0 is an integer to JS but I32 has no -0: store it as F64 so it comes back as -0
        const int = Number.isInteger(leaf) && !Object.is(leaf, -0) && leaf >= -2147483648 && leaf <= 2147483647;
        tensors.push({ name, dtype: int ? 'I32' : 'F64', shape: [], data: int ? new Int32Array([leaf]) : new Float64Array([leaf]) });
      } else tensors.push({ name, dtype: SAFETENSORS_DTYPE_OF[leaf.dtype], shape: leaf.shape, data: read(leaf) });
    } catch (e) {
      return err(`cannot read the leaf at ${leafPath === '' ? 'the root' : leafPath}: ${errorText(e)}`);
    }
  }
  const metadata = { ...meta.right, [FORMAT_METADATA_KEY]: FORMAT_VERSION, [TREE_METADATA_KEY]: JSON.stringify(described.skeleton) };
  try {
    return E.right({ bytes: encodeSafetensors(tensors, metadata), names: described.leaves.map((l) => l.name) });
  } catch (e) {
    return err(errorText(e));
  }
}

/**
 * Encodes a params pytree (arrays of any dtype, JS numbers and booleans in plain objects, lists,
 * null and undefined) as the bytes of a safetensors file. Tensor names are the leaves' tree paths
 * with dots (`layers[0].w` → `layers.0.w`, see {@link tensorNameOfPath}); the tree structure goes in
 * `__metadata__['tenfold.tree']`. Reads the arrays with `dataSync()` (CPU backend); use
 * {@link encodeCheckpointAsync} on other backends.
 *
 * @example
 * const r = encodeCheckpoint(params, { metadata: { epoch: '3' } });
 * if (E.isRight(r)) download(new Blob([r.right.bytes]));
 */
export function encodeCheckpoint(params: unknown, opts: EncodeCheckpointOptions = {}): E.Either<CheckpointError, EncodedCheckpoint> {
  return encodeTree(opts.name ?? '<bytes>', params, opts, (x) => x.dataSync());
}

/** As {@link encodeCheckpoint}, reading the arrays with `await x.data()` (every backend). */
export async function encodeCheckpointAsync(params: unknown, opts: EncodeCheckpointOptions = {}): Promise<E.Either<CheckpointError, EncodedCheckpoint>> {
  const name = opts.name ?? '<bytes>';
  let data: Map<Array, TypedArray>;
  try {
    const arrays = tree.leaves(params).filter((l): l is Array => typeof l === 'object');
    const read = await Promise.all(arrays.map((a) => a.data()));
    data = new Map(arrays.map((a, i) => [a, read[i] as TypedArray]));
  } catch (e) {
    return E.left(new CheckpointError(name, `${name}: cannot save the checkpoint: ${errorText(e)}`));
  }
  return encodeTree(name, params, opts, (x) => data.get(x) as TypedArray);
}

function toArray(x: SafetensorsTensor, backend: string | undefined): Array {
  return np.array(x.data, { shape: x.shape, dtype: DTYPE_OF[x.dtype], backend });
}

function scalarOf(x: SafetensorsTensor, kind: 'number' | 'boolean'): number | boolean {
  const v = x.data[0] as number;
  return kind === 'boolean' ? v !== 0 : v;
}

/**
 * Decodes the bytes of a safetensors file: every tensor as an Array, the user metadata and, when
 * the file was written by tenfold, the exact pytree that was saved (`params`). A truncated or
 * corrupt file, or one of another tenfold format version (`__metadata__['tenfold.format']`),
 * gives a {@link CheckpointError} whose `reason` says what is wrong.
 *
 * @example
 * const r = decodeCheckpoint(new Uint8Array(await (await fetch('mlp.safetensors')).arrayBuffer()));
 * if (E.isRight(r)) r.right.tensors['0.weight']; // Array (a sequential model's first layer)
 */
export function decodeCheckpoint(bytes: Uint8Array, opts: DecodeCheckpointOptions = {}): E.Either<CheckpointError, LoadedCheckpoint> {
  const path = opts.name ?? '<bytes>';
  const file = decodeSafetensors(bytes, path);
  if (E.isLeft(file)) return file;
  const err = (reason: string) => E.left(new CheckpointError(path, `${path}: ${reason}`));
  const badVersion = formatVersionError(file.right.metadata);
  if (badVersion !== undefined) return err(badVersion);
  const byName = new Map(file.right.tensors.map((x) => [x.name, x]));
  let tensors: Record<string, Array>;
  try {
    tensors = Object.fromEntries(file.right.tensors.map((x) => [x.name, toArray(x, opts.backend)]));
  } catch (e) {
    return err(errorText(e));
  }
  const metadata = Object.fromEntries(Object.entries(file.right.metadata).filter(([k]) => !k.startsWith('tenfold.')));
  const skeletonJson = file.right.metadata[TREE_METADATA_KEY];
  if (skeletonJson === undefined) return E.right({ tensors, metadata, params: undefined });
  const skeleton = parseSkeleton(skeletonJson);
  if (E.isLeft(skeleton)) return err(skeleton.left);
  const used = new Set<string>();
  let missing: string | undefined;
  const params = rebuildTree(skeleton.right, (name, kind) => {
    const x = byName.get(name);
    if (x === undefined) {
      missing ??= `${TREE_METADATA_KEY} names the tensor '${name}', which is not in the file`;
      return 0;
    }
    used.add(name);
    if (kind === 'array') return tensors[name] as Array;
    if (x.shape.length !== 0 || (kind === 'boolean') !== (x.dtype === 'BOOL')) {
      missing ??= `tensor '${name}' should hold a JS ${kind} (a 0-d ${kind === 'boolean' ? 'BOOL' : 'numeric'} tensor), found ${x.dtype} [${x.shape.join(', ')}]`;
      return 0;
    }
    return scalarOf(x, kind);
  });
  if (missing !== undefined) return err(missing);
  const extra = file.right.tensors.find((x) => !used.has(x.name));
  if (extra !== undefined) return err(`the tensor '${extra.name}' is not part of the tree described by ${TREE_METADATA_KEY}`);
  return E.right({ tensors, metadata, params });
}

const describeLeaf = (x: SafetensorsTensor): string => `${x.dtype} [${x.shape.join(', ')}]`;

/**
 * Decodes a checkpoint into the structure of `template`: every template leaf must have a tensor of
 * the same name (see {@link tensorNameOfPath}), dtype and shape (a JS number leaf: a 0-d numeric
 * tensor; a boolean leaf: a 0-d BOOL tensor), and the file may hold no other tensors. The first
 * mismatch, in `tree.flatten` order, is named. Arrays go to the backend of the template leaf. A
 * file of another tenfold format version (`__metadata__['tenfold.format']`) is rejected, as by
 * {@link decodeCheckpoint}.
 *
 * @example
 * const params = decodeParams(bytes, model.init(random.key(0)));
 * if (E.isLeft(params)) throw params.left;
 */
export function decodeParams<T>(bytes: Uint8Array, template: T, opts: DecodeCheckpointOptions = {}): E.Either<CheckpointError, T> {
  const path = opts.name ?? '<bytes>';
  let described: ReturnType<typeof describeTree>;
  try {
    described = describeTree(template);
  } catch (e) {
    return E.left(new CheckpointError(path, `${path}: the template is not a pytree: ${errorText(e)}`));
  }
  const file = decodeSafetensors(bytes, path);
  if (E.isLeft(file)) return file;
  // before matching names: a newer format may name or lay out the tensors differently
  const badVersion = formatVersionError(file.right.metadata);
  if (badVersion !== undefined) return E.left(new CheckpointError(path, `${path}: ${badVersion}`));
  const err = (reason: string) => E.left(new CheckpointError(path, `${path}: does not match the template: ${reason}`));
  const byName = new Map(file.right.tensors.map((x) => [x.name, x]));
  const values: (Array | number | boolean)[] = [];
  for (const { path: leafPath, name, leaf } of described.leaves) {
    const where = `the leaf ${leafPath === '' ? 'at the root' : leafPath} (tensor '${name}')`;
    const x = byName.get(name);
    if (x === undefined) return err(`${where} is not in the file`);
    if (typeof leaf === 'boolean' || typeof leaf === 'number') {
      const ok = x.shape.length === 0 && (typeof leaf === 'boolean' ? x.dtype === 'BOOL' : x.dtype !== 'BOOL');
      if (!ok) return err(`${where}: the template has a JS ${typeof leaf}, the file ${describeLeaf(x)}`);
      values.push(scalarOf(x, typeof leaf === 'boolean' ? 'boolean' : 'number'));
      continue;
    }
    const dtype: DType = leaf.dtype;
    if (SAFETENSORS_DTYPE_OF[dtype] !== x.dtype) return err(`${where}: the template has dtype ${dtype} (${SAFETENSORS_DTYPE_OF[dtype]}), the file ${x.dtype}`);
    if (leaf.shape.length !== x.shape.length || leaf.shape.some((d, i) => d !== x.shape[i])) {
      return err(`${where}: the template has shape [${leaf.shape.join(', ')}], the file [${x.shape.join(', ')}]`);
    }
    try {
      values.push(toArray(x, leaf instanceof ConcreteArray ? leaf.backend.name : opts.backend));
    } catch (e) {
      return err(`${where}: ${errorText(e)}`);
    }
  }
  const names = new Set(described.leaves.map((l) => l.name));
  const extra = file.right.tensors.find((x) => !names.has(x.name));
  if (extra !== undefined) return err(`the file has the tensor '${extra.name}' (${describeLeaf(extra)}), which the template lacks`);
  const [, def] = tree.flatten(template);
  return E.right(tree.unflatten(def, values) as T);
}
