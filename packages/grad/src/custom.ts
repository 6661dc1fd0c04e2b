import { type Array, Array as ArrayClass, bind, isTraced, np, TenfoldError, tree } from '@tenfold/core';
import type { GradOf } from './api.js';
import { JVPTrace, JVPTracer, splitJvp } from './jvp.js';
import type { TransposeRules } from './rules/types.js';
import { instantiate, isZero, type MaybeZero, Zero } from './zero.js';

function toArrays(op: string, leaves: readonly unknown[]): Array[] {
  return leaves.map((l) => {
    if (l instanceof ArrayClass) return l;
    if (typeof l === 'number' || typeof l === 'boolean') return np.asArray(l);
    throw new TenfoldError(op, `arguments and outputs must be arrays or numbers, got ${l === null ? 'null' : typeof l}`);
  });
}

/** The innermost active JVP trace among `xs`, when it is also their highest-level trace. */
function topJvp(xs: readonly Array[]): JVPTrace | null {
  let top: { level: number; trace: unknown } | null = null;
  for (const x of xs) {
    if (!isTraced(x)) continue;
    const level = x.trace.main.level;
    if (top === null || level > top.level) top = { level, trace: x.trace };
  }
  return top !== null && top.trace instanceof JVPTrace ? top.trace : null;
}

/**
 * A function with a custom JVP rule, as jax.custom_jvp: `rule(primals, tangents)` returns
 * `[out, outTangent]` and must be linear in the tangents. Reverse mode (grad, vjp) derives from it
 * too, through linearization.
 *
 * @example
 * // log(1 + e^x) with a stable derivative
 * const softplus = customJvp(
 *   (x: Array) => np.logaddexp(x, 0),
 *   ([x], [t]) => [softplus(x), np.multiply(t, np.sigmoid(x))],
 * );
 */
export function customJvp<A extends unknown[], R>(
  f: (...args: A) => R,
  rule: (primals: A, tangents: { [K in keyof A]: GradOf<A[K]> }) => [R, GradOf<R>],
): (...args: A) => R {
  const name = f.name || 'customJvp function';
  return (...args: A): R => {
    const [leaves, def] = tree.flatten(args);
    const xs = toArrays(name, leaves);
    const trace = topJvp(xs);
    if (trace === null) return f(...args);
    const [primals, tangents] = splitJvp(trace, xs);
    if (tangents.every(isZero)) return f(...(tree.unflatten(def, primals) as A));
    const [out, tout] = rule(tree.unflatten(def, primals) as A, tree.unflatten(def, tangents.map(instantiate)) as { [K in keyof A]: GradOf<A[K]> });
    const [outs, outDef] = tree.flatten(out);
    const [touts, toutDef] = tree.flatten(tout);
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
}

/**
 * A function with a custom VJP, as jax.custom_vjp: `fwd(...args)` returns `[out, residuals]` and
 * `bwd(residuals, outCotangent)` returns one cotangent per argument (same structures). Reverse
 * mode uses bwd; forward mode (jvp) through it is an error.
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
  bwd: (residuals: Res, ct: GradOf<R>) => { [K in keyof A]: GradOf<A[K]> },
): (...args: A) => R {
  const name = f.name || 'customVjp function';
  return (...args: A): R => {
    const [leaves, def] = tree.flatten(args);
    const xs = toArrays(name, leaves);
    const trace = topJvp(xs);
    if (trace === null) return f(...args);
    const [primals, tangents] = splitJvp(trace, xs);
    if (tangents.every(isZero)) return f(...(tree.unflatten(def, primals) as A));
    const [out, residuals] = fwd(...(tree.unflatten(def, primals) as A));
    const [outLeaves, outDef] = tree.flatten(out);
    const outs = toArrays(name, outLeaves);
    const differentiable = tangents.map((t) => !isZero(t));
    const transpose = (cts: readonly Array[]): Array[] => {
      const inCts = bwd(residuals, tree.unflatten(outDef, cts) as GradOf<R>);
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
    const touts = bind('custom_lin', linearIns, { name, outAvals: outs.map((o) => o.aval), transpose });
    return tree.unflatten(
      outDef,
      outs.map((o, i) => new JVPTracer(trace, o, touts[i] as Array)),
    ) as R;
  };
}

/** custom_lin transposes by calling the user's bwd. */
export const customTransposeRules: TransposeRules = {
  custom_lin: (cts, inputs, { transpose, outAvals }) => {
    const full = cts.map((c, i) => (isZero(c) ? instantiate(new Zero(outAvals[i]!)) : c));
    const inCts = transpose(full as Array[]);
    return inputs.map((_, i) => inCts[i] ?? null);
  },
};
