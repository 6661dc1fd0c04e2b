import {
  type Array,
  Array as ArrayClass,
  type ArrayLike,
  evalJaxpr,
  isConcrete,
  isFloatDType,
  Jaxpr,
  lax,
  np,
  PartialEvalTrace,
  PartialTracer,
  ShapedArray,
  TenfoldError,
  traceDepth,
  tracersToJaxpr,
  tree,
  withMainTrace,
} from '@tenfold/core';
import { backwardPass } from './backward.js';
import { JVPTrace, JVPTracer, splitJvp } from './jvp.js';
import { distinctFrom } from './outputs.js';
import type { GradOf } from './types.js';
import { instantiate, isZero, type MaybeZero, Zero } from './zero.js';

type FlatFn = (xs: Array[]) => Array[];

function toArray(op: string, x: unknown, what: string): Array {
  if (typeof x === 'number' || typeof x === 'boolean') return np.asArray(x);
  if (x instanceof ArrayClass) return x;
  throw new TenfoldError(op, `${what} must be arrays or numbers, got ${x === null ? 'null' : typeof x}`);
}

/** Flattens a list of argument pytrees into arrays, remembering how to rebuild them. */
function flattenArgs(op: string, args: readonly unknown[]): { leaves: Array[]; defs: tree.TreeDef[]; counts: number[] } {
  const leaves: Array[] = [];
  const defs: tree.TreeDef[] = [];
  const counts: number[] = [];
  for (const a of args) {
    const [ls, def] = tree.flatten(a);
    defs.push(def);
    counts.push(ls.length);
    for (const l of ls) leaves.push(toArray(op, l, 'arguments'));
  }
  return { leaves, defs, counts };
}

function unflattenArgs(defs: readonly tree.TreeDef[], counts: readonly number[], leaves: readonly unknown[]): unknown[] {
  let at = 0;
  return defs.map((def, i) => {
    const n = counts[i] as number;
    const part = leaves.slice(at, at + n);
    at += n;
    return tree.unflatten(def, part);
  });
}

/** Flat version of f for the transforms, recording the output structure. */
function flatFn(op: string, f: (...args: never[]) => unknown, defs: readonly tree.TreeDef[], counts: readonly number[]): [FlatFn, () => tree.TreeDef] {
  let outDef: tree.TreeDef | null = null;
  const g: FlatFn = (xs) => {
    const out = (f as (...args: unknown[]) => unknown)(...unflattenArgs(defs, counts, xs));
    const [ls, def] = tree.flatten(out);
    outDef = def;
    return ls.map((l) => toArray(op, l, 'outputs'));
  };
  return [g, () => outDef as tree.TreeDef];
}

/** Runs f under a new JVP trace; returns primal outputs and output tangents. */
function jvpFlat(f: FlatFn, primals: readonly Array[], tangents: readonly MaybeZero[]): [Array[], MaybeZero[]] {
  return withMainTrace(JVPTrace, null, (main) => {
    const trace = main.trace as JVPTrace;
    const ins = primals.map((p, i) => new JVPTracer(trace, p, tangents[i] as MaybeZero));
    return splitJvp(trace, f(ins));
  });
}

function differentiable(aval: ShapedArray): boolean {
  return isFloatDType(aval.dtype);
}

function checkTangent(op: string, i: number, p: Array, t: Array): void {
  if (p.dtype !== t.dtype || p.shape.length !== t.shape.length || p.shape.some((d, k) => d !== t.shape[k])) {
    throw new TenfoldError(op, `tangent ${i} has ${t.aval} but its primal has ${p.aval}; tangents must match their primals' shape and dtype`);
  }
  // integer and bool inputs have no tangent space: a nonzero tangent there would be dropped
  // without a word (JAX raises too); zeros are accepted, as its float0 tangents
  if (!differentiable(p.aval) && isConcrete(t) && t.dataSync().some((v) => v !== 0)) {
    throw new TenfoldError(
      op,
      `primal ${i} is ${p.aval}: integer and bool inputs have no derivative, so its tangent must be zeros (np.zerosLike); cast it with astype('float32') to differentiate with respect to it`,
    );
  }
}

/**
 * Forward mode: the outputs of `f(...primals)` and their directional derivative along `tangents`.
 * Both lists hold one pytree per argument.
 *
 * @example
 * const f32 = (v: number) => np.array(v, { dtype: 'float32' }); // (np.array(0) would be int32)
 * const [y, dy] = jvp((x: Array) => np.sin(x), [f32(0)], [f32(1)]); // dy = cos(0) = 1
 */
export function jvp<A extends unknown[], R>(f: (...args: A) => R, primals: A, tangents: { [K in keyof A]: GradOf<A[K]> | A[K] }): [R, GradOf<R>] {
  const op = 'jvp';
  if (primals.length !== tangents.length) throw new TenfoldError(op, `got ${primals.length} primals but ${tangents.length} tangents`);
  const p = flattenArgs(op, primals);
  const t = flattenArgs(op, tangents);
  p.defs.forEach((d, i) => {
    if (!d.equals(t.defs[i] as tree.TreeDef)) throw new TenfoldError(op, `tangent ${i} has structure ${t.defs[i]} but primal ${i} has ${d}`);
  });
  p.leaves.forEach((x, i) => {
    checkTangent(op, i, x, t.leaves[i] as Array);
  });
  const [g, outDef] = flatFn(op, f as (...args: never[]) => unknown, p.defs, p.counts);
  const tangentsIn = p.leaves.map((x, i) => (differentiable(x.aval) ? (t.leaves[i] as Array) : new Zero(x.aval)));
  const [outs, touts] = jvpFlat(g, p.leaves, tangentsIn);
  const inputs = [...p.leaves, ...t.leaves];
  return [tree.unflatten(outDef(), distinctFrom(inputs, outs)) as R, tree.unflatten(outDef(), distinctFrom(inputs, touts.map(instantiate))) as GradOf<R>];
}

interface Linearized {
  outs: Array[];
  jaxpr: Jaxpr;
  /** Which flat inputs are differentiable (those without a tangent space are not jaxpr inputs). */
  mask: boolean[];
}

/** JVP under partial evaluation: primal outputs now, and the linear tangent map as a jaxpr. */
function linearizeFlat(f: FlatFn, primals: readonly Array[]): Linearized {
  return withMainTrace(PartialEvalTrace, null, (main) => {
    const pe = main.trace as PartialEvalTrace;
    const mask = primals.map((p) => differentiable(p.aval));
    const args = primals.filter((_, i) => mask[i]).map((p) => pe.newArg(new ShapedArray(p.shape, p.dtype)));
    let k = 0;
    const tangentsIn = primals.map((p, i) => (mask[i] ? (args[k++] as PartialTracer) : new Zero(p.aval)));
    const [outs, touts] = jvpFlat(f, primals, tangentsIn);
    const lower = (o: Array): Array => {
      if (o instanceof PartialTracer && o.trace.main === main) {
        if (o.known === null) throw dependsOnWhileLoop(o) ? whileLoopReverseError() : new Error('internal: primal output depends on tangents');
        return o.known;
      }
      return o;
    };
    const outTracers = touts.map((t) => {
      const v: Array = isZero(t) ? np.zeros(t.aval.shape, { dtype: t.aval.dtype }) : t;
      const tr = v instanceof PartialTracer && v.trace.main === main ? v : (pe.pure(v) as PartialTracer);
      return pe.instantiate(tr);
    });
    return { outs: outs.map(lower), jaxpr: tracersToJaxpr(args, outTracers), mask };
  });
}

/**
 * The outputs of `f(...primals)` and a function evaluating the JVP at those primals for any
 * tangents, without recomputing the primal (the linear map is traced once).
 *
 * @example
 * const [y, fJvp] = linearize((x: Array) => np.exp(x), np.array(1, { dtype: 'float32' }));
 * fJvp(np.array(2, { dtype: 'float32' })); // 2·e
 */
export function linearize<A extends unknown[], R>(f: (...args: A) => R, ...primals: A): [R, (...tangents: { [K in keyof A]: GradOf<A[K]> }) => GradOf<R>] {
  const op = 'linearize';
  const p = flattenArgs(op, primals);
  const [g, outDef] = flatFn(op, f as (...args: never[]) => unknown, p.defs, p.counts);
  const lin = linearizeFlat(g, p.leaves);
  const def = outDef();
  const fJvp = (...tangents: unknown[]): GradOf<R> => {
    const t = flattenArgs(op, tangents);
    if (t.leaves.length !== p.leaves.length) throw new TenfoldError(op, `expected tangents for ${p.leaves.length} leaves, got ${t.leaves.length}`);
    t.leaves.forEach((x, i) => {
      checkTangent(op, i, p.leaves[i] as Array, x);
    });
    const ins = t.leaves.filter((_, i) => lin.mask[i]);
    return tree.unflatten(def, distinctFrom(t.leaves, evalLinear(lin.jaxpr, ins))) as GradOf<R>;
  };
  return [tree.unflatten(def, distinctFrom(p.leaves, lin.outs)) as R, fJvp];
}

/** Evaluating the linear jaxpr binds its primitives, so it composes with outer transforms. */
function evalLinear(jaxpr: Jaxpr, ins: readonly Array[]): Array[] {
  return evalJaxpr(jaxpr, ins);
}

/**
 * Reverse mode: the outputs of `f(...primals)` and a function mapping an output cotangent (same
 * structure as the output) to the cotangents of every argument (same structures as the arguments).
 *
 * @example
 * const [y, back] = vjp((x: Array) => np.sum(np.square(x)), np.array([1, 2], { dtype: 'float32' }));
 * back(np.array(1, { dtype: 'float32' })); // [[2, 4]]
 */
export function vjp<A extends unknown[], R>(f: (...args: A) => R, ...primals: A): [R, (ct: GradOf<R> | R) => { [K in keyof A]: GradOf<A[K]> }] {
  const op = 'vjp';
  const p = flattenArgs(op, primals);
  const [g, outDef] = flatFn(op, f as (...args: never[]) => unknown, p.defs, p.counts);
  const lin = linearizeFlat(g, p.leaves);
  const def = outDef();
  const back = (ct: unknown): { [K in keyof A]: GradOf<A[K]> } => {
    const [cts, ctDef] = tree.flatten(ct);
    if (!ctDef.equals(def)) throw new TenfoldError(op, `the cotangent has structure ${ctDef} but the output has ${def}`);
    const ctArrays = cts.map((c, i) => {
      const a = toArray(op, c, 'cotangents');
      const o = lin.outs[i] as Array;
      if (a.shape.length !== o.shape.length || a.shape.some((d, k) => d !== o.shape[k])) {
        throw new TenfoldError(op, `cotangent ${i} has shape [${a.shape.join(',')}] but the output has [${o.shape.join(',')}]`);
      }
      if (c instanceof ArrayClass && isFloatDType(o.dtype) && !isFloatDType(a.dtype)) {
        throw new TenfoldError(op, `cotangent ${i} is ${a.aval} but the output is ${o.aval}; pass a float cotangent (astype('${o.dtype}'))`);
      }
      return a.dtype === o.dtype ? a : a.astype(o.dtype);
    });
    const inCts = backwardPass(lin.jaxpr, ctArrays);
    let k = 0;
    const full = p.leaves.map((x, i) => (lin.mask[i] ? instantiate(inCts[k++] as MaybeZero) : np.zerosLike(x)));
    return unflattenArgs(p.defs, p.counts, distinctFrom(ctArrays, full)) as { [K in keyof A]: GradOf<A[K]> };
  };
  return [tree.unflatten(def, distinctFrom(p.leaves, lin.outs)) as R, back];
}

export interface GradOptions<N> {
  /** Which argument(s) to differentiate with respect to (default 0). */
  argnums?: N;
}
export interface ValueAndGradOptions<N> extends GradOptions<N> {
  /** f returns `[value, aux]`; aux is passed through without being differentiated. */
  hasAux?: boolean;
}

type Grads<A extends unknown[], N> = N extends number ? GradOf<A[N]> : N extends readonly number[] ? { [K in keyof N]: GradOf<A[N[K] & number]> } : never;

function checkArgnums(op: string, argnums: number | readonly number[], n: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < -n || a >= n) throw new TenfoldError(op, `argnums ${a} is out of range for a function called with ${n} arguments`);
  }
  return list.map((a) => (a < 0 ? a + n : a));
}

function valueAndGradImpl(
  op: string,
  f: (...args: unknown[]) => unknown,
  argnums: number | readonly number[],
  hasAux: boolean,
  args: unknown[],
): [unknown, unknown, unknown] {
  const nums = checkArgnums(op, argnums, args.length);
  // traces this call starts sit above the current stack; tracers below it belong to outer transforms
  const ownLevel = traceDepth() + 1;
  let aux: unknown;
  const dynamic = nums.map((i) => args[i]);
  const g = (...dyn: unknown[]) => {
    const full = [...args];
    nums.forEach((a, i) => {
      full[a] = dyn[i];
    });
    const out = f(...full);
    if (!hasAux) return out;
    if (!globalThis.Array.isArray(out) || out.length !== 2) throw new TenfoldError(op, 'with hasAux, the function must return [value, aux]');
    aux = out[1];
    return out[0];
  };
  // integer arguments have no gradient
  dynamic.forEach((d, i) => {
    for (const l of tree.leaves(d)) {
      const a = toArray(op, l, 'arguments');
      if (!isFloatDType(a.dtype)) {
        throw new TenfoldError(
          op,
          `cannot differentiate with respect to argument ${nums[i]}: it holds ${a.aval}; only float32 and float64 inputs have gradients (cast with astype('float32'))`,
        );
      }
    }
  });
  const [value, back] = vjp(g, ...dynamic);
  const v = value as unknown;
  if (!(v instanceof ArrayClass || typeof v === 'number')) throw new TenfoldError(op, 'the function must return a scalar array');
  const va = toArray(op, v, 'outputs');
  if (va.shape.length !== 0) {
    throw new TenfoldError(op, `the function must return a scalar (shape []), got ${va.aval}; use vjp or jacrev for non-scalar outputs`);
  }
  if (!isFloatDType(va.dtype)) throw new TenfoldError(op, `the function must return a float scalar, got ${va.aval}`);
  // the seed cotangent on the value's own backend (a WebGPU loss needs a WebGPU seed)
  const grads = back(np.onesLike(va) as never) as unknown[];
  const result = typeof argnums === 'number' ? grads[0] : grads;
  // neither the value nor the aux may be an argument's own array (disposing it would dispose that)
  const argLeaves = tree.leaves(args);
  const [value0] = distinctFrom(argLeaves, [va]);
  const auxOut =
    aux === undefined ? aux : tree.map((l: unknown) => (l instanceof ArrayClass ? distinctFrom(argLeaves, [l])[0] : l), lowerAux(aux, ownLevel) as never);
  return [value0 as Array, result, auxOut];
}

/**
 * Aux values may have been computed under this call's (now finished) traces, of level `ownLevel`
 * and above: keep only their values. Tracers of outer transforms stay, so that an outer grad or
 * jvp still differentiates the aux (JAX's has_aux does the same).
 */
function lowerAux(aux: unknown, ownLevel: number): unknown {
  if (aux === undefined) return aux;
  return tree.map((l: unknown) => {
    let v = l;
    for (;;) {
      if (v instanceof JVPTracer && v.trace.main.level >= ownLevel) v = v.primal;
      else if (v instanceof PartialTracer && v.trace.main.level >= ownLevel && v.known !== null) v = v.known;
      else break;
    }
    return v as Array;
  }, aux);
}

/**
 * The gradient of a scalar function with respect to argument `argnums` (default 0); the result
 * has the structure (and TypeScript type) of that argument.
 *
 * @example
 * const df = grad((w: { a: Array; b: Array }) => np.sum(np.multiply(w.a, w.b)));
 * df({ a, b }); // { a: b, b: a }
 */
export function grad<A extends unknown[], N extends number | readonly number[] = 0>(
  f: (...args: A) => ArrayLike,
  opts?: GradOptions<N> & { hasAux?: false },
): (...args: A) => Grads<A, N>;
export function grad<A extends unknown[], Aux, N extends number | readonly number[] = 0>(
  f: (...args: A) => readonly [ArrayLike, Aux],
  opts: GradOptions<N> & { hasAux: true },
): (...args: A) => [Grads<A, N>, Aux];
export function grad<A extends unknown[], N extends number | readonly number[] = 0>(
  f: (...args: A) => ArrayLike | readonly [ArrayLike, unknown],
  opts: GradOptions<N> & { hasAux?: boolean } = {},
): (...args: A) => Grads<A, N> | [Grads<A, N>, unknown] {
  const argnums = (opts.argnums ?? 0) as number | readonly number[];
  const hasAux = opts.hasAux ?? false;
  return (...args: A) => {
    const [, g, aux] = valueAndGradImpl('grad', f as (...args: unknown[]) => unknown, argnums, hasAux, args);
    return (hasAux ? [g, aux] : g) as Grads<A, N>;
  };
}

/**
 * The value of a scalar function and its gradient in one pass. With `hasAux`, f returns
 * `[value, aux]` and the result is `[[value, aux], grad]`.
 *
 * @example
 * const [loss, grads] = valueAndGrad(lossFn)(params, batch);
 * const [[loss2, logits], grads2] = valueAndGrad(lossWithLogits, { hasAux: true })(params, batch);
 */
export function valueAndGrad<A extends unknown[], N extends number | readonly number[] = 0>(
  f: (...args: A) => ArrayLike,
  opts?: ValueAndGradOptions<N> & { hasAux?: false },
): (...args: A) => [Array, Grads<A, N>];
export function valueAndGrad<A extends unknown[], Aux, N extends number | readonly number[] = 0>(
  f: (...args: A) => readonly [ArrayLike, Aux],
  opts: ValueAndGradOptions<N> & { hasAux: true },
): (...args: A) => [[Array, Aux], Grads<A, N>];
export function valueAndGrad<A extends unknown[], N extends number | readonly number[] = 0>(
  f: (...args: A) => ArrayLike | readonly [ArrayLike, unknown],
  opts: ValueAndGradOptions<N> = {},
): (...args: A) => [Array, Grads<A, N>] | [[Array, unknown], Grads<A, N>] {
  const argnums = (opts.argnums ?? 0) as number | readonly number[];
  const hasAux = opts.hasAux ?? false;
  return (...args: A) => {
    const [value, g, aux] = valueAndGradImpl('valueAndGrad', f as (...args: unknown[]) => unknown, argnums, hasAux, args);
    return (hasAux ? [[value, aux], g] : [value, g]) as [Array, Grads<A, N>];
  };
}

/**
 * Stops gradients flowing through every array in `x` (the identity otherwise).
 *
 * @example
 * const target = stopGradient(np.multiply(y, 2));
 */
export function stopGradient<T>(x: T): T {
  return tree.map((l: unknown) => lax.stopGradient(toArray('stopGradient', l, 'values')), x) as T;
}

export { Jaxpr };

/** Whether a staged value comes from a whileLoop (which partial evaluation stages whole). */
function dependsOnWhileLoop(t: PartialTracer): boolean {
  const seen = new Set<object>();
  const stack: PartialTracer[] = [t];
  while (stack.length > 0) {
    const r = (stack.pop() as PartialTracer).recipe;
    if (r === null || r.kind !== 'eqn' || seen.has(r)) continue;
    seen.add(r);
    if (r.prim === 'while_loop') return true;
    stack.push(...r.inputs);
  }
  return false;
}

/** Reverse mode through a whileLoop: its trip count is not static, so there is no transpose. */
export function whileLoopReverseError(): TenfoldError {
  return new TenfoldError(
    'whileLoop',
    'reverse-mode differentiation (grad, vjp) of a whileLoop is not possible: its trip count is not known ahead; use lax.foriLoop with JS-number bounds or lax.scan, or forward mode (jvp, jacfwd)',
  );
}
