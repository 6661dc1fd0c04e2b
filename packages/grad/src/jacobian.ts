import { type Array, Array as ArrayClass, isFloatDType, np, TenfoldError, tree } from '@tenfold/core';
import { linearize, vjp } from './api.js';
import type { GradOf } from './types.js';
import { vmap } from './vmap.js';

/** The Jacobian of an output of type R with respect to an input of type X: R's structure, each leaf holding X's structure. */
export type JacobianOf<R, X> = tree.MapLeaves<R, GradOf<X>>;

/** The argument(s) `argnums` selects: one argument for a number, a tuple of them for a list. */
export type ArgsAt<A extends unknown[], N> = N extends number ? A[N] : N extends readonly number[] ? { [K in keyof N]: A[N[K] & number] } : never;

export interface JacobianOptions<N> {
  /** The argument to differentiate with respect to (default 0), or a list of them: the Jacobian then holds a tuple per output leaf, as JAX. */
  argnums?: N;
}

function leafArrays(op: string, t: unknown, what: string): Array[] {
  return tree.leaves(t).map((l) => {
    if (l instanceof ArrayClass) return l;
    if (typeof l === 'number' || typeof l === 'boolean') return np.asArray(l);
    throw new TenfoldError(op, `${what} must be arrays or numbers`);
  });
}

/** One-hot basis vectors of a leaf, stacked: [size, ...shape]. */
function basis(a: Array): Array {
  const n = a.size;
  return np.reshape(np.eye(n, n, 0, { dtype: a.dtype }), [n, ...a.shape]);
}

/**
 * The value to differentiate with respect to (one argument, or the list of those `argnums` names)
 * and how to rebuild the full argument list from a new value of it.
 */
function selectArgs(op: string, args: readonly unknown[], argnums: number | readonly number[]): { x: unknown; rebuild: (x: unknown) => unknown[] } {
  const n = args.length;
  const check = (a: number) => {
    if (!Number.isInteger(a) || a < -n || a >= n) throw new TenfoldError(op, `argnums ${a} is out of range for a function called with ${n} arguments`);
    return a < 0 ? a + n : a;
  };
  if (typeof argnums === 'number') {
    const i = check(argnums);
    return { x: args[i], rebuild: (x) => args.map((a, k) => (k === i ? x : a)) };
  }
  const nums = argnums.map(check);
  if (new Set(nums).size !== nums.length) throw new TenfoldError(op, `argnums [${argnums.join(', ')}] repeats an argument`);
  return {
    x: nums.map((i) => args[i]),
    rebuild: (x) => {
      const full = [...args];
      nums.forEach((i, k) => {
        full[i] = (x as unknown[])[k];
      });
      return full;
    },
  };
}

function checkFloat(op: string, leaves: readonly Array[]): void {
  for (const l of leaves) {
    if (!isFloatDType(l.dtype)) throw new TenfoldError(op, `cannot differentiate with respect to ${l.aval}; only float32 and float64 inputs have Jacobians`);
  }
}

/**
 * The Jacobian by forward mode: one linearization, then the JVP of every input basis vector in
 * one vmapped call. For array input and output its shape is out.shape + in.shape; for pytrees,
 * the output's structure with the input's structure at every leaf.
 *
 * @example
 * jacfwd((x: Array) => np.multiply(x, x))(np.array([1, 2], { dtype: 'float32' })); // [[2, 0], [0, 4]]
 * // with respect to both arguments: a tuple of Jacobians
 * const [dx, dy] = jacfwd((x: Array, y: Array) => np.multiply(x, y), { argnums: [0, 1] as const })(x, y);
 */
export function jacfwd<A extends unknown[], R, N extends number | readonly number[] = 0>(
  f: (...args: A) => R,
  opts: JacobianOptions<N> = {},
): (...args: A) => JacobianOf<R, ArgsAt<A, N>> {
  const op = 'jacfwd';
  return (...args: A) => {
    const { x, rebuild } = selectArgs(op, args, opts.argnums ?? 0);
    const [xLeaves, xDef] = tree.flatten(x);
    const xs = leafArrays(op, xLeaves, 'arguments');
    checkFloat(op, xs);
    const [y, fJvp] = linearize((v: unknown) => f(...(rebuild(v) as A)), x);
    const [yLeaves, yDef] = tree.flatten(y);
    const ys = leafArrays(op, yLeaves, 'outputs');
    // perIn[j][i]: d out_i / d in_j as [...out_i.shape, ...in_j.shape]
    const perIn = xs.map((xj, j) => {
      const tangentOf = (e: Array) =>
        tree.unflatten(
          xDef,
          xs.map((xk, k) => (k === j ? e : np.zerosLike(xk))),
        );
      const cols = vmap((e: Array) => fJvp(tangentOf(e) as never))(basis(xj));
      return leafArrays(op, cols, 'outputs').map((c, i) => {
        const yi = ys[i] as Array;
        return np.reshape(np.moveaxis(np.reshape(c, [xj.size, yi.size]), 0, -1), [...yi.shape, ...xj.shape]);
      });
    });
    return tree.unflatten(
      yDef,
      ys.map((_, i) =>
        tree.unflatten(
          xDef,
          perIn.map((cols) => cols[i]),
        ),
      ),
    ) as JacobianOf<R, ArgsAt<A, N>>;
  };
}

/**
 * The Jacobian by reverse mode: one linearization, then the VJP of every output basis vector in
 * one vmapped call. Same result layout as {@link jacfwd}.
 *
 * @example
 * jacrev((x: Array) => np.sin(x))(np.array([0, 1], { dtype: 'float32' })); // diag(cos x)
 */
export function jacrev<A extends unknown[], R, N extends number | readonly number[] = 0>(
  f: (...args: A) => R,
  opts: JacobianOptions<N> = {},
): (...args: A) => JacobianOf<R, ArgsAt<A, N>> {
  const op = 'jacrev';
  return (...args: A) => {
    const { x, rebuild } = selectArgs(op, args, opts.argnums ?? 0);
    const xs = leafArrays(op, tree.leaves(x), 'arguments');
    checkFloat(op, xs);
    const [y, back] = vjp((v: unknown) => f(...(rebuild(v) as A)), x);
    const [yLeaves, yDef] = tree.flatten(y);
    const ys = leafArrays(op, yLeaves, 'outputs');
    for (const yi of ys) {
      // reverse mode needs a cotangent space for every output, as JAX's jacrev
      if (!isFloatDType(yi.dtype)) throw new TenfoldError(op, `needs float outputs, got ${yi.aval}; use jacfwd, or cast the output with astype('float32')`);
    }
    const rows = ys.map((yi, i) => {
      const ctOf = (e: Array) =>
        tree.unflatten(
          yDef,
          ys.map((yk, k) => (k === i ? e : np.zerosLike(yk))),
        );
      const g = vmap((e: Array) => (back(ctOf(e) as never) as unknown[])[0])(basis(yi));
      return tree.map((l: Array) => np.reshape(l, [...yi.shape, ...l.shape.slice(1)]), g as never);
    });
    return tree.unflatten(yDef, rows) as JacobianOf<R, ArgsAt<A, N>>;
  };
}

/**
 * The Hessian of a scalar function: jacfwd of jacrev.
 *
 * @example
 * hessian((x: Array) => np.sum(np.power(x, 3)))(np.array([1, 2], { dtype: 'float32' })); // diag(6x)
 */
export function hessian<A extends unknown[], N extends number | readonly number[] = 0>(
  f: (...args: A) => Array,
  opts: JacobianOptions<N> = {},
): (...args: A) => JacobianOf<GradOf<ArgsAt<A, N>>, ArgsAt<A, N>> {
  return jacfwd(jacrev(f, opts) as (...args: A) => unknown, opts) as (...args: A) => JacobianOf<GradOf<ArgsAt<A, N>>, ArgsAt<A, N>>;
}
