import { type Array, bind, ConcreteArray, defaultBackendName, lax, np } from '@tenfold/core';
import { instantiate, isZero, type MaybeZero, Zero } from '../zero.js';
import type { JvpRule, JvpRules } from './types.js';

/** For primitives linear in their (only) differentiable operand: the tangent goes through the same primitive. */
function linear<P extends 'reduce_sum' | 'broadcast_in_dim' | 'reshape' | 'transpose' | 'slice' | 'rev' | 'reduce_window_sum'>(prim: P): JvpRule<P> {
  return ([x], [t], params) => {
    const [out] = bind(prim, [x!], params);
    return [[out!], [isZero(t) ? new Zero(out!.aval) : (bind(prim, [t!], params)[0] as Array)]];
  };
}

/** Outputs without a tangent space (integer results). */
function integerOutputs<P extends 'argmax' | 'argmin' | 'argsort' | 'threefry2x32' | 'iota'>(prim: P): JvpRule<P> {
  return (xs, _t, params) => {
    const outs = bind(prim, xs, params);
    return [outs, outs.map((o) => new Zero(o.aval))];
  };
}

/** Restores reduced axes as size-1 dims, then broadcasts back to `shape`. */
function expandBack(y: Array, shape: readonly number[], axes: readonly number[]): Array {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return lax.broadcastInDim(y, shape, kept);
}

/** max/min reductions: the tangent averaged over the positions that attain the extreme (JAX's rule). */
function chooserReduce(prim: 'reduce_max' | 'reduce_min'): JvpRule<typeof prim> {
  return ([x], [t], params) => {
    const [out] = bind(prim, [x!], params);
    if (isZero(t)) return [[out!], [new Zero(out!.aval)]];
    const mask = lax.convertElementType(lax.eq(x!, expandBack(out!, x!.shape, params.axes)), x!.dtype);
    const counts = lax.reduceSum(mask, params.axes);
    return [[out!], [lax.div(lax.reduceSum(lax.mul(t!, mask), params.axes), counts)]];
  };
}

/**
 * Product, as JAX's _reduce_prod_jvp_rule: a balanced tree of pairwise products carrying the JVP
 * of mul at every node. No division and no branch on zeros, so the tangent is a polynomial in x
 * and its own derivatives (Hessians) are right at zeros too.
 */
const reduceProd: JvpRule<'reduce_prod'> = ([x], [t], params) => {
  const [out] = bind('reduce_prod', [x!], params);
  if (isZero(t)) return [[out!], [new Zero(out!.aval)]];
  const a = x!;
  const { axes } = params;
  const kept = a.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const n = axes.reduce((p, d) => p * (a.shape[d] as number), 1);
  if (n === 0) return [[out!], [new Zero(out!.aval)]];
  // reduced axes first, flattened: [n, ...kept]
  const rows = (v: Array) => lax.reshape(lax.transpose(v, [...axes, ...kept]), [n, ...out!.shape]);
  let p = rows(a);
  let tp = rows(t!);
  while ((p.shape[0] as number) > 1) {
    if ((p.shape[0] as number) % 2 === 1) {
      const cfg = p.shape.map((_, d) => [0, d === 0 ? 1 : 0, 0] as const);
      p = lax.pad(p, 1, cfg);
      tp = lax.pad(tp, 0, cfg);
    }
    const h = (p.shape[0] as number) / 2;
    const half = (v: Array, k: number) => lax.slice(v, [k * h, ...out!.shape.map(() => 0)], [(k + 1) * h, ...out!.shape]);
    const [p0, p1, t0, t1] = [half(p, 0), half(p, 1), half(tp, 0), half(tp, 1)];
    tp = lax.add(lax.mul(t0, p1), lax.mul(p0, t1));
    p = lax.mul(p0, p1);
  }
  return [[out!], [lax.reshape(tp, out!.shape)]];
};

/**
 * For each output of a windowed reduction, the flat input positions of its window (the position
 * one past the end for padding), as an int32 [outputs, windowSize] array. It depends only on
 * shapes, so it is computed once per configuration: training reuses it every step.
 */
const positionCache = new Map<string, Array>();
const POSITION_CACHE_SIZE = 32;

function windowPositions(shape: readonly number[], params: import('@tenfold/core').ReduceWindowParams, outShape: readonly number[]): Array {
  const key = JSON.stringify([defaultBackendName(), shape, params, outShape]);
  const cached = positionCache.get(key);
  if (cached) return cached;
  const nd = shape.length;
  const size = shape.reduce((p, d) => p * d, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const perDim: number[][][] = [];
  for (let d = 0; d < nd; d++) {
    const lists: number[][] = [];
    for (let o = 0; o < (outShape[d] as number); o++) {
      const offs: number[] = [];
      for (let w = 0; w < (params.windowDimensions[d] as number); w++) {
        const pos = o * (params.windowStrides[d] as number) - (params.padding[d] as readonly [number, number])[0] + w * (params.windowDilation[d] as number);
        const base = params.baseDilation[d] as number;
        const i = pos / base;
        offs.push(pos < 0 || pos % base !== 0 || i >= (shape[d] as number) ? -1 : i * (strides[d] as number));
      }
      lists.push(offs);
    }
    perDim.push(lists);
  }
  const windowSize = params.windowDimensions.reduce((p, d) => p * d, 1);
  const outSize = outShape.reduce((p, d) => p * d, 1);
  const table = new Int32Array(outSize * windowSize);
  const idx = new globalThis.Array<number>(nd).fill(0);
  const widx = new globalThis.Array<number>(nd).fill(0);
  for (let o = 0; o < outSize; o++) {
    widx.fill(0);
    for (let w = 0; w < windowSize; w++) {
      let flat = 0;
      for (let d = 0; d < nd; d++) {
        const off = (perDim[d] as number[][])[idx[d] as number]![widx[d] as number] as number;
        if (off < 0) {
          flat = -1;
          break;
        }
        flat += off;
      }
      table[o * windowSize + w] = flat < 0 ? size : flat;
      for (let d = nd - 1; d >= 0; d--) {
        if (++widx[d]! < (params.windowDimensions[d] as number)) break;
        widx[d] = 0;
      }
    }
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d]! < (outShape[d] as number)) break;
      idx[d] = 0;
    }
  }
  const positions = np.array(table, { shape: [outSize, windowSize] });
  if (positions instanceof ConcreteArray) positions.pin();
  if (positionCache.size >= POSITION_CACHE_SIZE) positionCache.delete(positionCache.keys().next().value as string);
  positionCache.set(key, positions);
  return positions;
}

/** Flat indices of each pooling window's maximum (the first one on ties), as int32 with the output's shape. */
export function windowArgmax(x: Array, params: import('@tenfold/core').ReduceWindowParams, outShape: readonly number[]): Array {
  const positions = windowPositions(x.shape, params, outShape);
  const [outSize, windowSize] = positions.shape as [number, number];
  // padding reads a -inf sentinel appended after the data
  const flatX = np.concatenate([np.ravel(x), np.full([1], Number.NEGATIVE_INFINITY, { dtype: x.dtype })]);
  const best = lax.argmax(lax.gather(flatX, positions, 0), 1);
  const chosen = lax.gather(np.ravel(positions), np.add(np.multiply(np.arange(outSize), windowSize), best), 0);
  return np.reshape(chosen, outShape);
}

export const structuralJvpRules: JvpRules = {
  reduce_sum: linear('reduce_sum'),
  broadcast_in_dim: linear('broadcast_in_dim'),
  reshape: linear('reshape'),
  transpose: linear('transpose'),
  slice: linear('slice'),
  rev: linear('rev'),
  reduce_window_sum: linear('reduce_window_sum'),
  reduce_max: chooserReduce('reduce_max'),
  reduce_min: chooserReduce('reduce_min'),
  reduce_prod: reduceProd,
  argmax: integerOutputs('argmax'),
  argmin: integerOutputs('argmin'),
  argsort: integerOutputs('argsort'),
  threefry2x32: integerOutputs('threefry2x32'),
  iota: integerOutputs('iota'),
  pad: ([x], [t], params) => {
    const [out] = bind('pad', [x!], params);
    return [[out!], [isZero(t) ? new Zero(out!.aval) : (bind('pad', [t!], { ...params, value: 0 })[0] as Array)]];
  },
  concatenate: (xs, ts, params) => {
    const [out] = bind('concatenate', xs, params);
    if (ts.every(isZero)) return [[out!], [new Zero(out!.aval)]];
    return [[out!], [bind('concatenate', ts.map(instantiate), params)[0] as Array]];
  },
  gather: ([x, idx], [t], params) => {
    const out = lax.gather(x!, idx!, params.axis);
    return [[out], [isZero(t) ? new Zero(out.aval) : lax.gather(t!, idx!, params.axis)]];
  },
  scatter_add: ([x, idx, u], [tx, , tu], params) => {
    const out = lax.scatterAdd(x!, idx!, u!, params.axis);
    if (isZero(tx) && isZero(tu)) return [[out], [new Zero(out.aval)]];
    return [[out], [lax.scatterAdd(instantiate(tx!), idx!, instantiate(tu!), params.axis)]];
  },
  scatter: ([x, idx, u], [tx, , tu], params) => {
    const out = lax.scatter(x!, idx!, u!, params.axis);
    if (isZero(tx) && isZero(tu)) return [[out], [new Zero(out.aval)]];
    return [[out], [lax.scatter(instantiate(tx!), idx!, instantiate(tu!), params.axis)]];
  },
  dot_general: ([x, y], [tx, ty], params) => {
    const out = lax.dotGeneral(x!, y!, params);
    let t: MaybeZero = new Zero(out.aval);
    if (!isZero(tx)) t = lax.dotGeneral(tx!, y!, params);
    if (!isZero(ty)) {
      const term = lax.dotGeneral(x!, ty!, params);
      t = isZero(t) ? term : lax.add(t, term);
    }
    return [[out], [t]];
  },
  conv: ([x, w], [tx, tw], params) => {
    const [out] = bind('conv', [x!, w!], params);
    let t: MaybeZero = new Zero(out!.aval);
    if (!isZero(tx)) t = bind('conv', [tx!, w!], params)[0] as Array;
    if (!isZero(tw)) {
      const term = bind('conv', [x!, tw!], params)[0] as Array;
      t = isZero(t) ? term : lax.add(t, term);
    }
    return [[out!], [t]];
  },
  reduce_window_max: ([x], [t], params) => {
    const [out] = bind('reduce_window_max', [x!], params);
    if (isZero(t)) return [[out!], [new Zero(out!.aval)]];
    const chosen = windowArgmax(x!, params, out!.shape);
    // the tangent at each window's argmax (padding positions read a zero sentinel)
    const flatT = np.concatenate([np.ravel(t!), np.zeros([1], { dtype: t!.dtype })]);
    return [[out!], [lax.gather(flatT, chosen, 0)]];
  },
};
