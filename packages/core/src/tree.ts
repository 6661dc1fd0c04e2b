/**
 * Pytree utilities, as `jax.tree`: nested plain objects, JS arrays, `null` and `undefined` are
 * containers; arrays, numbers and booleans are leaves. Transforms use these to accept parameters
 * of any shape (`grad(loss)(params)` with `params = { w, b }`).
 *
 * Order: leaves come depth-first; an object's keys are visited in sorted order (as JAX sorts dict
 * keys), so `{ b, a }` and `{ a, b }` have the same structure and the same leaf order.
 */
import { Array } from './array.js';
import { foreignCopyOf, twoCopiesMessage } from './copies.js';
import { TenfoldError } from './errors.js';

const isJsArray = globalThis.Array.isArray;

/** A pytree leaf: an array (tracers included), or a JS number or boolean. */
export type Leaf = Array | number | boolean;

/** A nested structure of leaves `L` in plain objects, JS arrays/tuples, `null` and `undefined`. */
export type Tree<L = Leaf> = L | null | undefined | readonly Tree<L>[] | { readonly [key: string]: Tree<L> };

/** `T` with every leaf replaced by `L`; objects keep their keys and tuples stay tuples. */
export type MapLeaves<T, L> = unknown extends T
  ? unknown
  : T extends Leaf
    ? L
    : T extends null | undefined
      ? T
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: MapLeaves<T[K], L> }
        : { [K in keyof T]: MapLeaves<T[K], L> };

/**
 * The union of the leaf types in `T` (`Leaf` when `T` is not known precisely). `D` counts depth:
 * recursive types such as `Tree` would otherwise never end, so past 10 levels it gives up: `Leaf`.
 */
export type LeafOf<T, D extends unknown[] = []> = unknown extends T
  ? Leaf
  : D['length'] extends 10
    ? Leaf
    : T extends Leaf
      ? T
      : T extends null | undefined
        ? never
        : T extends readonly (infer E)[]
          ? LeafOf<E, [...D, 0]>
          : T extends object
            ? { [K in keyof T]-?: LeafOf<T[K], [...D, 0]> }[keyof T]
            : never;

type Node =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'none'; readonly value: null | undefined }
  | { readonly kind: 'list'; readonly children: readonly Node[] }
  | { readonly kind: 'dict'; readonly keys: readonly string[]; readonly children: readonly Node[] };

const LEAF: Node = { kind: 'leaf' };

// Set in TreeDef's static block: the constructor and node stay private to this module, so every
// TreeDef is well formed and the node type stays out of the public API.
let makeTreeDef: (node: Node) => TreeDef;
let nodeOf: (def: TreeDef) => Node;

/**
 * The structure of a tree without its leaves, as JAX's `PyTreeDef`. Two trees with equal
 * structures differ only in their leaves.
 *
 * @example
 * const def = tree.structure({ a: 1, b: [2, 3] });
 * def.numLeaves;  // 3
 * String(def);    // "PyTreeDef({'a': *, 'b': [*, *]})"
 */
export class TreeDef {
  readonly #node: Node;
  /** How many leaves a tree of this structure has. */
  readonly numLeaves: number;

  private constructor(node: Node) {
    this.#node = node;
    this.numLeaves = countLeaves(node);
  }

  static {
    makeTreeDef = (node) => new TreeDef(node);
    nodeOf = (def) => def.#node;
  }

  /**
   * Whether `other` has the same structure (same containers, keys and lengths).
   *
   * @example
   * tree.structure({ a: 1 }).equals(tree.structure({ a: np.zeros([3]) })); // true
   * tree.structure([1, 2]).equals(tree.structure([1]));                   // false
   */
  equals(other: TreeDef): boolean {
    return firstDifference(this.#node, other.#node, '') === null;
  }

  /**
   * JAX-style rendering: `*` for a leaf.
   *
   * @example
   * tree.structure({ a: 1, b: [2, null] }).toString(); // "PyTreeDef({'a': *, 'b': [*, null]})"
   */
  toString(): string {
    return `PyTreeDef(${render(this.#node)})`;
  }
}

/**
 * Whether `x` is a leaf: an Array (tracers included), a number or a boolean.
 *
 * @example
 * tree.isLeaf(np.ones([2])); // true
 * tree.isLeaf([1]);          // false
 */
export function isLeaf(x: unknown): x is Leaf {
  return x instanceof Array || typeof x === 'number' || typeof x === 'boolean';
}

/**
 * Splits a tree into its leaves (depth-first, object keys sorted) and its structure.
 * Throws on values that are neither leaves nor containers (strings, Maps, class instances...).
 *
 * @example
 * const [leaves, def] = tree.flatten({ b: [1, 2], a: np.zeros([3]) });
 * leaves;       // [zeros, 1, 2]   (key 'a' first)
 * def.numLeaves // 3
 */
export function flatten<T>(t: T): [LeafOf<T>[], TreeDef] {
  return flattenOp(t, 'tree.flatten') as [LeafOf<T>[], TreeDef];
}

/**
 * As {@link flatten}, with each leaf's path (`'a.b[0]'`, `"[0]['my key']"`; `''` for a root leaf).
 *
 * @example
 * const [pairs] = tree.flattenWithPath({ w: [1, 2], b: 3 });
 * pairs; // [['b', 3], ['w[0]', 1], ['w[1]', 2]]
 */
export function flattenWithPath<T>(t: T): [[path: string, leaf: LeafOf<T>][], TreeDef] {
  const leaves: Leaf[] = [];
  const paths: string[] = [];
  const def = makeTreeDef(build(t, '', leaves, paths, new Set(), 'tree.flattenWithPath'));
  return [leaves.map((leaf, i) => [paths[i] as string, leaf as LeafOf<T>]), def];
}

/**
 * Rebuilds a tree of structure `def` from `leaves` (in {@link flatten}'s order). Leaves may be
 * any values; objects come back with their keys in sorted order.
 *
 * @example
 * const [leaves, def] = tree.flatten({ a: 1, b: [2, 3] });
 * tree.unflatten(def, leaves.map((x) => np.array(x))); // { a: Array, b: [Array, Array] }
 */
export function unflatten<L>(def: TreeDef, leaves: readonly L[]): Tree<L> {
  if (leaves.length !== def.numLeaves) {
    throw new TenfoldError('tree.unflatten', `the structure ${truncate(String(def))} expects ${def.numLeaves} leaves, got ${leaves.length}`);
  }
  let next = 0;
  const rebuild = (node: Node): Tree<L> => {
    switch (node.kind) {
      case 'leaf':
        return leaves[next++] as L;
      case 'none':
        return node.value;
      case 'list':
        return node.children.map(rebuild);
      case 'dict':
        // fromEntries defines own properties, so a key like '__proto__' stays an ordinary key.
        return Object.fromEntries(node.keys.map((k, i) => [k, rebuild(node.children[i] as Node)]));
    }
  };
  return rebuild(nodeOf(def));
}

/**
 * The leaves of a tree, in {@link flatten}'s order.
 *
 * @example
 * tree.leaves({ b: 2, a: [1, null] }); // [1, 2]
 */
export function leaves<T>(t: T): LeafOf<T>[] {
  return flattenOp(t, 'tree.leaves')[0] as LeafOf<T>[];
}

/**
 * The structure of a tree (its {@link TreeDef}).
 *
 * @example
 * tree.structure([1, { x: 2 }]).toString(); // "PyTreeDef([*, {'x': *}])"
 */
export function structure(t: unknown): TreeDef {
  return flattenOp(t, 'tree.structure')[1];
}

/**
 * Applies `f` to every leaf and returns a tree of the same structure, as `jax.tree.map`. With
 * several trees, `f` gets the matching leaf of each; they must all have the first one's structure.
 *
 * @example
 * const params = { w: np.ones([2, 2]), b: np.zeros([2]) };
 * const grads = { w: np.ones([2, 2]), b: np.ones([2]) };
 * const next = tree.map((p, g) => p.sub(g.mul(0.1)), params, grads); // { w: Array, b: Array }
 */
export function map<T, Rest extends unknown[], R>(
  f: (leaf: LeafOf<T>, ...rest: { [I in keyof Rest]: LeafOf<Rest[I]> }) => R,
  t: T,
  ...rest: Rest
): MapLeaves<T, R> {
  const [first, def] = flattenOp(t, 'tree.map');
  const node = nodeOf(def);
  const others = rest.map((r, i) => {
    const [ls, d] = flattenOp(r, 'tree.map');
    const diff = firstDifference(node, nodeOf(d), '');
    if (diff !== null) {
      throw new TenfoldError('tree.map', `every tree must have the structure of the first; tree ${i + 2} differs ${diff}`);
    }
    return ls;
  });
  const call = f as (leaf: Leaf, ...rest: Leaf[]) => R;
  const out = first.map((leaf, j) => call(leaf, ...others.map((ls) => ls[j] as Leaf)));
  return unflatten(def, out) as MapLeaves<T, R>;
}

/**
 * Folds `f` over the leaves, in {@link flatten}'s order.
 *
 * @example
 * tree.reduce((acc, x) => acc + x, { a: 1, b: [2, 3] }, 0); // 6
 */
export function reduce<T, A>(f: (acc: A, leaf: LeafOf<T>) => A, t: T, init: A): A {
  let acc = init;
  for (const leaf of flattenOp(t, 'tree.reduce')[0]) acc = f(acc, leaf as LeafOf<T>);
  return acc;
}

// --- internals -----------------------------------------------------------------------------

function flattenOp(t: unknown, op: string): [Leaf[], TreeDef] {
  const leaves: Leaf[] = [];
  return [leaves, makeTreeDef(build(t, '', leaves, null, new Set(), op))];
}

/** Walks `x`, pushing its leaves (and paths, when asked); `ancestors` catches cycles. */
function build(x: unknown, path: string, leaves: Leaf[], paths: string[] | null, ancestors: Set<object>, op: string): Node {
  if (isLeaf(x)) {
    leaves.push(x);
    paths?.push(path);
    return LEAF;
  }
  if (x === null || x === undefined) return { kind: 'none', value: x };
  const list = isJsArray(x);
  if (!list && !isPlainObject(x)) {
    const other = foreignCopyOf(x);
    if (other !== undefined) throw new TenfoldError(op, twoCopiesMessage(other, at(path)));
    throw new TenfoldError(
      op,
      `unsupported value ${at(path)}: ${describe(x)}. A tree holds arrays, numbers and booleans (the leaves) ` +
        'in plain objects, JS arrays, null and undefined',
    );
  }
  const obj = x as object;
  // Only ancestors count: the same object may appear twice side by side, but not inside itself.
  if (ancestors.has(obj)) throw new TenfoldError(op, `the tree contains itself ${at(path)} (a cycle)`);
  ancestors.add(obj);
  let node: Node;
  if (list) {
    const xs = x as readonly unknown[];
    const children: Node[] = [];
    // Index loop, not map: holes in sparse arrays read as undefined (empty nodes).
    for (let i = 0; i < xs.length; i++) children.push(build(xs[i], `${path}[${i}]`, leaves, paths, ancestors, op));
    node = { kind: 'list', children };
  } else {
    const rec = x as Record<string, unknown>;
    const keys = Object.keys(rec).sort();
    node = { kind: 'dict', keys, children: keys.map((k) => build(rec[k], keyPath(path, k), leaves, paths, ancestors, op)) };
  }
  ancestors.delete(obj);
  return node;
}

function isPlainObject(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function keyPath(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${quote(key)}]`;
}

function at(path: string): string {
  return path === '' ? 'at the root' : `at ${path}`;
}

function quote(key: string): string {
  return `'${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function describe(x: unknown): string {
  if (typeof x === 'string') return 'a string';
  if (typeof x === 'function') return 'a function';
  if (typeof x !== 'object' || x === null) return `a ${typeof x}`;
  const ctor: unknown = (Object.getPrototypeOf(x) as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? `an instance of ${ctor.name}` : 'an object that is not plain';
}

function countLeaves(node: Node): number {
  switch (node.kind) {
    case 'leaf':
      return 1;
    case 'none':
      return 0;
    default:
      return node.children.reduce((n, c) => n + countLeaves(c), 0);
  }
}

function describeNode(node: Node): string {
  switch (node.kind) {
    case 'leaf':
      return 'a leaf';
    case 'none':
      return String(node.value);
    case 'list':
      return `a list of length ${node.children.length}`;
    case 'dict':
      return `an object with keys [${node.keys.map(quote).join(', ')}]`;
  }
}

/** `null` when `a` and `b` have the same structure; otherwise where and how they first differ. */
function firstDifference(a: Node, b: Node, path: string): string | null {
  const same =
    a.kind === b.kind &&
    (a.kind === 'leaf' ||
      (a.kind === 'none' && b.kind === 'none' && a.value === b.value) ||
      (a.kind === 'list' && b.kind === 'list' && a.children.length === b.children.length) ||
      (a.kind === 'dict' && b.kind === 'dict' && a.keys.length === b.keys.length && a.keys.every((k, i) => k === b.keys[i])));
  if (!same) return `${at(path)}: expected ${describeNode(a)}, got ${describeNode(b)}`;
  if (a.kind !== 'list' && a.kind !== 'dict') return null;
  const bc = (b as { children: readonly Node[] }).children;
  for (let i = 0; i < a.children.length; i++) {
    const sub = a.kind === 'dict' ? keyPath(path, a.keys[i] as string) : `${path}[${i}]`;
    const d = firstDifference(a.children[i] as Node, bc[i] as Node, sub);
    if (d !== null) return d;
  }
  return null;
}

function render(node: Node): string {
  switch (node.kind) {
    case 'leaf':
      return '*';
    case 'none':
      return String(node.value);
    case 'list':
      return `[${node.children.map(render).join(', ')}]`;
    case 'dict':
      return `{${node.keys.map((k, i) => `${quote(k)}: ${render(node.children[i] as Node)}`).join(', ')}}`;
  }
}

function truncate(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}
