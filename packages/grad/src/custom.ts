import { type Array, Array as ArrayClass, bind, isTraced, np, TenfoldError, type Trace, tree } from '@tenfold/core';
import { JVPTrace, JVPTracer, splitJvp } from './jvp.js';
import type { GradOf } from './types.js';
import { type AxisSpec, BatchTrace, BatchTracer, leafAxes, vmap } from './vmap.js';
import { instantiate, isZero } from './zero.js';

function toArrays(op: string, leaves: readonly unknown[]): Array[] {
  return leaves.map((l) => {
    if (l instanceof ArrayClass) return l;
    if (typeof l === 'number' || typeof l === 'boolean') return np.asArray(l);
    throw new TenfoldError(op, `arguments and outputs must be arrays or numbers, got ${l === null ? 'null' : typeof l}`);
  });
}

/** The highest-level trace among `xs` (null when none is traced). */
function topTrace(xs: readonly Array[]): Trace | null {
  let top: Trace | null = null;
  for (const x of xs) {
    if (isTraced(x) && (top === null || x.trace.main.level > top.main.level)) top = x.trace;
  }
  return top;
}

/** The innermost active JVP trace among `xs`, when it is also their highest-level trace. */
function topJvp(xs: readonly Array[]): JVPTrace | null {
  const top = topTrace(xs);
  return top instanceof JVPTrace ? top : null;
}

/**
 * The custom rule ran on this JVP's primals, so its results hold none of this JVP's tracers
 * unless the function closes over a value being differentiated, whose derivative the rule does
 * not define (JAX raises here too); without this check that derivative would silently be zero.
 */
function checkNoClosure(name: string, kind: string, trace: JVPTrace, leaves: readonly unknown[]): void {
  if (leaves.some((l) => l instanceof JVPTracer && l.trace.main === trace.main)) {
    throw new TenfoldError(
      name,
      `differentiated with respect to a value it closes over, but a ${kind} rule only defines derivatives with respect to the function's arguments; pass that value as an argument`,
    );
  }
}

/** The arrays among a customVjp's residuals, which may be any value (not only a pytree). */
function residualLeaves(residuals: unknown): unknown[] {
  try {
    return tree.leaves(residuals);
  } catch {
    return []; // opaque residuals: only the outputs are checked
  }
}

/** A cotangent for a value of type T as bwd may give it: T's structure with arrays at the leaves, or null for zeros at any node. */
export type CotangentOf<T> = unknown extends T
  ? unknown
  : null | (T extends tree.Leaf ? Array : T extends null | undefined ? T : { [K in keyof T]: CotangentOf<T[K]> });

/**
 * bwd may return null for (part of) an argument whose cotangent is zero, as JAX's None: those
 * become zeros shaped like the argument.
 */
function zerosWhereNull(ct: unknown, arg: unknown): unknown {
  if (ct === null && arg !== null) return tree.map((a: Array) => np.zerosLike(a), arg as never);
  if (globalThis.Array.isArray(ct) && globalThis.Array.isArray(arg) && ct.length === arg.length) return ct.map((c, i) => zerosWhereNull(c, arg[i]));
  const isNode = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !globalThis.Array.isArray(v) && !(v instanceof ArrayClass);
  if (isNode(ct) && isNode(arg)) return Object.fromEntries(Object.entries(ct).map(([k, c]) => [k, zerosWhereNull(c, arg[k])]));
  return ct;
}

/** `fn` under the user's function name, which messages about the batched function should show. */
function named<F extends (...a: never[]) => unknown>(name: string, fn: F): F {
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

/**
 * A custom function met by vmap above a JVP (grad(vmap(f))): its function and rule are batched
 * with the same axes and applied one level down, so the JVP below still sees the custom rule.
 */
function batchThrough<R>(trace: BatchTrace, xs: readonly Array[], def: tree.TreeDef, call: (inAxes: AxisSpec, vals: unknown[]) => R): R {
  const mine = (x: Array): x is BatchTracer => x instanceof BatchTracer && x.trace.main === trace.main;
  const vals = xs.map((x) => (mine(x) ? x.val : x));
  const dims = xs.map((x) => (mine(x) ? x.batchDim : null));
  const out = call(tree.unflatten(def, dims) as AxisSpec, tree.unflatten(def, vals) as unknown[]);
  return tree.map((o: Array) => new BatchTracer(trace, o, 0), out as never) as R;
}

/**
 * A function with a custom JVP rule, as jax.custom_jvp: `rule(primals, tangents)` returns
 * `[out, outTangent]` and must be linear in the tangents. Reverse mode (grad, vjp) derives from it
 * too, through linearization.
 *
 * @example
 * // log(1 + e^x) with a stable derivative
 * const softplus: (x: Array) => Array = customJvp(
 *   (x: Array) => np.log1p(np.exp(x)),
 *   ([x], [t]) => [softplus(x), np.multiply(t, np.sigmoid(x))],
 * );
 */
export function customJvp<A extends unknown[], R>(
  f: (...args: A) => R,
  rule: (primals: A, tangents: { [K in keyof A]: GradOf<A[K]> }) => [R, GradOf<R>],
): (...args: A) => R {
  const name = f.name || 'customJvp function';
  const wrapped = (...args: A): R => {
    const [leaves, def] = tree.flatten(args);
    const xs = toArrays(name, leaves);
    const top = topTrace(xs);
    if (top instanceof BatchTrace) {
      return batchThrough(top, xs, def, (inAxes, vals) => {
        const size = top.axisSize;
        const fBatched = named(name, (...a: A) => vmap(f, { inAxes, axisSize: size })(...a));
        const ruleBatched = (p: A, t: { [K in keyof A]: GradOf<A[K]> }) => vmap(rule, { inAxes: [inAxes, inAxes], axisSize: size })(p, t);
        return customJvp(fBatched, ruleBatched)(...(vals as A));
      });
    }
    const trace = topJvp(xs);
    if (trace === null) return f(...args);
    const [primals, tangents] = splitJvp(trace, xs);
    if (tangents.every(isZero)) return f(...(tree.unflatten(def, primals) as A));
    const [out, tout] = rule(tree.unflatten(def, primals) as A, tree.unflatten(def, tangents.map(instantiate)) as { [K in keyof A]: GradOf<A[K]> });
    const [outs, outDef] = tree.flatten(out);
    const [touts, toutDef] = tree.flatten(tout);
    checkNoClosure(name, 'customJvp', trace, [...outs, ...touts]);
    if (!outDef.equals(toutDef)) throw new TenfoldError(name, `the custom JVP rule returned a tangent with structure ${toutDef} for an output with ${outDef}`);
    const outArrays = toArrays(name, outs);
    const tangentArrays = toArrays(name, touts);
    outArrays.forEach((o, i) => {
      const t = tangentArrays[i] as Array;
      if (o.shape.join() !== t.shape.join() || o.dtype !== t.dtype) {
        throw new TenfoldError(name, `the custom JVP rule returned a tangent ${t.aval} for an output ${o.aval}`);
      }
    });
    return tree.unflatten(
      outDef,
      outArrays.map((o, i) => new JVPTracer(trace, o, tangentArrays[i] as Array)),
    ) as R;
  };
  return wrapped;
}

/**
 * A function with a custom VJP, as jax.custom_vjp: `fwd(...args)` returns `[out, residuals]` and
 * `bwd(residuals, outCotangent)` returns one cotangent per argument (same structures; null for a
 * zero cotangent, as JAX's None). Reverse mode uses bwd; forward mode (jvp) through it is an error.
 *
 * @example
 * const clipGrad = customVjp(
 *   (x: Array) => x,
 *   (x: Array) => [x, null],
 *   (_res, g: Array) => [np.clip(g, -1, 1)],
 * );
 */
export function customVjp<A extends unknown[], R, Res>(
  f: (...args: A) => R,
  fwd: (...args: A) => [R, Res],
  bwd: (residuals: Res, ct: GradOf<R>) => { [K in keyof A]: CotangentOf<A[K]> },
): (...args: A) => R {
  const name = f.name || 'customVjp function';
  return (...args: A): R => {
    const [leaves, def] = tree.flatten(args);
    const xs = toArrays(name, leaves);
    const top = topTrace(xs);
    if (top instanceof BatchTrace) {
      return batchThrough(top, xs, def, (inAxes, vals) => {
        const size = top.axisSize;
        const argAxes = inAxes as readonly AxisSpec[];
        const fBatched = named(name, (...a: A) => vmap(f, { inAxes, axisSize: size })(...a));
        const fwdBatched = (...a: A) => vmap(fwd, { inAxes, axisSize: size })(...a);
        // per-example cotangents; an argument shared by every example gets their sum
        const bwdBatched = (res: Res, ct: GradOf<R>) => {
          const cts = vmap(bwd, { inAxes: [0, 0], axisSize: size })(res, ct) as unknown[];
          return cts.map((c, i) => {
            if (c === null) return null; // a zero cotangent, filled in by the customVjp below
            const [ls, cDef] = tree.flatten(c);
            const axes = leafAxes(name, argAxes[i] ?? null, c, `cotangent ${i}`);
            return tree.unflatten(
              cDef,
              ls.map((l, k) => {
                const ax = axes[k] ?? null;
                return ax === null ? np.sum(l as Array, 0) : np.moveaxis(l as Array, 0, ax);
              }),
            );
          }) as { [K in keyof A]: CotangentOf<A[K]> };
        };
        return customVjp(fBatched, fwdBatched, bwdBatched)(...(vals as A));
      });
    }
    const trace = topJvp(xs);
    if (trace === null) return f(...args);
    const [primals, tangents] = splitJvp(trace, xs);
    if (tangents.every(isZero)) return f(...(tree.unflatten(def, primals) as A));
    const [out, residuals] = fwd(...(tree.unflatten(def, primals) as A));
    const [outLeaves, outDef] = tree.flatten(out);
    checkNoClosure(name, 'customVjp', trace, [...outLeaves, ...residualLeaves(residuals)]);
    const outs = toArrays(name, outLeaves);
    const differentiable = tangents.map((t) => !isZero(t));
    const transpose = (cts: readonly Array[]): Array[] => {
      const inCts = zerosWhereNull(bwd(residuals, tree.unflatten(outDef, cts) as GradOf<R>), tree.unflatten(def, primals));
      const [ctLeaves, ctDef] = tree.flatten(inCts);
      if (!ctDef.equals(def)) throw new TenfoldError(name, `bwd returned cotangents with structure ${ctDef}, but the arguments have ${def}`);
      const arrays = toArrays(name, ctLeaves);
      arrays.forEach((c, i) => {
        const x = primals[i] as Array;
        if (c.shape.join() !== x.shape.join()) throw new TenfoldError(name, `bwd returned a cotangent ${c.aval} for an argument ${x.aval}`);
      });
      return arrays.filter((_, i) => differentiable[i]);
    };
    const linearIns = tangents.filter((_, i) => differentiable[i]) as Array[];
    // custom_lin's transpose rule (rules/transpose-custom.ts) calls `transpose`, that is the user's bwd
    const touts = bind('custom_lin', linearIns, { name, outAvals: outs.map((o) => o.aval), transpose });
    return tree.unflatten(
      outDef,
      outs.map((o, i) => new JVPTracer(trace, o, touts[i] as Array)),
    ) as R;
  };
}
