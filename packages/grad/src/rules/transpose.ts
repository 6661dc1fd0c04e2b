import { type Array, bind, type DotGeneralParams, lax, np, type ShapedArray } from '@tenfold/core';
import { isZero, type MaybeZero, Zero } from '../zero.js';
import { convTransposeRules } from './transpose-conv.js';
import { customTransposeRules } from './transpose-custom.js';
import { type TransposeRule, type TransposeRules, UndefPrimal } from './types.js';

const isUndef = (x: unknown): x is UndefPrimal => x instanceof UndefPrimal;

/** The cotangent of a negation: the negated cotangent (a symbolic zero stays one). */
function neg(ct: MaybeZero): MaybeZero {
  return isZero(ct) ? ct : lax.neg(ct);
}

/** For unary linear primitives: transpose of the single operand. */
function unaryLinear<
  P extends 'reduce_sum' | 'broadcast_in_dim' | 'reshape' | 'transpose' | 'rev' | 'convert_element_type' | 'slice' | 'pad' | 'reduce_window_sum',
>(f: (ct: Array, x: ShapedArray, params: import('@tenfold/core').PrimitiveParams[P]) => Array): TransposeRule<P> {
  return ([ct], [x], params) => {
    const aval = (x as UndefPrimal).aval;
    return [isZero(ct) ? new Zero(aval) : f(ct!, aval, params)];
  };
}

function inversePermutation(perm: readonly number[]): number[] {
  const inv = new globalThis.Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

function range(n: number): number[] {
  return globalThis.Array.from({ length: n }, (_, i) => i);
}

/**
 * dot_general transposed with respect to the lhs (JAX's _dot_general_transpose_lhs): contract the
 * cotangent with the rhs over the rhs's free dims, then permute into the lhs's layout.
 */
function dotTransposeLhs(ct: Array, x: ShapedArray, y: Array, { contracting, batch }: DotGeneralParams, swapAns = false): Array {
  const [xContract, yContract] = contracting;
  const [xBatch, yBatch] = batch;
  const xNdim = x.ndim;
  const yNdim = y.ndim;
  const xKept = range(xNdim).filter((d) => !xContract.includes(d) && !xBatch.includes(d));
  const yKept = range(yNdim).filter((d) => !yContract.includes(d) && !yBatch.includes(d));
  const nb = xBatch.length;
  const ansBatch = range(nb);
  const ansY = swapAns ? range(yKept.length).map((i) => nb + i) : range(yKept.length).map((i) => nb + xKept.length + i);
  const yContractSorted = [...yContract].sort((a, b) => a - b);
  const xContractByY = yContractSorted.map((d) => xContract[yContract.indexOf(d)] as number);
  // ct · y over y's kept dims gives [batch, x kept, x contract]; y · ct gives [batch, x contract,
  // x kept]. Take the order that lands in x's layout without a transpose when one does.
  const layoutA = [...xBatch, ...xKept, ...xContractByY];
  const layoutB = [...xBatch, ...xContractByY, ...xKept];
  const isIdentity = (layout: readonly number[]) => layout.every((d, i) => d === i);
  if (!isIdentity(layoutA) && isIdentity(layoutB)) {
    return lax.dotGeneral(y, ct, { contracting: [yKept, ansY], batch: [yBatch, ansBatch] });
  }
  const out = lax.dotGeneral(ct, y, { contracting: [ansY, yKept], batch: [ansBatch, yBatch] });
  return isIdentity(layoutA)
    ? out
    : lax.transpose(
        out,
        range(xNdim).map((d) => layoutA.indexOf(d)),
      );
}

function dotTransposeRhs(ct: Array, x: Array, y: ShapedArray, params: DotGeneralParams): Array {
  const { contracting, batch } = params;
  const swapped: DotGeneralParams = { contracting: [contracting[1], contracting[0]], batch: [batch[1], batch[0]] };
  return dotTransposeLhs(ct, y, x, swapped, true);
}

/** Where a gather with these indices read along an axis of size n: out-of-range indices clamp. */
function readPositions(idx: Array, n: number): Array {
  return np.clip(idx, 0, n - 1);
}

/**
 * The cotangent of a scatter's updates: `ct` gathered at the indices, and zero for updates the
 * scatter dropped (out-of-range indices), which a plain (clamping) gather would not give.
 * With `overwrite` (scatter, not scatter_add) an update that a later one with the same index
 * overwrote is dropped too: only the update that landed receives the cotangent.
 */
function gatherKept(ct: Array, idx: Array, axis: number, overwrite: boolean): Array {
  const n = ct.shape[axis] as number;
  const gathered = lax.gather(ct, idx, axis);
  const kept = overwrite ? landed(idx, n) : np.logicalAnd(np.greaterEqual(idx, 0), np.less(idx, n));
  const dims = idx.shape.map((_, d) => axis + d);
  return np.where(lax.broadcastInDim(kept, gathered.shape, dims), gathered, 0);
}

/**
 * Which updates of a scatter along an axis of size n landed: each update's number, scattered
 * with the same indices (so the same one wins where indices repeat, and out-of-range ones are
 * dropped), then read back and compared with its own.
 */
function landed(idx: Array, n: number): Array {
  const ids = np.reshape(lax.iota('int32', [idx.size]), idx.shape);
  const owner = lax.scatter(np.full([n], -1, { dtype: 'int32' }), idx, ids, 0);
  return np.equal(lax.gather(owner, idx, 0), ids);
}

export const transposeRules: TransposeRules = {
  ...customTransposeRules,
  add: ([ct], [x, y]) => [isUndef(x) ? ct! : null, isUndef(y) ? ct! : null],
  sub: ([ct], [x, y]) => [isUndef(x) ? ct! : null, isUndef(y) ? neg(ct!) : null],
  neg: ([ct]) => [neg(ct!)],
  mul: ([ct], [x, y]) => {
    if (isZero(ct)) return [isUndef(x) ? ct : null, isUndef(y) ? ct : null];
    return [isUndef(x) ? lax.mul(ct!, y as Array) : null, isUndef(y) ? lax.mul(x as Array, ct!) : null];
  },
  div: ([ct], [, y]) => {
    if (isUndef(y)) throw new Error('div: the divisor is not linear; cannot transpose');
    return [isZero(ct) ? ct! : lax.div(ct!, y as Array), null];
  },
  select: ([ct], [p, a, b]) => {
    if (isZero(ct)) return [null, isUndef(a) ? ct : null, isUndef(b) ? ct : null];
    const zeros = np.zerosLike(ct!);
    return [null, isUndef(a) ? lax.select(p as Array, ct!, zeros) : null, isUndef(b) ? lax.select(p as Array, zeros, ct!) : null];
  },
  convert_element_type: unaryLinear<'convert_element_type'>((ct, x) => lax.convertElementType(ct, x.dtype)),
  reduce_sum: unaryLinear<'reduce_sum'>((ct, x, { axes }) =>
    lax.broadcastInDim(
      ct,
      x.shape,
      range(x.ndim).filter((d) => !axes.includes(d)),
    ),
  ),
  broadcast_in_dim: unaryLinear<'broadcast_in_dim'>((ct, x, { shape, broadcastDimensions }) => {
    // sum over the new dims and over dims that were stretched from 1
    const summed = range(shape.length).filter((d) => {
      const i = broadcastDimensions.indexOf(d);
      return i < 0 || (x.shape[i] === 1 && shape[d] !== 1);
    });
    const reduced = summed.length > 0 ? lax.reduceSum(ct, summed) : ct;
    return lax.reshape(reduced, x.shape);
  }),
  reshape: unaryLinear<'reshape'>((ct, x) => lax.reshape(ct, x.shape)),
  transpose: unaryLinear<'transpose'>((ct, _x, { permutation }) => lax.transpose(ct, inversePermutation(permutation))),
  rev: unaryLinear<'rev'>((ct, _x, { axes }) => lax.rev(ct, axes)),
  slice: unaryLinear<'slice'>((ct, x, { start, strides }) => {
    // pad the cotangent back: low = start, interior = stride - 1, high = what the last taken element leaves
    const interior = strides.map((s) => s - 1);
    const hi = x.shape.map((n, i) => {
      const count = ct.shape[i] as number;
      const end = count === 0 ? (start[i] as number) : (start[i] as number) + (count - 1) * (strides[i] as number) + 1;
      return n - end;
    });
    return bind('pad', [ct], { lo: start, hi, interior, value: 0 })[0] as Array;
  }),
  pad: unaryLinear<'pad'>((ct, _x, { lo, hi, interior }) => {
    // undo low/high padding (negative pad crops), then take every (interior + 1)-th element
    const unpadded = bind('pad', [ct], { lo: lo.map((v) => -v), hi: hi.map((v) => -v), interior: lo.map(() => 0), value: 0 })[0] as Array;
    return lax.slice(
      unpadded,
      lo.map(() => 0),
      unpadded.shape,
      interior.map((v) => v + 1),
    );
  }),
  concatenate: ([ct], inputs, { axis }) => {
    let at = 0;
    return inputs.map((x) => {
      const aval = isUndef(x) ? x.aval : (x as Array).aval;
      const n = aval.shape[axis] as number;
      const start = aval.shape.map(() => 0);
      const limit = [...(ct as Array).shape];
      start[axis] = at;
      limit[axis] = at + n;
      at += n;
      if (!isUndef(x)) return null;
      return isZero(ct) ? new Zero(aval) : lax.slice(ct!, start, limit);
    });
  },
  gather: ([ct], [x, idx], { axis }) => {
    const aval = (x as UndefPrimal).aval;
    if (isZero(ct)) return [new Zero(aval), null];
    // the gather read the clamped positions, so their cotangents go there
    return [lax.scatterAdd(np.zeros(aval.shape, { dtype: aval.dtype }), readPositions(idx as Array, aval.shape[axis] as number), ct!, axis), null];
  },
  scatter_add: ([ct], [x, idx, u], { axis }) => {
    if (isZero(ct)) return [isUndef(x) ? ct : null, null, isUndef(u) ? new Zero(u.aval) : null];
    return [isUndef(x) ? ct! : null, null, isUndef(u) ? gatherKept(ct!, idx as Array, axis, false) : null];
  },
  scatter: ([ct], [x, idx, u], { axis }) => {
    // the overwritten positions receive nothing from the operand; of repeated indices, only the
    // update that landed (the last) receives the cotangent
    if (isZero(ct)) return [isUndef(x) ? ct : null, null, isUndef(u) ? new Zero(u.aval) : null];
    const uAval = isUndef(u) ? u.aval : (u as Array).aval;
    return [
      isUndef(x) ? lax.scatter(ct!, idx as Array, np.zeros(uAval.shape, { dtype: uAval.dtype }), axis) : null,
      null,
      isUndef(u) ? gatherKept(ct!, idx as Array, axis, true) : null,
    ];
  },
  dot_general: ([ct], [x, y], params) => {
    if (isZero(ct)) return [isUndef(x) ? new Zero(x.aval) : null, isUndef(y) ? new Zero(y.aval) : null];
    return [isUndef(x) ? dotTransposeLhs(ct!, x.aval, y as Array, params) : null, isUndef(y) ? dotTransposeRhs(ct!, x as Array, y.aval, params) : null];
  },
  ...convTransposeRules,
};
