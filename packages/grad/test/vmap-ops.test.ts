// vmap of every primitive and of every op-table record: `vmap(f)(xs)` must equal stacking `f` on
// each slice, with the batch axis at the front, in the middle, last or negative, with batched and
// unbatched operands mixed, and the batched program must run the primitive once for the whole
// batch (its staged graph does not grow with the batch size).
import { type Array, type DType, lax, np, type PrimitiveName, random, tree } from '@tenfold/core';
import { jit, makeJaxpr, vmap } from '@tenfold/grad';
import { seededUniform as rng } from '@tenfold/grad/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argDTypes, type Domain, domainsFor, OP_TABLE, type OpRecord, type Shape, shapesOf, toArray, valueArbitrary } from '../../core/test/op-table.js';

type Axis = number | null;
type Out = Array | Array[];
type Fn = (...xs: Array[]) => Out;

const FC = { seed: 42, numRuns: 2, endOnFailure: true } as const;
const range = (n: number): number[] => globalThis.Array.from({ length: n }, (_, i) => i);
const sizeOf = (s: Shape): number => s.reduce((p, d) => p * d, 1);

// ---------------------------------------------------------------------------------------------
// The reference: f on each slice, stacked
// ---------------------------------------------------------------------------------------------

/**
 * Asserts `actual` equals `expected`: same shape and dtype; exact for int and bool, close for
 * floats; NaN matches NaN. `bound`, for sums of products, is each element's error allowance.
 */
function assertSame(actual: Array, expected: Array, what: string, bound?: Array): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  expect(actual.dtype, `${what}: dtype`).toBe(expected.dtype);
  const a = actual.dataSync();
  const e = expected.dataSync();
  const rtol = expected.dtype === 'float32' ? 2e-5 : expected.dtype === 'float64' ? 1e-12 : 0;
  let scale = 0;
  for (const v of e) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const allowance = bound?.dataSync();
  for (let i = 0; i < e.length; i++) {
    const x = a[i] as number;
    const y = e[i] as number;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (allowance !== undefined && Math.abs(x - y) <= (allowance[i] as number)) continue;
    // floats: relative to the element, with a floor relative to the array (cancellation in sums)
    if (rtol > 0 && Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= rtol * (Math.abs(y) + 1e-3 * scale)) continue;
    throw new Error(`${what}: element ${i} is ${x}, expected ${y} (shape [${expected.shape.join(',')}], ${expected.dtype})`);
  }
}

/** `f` applied to slice b of every batched argument (unbatched ones shared), outputs stacked at `outAxes`. */
function stackedReference(f: Fn, examples: readonly (readonly Array[])[], inAxes: readonly Axis[], outAxes: number, size: number): Array[] {
  const per = range(size).map((b) => tree.leaves(f(...examples.map((xs, i) => (inAxes[i] === null ? xs[0] : xs[b]) as Array))) as Array[]);
  return (per[0] as Array[]).map((_, k) =>
    np.stack(
      per.map((o) => o[k] as Array),
      outAxes,
    ),
  );
}

/** Arguments for vmap: the examples of each batched argument stacked at its in axis. */
function batchedArgs(examples: readonly (readonly Array[])[], inAxes: readonly Axis[]): Array[] {
  return examples.map((xs, i) => {
    const ax = inAxes[i] ?? null;
    return ax === null ? (xs[0] as Array) : np.stack(xs, ax);
  });
}

/**
 * vmap(f) on the stacked examples equals stacking f on each slice. For a float32 sum of
 * `contraction` products (a conv), either side may accumulate in float32 or float64 (a batched
 * product can take the WebAssembly matmul where the per-example one does not): each element may
 * differ by twice the accumulation bound (K + 2)·2⁻²⁴·Σ|a·b|, with Σ|a·b| computed in float64.
 */
function checkVmap(
  f: Fn,
  examples: readonly (readonly Array[])[],
  inAxes: readonly Axis[],
  outAxes: number,
  size: number,
  what: string,
  contraction?: number,
): void {
  const mapped = inAxes.some((a) => a !== null);
  const got = tree.leaves(vmap(f, { inAxes: [...inAxes], outAxes, ...(mapped ? {} : { axisSize: size }) })(...batchedArgs(examples, inAxes))) as Array[];
  const want = stackedReference(f, examples, inAxes, outAxes, size);
  const magnitude =
    contraction === undefined
      ? undefined
      : stackedReference(
          f,
          examples.map((xs) => xs.map((x) => np.abs(x.astype('float64')))),
          inAxes,
          outAxes,
          size,
        ).map((m) => np.multiply(m, 2 * (contraction + 2) * 2 ** -24));
  expect(got.length, what).toBe(want.length);
  got.forEach((g, k) => {
    assertSame(g, want[k] as Array, `${what}, output ${k}`, magnitude?.[k]);
  });
}

// ---------------------------------------------------------------------------------------------
// Operands
// ---------------------------------------------------------------------------------------------

interface Operand {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly gen: (r: () => number) => number;
}

const real = (shape: Shape, lo = -3, hi = 3, dtype: DType = 'float32'): Operand => ({ shape, dtype, gen: (r) => lo + (hi - lo) * r() });
const ints = (shape: Shape, lo: number, hi: number, dtype: DType = 'int32'): Operand => ({ shape, dtype, gen: (r) => lo + Math.floor(r() * (hi - lo + 1)) });
const pick = (shape: Shape, values: readonly number[], dtype: DType = 'float32'): Operand => ({
  shape,
  dtype,
  gen: (r) => values[Math.floor(r() * values.length)] as number,
});
const bools = (shape: Shape): Operand => ({ shape, dtype: 'bool', gen: (r) => (r() < 0.5 ? 1 : 0) });
const nonzeroInts = (shape: Shape, lo: number, hi: number): Operand =>
  pick(
    shape,
    range(hi - lo + 1)
      .map((i) => lo + i)
      .filter((v) => v !== 0),
    'int32',
  );
const words = (shape: Shape): Operand => ({ shape, dtype: 'int32', gen: (r) => (r() * 4294967296) | 0 });

function sample(op: Operand, r: () => number): Array {
  return toArray(
    range(sizeOf(op.shape)).map(() => op.gen(r)),
    op.shape,
    op.dtype,
  );
}

/** Batch sizes per argument: `size` examples for a batched one, one shared example for an unbatched one. */
function makeExamples(ops: readonly Operand[], inAxes: readonly Axis[], size: number, seed: number): Array[][] {
  const r = rng(seed);
  return ops.map((op, i) => range(inAxes[i] === null ? 1 : size).map(() => sample(op, r)));
}

// ---------------------------------------------------------------------------------------------
// Every primitive: cases and in-axis combinations
// ---------------------------------------------------------------------------------------------

interface PrimCase {
  readonly name: string;
  readonly f: Fn;
  readonly ops: readonly Operand[];
  /** The primitive is folded away when staged (iota, a constant): skip the graph check for it. */
  readonly folded?: boolean;
  /** For float sums of products: how many products each output sums (see checkVmap). */
  readonly contraction?: number;
}

const c = (name: string, ops: readonly Operand[], f: Fn, extra: Partial<PrimCase> = {}): PrimCase => ({ name, ops, f, ...extra });
/** A jitted function: under vmap, one jit_call whose batching rule compiles the batched graph. */
const jittedForVmap = jit((a: Array, b: Array) => np.sum(np.multiply(np.exp(a), b), 0));
const M = [2, 3] as const;

const f32 = (s: Shape = M) => real(s);
const pos = (s: Shape = M) => real(s, 0.25, 4);
const ties = (s: Shape = M) => pick(s, [-1, 0, 0.5, 1, 2]);

/**
 * Cases per primitive. The type lists every primitive but custom_lin, so a primitive added to
 * PrimitiveParams without a vmap test here fails to compile.
 */
const CASES: Record<Exclude<PrimitiveName, 'custom_lin'>, readonly PrimCase[]> = {
  add: [c('f32', [f32(), f32()], (x, y) => lax.add(x!, y!)), c('i32', [ints([4], -50, 50), ints([4], -50, 50)], (x, y) => lax.add(x!, y!))],
  sub: [c('f32', [f32(), f32()], (x, y) => lax.sub(x!, y!)), c('i32', [ints([4], -50, 50), ints([4], -50, 50)], (x, y) => lax.sub(x!, y!))],
  mul: [c('f32', [f32(), f32()], (x, y) => lax.mul(x!, y!)), c('i32', [ints([], -50, 50), ints([], -50, 50)], (x, y) => lax.mul(x!, y!))],
  div: [
    c('f32', [f32(), pick(M, [-2, -0.5, 0.25, 1, 4])], (x, y) => lax.div(x!, y!)),
    c('i32 truncates', [ints(M, -20, 20), nonzeroInts(M, -4, 4)], (x, y) => lax.div(x!, y!)),
  ],
  rem: [
    c('f32', [f32(), pick(M, [-2, -0.75, 1, 1.5])], (x, y) => lax.rem(x!, y!)),
    c('i32', [ints(M, -20, 20), nonzeroInts(M, -4, 4)], (x, y) => lax.rem(x!, y!)),
  ],
  pow: [c('f32', [pos(), f32()], (x, y) => lax.pow(x!, y!)), c('np.power', [pos([3]), real([2, 3], -2, 2)], (x, y) => np.power(x!, y!))],
  max: [c('ties', [ties(), ties()], (x, y) => lax.max(x!, y!)), c('i32', [ints([3], -5, 5), ints([3], -5, 5)], (x, y) => lax.max(x!, y!))],
  min: [c('ties', [ties(), ties()], (x, y) => lax.min(x!, y!)), c('i32', [ints([3], -5, 5), ints([3], -5, 5)], (x, y) => lax.min(x!, y!))],
  atan2: [c('f32', [f32(), f32()], (x, y) => lax.atan2(x!, y!))],
  and: [c('i32', [words(M), words(M)], (x, y) => lax.bitwiseAnd(x!, y!)), c('bool', [bools(M), bools(M)], (x, y) => lax.bitwiseAnd(x!, y!))],
  or: [c('i32', [words(M), words(M)], (x, y) => lax.bitwiseOr(x!, y!)), c('bool', [bools(M), bools(M)], (x, y) => lax.bitwiseOr(x!, y!))],
  xor: [c('i32', [words(M), words(M)], (x, y) => lax.bitwiseXor(x!, y!)), c('bool', [bools(M), bools(M)], (x, y) => lax.bitwiseXor(x!, y!))],
  shift_left: [c('i32', [words(M), ints(M, 0, 31)], (x, y) => lax.shiftLeft(x!, y!))],
  shift_right_logical: [c('i32', [words(M), ints(M, 0, 31)], (x, y) => lax.shiftRightLogical(x!, y!))],
  shift_right_arithmetic: [c('i32', [words(M), ints(M, 0, 31)], (x, y) => lax.shiftRightArithmetic(x!, y!))],
  eq: [c('ties', [ties(), ties()], (x, y) => lax.eq(x!, y!)), c('i32', [ints([4], 0, 2), ints([4], 0, 2)], (x, y) => lax.eq(x!, y!))],
  ne: [c('ties', [ties(), ties()], (x, y) => lax.ne(x!, y!))],
  lt: [c('ties', [ties(), ties()], (x, y) => lax.lt(x!, y!))],
  le: [c('ties', [ties(), ties()], (x, y) => lax.le(x!, y!))],
  gt: [c('ties', [ties(), ties()], (x, y) => lax.gt(x!, y!))],
  ge: [c('ties', [ties(), ties()], (x, y) => lax.ge(x!, y!)), c('np.greaterEqual broadcasting', [ties([3]), ties([2, 1])], (x, y) => np.greaterEqual(x!, y!))],
  neg: [c('f32', [f32()], (x) => lax.neg(x!)), c('i32', [ints([4], -9, 9)], (x) => lax.neg(x!))],
  not: [c('i32', [words(M)], (x) => lax.bitwiseNot(x!)), c('bool', [bools(M)], (x) => lax.bitwiseNot(x!))],
  exp: [c('f32', [f32()], (x) => lax.exp(x!))],
  exp2: [c('f32', [f32()], (x) => np.exp2(x!))],
  log: [c('f32', [pos()], (x) => lax.log(x!))],
  log1p: [c('f32', [real(M, -0.9, 3)], (x) => lax.log1p(x!))],
  expm1: [c('f32', [f32()], (x) => lax.expm1(x!))],
  tanh: [c('f32', [f32()], (x) => lax.tanh(x!))],
  logistic: [c('f32', [f32()], (x) => lax.logistic(x!))],
  sqrt: [c('f32', [pos()], (x) => lax.sqrt(x!))],
  rsqrt: [c('f32', [pos()], (x) => lax.rsqrt(x!))],
  sin: [c('f32', [f32()], (x) => lax.sin(x!))],
  cos: [c('f32', [f32()], (x) => lax.cos(x!))],
  abs: [c('f32', [ties()], (x) => lax.abs(x!)), c('i32', [ints([3], -5, 5)], (x) => lax.abs(x!))],
  sign: [c('f32 with zeros', [ties()], (x) => lax.sign(x!))],
  floor: [c('f32', [f32()], (x) => lax.floor(x!))],
  ceil: [c('f32', [f32()], (x) => lax.ceil(x!))],
  round: [c('halves', [pick(M, [-2.5, -1.5, -0.5, 0.5, 1.5, 2.3])], (x) => lax.round(x!))],
  is_finite: [
    c('inf and nan', [pick([4], [1, -2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN])], (x) => lax.isFinite(x!)),
    c('np.isfinite', [pick(M, [0, Number.NaN, Number.POSITIVE_INFINITY])], (x) => np.isfinite(x!)),
  ],
  erf_inv: [c('f32', [real(M, -0.99, 0.99)], (x) => lax.erfInv(x!)), c('f64', [real(M, -0.9, 0.9, 'float64')], (x) => np.erfinv(x!))],
  stop_gradient: [c('f32', [f32()], (x) => lax.stopGradient(x!))],
  select: [
    c('f32', [bools(M), f32(), f32()], (p, x, y) => lax.select(p!, x!, y!)),
    c('np.where broadcasting', [bools([3]), real([2, 3]), real([])], (p, x, y) => np.where(p!, x!, y!)),
  ],
  convert_element_type: [
    c('f32 → i32', [f32()], (x) => lax.convertElementType(x!, 'int32')),
    c('i32 → f32', [ints(M, -9, 9)], (x) => lax.convertElementType(x!, 'float32')),
    c('f32 → bool', [ties()], (x) => lax.convertElementType(x!, 'bool')),
    c('bool → f64', [bools(M)], (x) => lax.convertElementType(x!, 'float64')),
  ],
  bitcast_convert_type: [
    c('f32 → i32', [f32()], (x) => lax.bitcastConvertType(x!, 'int32')),
    c('i32 → f32', [ints(M, 0x3f000000, 0x40800000)], (x) => lax.bitcastConvertType(x!, 'float32')),
  ],
  reduce_sum: [
    c('axes [1]', [f32([2, 3, 4])], (x) => lax.reduceSum(x!, [1])),
    c('axes [0, 2]', [f32([2, 3, 4])], (x) => lax.reduceSum(x!, [0, 2])),
    c('all, i32', [ints([3, 2], -9, 9)], (x) => lax.reduceSum(x!, [0, 1])),
  ],
  reduce_max: [c('axes [0]', [ties([3, 4])], (x) => lax.reduceMax(x!, [0])), c('np.max all', [f32([2, 3, 2])], (x) => np.max(x!))],
  reduce_min: [c('axes [1]', [ties([3, 4])], (x) => lax.reduceMin(x!, [1])), c('i32 axes [0, 1]', [ints([2, 3], -9, 9)], (x) => lax.reduceMin(x!, [0, 1]))],
  reduce_prod: [
    c('axes [1]', [real([3, 4], 0.5, 1.5)], (x) => lax.reduceProd(x!, [1])),
    c('i32 axes [0]', [ints([3, 2], -3, 3)], (x) => lax.reduceProd(x!, [0])),
  ],
  argmax: [c('axis 0 ties', [ties([3, 4])], (x) => lax.argmax(x!, 0)), c('axis 1', [f32([3, 4])], (x) => lax.argmax(x!, 1))],
  argmin: [c('axis 1 ties', [ties([3, 4])], (x) => lax.argmin(x!, 1)), c('np.argmin flat', [f32([2, 3])], (x) => np.argmin(x!))],
  argsort: [
    c('axis 1 ascending, ties', [ties([3, 4])], (x) => lax.argsort(x!, 1)),
    c('axis 0 descending, ties', [ties([4, 3])], (x) => lax.argsort(x!, 0, true)),
  ],
  dot_general: [
    c('matmul', [f32([2, 3]), f32([3, 4])], (a, b) => lax.dotGeneral(a!, b!, { contracting: [[1], [0]], batch: [[], []] })),
    c('contracting lhs 0, rhs 1', [f32([3, 2]), f32([4, 3])], (a, b) => lax.dotGeneral(a!, b!, { contracting: [[0], [1]], batch: [[], []] })),
    c('batch leading', [f32([2, 3, 4]), f32([2, 4, 2])], (a, b) => lax.dotGeneral(a!, b!, { contracting: [[2], [1]], batch: [[0], [0]] })),
    c('batch in the middle / last', [f32([3, 2, 4]), f32([4, 3, 2])], (a, b) => lax.dotGeneral(a!, b!, { contracting: [[2], [0]], batch: [[1], [2]] })),
    c('two contracting dims', [f32([2, 3, 4]), f32([4, 3])], (a, b) =>
      lax.dotGeneral(a!, b!, {
        contracting: [
          [1, 2],
          [1, 0],
        ],
        batch: [[], []],
      }),
    ),
    c('outer product', [f32([2]), f32([3])], (a, b) => lax.dotGeneral(a!, b!, { contracting: [[], []], batch: [[], []] })),
    c('vector dot', [f32([3]), f32([3])], (a, b) => lax.dotGeneral(a!, b!, { contracting: [[0], [0]], batch: [[], []] })),
    c('i32 matmul', [ints([2, 3], -5, 5), ints([3, 2], -5, 5)], (a, b) => lax.dotGeneral(a!, b!, { contracting: [[1], [0]], batch: [[], []] })),
    c('np.einsum bij,bjk->bik', [f32([2, 2, 3]), f32([2, 3, 2])], (a, b) => np.einsum('bij,bjk->bik', a!, b!)),
  ],
  broadcast_in_dim: [
    c('[3] → [2,3]', [f32([3])], (x) => lax.broadcastInDim(x!, [2, 3], [1])),
    c('[2,1] → [2,4] (size-1 expands)', [f32([2, 1])], (x) => lax.broadcastInDim(x!, [2, 4], [0, 1])),
    c('scalar → [2,3]', [f32([])], (x) => lax.broadcastInDim(x!, [2, 3], [])),
  ],
  reshape: [
    c('[2,3] → [3,2]', [f32()], (x) => lax.reshape(x!, [3, 2])),
    c('[2,3,2] → [12]', [ints([2, 3, 2], -9, 9)], (x) => lax.reshape(x!, [12])),
    c('[6] → [1,2,3]', [f32([6])], (x) => lax.reshape(x!, [1, 2, 3])),
  ],
  transpose: [c('[2,0,1]', [f32([2, 3, 4])], (x) => lax.transpose(x!, [2, 0, 1])), c('[1,0]', [f32()], (x) => lax.transpose(x!, [1, 0]))],
  slice: [
    c('strided', [f32([5, 6])], (x) => lax.slice(x!, [1, 0], [4, 6], [2, 3])),
    c('1-d', [ints([5], -9, 9)], (x) => lax.slice(x!, [1], [4])),
    c('np.index', [f32([4, 5])], (x) => np.index(x!, [np.slice(1, 3), -1])),
  ],
  pad: [
    c('lo/hi/interior, negative', [f32([3, 4])], (x) =>
      lax.pad(x!, 0.5, [
        [1, 2, 1],
        [-1, 0, 0],
      ]),
    ),
    c('i32 interior', [ints([3], -9, 9)], (x) => lax.pad(x!, 7, [[0, 1, 2]])),
  ],
  concatenate: [
    c('axis 1, three operands', [f32([2, 1]), f32([2, 3]), f32([2, 2])], (x, y, z) => lax.concatenate([x!, y!, z!], 1)),
    c('axis 0', [f32([1]), f32([2]), f32([3])], (x, y, z) => lax.concatenate([x!, y!, z!], 0)),
  ],
  rev: [c('axes [0, 1]', [f32([3, 4])], (x) => lax.rev(x!, [0, 1])), c('axes [1]', [f32([3, 4])], (x) => lax.rev(x!, [1]))],
  gather: [
    c('axis 0, [2,2] indices', [f32([4, 3]), ints([2, 2], 0, 3)], (x, i) => lax.gather(x!, i!, 0)),
    c('axis 1', [f32([2, 5]), ints([3], 0, 4)], (x, i) => lax.gather(x!, i!, 1)),
    c('scalar index', [f32([4, 2]), ints([], 0, 3)], (x, i) => lax.gather(x!, i!, 0)),
    c('out-of-range indices clamp', [f32([4]), ints([5], -3, 7)], (x, i) => lax.gather(x!, i!, 0)),
    c('out-of-range indices clamp, axis 1', [f32([2, 3, 2]), ints([4], -2, 5)], (x, i) => lax.gather(x!, i!, 1)),
    c('np.take, negative indices', [f32([3, 5]), ints([3], -5, 4)], (x, i) => np.take(x!, i!, 1)),
  ],
  scatter_add: [
    c('axis 0, repeated indices', [f32([4, 3]), ints([5], 0, 3), f32([5, 3])], (x, i, u) => lax.scatterAdd(x!, i!, u!, 0)),
    c('axis 1', [f32([2, 5]), ints([3], 0, 4), f32([2, 3])], (x, i, u) => lax.scatterAdd(x!, i!, u!, 1)),
    c('out-of-range indices dropped', [f32([4]), ints([5], -3, 7), f32([5])], (x, i, u) => lax.scatterAdd(x!, i!, u!, 0)),
    c('i32, out-of-range, axis 1', [ints([2, 3, 2], -9, 9), ints([4], -2, 4), ints([2, 4, 2], -9, 9)], (x, i, u) => lax.scatterAdd(x!, i!, u!, 1)),
  ],
  scatter: [
    c('axis 0', [f32([4, 3]), ints([2], 0, 3), f32([2, 3])], (x, i, u) => lax.scatter(x!, i!, u!, 0)),
    c('axis 1, [2,2] indices', [f32([2, 5]), ints([2, 2], 0, 4), f32([2, 2, 2])], (x, i, u) => lax.scatter(x!, i!, u!, 1)),
    c('out-of-range indices dropped', [f32([4]), ints([5], -3, 7), f32([5])], (x, i, u) => lax.scatter(x!, i!, u!, 0)),
    c('x.at[...].set', [f32([5]), ints([], 0, 4), f32([])], (x, i, v) => x!.at(i!).set(v!)),
  ],
  iota: [
    c('added to a batched operand', [f32()], (x) => lax.add(x!, lax.convertElementType(lax.iota('int32', [2, 3], 1), 'float32')), { folded: true }),
    c('float iota times an operand', [f32([4])], (x) => lax.mul(lax.iota('float32', [4], 0), x!), { folded: true }),
    c('only iota: an unbatched output', [f32([2])], () => lax.iota('int32', [2, 3], 0), { folded: true }),
  ],
  conv: [
    c('2-d VALID', [f32([2, 3, 5, 5]), f32([4, 3, 3, 3])], (x, w) => lax.conv(x!, w!), { contraction: 27 }),
    c(
      'strides, padding, dilations',
      [f32([1, 2, 6, 6]), f32([2, 2, 3, 3])],
      (x, w) =>
        lax.conv(x!, w!, {
          windowStrides: [2, 1],
          padding: [
            [1, 0],
            [2, 1],
          ],
          lhsDilation: [1, 2],
          rhsDilation: [2, 1],
        }),
      { contraction: 18 },
    ),
    c('featureGroupCount 2', [f32([2, 4, 5, 5]), f32([6, 2, 3, 3])], (x, w) => lax.conv(x!, w!, { featureGroupCount: 2, padding: 'SAME' }), {
      contraction: 18,
    }),
    c('featureGroupCount 3, 1-d, strided', [f32([1, 6, 7]), f32([3, 2, 3])], (x, w) => lax.conv(x!, w!, { featureGroupCount: 3, windowStrides: [2] }), {
      contraction: 6,
    }),
    c('batchGroupCount 2', [f32([4, 3, 5, 5]), f32([4, 3, 3, 3])], (x, w) => lax.conv(x!, w!, { batchGroupCount: 2 }), { contraction: 27 }),
    c('batchGroupCount 3, 1-d, SAME', [f32([3, 2, 6]), f32([6, 2, 3])], (x, w) => lax.conv(x!, w!, { batchGroupCount: 3, padding: 'SAME' }), {
      contraction: 6,
    }),
  ],
  reduce_window_sum: [
    c('SAME, strided', [f32([2, 6, 6])], (x) => lax.reduceWindow(x!, 'sum', [1, 3, 3], { windowStrides: [1, 2, 2], padding: 'SAME' })),
    c('explicit padding, dilations', [f32([2, 5, 4])], (x) =>
      lax.reduceWindow(x!, 'sum', [2, 2, 2], {
        padding: [
          [0, 0],
          [1, 1],
          [0, 2],
        ],
        baseDilation: [1, 2, 1],
        windowDilation: [1, 1, 2],
      }),
    ),
  ],
  reduce_window_max: [
    c('2×2 pool, stride 2', [ties([1, 2, 4, 4])], (x) => lax.reduceWindow(x!, 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] })),
    c('1-d, padded', [f32([7])], (x) => lax.reduceWindow(x!, 'max', [3], { windowStrides: [2], padding: [[2, 1]] })),
  ],
  jit_call: [c('a jitted function', [f32(), f32()], (x, y) => jittedForVmap(x!, y!))],
  cond: [
    // a batched predicate becomes a select of both branches (as JAX): no cond left in the graph
    c(
      'on the sign of a sum',
      [f32(), f32()],
      (x, y) =>
        lax.cond(
          np.greater(np.sum(x!), 0),
          (a: Array, b: Array) => np.multiply(a, b),
          (a: Array, b: Array) => np.subtract(a, b),
          x!,
          y!,
        ),
      { folded: true },
    ),
  ],
  while_loop: [
    c(
      'doubling until past a bound',
      [f32(), pos([])],
      (x, bound) =>
        lax.whileLoop(
          (s: [Array, Array]) => np.less(np.sum(np.abs(s[0])), np.multiply(bound!, 20)),
          (s: [Array, Array]): [Array, Array] => [np.multiply(s[0], 2), np.add(s[1], 1)],
          [np.add(np.abs(x!), 0.1), np.array(0)] as [Array, Array],
        )[0],
    ),
  ],
  scan: [
    c(
      'a running product over rows',
      [f32([3, 2]), f32([2])],
      (xs, c0) => lax.scan((c: Array, x: Array): [Array, Array] => [np.multiply(c, x), np.sin(c)], c0!, xs!)[1],
    ),
  ],
  threefry2x32: [c('four words', [words([3]), words([3]), words([3]), words([3])], (k0, k1, x0, x1) => lax.threefry2x32(k0!, k1!, x0!, x1!))],
};

/** In-axis options for an operand of per-example rank `rank`: none, front, middle, last, negative. */
function axisOptions(rank: number, rich: boolean): Axis[] {
  const o: Axis[] = [null, 0, -1];
  if (!rich) return o;
  if (rank >= 1) o.push(rank, -2);
  if (rank >= 2) o.push(Math.ceil(rank / 2));
  return o;
}

function combos(ops: readonly Operand[], rich: boolean): Axis[][] {
  let out: Axis[][] = [[]];
  for (const op of ops) out = out.flatMap((combo) => axisOptions(op.shape.length, rich).map((a) => [...combo, a]));
  return out;
}

/** Out-axis choices for an output of per-example rank `rank`: front, last, negative, middle. */
function outChoices(rank: number): number[] {
  return [...new Set([0, rank, -1, Math.ceil(rank / 2), -(rank + 1)])];
}

function outputRank(cs: PrimCase): number {
  const ex = cs.ops.map((op) => sample(op, rng(1)));
  return ((tree.leaves(cs.f(...ex)) as Array[])[0] as Array).ndim;
}

describe('every primitive has a batching rule equal to stacking per-example results', () => {
  for (const [prim, cases] of Object.entries(CASES) as [PrimitiveName, readonly PrimCase[]][]) {
    for (const cs of cases) {
      it(`${prim}: ${cs.name}`, () => {
        const size = 3;
        const rank = outputRank(cs);
        const outs = outChoices(rank);
        // exhaustive over the options for up to two operands; front/last/none for more, plus drawn ones
        const all = combos(cs.ops, cs.ops.length <= 2);
        all.forEach((inAxes, k) => {
          const outAxes = outs[k % outs.length] as number;
          checkVmap(
            cs.f,
            makeExamples(cs.ops, inAxes, size, 7 * k + 1),
            inAxes,
            outAxes,
            size,
            `${prim} ${cs.name} inAxes [${inAxes.join(',')}] outAxes ${outAxes}`,
            cs.contraction,
          );
        });
        if (cs.ops.length > 2) {
          const axis = (r: number) => fc.constantFrom(...axisOptions(r, true));
          fc.assert(
            fc.property(fc.tuple(...cs.ops.map((op) => axis(op.shape.length))), fc.constantFrom(...outs), fc.nat(1000), (inAxes, outAxes, seed) => {
              checkVmap(
                cs.f,
                makeExamples(cs.ops, inAxes, size, seed),
                inAxes,
                outAxes,
                size,
                `${prim} ${cs.name} inAxes [${inAxes.join(',')}] outAxes ${outAxes}`,
                cs.contraction,
              );
            }),
            { ...FC, numRuns: 8 },
          );
        }
      });
    }
  }
});

describe('a batched primitive runs once for the whole batch', () => {
  /** The staged graph of vmap(f): the same equations at every batch size, including the primitive itself. */
  for (const [prim, cases] of Object.entries(CASES) as [PrimitiveName, readonly PrimCase[]][]) {
    const cs = cases[0] as PrimCase;
    it(`${prim}: ${cs.name}`, () => {
      const settings: Axis[][] = [cs.ops.map(() => 0), cs.ops.map((_, i) => (i % 2 === 0 ? -1 : null))];
      for (const inAxes of settings) {
        const graphs = [2, 5, 11].map((size) => makeJaxpr(vmap(cs.f, { inAxes }))(...batchedArgs(makeExamples(cs.ops, inAxes, size, size), inAxes)));
        const counts = graphs.map((g) => g.eqns.length);
        expect(new Set(counts).size, `${prim} inAxes [${inAxes.join(',')}]: equations ${counts.join(', ')} at batch sizes 2, 5, 11`).toBe(1);
        if (!cs.folded) expect(graphs[0]!.eqns.map((e) => e.prim)).toContain(prim);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Random numbers under vmap (threefry2x32 through random.*)
// ---------------------------------------------------------------------------------------------

describe('random under vmap over keys', () => {
  const keys = random.splitKeys(random.key(42), 4);
  const rows = range(4).map((i) => lax.reshape(lax.slice(keys, [i, 0], [i + 1, 2]), [2]));

  it('vmap((k) => random.uniform(k, [3]))(splitKeys(key, 4)) equals per-key calls', () => {
    const got = vmap((k: Array) => random.uniform(k, [3]))(keys);
    assertSame(got, np.stack(rows.map((k) => random.uniform(k, [3]))), 'uniform');
  });

  it('normal, bits, split and foldIn over keys; keys at axis 1', () => {
    const got = vmap((k: Array) => [random.normal(k, [2, 2]), random.bits(k, [3]), random.splitKeys(k, 3), random.foldIn(k, 7)])(keys) as Array[];
    const want = [
      np.stack(rows.map((k) => random.normal(k, [2, 2]))),
      np.stack(rows.map((k) => random.bits(k, [3]))),
      np.stack(rows.map((k) => random.splitKeys(k, 3))),
      np.stack(rows.map((k) => random.foldIn(k, 7))),
    ];
    got.forEach((g, i) => {
      assertSame(g, want[i] as Array, `random output ${i}`);
    });
    const t = vmap((k: Array) => random.uniform(k, [2], { minval: -1, maxval: 1 }), { inAxes: 1, outAxes: -1 })(np.transpose(keys));
    assertSame(
      t,
      np.stack(
        rows.map((k) => random.uniform(k, [2], { minval: -1, maxval: 1 })),
        -1,
      ),
      'uniform at axis 1',
    );
  });

  it('a shared key with batched bounds, and foldIn with a batched counter', () => {
    const key = random.key(3);
    const lo = np.array([-2, 0, 5], { dtype: 'float32' });
    const got = vmap((m: Array) => random.uniform(key, [2], { minval: m, maxval: np.add(m, 1) }))(lo);
    assertSame(got, np.stack([-2, 0, 5].map((m) => random.uniform(key, [2], { minval: m, maxval: m + 1 }))), 'shared key');
    const steps = np.array([0, 1, 2, 3], { dtype: 'int32' });
    const folded = vmap((s: Array) => random.foldIn(key, s))(steps);
    assertSame(folded, np.stack([0, 1, 2, 3].map((s) => random.foldIn(key, s))), 'foldIn');
  });
});

// ---------------------------------------------------------------------------------------------
// The op table: every record, batch of 3
// ---------------------------------------------------------------------------------------------

interface TableCase {
  readonly shapes: readonly Shape[];
  /** 7 examples per argument: 0..5 are the (2×3 nested or first-3 flat) batch, 6 is the shared value. */
  readonly examples: readonly Array[][];
  /** Drawn numbers that pick the in and out axes. */
  readonly axisDraws: readonly number[];
  readonly outDraw: number;
}

function tableCase(rec: OpRecord, dtype: DType): fc.Arbitrary<TableCase> {
  const domains = domainsFor(rec, dtype);
  const dtypes = argDTypes(rec, dtype);
  return fc.constantFrom(...shapesOf(rec)).chain((shapes) =>
    fc
      .tuple(
        fc.tuple(
          ...shapes.map((s, k) => fc.array(valueArbitrary(domains[k] as Domain, dtypes[k] as DType), { minLength: 7 * sizeOf(s), maxLength: 7 * sizeOf(s) })),
        ),
        fc.array(fc.nat(1000), { minLength: shapes.length, maxLength: shapes.length }),
        fc.nat(1000),
      )
      .map(([vals, axisDraws, outDraw]) => ({
        shapes,
        examples: shapes.map((s, k) => {
          const n = sizeOf(s);
          return range(7).map((j) => toArray((vals[k] as number[]).slice(j * n, (j + 1) * n), s, dtypes[k] as DType));
        }),
        axisDraws,
        outDraw,
      })),
  );
}

/** Examples for `inAxes`: batched arguments get examples 0..2, unbatched ones the shared example 6. */
function flatExamples(tc: TableCase, inAxes: readonly Axis[]): Array[][] {
  return tc.examples.map((xs, k) => (inAxes[k] === null ? [xs[6] as Array] : xs.slice(0, 3)));
}

function checkRecord(rec: OpRecord, tc: TableCase): void {
  const f = rec.fn as Fn;
  const n = rec.arity;
  const what = `${rec.name} [${tc.shapes.map((s) => `[${s.join(',')}]`).join(' ')}]`;
  const outRank = (f(...tc.examples.map((xs) => xs[0] as Array)) as Array).ndim;
  const settings: Axis[][] = [range(n).map(() => 0)];
  if (n > 1) settings.push([0, ...range(n - 1).map(() => null)], [null, ...range(n - 1).map(() => 0)]);
  // drawn in axes (any position, negative included) with a drawn out axis
  const drawn = tc.shapes.map((s, k) => ((tc.axisDraws[k] as number) % (2 * s.length + 2)) - (s.length + 1));
  for (const inAxes of settings) checkVmap(f, flatExamples(tc, inAxes), inAxes, 0, 3, `${what} inAxes [${inAxes.join(',')}]`);
  const outAxes = (tc.outDraw % (2 * outRank + 2)) - (outRank + 1);
  checkVmap(f, flatExamples(tc, drawn), drawn, outAxes, 3, `${what} inAxes [${drawn.join(',')}] outAxes ${outAxes}`);

  // nested twice: outer batch of 2 at axis 0, inner batch of 3 at the drawn axes
  const inner = (xs: readonly Array[], ax: number, i: number): Array => np.stack(xs.slice(3 * i, 3 * i + 3), ax);
  const args = tc.examples.map((xs, k) => np.stack([inner(xs, drawn[k] as number, 0), inner(xs, drawn[k] as number, 1)], 0));
  const got = vmap(vmap(f, { inAxes: drawn, outAxes }))(...args);
  const want = np.stack(
    [0, 1].map((i) =>
      np.stack(
        range(3).map((j) => f(...tc.examples.map((xs) => xs[3 * i + j] as Array)) as Array),
        outAxes,
      ),
    ),
    0,
  );
  assertSame(got as Array, want, `${what} vmap(vmap(f)) inner inAxes [${drawn.join(',')}] outAxes ${outAxes}`);
}

describe('vmap over the op table (batch of 3, nested 2×3)', () => {
  for (const rec of OP_TABLE) {
    it(rec.name, () => {
      for (const dtype of rec.dtypes) {
        fc.assert(
          fc.property(tableCase(rec, dtype), (tc) => {
            checkRecord(rec, tc);
          }),
          FC,
        );
      }
    });
  }
});
