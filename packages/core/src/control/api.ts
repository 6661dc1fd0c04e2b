// Control flow in lax, with JAX's signatures: each function is traced once into a graph and run as
// one primitive (cond, while_loop, scan), eagerly, under jit, and under every transform.
import type { Array, ArrayLike } from '../array.js';
import { ShapedArray } from '../aval.js';
import { fail } from '../errors.js';
import { add, astype, maximum, minimum, where } from '../ops/elementwise.js';
import { asArray } from '../ops/scalar.js';
import { bind } from '../trace.js';
import { flatten, type TreeDef, unflatten } from '../tree.js';
import { hoistLoopArrays, leafArrays, type Staged, stageFunction, withLeadingInputs } from './stage.js';

const avalsOf = (xs: readonly Array[]) => xs.map((x) => new ShapedArray(x.shape, x.dtype));
const sig = (avals: readonly ShapedArray[]) => `(${avals.map(String).join(', ')})`;

/** The out avals of a staged function, for messages. */
const outAvals = (s: Staged) => s.jaxpr.outs.map((o) => o.aval);

function checkSameOutputs(op: string, names: readonly string[], staged: readonly Staged[]): void {
  const first = staged[0] as Staged;
  staged.forEach((s, i) => {
    if (!s.outDef.equals(first.outDef))
      fail(op, `${names[i]} returns ${s.outDef}, but ${names[0]} returns ${first.outDef}; every branch must return the same structure`);
    const a = outAvals(s);
    const b = outAvals(first);
    if (a.length !== b.length || a.some((x, k) => !x.equals(b[k] as ShapedArray))) {
      fail(op, `${names[i]} returns ${sig(a)}, but ${names[0]} returns ${sig(b)}; every branch must return the same shapes and dtypes`);
    }
  });
}

/**
 * Runs `branches[index]` on `operands` (index clamped to the valid range), as `jax.lax.switch`:
 * one primitive whatever the index, so it works under jit, grad and vmap (where a batched index
 * runs every branch and selects).
 *
 * @example
 * const y = lax.switch(np.array(1), [(x) => np.sin(x), (x) => np.cos(x)], x); // cos(x)
 */
export function switchCase<T>(index: ArrayLike, branches: readonly ((...operands: never[]) => T)[], ...operands: unknown[]): T {
  return branchOn(
    'switch',
    index,
    branches,
    branches.map((b, i) => (b.name ? `branch ${i} (${b.name})` : `branch ${i}`)),
    operands,
  );
}
export { switchCase as switch };

function branchOn<T>(
  op: string,
  index: ArrayLike,
  branches: readonly ((...operands: never[]) => T)[],
  names: readonly string[],
  operands: readonly unknown[],
): T {
  if (branches.length === 0) fail(op, 'needs at least one branch');
  const idx = asArray(index);
  if (idx.ndim !== 0) fail(op, `the index must be a scalar, got ${idx.aval}`);
  if (idx.dtype !== 'int32' && idx.dtype !== 'bool') fail(op, `the index must be int32 (or bool), got ${idx.aval}`);
  const clamped = idx.dtype === 'bool' ? astype(idx, 'int32') : minimum(maximum(idx, 0), branches.length - 1);
  const [leaves, def] = flatten(operands);
  const arrays = leafArrays(op, leaves);
  const avals = avalsOf(arrays);
  const staged = branches.map((b, i) => stageFunction(op, names[i] as string, b, avals, (ins) => unflatten(def, ins) as unknown[]));
  checkSameOutputs(op, names, staged);
  // one signature for every branch: all the branches' closed-over values, then the operands
  const constAvals = staged.map((s) => avalsOf(s.consts));
  const graphs = staged.map((s, i) => withLeadingInputs(s.jaxpr, constAvals.slice(0, i).flat(), s.consts.length, constAvals.slice(i + 1).flat()));
  const consts = staged.flatMap((s) => s.consts);
  const outs = bind('cond', [clamped, ...consts, ...arrays], { branches: graphs });
  return unflatten((staged[0] as Staged).outDef, outs) as T;
}

/**
 * `trueFn(...operands)` if `pred` else `falseFn(...operands)`, as `jax.lax.cond`: both branches are
 * traced, one runs (under vmap with a batched predicate, both run and the results are selected).
 *
 * @example
 * const y = lax.cond(np.greater(x.sum(), 0), (v) => np.multiply(v, 2), (v) => np.negative(v), x);
 */
export function cond<T>(pred: ArrayLike, trueFn: (...operands: never[]) => T, falseFn: (...operands: never[]) => T, ...operands: unknown[]): T {
  const p = asArray(pred);
  if (p.ndim !== 0) fail('cond', `the predicate must be a scalar, got ${p.aval}; use np.where to select elementwise`);
  const index = p.dtype === 'bool' ? astype(p, 'int32') : astype(where(p, 1, 0), 'int32');
  return branchOn('cond', index, [falseFn, trueFn], ['falseFn', 'trueFn'], operands);
}

/**
 * `while (condFn(state)) state = bodyFn(state)`, as `jax.lax.while_loop`: the state is a pytree
 * whose structure, shapes and dtypes the body keeps. Forward-mode differentiable and batchable;
 * reverse mode needs a bound on the trip count: use foriLoop with static bounds or scan.
 *
 * @example
 * const [i, x] = lax.whileLoop(([i]) => np.less(i, 10), ([i, x]) => [np.add(i, 1), np.multiply(x, 2)], [np.array(0), np.ones([2])]);
 */
export function whileLoop<T>(condFn: (state: T) => ArrayLike, bodyFn: (state: T) => T, init: T): T {
  const op = 'whileLoop';
  const [leaves, def] = flatten(init);
  const arrays = leafArrays(op, leaves);
  const avals = avalsOf(arrays);
  const asState = (ins: readonly Array[]) => [unflatten(def, ins)];
  const c = hoistLoopArrays(stageFunction(op, 'condFn', condFn as (s: never) => unknown, avals, asState));
  const b = hoistLoopArrays(stageFunction(op, 'bodyFn', bodyFn as (s: never) => unknown, avals, asState));
  const cOut = outAvals(c);
  if (cOut.length !== 1 || (cOut[0] as ShapedArray).ndim !== 0 || (cOut[0] as ShapedArray).dtype !== 'bool') {
    fail(op, `condFn must return a bool scalar, got ${sig(cOut)}`);
  }
  checkState(op, 'bodyFn', def, avals, b);
  const outs = bind('while_loop', [...c.consts, ...b.consts, ...arrays], {
    cond: c.jaxpr,
    body: b.jaxpr,
    condConsts: c.consts.length,
    bodyConsts: b.consts.length,
  });
  return unflatten(def, outs) as T;
}

function checkState(op: string, what: string, def: TreeDef, avals: readonly ShapedArray[], s: Staged, outs: readonly ShapedArray[] = outAvals(s)): void {
  if (!s.outDef.equals(def)) fail(op, `${what} returns ${s.outDef}, but the state is ${def}; it must keep the state's structure`);
  if (outs.length !== avals.length || outs.some((a, i) => !a.equals(avals[i] as ShapedArray))) {
    fail(op, `${what} returns ${sig(outs)}, but the state is ${sig(avals)}; it must keep the state's shapes and dtypes`);
  }
}

export interface ScanOptions {
  /** The number of steps; needed only when `xs` is null. */
  readonly length?: number;
  /** Walk the xs from the last slice to the first (the ys keep the xs' order). */
  readonly reverse?: boolean;
}

/**
 * `jax.lax.scan`: `f(carry, x) -> [carry, y]` over the leading axis of `xs` (a pytree, or null with
 * `length`), returning the final carry and the ys stacked along a new leading axis. One primitive:
 * differentiable in both modes and batchable; an optimizer fold over many batches can be one scan.
 *
 * @example
 * const [total, running] = lax.scan((c, x) => { const s = np.add(c, x); return [s, s]; }, np.array(0), np.arange(5)); // 10, [0, 1, 3, 6, 10]
 */
export function scan<C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xs: X | null, opts: ScanOptions = {}): [C, Y] {
  const op = 'scan';
  const [cLeaves, cDef] = flatten(init);
  const carry = leafArrays(op, cLeaves);
  const [xLeaves, xDef] = flatten(xs);
  const xArrays = leafArrays(op, xLeaves);
  let length = opts.length;
  for (const x of xArrays) {
    if (x.ndim === 0) fail(op, `every xs leaf needs a leading axis to scan over, got ${x.aval}`);
    if (length === undefined) length = x.shape[0] as number;
    else if (x.shape[0] !== length)
      fail(op, `xs leaves have leading axes of different lengths (${length} and ${x.shape[0]}); they must agree (and with opts.length)`);
  }
  if (length === undefined) fail(op, 'give xs or opts.length: there is nothing to tell the number of steps');
  if (!Number.isInteger(length) || length < 0) fail(op, `length must be a non-negative integer, got ${length}`);
  const cAvals = avalsOf(carry);
  const xAvals = xArrays.map((x) => new ShapedArray(x.shape.slice(1), x.dtype));
  const nc = carry.length;
  let yDef: TreeDef | null = null;
  const staged = stageFunction(op, 'f', f as (c: never, x: never) => unknown, [...cAvals, ...xAvals], (ins) => [
    unflatten(cDef, ins.slice(0, nc)),
    unflatten(xDef, ins.slice(nc)),
  ]);
  // f returns [carry, y]: the staged outputs are the carry's leaves then the y's
  const pair = unflatten(
    staged.outDef,
    staged.jaxpr.outs.map((_, i) => i),
  ) as unknown;
  if (!globalThis.Array.isArray(pair) || pair.length !== 2) fail(op, `f must return [carry, y], got ${staged.outDef}`);
  const [cOutLeaves, cOutDef] = flatten(pair[0]);
  yDef = flatten(pair[1])[1];
  const bodyOut = staged.jaxpr.outs.map((o) => o.aval);
  checkState(
    op,
    "f's new carry",
    cDef,
    cAvals,
    { ...staged, outDef: cOutDef },
    cOutLeaves.map((i) => bodyOut[i as number] as ShapedArray),
  );
  const outs = bind('scan', [...staged.consts, ...carry, ...xArrays], {
    body: staged.jaxpr,
    length,
    reverse: opts.reverse ?? false,
    consts: staged.consts.length,
    carry: nc,
  });
  return [unflatten(cDef, outs.slice(0, nc)) as C, unflatten(yDef, outs.slice(nc)) as Y];
}

/**
 * `for (i = lower; i < upper; i++) val = bodyFn(i, val)`, as `jax.lax.fori_loop`. With JS-number
 * bounds it is a scan (reverse-mode differentiable); with array bounds a whileLoop.
 *
 * @example
 * const fact = lax.foriLoop(1, 6, (i, acc) => np.multiply(acc, i), np.array(1)); // 120
 */
export function foriLoop<T>(lower: ArrayLike, upper: ArrayLike, bodyFn: (i: Array, val: T) => T, init: T): T {
  if (typeof lower === 'number' && typeof upper === 'number') {
    if (!Number.isInteger(lower) || !Number.isInteger(upper)) fail('foriLoop', `bounds must be integers, got ${lower} and ${upper}`);
    const [[, val]] = scan(([i, v]: [Array, T]): [[Array, T], null] => [[add(i, 1), bodyFn(i, v)], null], [asArray(lower, 'int32'), init] as [Array, T], null, {
      length: Math.max(0, upper - lower),
    });
    return val;
  }
  const lo = astype(asArray(lower), 'int32');
  const hi = astype(asArray(upper), 'int32');
  const [, , val] = whileLoop(
    ([i, u]: [Array, Array, T]) => bind('lt', [i, u], {})[0] as Array,
    ([i, u, v]: [Array, Array, T]): [Array, Array, T] => [add(i, 1), u, bodyFn(i, v)],
    [lo, hi, init] as [Array, Array, T],
  );
  return val;
}
