import type { Array, ArrayLike } from '../array.js';
import { fail, shapeStr } from '../errors.js';
import { broadcastShapes, normalizeAxis } from '../shape.js';
import { bind1 } from '../trace.js';
import { multiply, notEqual } from './elementwise.js';
import { gatherDiagonal } from './indexing.js';
import { broadcastTo, castIfNeeded, resultDType } from './operands.js';
import { sum } from './reductions.js';
import { asArray } from './scalar.js';
import { expandDims, reshape, squeeze, transpose } from './shape.js';

/** Both operands in their promoted dtype (bool contracts as int32: see {@link boolResult}). */
function promotePair(x: ArrayLike, y: ArrayLike): [Array, Array] {
  const d = resultDType([x, y]);
  const dtype = d === 'bool' ? 'int32' : d;
  return [castIfNeeded(asArray(x), dtype), castIfNeeded(asArray(y), dtype)];
}

/** Products of bool operands are bool, as NumPy (an or of ands): the int32 count, nonzero. */
function boolResult(out: Array, operands: readonly ArrayLike[]): Array {
  return resultDType(operands) === 'bool' ? notEqual(out, 0) : out;
}

/**
 * Matrix product with NumPy's rules: 1-d operands are promoted to matrices and back, leading
 * (batch) dimensions broadcast.
 *
 * @example
 * np.matmul(np.ones([200, 784]), np.ones([784, 200])).shape // [200, 200]
 * np.matmul(np.ones([8, 2, 3]), np.ones([3, 4])).shape       // [8, 2, 4]
 */
export function matmul(x: ArrayLike, y: ArrayLike): Array {
  let [a, b] = promotePair(x, y);
  if (a.ndim === 0 || b.ndim === 0)
    fail('matmul', `operands must be at least 1-d, got ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}; use np.multiply for scalars`);
  const vecA = a.ndim === 1;
  const vecB = b.ndim === 1;
  if (vecA) a = expandDims(a, 0);
  if (vecB) b = expandDims(b, -1);
  const k1 = a.shape[a.ndim - 1] as number;
  const k2 = b.shape[b.ndim - 2] as number;
  if (k1 !== k2) {
    fail('matmul', `contracting dimensions differ: ${shapeStr(vecA ? [k1] : a.shape)} @ ${shapeStr(vecB ? [k2] : b.shape)} (${k1} vs ${k2})`);
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = batch.length;
  let out: Array;
  if (nb === 0) {
    out = bind1('dot_general', [a, b], { contracting: [[1], [0]], batch: [[], []] });
  } else {
    a = broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
    b = broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
    const bd = batch.map((_, i) => i);
    out = bind1('dot_general', [a, b], { contracting: [[nb + 1], [nb]], batch: [bd, bd] });
  }
  if (vecA) out = squeeze(out, -2);
  if (vecB) out = squeeze(out, -1);
  return boolResult(out, [x, y]);
}

/**
 * NumPy's dot: inner product of vectors, matrix product of matrices, and for N-d a sum over the
 * last axis of `x` and the second-to-last of `y`.
 *
 * @example
 * np.dot(np.array([1, 2]), np.array([3, 4])).item() // 11
 */
export function dot(x: ArrayLike, y: ArrayLike): Array {
  const [a, b] = promotePair(x, y);
  if (a.ndim === 0 || b.ndim === 0) return boolResult(multiply(a, b), [x, y]);
  const k1 = a.shape[a.ndim - 1] as number;
  const k2 = b.shape[Math.max(0, b.ndim - 2)] as number;
  if (k1 !== k2) {
    fail(
      'dot',
      `contracting dimensions differ: ${shapeStr(a.shape)} · ${shapeStr(b.shape)} (last axis of x is ${k1}, ${b.ndim === 1 ? 'y has' : 'second-to-last axis of y is'} ${k2})`,
    );
  }
  if (b.ndim <= 2) return boolResult(matmul(a, b), [x, y]);
  return boolResult(tensordot(a, b, [[a.ndim - 1], [b.ndim - 2]]), [x, y]);
}

/**
 * Contracts the given axes of `x` and `y` (or the last `axes` of x with the first of y).
 *
 * @example
 * np.tensordot(np.ones([2, 3, 4]), np.ones([3, 4, 5]), 2).shape // [2, 5]
 */
export function tensordot(x: ArrayLike, y: ArrayLike, axes: number | readonly [readonly number[], readonly number[]] = 2): Array {
  const [a, b] = promotePair(x, y);
  let ax: number[];
  let bx: number[];
  if (typeof axes === 'number') {
    if (axes < 0 || axes > a.ndim || axes > b.ndim) fail('tensordot', `cannot contract ${axes} axes of ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
    ax = Array_range(a.ndim - axes, a.ndim);
    bx = Array_range(0, axes);
  } else {
    ax = axes[0].map((d) => normalizeAxis('tensordot', d, a.ndim));
    bx = axes[1].map((d) => normalizeAxis('tensordot', d, b.ndim));
  }
  if (ax.length !== bx.length) fail('tensordot', `axes lists differ in length: [${ax.join(',')}] vs [${bx.join(',')}]`);
  ax.forEach((d, i) => {
    const e = bx[i] as number;
    if (a.shape[d] !== b.shape[e]) {
      fail('tensordot', `contracting dimensions differ: ${shapeStr(a.shape)} axis ${d} (${a.shape[d]}) vs ${shapeStr(b.shape)} axis ${e} (${b.shape[e]})`);
    }
  });
  return boolResult(bind1('dot_general', [a, b], { contracting: [ax, bx], batch: [[], []] }), [x, y]);
}

/** Outer product of two vectors (flattened). @example np.outer(np.array([1, 2]), np.array([3, 4])) */
export function outer(x: ArrayLike, y: ArrayLike): Array {
  const a = reshape(asArray(x), [-1, 1]);
  const b = reshape(asArray(y), [1, -1]);
  return multiply(a, b);
}

function Array_range(lo: number, hi: number): number[] {
  return globalThis.Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
}

function parseEinsum(spec: string, operands: readonly Array[]): { inputs: string[][]; output: string[] } {
  const clean = spec.replace(/\s+/g, '');
  const [lhs, rhs] = clean.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== operands.length) fail('einsum', `'${spec}' names ${terms.length} operands but ${operands.length} were given`);
  // '...' stands for the leading unnamed dimensions; give them reserved labels, right-aligned
  // against the widest '...' of all operands (so a shorter one pairs with the trailing labels)
  const ellipsisRank = Math.max(0, ...terms.map((t, i) => (t.includes('...') ? (operands[i] as Array).ndim - t.replace('...', '').length : 0)));
  const inputs = terms.map((t, i) => {
    const op = operands[i] as Array;
    const named = t.replace('...', '');
    if (!/^[a-zA-Z]*$/.test(named)) fail('einsum', `subscripts must be letters (and '...'), got '${t}' in '${spec}'`);
    const labels = [...named];
    if (t.includes('...')) {
      const r = op.ndim - labels.length;
      if (r < 0) fail('einsum', `'${t}' has more labels than operand ${i} has dimensions ${shapeStr(op.shape)}`);
      const at = t.indexOf('...');
      const before = [...t.slice(0, at)];
      const after = [...t.slice(at + 3)];
      return [...before, ...Array_range(ellipsisRank - r, ellipsisRank).map((k) => `#${k}`), ...after];
    }
    if (labels.length !== op.ndim) fail('einsum', `'${t}' has ${labels.length} labels but operand ${i} has rank ${op.ndim} ${shapeStr(op.shape)}`);
    return labels;
  });
  const ell = Array_range(0, ellipsisRank).map((k) => `#${k}`);
  let output: string[];
  if (rhs === undefined) {
    const counts = new Map<string, number>();
    for (const l of inputs.flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
    output = [...ell, ...[...counts.keys()].filter((l) => !l.startsWith('#') && counts.get(l) === 1).sort()];
  } else {
    if (!/^[a-zA-Z.]*$/.test(rhs)) fail('einsum', `output subscripts must be letters, got '${rhs}'`);
    output = rhs.includes('...') ? [...[...rhs.slice(0, rhs.indexOf('...'))], ...ell, ...[...rhs.slice(rhs.indexOf('...') + 3)]] : [...rhs];
    for (const l of output) if (!inputs.some((inp) => inp.includes(l))) fail('einsum', `output label '${l}' does not appear in the inputs of '${spec}'`);
    if (new Set(output).size !== output.length) fail('einsum', `output label repeated in '${spec}'`);
  }
  return { inputs, output };
}

/** Removes repeated labels within one operand by taking diagonals, and sums labels used nowhere else. */
function simplify(x: Array, labels: string[], keepLabels: Set<string>): [Array, string[]] {
  let a = x;
  let ls = [...labels];
  for (let i = 0; i < ls.length; i++) {
    const j = ls.indexOf(ls[i] as string, i + 1);
    if (j > 0) {
      if (a.shape[i] !== a.shape[j]) fail('einsum', `label '${ls[i]}' repeats with sizes ${a.shape[i]} and ${a.shape[j]} in one operand ${shapeStr(a.shape)}`);
      a = gatherDiagonal(a, i, j);
      ls = [...ls.filter((_, k) => k !== i && k !== j), ls[i] as string];
      i = -1;
    }
  }
  const drop = ls.map((l, i) => (keepLabels.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (drop.length > 0) {
    a = sum(a, drop);
    ls = ls.filter((_, i) => !drop.includes(i));
  }
  return [a, ls];
}

/**
 * Einstein summation over any number of operands, contracted pairwise left to right with
 * dot_general (labels present in both operands and needed later become batch dimensions).
 *
 * @example
 * np.einsum('ij,jk->ik', a, b);   // matmul
 * np.einsum('bij,bjk->bik', a, b); // batched matmul
 * np.einsum('ii->', m);           // trace
 */
export function einsum(spec: string, ...operands: ArrayLike[]): Array {
  if (operands.length === 0) fail('einsum', 'needs at least one operand');
  const dtype = resultDType(operands);
  const arrays = operands.map((o) => castIfNeeded(asArray(o), dtype === 'bool' ? 'int32' : dtype));
  const { inputs, output } = parseEinsum(spec, arrays);
  const sizes = new Map<string, number>();
  inputs.forEach((ls, i) => {
    ls.forEach((l, k) => {
      const d = (arrays[i] as Array).shape[k] as number;
      const prev = sizes.get(l);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) {
        fail(
          'einsum',
          `label '${l.startsWith('#') ? '...' : l}' has inconsistent sizes ${prev} and ${d} in '${spec}' for operands ${arrays.map((a) => shapeStr(a.shape)).join(', ')}; a label's sizes must match (or be 1)`,
        );
      }
      // a size-1 label broadcasts; any other size (0 included) is the label's size
      sizes.set(l, prev === undefined || prev === 1 ? d : prev);
    });
  });
  const neededLater = (from: number): Set<string> => new Set([...output, ...inputs.slice(from).flat()]);
  let [acc, accL] = simplify(arrays[0] as Array, inputs[0] as string[], neededLater(1));
  for (let i = 1; i < arrays.length; i++) {
    const later = neededLater(i + 1);
    const [b, bL] = simplify(arrays[i] as Array, inputs[i] as string[], new Set([...later, ...accL]));
    [acc, accL] = simplify(acc, accL, new Set([...later, ...bL]));
    const shared = accL.filter((l) => bL.includes(l));
    const batchL = shared.filter((l) => later.has(l));
    const contractL = shared.filter((l) => !later.has(l));
    // size-1 broadcast dims: expand to the common size before contracting
    const fit = (x: Array, ls: string[]) =>
      broadcastTo(
        x,
        ls.map((l, k) => (shared.includes(l) ? (sizes.get(l) as number) : (x.shape[k] as number))),
      );
    const A = fit(acc, accL);
    const B = fit(b, bL);
    const out = bind1('dot_general', [A, B], {
      contracting: [contractL.map((l) => accL.indexOf(l)), contractL.map((l) => bL.indexOf(l))],
      batch: [batchL.map((l) => accL.indexOf(l)), batchL.map((l) => bL.indexOf(l))],
    });
    acc = out;
    accL = [...batchL, ...accL.filter((l) => !shared.includes(l)), ...bL.filter((l) => !shared.includes(l))];
  }
  [acc, accL] = simplify(acc, accL, new Set(output));
  return boolResult(
    transpose(
      acc,
      output.map((l) => accL.indexOf(l)),
    ),
    operands,
  );
}
