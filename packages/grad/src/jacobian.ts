import { type Array, Array as ArrayClass, isFloatDType, np, TenfoldError, tree } from '@tenfold/core';
import { type GradOf, linearize, vjp } from './api.js';
import { vmap } from './vmap.js';

/** The Jacobian of an output of type R with respect to an input of type X: R's structure, each leaf holding X's structure. */
export type JacobianOf<R, X> = tree.MapLeaves<R, GradOf<X>>;

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

function withArg<A extends unknown[]>(args: A, argnum: number, x: unknown): A {
  const copy = [...args] as A;
  copy[argnum] = x;
  return copy;
}

function checkArgnum(op: string, argnum: number, n: number): number {
  if (!Number.isInteger(argnum) || argnum < -n || argnum >= n) throw new TenfoldError(op, `argnums ${argnum} is out of range for ${n} arguments`);
  return argnum < 0 ? argnum + n : argnum;
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
 */
export function jacfwd<A extends unknown[], R>(f: (...args: A) => R, opts: { argnums?: number } = {}): (...args: A) => JacobianOf<R, A[0]> {
  const op = 'jacfwd';
  return (...args: A) => {
    const argnum = checkArgnum(op, opts.argnums ?? 0, args.length);
    const [xLeaves, xDef] = tree.flatten(args[argnum]);
    const xs = leafArrays(op, xLeaves, 'arguments');
    checkFloat(op, xs);
    const [y, fJvp] = linearize((x: unknown) => f(...withArg(args, argnum, x)), args[argnum]);
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
    ) as JacobianOf<R, A[0]>;
  };
}

/**
 * The Jacobian by reverse mode: one linearization, then the VJP of every output basis vector in
 * one vmapped call. Same result layout as {@link jacfwd}.
 *
 * @example
 * jacrev((x: Array) => np.sin(x))(np.array([0, 1], { dtype: 'float32' })); // diag(cos x)
 */
export function jacrev<A extends unknown[], R>(f: (...args: A) => R, opts: { argnums?: number } = {}): (...args: A) => JacobianOf<R, A[0]> {
  const op = 'jacrev';
  return (...args: A) => {
    const argnum = checkArgnum(op, opts.argnums ?? 0, args.length);
    const xs = leafArrays(op, tree.leaves(args[argnum]), 'arguments');
    checkFloat(op, xs);
    const [y, back] = vjp((x: unknown) => f(...withArg(args, argnum, x)), args[argnum]);
    const [yLeaves, yDef] = tree.flatten(y);
    const ys = leafArrays(op, yLeaves, 'outputs');
    const rows = ys.map((yi, i) => {
      const ctOf = (e: Array) =>
        tree.unflatten(
          yDef,
          ys.map((yk, k) => (k === i ? e : np.zerosLike(yk))),
        );
      const g = vmap((e: Array) => (back(ctOf(e) as never) as unknown[])[0])(basis(yi));
      return tree.map((l: Array) => np.reshape(l, [...yi.shape, ...l.shape.slice(1)]), g as never);
    });
    return tree.unflatten(yDef, rows) as JacobianOf<R, A[0]>;
  };
}

/**
 * The Hessian of a scalar function: jacfwd of jacrev.
 *
 * @example
 * hessian((x: Array) => np.sum(np.power(x, 3)))(np.array([1, 2], { dtype: 'float32' })); // diag(6x)
 */
export function hessian<A extends unknown[]>(f: (...args: A) => Array, opts: { argnums?: number } = {}): (...args: A) => JacobianOf<GradOf<A[0]>, A[0]> {
  return jacfwd(jacrev(f, opts), opts) as (...args: A) => JacobianOf<GradOf<A[0]>, A[0]>;
}
