/**
 * Pytrees ↔ safetensors tensors: the tensor names of a tree's leaves and the JSON description of
 * its structure stored in `__metadata__`, so a checkpoint rebuilds the exact tree.
 */
import { type Array, type DType, tree } from '@tenfold/core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeDecodeError, show } from '../data/errors.js';
import type { SupportedSafetensorsDType } from './safetensors.js';

/** The `__metadata__` key holding the tree structure (JSON of a {@link TreeSkeleton}). */
export const TREE_METADATA_KEY = 'tenfold.tree';
/** The `__metadata__` key holding the format version of {@link TREE_METADATA_KEY}. */
export const FORMAT_METADATA_KEY = 'tenfold.format';
/** The current value of {@link FORMAT_METADATA_KEY}. */
export const FORMAT_VERSION = '1';

/**
 * Why a file's metadata is of a format version this tenfold cannot read, or undefined when it
 * can (the key is absent, e.g. a file written by another library, or is {@link FORMAT_VERSION}).
 * One check for every loader, so a newer format is never half-read by any of them.
 */
export function formatVersionError(metadata: Readonly<Record<string, string>>): string | undefined {
  const version = metadata[FORMAT_METADATA_KEY];
  return version === undefined || version === FORMAT_VERSION
    ? undefined
    : `${FORMAT_METADATA_KEY} is ${show(version)}; this version of tenfold reads ${FORMAT_VERSION} (load the file with the tenfold version that wrote it)`;
}

/**
 * A tree's structure with its leaves named, as stored in the metadata:
 * a string is an Array leaf (its tensor name); `{ num: name }` a JS number leaf and
 * `{ bool: name }` a JS boolean leaf (stored as 0-d tensors); `null`; `{ undefined: true }`;
 * a JSON array is a list; `{ dict: [[key, child], ...] }` a plain object.
 */
export type TreeSkeleton =
  | string
  | null
  | readonly TreeSkeleton[]
  | { readonly num: string }
  | { readonly bool: string }
  | { readonly undefined: true }
  | { readonly dict: readonly [string, TreeSkeleton][] };

export const TreeSkeletonC: t.Type<TreeSkeleton, unknown> = t.recursion<TreeSkeleton, unknown>('TreeSkeleton', () =>
  t.union([
    t.string,
    t.null,
    t.readonlyArray(TreeSkeletonC),
    t.strict({ num: t.string }),
    t.strict({ bool: t.string }),
    t.strict({ undefined: t.literal(true) }),
    t.strict({ dict: t.readonlyArray(t.tuple([t.string, TreeSkeletonC])) }),
  ]),
);

/** The safetensors dtype of each tenfold dtype. */
export const SAFETENSORS_DTYPE_OF: Readonly<Record<DType, SupportedSafetensorsDType>> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
/** The tenfold dtype of each supported safetensors dtype. */
export const DTYPE_OF: Readonly<Record<SupportedSafetensorsDType, DType>> = { F32: 'float32', F64: 'float64', I32: 'int32', BOOL: 'bool' };

/**
 * The segments of a tenfold tree path: `a.b[0]['my key']` → ['a', 'b', '0', 'my key'] (see
 * tree.flattenWithPath: identifiers after dots, list indices in brackets, other keys quoted).
 */
export function pathSegments(path: string): string[] {
  const out: string[] = [];
  let i = 0;
  const bad = (): never => {
    throw new Error(`cannot parse the tree path ${JSON.stringify(path)} at character ${i}`);
  };
  const ident = (): void => {
    const m = /^[A-Za-z_$][\w$]*/.exec(path.slice(i));
    if (m === null) bad();
    out.push((m as RegExpExecArray)[0]);
    i += (m as RegExpExecArray)[0].length;
  };
  if (path !== '' && path[0] !== '[') ident();
  while (i < path.length) {
    if (path[i] === '.') {
      i++;
      ident();
    } else if (path[i] === '[') {
      i++;
      if (path[i] === "'") {
        i++;
        let s = '';
        while (i < path.length && path[i] !== "'") {
          if (path[i] === '\\') i++;
          if (i >= path.length) bad();
          s += path[i];
          i++;
        }
        if (path[i] !== "'" || path[i + 1] !== ']') bad();
        i += 2;
        out.push(s);
      } else {
        const m = /^\d+\]/.exec(path.slice(i));
        if (m === null) bad();
        const tok = (m as RegExpExecArray)[0];
        out.push(tok.slice(0, -1));
        i += tok.length;
      }
    } else bad();
  }
  return out;
}

/**
 * The tensor name of a tree path: its segments joined by dots (`layers[0].w` → `layers.0.w`,
 * `[1]['b']` → `1.b`). A `%` or `.` inside a segment is written `%25` / `%2E`, so names are unique,
 * and the reserved name `__metadata__` becomes `%5F_metadata__`.
 *
 * @example
 * tensorNameOfPath("layers[0].weight"); // 'layers.0.weight'
 */
export function tensorNameOfPath(path: string): string {
  const name = pathSegments(path)
    .map((s) => s.replace(/%/g, '%25').replace(/\./g, '%2E'))
    .join('.');
  return name === '__metadata__' ? '%5F_metadata__' : name;
}

/**
 * The tensor names of a tree's leaves, in `tree.flatten` order.
 *
 * @example
 * tensorNames({ layers: [{ w, b }] }); // ['layers.0.b', 'layers.0.w']
 */
export function tensorNames(params: unknown): string[] {
  return tree.flattenWithPath(params)[0].map(([path]) => tensorNameOfPath(path));
}

class Ref {
  constructor(readonly index: number) {}
}

/** The leaves (with names) and skeleton of a tree. Throws (TenfoldError) on values that are not trees. */
export function describeTree(params: unknown): { leaves: { path: string; name: string; leaf: Array | number | boolean }[]; skeleton: TreeSkeleton } {
  const [pairs, def] = tree.flattenWithPath(params);
  const leaves = pairs.map(([path, leaf]) => ({ path, name: tensorNameOfPath(path), leaf: leaf as Array | number | boolean }));
  const walk = (x: unknown): TreeSkeleton => {
    if (x instanceof Ref) {
      const { name, leaf } = leaves[x.index] as (typeof leaves)[number];
      return typeof leaf === 'number' ? { num: name } : typeof leaf === 'boolean' ? { bool: name } : name;
    }
    if (x === null) return null;
    if (x === undefined) return { undefined: true };
    if (globalThis.Array.isArray(x)) return x.map(walk);
    return { dict: Object.entries(x as Record<string, unknown>).map(([k, v]): [string, TreeSkeleton] => [k, walk(v)]) };
  };
  const refs = tree.unflatten(
    def,
    pairs.map((_, i) => new Ref(i)),
  );
  return { leaves, skeleton: walk(refs) };
}

/** Parses the skeleton JSON from the metadata. */
export function parseSkeleton(json: string): E.Either<string, TreeSkeleton> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    return E.left(`${TREE_METADATA_KEY} is not valid JSON: ${(e as Error).message}`);
  }
  const r = TreeSkeletonC.decode(value);
  return E.isLeft(r) ? E.left(`${TREE_METADATA_KEY} is not a tree description: ${describeDecodeError(r.left)}`) : r;
}

const isList = (s: TreeSkeleton): s is readonly TreeSkeleton[] => globalThis.Array.isArray(s);

/** Rebuilds the tree of `skeleton`, each leaf from `leafOf(name, kind)`. */
export function rebuildTree<L>(skeleton: TreeSkeleton, leafOf: (name: string, kind: 'array' | 'number' | 'boolean') => L): tree.Tree<L> {
  const walk = (s: TreeSkeleton): tree.Tree<L> => {
    if (typeof s === 'string') return leafOf(s, 'array');
    if (s === null) return null;
    if (isList(s)) return s.map(walk);
    if ('num' in s) return leafOf(s.num, 'number');
    if ('bool' in s) return leafOf(s.bool, 'boolean');
    if ('undefined' in s) return undefined;
    return Object.fromEntries(s.dict.map(([k, v]) => [k, walk(v)]));
  };
  return walk(skeleton);
}
