// Every kind of bad input gets a TenfoldError whose message starts with the op's name and then
// names the shapes/dtypes involved and the rule that was broken. The regexes below check all
// three, so a message that drops the shapes fails its test.
import { describe, expect, it } from 'vitest';
import { type Array, lax, MainTrace, np, ShapedArray, TenfoldError, Trace, Tracer } from '../src/index.js';
import { expectError } from './expect-error.js';

type Case = [name: string, fn: () => unknown, op: string, message: RegExp];

function table(cases: Case[]): void {
  it.each(cases)('%s', (_name, fn, op, message) => {
    expect(fn).toThrow(message);
    expectError(fn, op, message);
  });
}

const f32 = (shape: number[]) => np.zeros(shape);
const i32 = (shape: number[]) => np.zeros(shape, { dtype: 'int32' });

describe('TenfoldError', () => {
  it('is an Error carrying the op name', () => {
    const e = new TenfoldError('matmul', 'contracting dimensions differ');
    expect(e).toBeInstanceOf(Error);
    expect(e.op).toBe('matmul');
    expect(e.message).toBe('matmul: contracting dimensions differ');
  });
});

describe('contraction shape mismatch', () => {
  table([
    [
      'matmul (the issue example)',
      () => np.matmul(f32([200, 784]), f32([200, 200])),
      'matmul',
      /^matmul: contracting dimensions differ: \[200,784\] @ \[200,200\]/,
    ],
    ['matmul of vectors', () => np.matmul(f32([3]), f32([4])), 'matmul', /^matmul: contracting dimensions differ: \[3\] @ \[4\] \(3 vs 4\)/],
    ['matmul batched', () => np.matmul(f32([5, 2, 3]), f32([5, 4, 2])), 'matmul', /^matmul: contracting dimensions differ: \[5,2,3\] @ \[5,4,2\]/],
    [
      'matmul batch dims that do not broadcast',
      () => np.matmul(f32([5, 2, 3]), f32([4, 3, 2])),
      'matmul',
      /^matmul: shapes \[5\], \[4\] cannot be broadcast together/,
    ],
    ['matmul of a scalar', () => np.matmul(f32([]), f32([3])), 'matmul', /^matmul: operands must be at least 1-d, got \[\] @ \[3\]/],
    ['Array.matmul method', () => f32([2, 3]).matmul(f32([2, 3])), 'matmul', /^matmul: contracting dimensions differ: \[2,3\] @ \[2,3\]/],
    ['dot of matrices', () => np.dot(f32([2, 3]), f32([4, 5])), 'dot', /^dot: contracting dimensions differ: \[2,3\] · \[4,5\].*3.*4/],
    ['dot of vectors', () => np.dot(f32([3]), f32([4])), 'dot', /^dot: contracting dimensions differ: \[3\] · \[4\]/],
    ['dot N-d', () => np.dot(f32([2, 3]), f32([4, 4, 5])), 'dot', /^dot: contracting dimensions differ: \[2,3\] · \[4,4,5\]/],
    [
      'tensordot with an axis count',
      () => np.tensordot(f32([2, 3]), f32([4, 5]), 1),
      'tensordot',
      /^tensordot: contracting dimensions differ: \[2,3\] axis 1 \(3\) vs \[4,5\] axis 0 \(4\)/,
    ],
    [
      'tensordot with axis lists',
      () =>
        np.tensordot(f32([2, 3, 4]), f32([4, 3]), [
          [1, 2],
          [0, 1],
        ]),
      'tensordot',
      /^tensordot: contracting dimensions differ: \[2,3,4\] axis 1 \(3\) vs \[4,3\] axis 0 \(4\)/,
    ],
    ['tensordot with too many axes', () => np.tensordot(f32([2, 3]), f32([3]), 2), 'tensordot', /^tensordot: cannot contract 2 axes of \[2,3\] and \[3\]/],
    [
      'tensordot axis lists of different lengths',
      () => np.tensordot(f32([2, 3]), f32([3, 2]), [[0, 1], [1]]),
      'tensordot',
      /^tensordot: axes lists differ in length: \[0,1\] vs \[1\]/,
    ],
    [
      'einsum',
      () => np.einsum('ij,jk->ik', f32([2, 3]), f32([4, 5])),
      'einsum',
      /^einsum: label 'j' has inconsistent sizes 3 and 4 in 'ij,jk->ik' for operands \[2,3\], \[4,5\]/,
    ],
    ['einsum rank mismatch', () => np.einsum('ij->i', f32([2, 3, 4])), 'einsum', /^einsum: 'ij' has 2 labels but operand 0 has rank 3 \[2,3,4\]/],
    ['einsum operand count', () => np.einsum('ij,jk->ik', f32([2, 3])), 'einsum', /^einsum: 'ij,jk->ik' names 2 operands but 1 were given/],
    [
      'einsum repeated label of different sizes',
      () => np.einsum('ii->i', f32([2, 3])),
      'einsum',
      /^einsum: label 'i' has inconsistent sizes 2 and 3 in 'ii->i' for operands \[2,3\]/,
    ],
    [
      'lax.dotGeneral',
      () => lax.dotGeneral(f32([2, 3]), f32([4, 3]), { contracting: [[1], [0]], batch: [[], []] }),
      'dot_general',
      /^dot_general: contracting dimensions differ: float32\[2,3\] dim 1 \(3\) vs float32\[4,3\] dim 0 \(4\)/,
    ],
    [
      'lax.dotGeneral dtype mismatch',
      () => lax.dotGeneral(f32([2, 3]), i32([3, 2]), { contracting: [[1], [0]], batch: [[], []] }),
      'dot_general',
      /^dot_general: operands must have one dtype, got float32\[2,3\] · int32\[3,2\]/,
    ],
  ]);
});

describe('broadcast mismatch', () => {
  table([
    [
      'add',
      () => np.add(f32([2, 3]), f32([4])),
      'add',
      /^add: shapes \[2,3\], \[4\] cannot be broadcast together \(dimension -1 is 3 vs 4\); sizes must match or be 1/,
    ],
    ['Array.add method', () => f32([2, 3]).add(f32([2])), 'add', /^add: shapes \[2,3\], \[2\] cannot be broadcast together/],
    ['subtract', () => np.subtract(f32([3, 1]), f32([2, 4])), 'subtract', /^subtract: shapes \[3,1\], \[2,4\] cannot be broadcast together/],
    ['multiply', () => np.multiply(f32([5]), i32([6])), 'multiply', /^multiply: shapes \[5\], \[6\] cannot be broadcast together/],
    ['equal', () => np.equal(f32([2]), f32([3])), 'equal', /^equal: shapes \[2\], \[3\] cannot be broadcast together/],
    ['where', () => np.where(f32([2, 3]), f32([4]), 0), 'where', /^where: shapes \[2,3\], \[4\], \[\] cannot be broadcast together/],
    [
      'where condition',
      () => np.where(np.zeros([5], { dtype: 'bool' }), f32([2, 1]), f32([3])),
      'where',
      /^where: shapes \[5\], \[2,1\], \[3\] cannot be broadcast/,
    ],
    [
      'broadcastTo',
      () => np.broadcastTo(f32([3]), [2, 4]),
      'broadcastTo',
      /^broadcastTo: shapes \[3\], \[2,4\] cannot be broadcast together \(dimension -1 is 3 vs 4\)/,
    ],
    ['broadcastTo to fewer dims', () => np.broadcastTo(f32([2, 3]), [3]), 'broadcastTo', /^broadcastTo: cannot broadcast shape \[2,3\] to \[3\]/],
    ['stack', () => np.stack([f32([3]), f32([4])]), 'stack', /^stack: all arrays must have the same shape, got \[3\], \[4\]/],
    [
      'concatenate',
      () => np.concatenate([f32([2, 3]), f32([2, 4])], 0),
      'concatenate',
      /^concatenate: arrays must match in dtype and in every dimension but axis 0, got float32\[2,3\], float32\[2,4\]/,
    ],
  ]);
});

describe('dtype mismatch (lax has no promotion)', () => {
  table([
    [
      'lax.add float32 + int32',
      () => lax.add(f32([2]), i32([2])),
      'add',
      /^add: operands must have the same shape and dtype, got float32\[2\] and int32\[2\]; use the np\.\* functions/,
    ],
    ['lax.mul shapes', () => lax.mul(f32([2]), f32([3])), 'mul', /^mul: operands must have the same shape and dtype, got float32\[2\] and float32\[3\]/],
    [
      'lax.lt',
      () => lax.lt(f32([2]), np.zeros([2], { dtype: 'float64' })),
      'lt',
      /^lt: operands must have the same shape and dtype, got float32\[2\] and float64\[2\]/,
    ],
    ['lax.select predicate', () => lax.select(f32([2]), f32([2]), f32([2])), 'select', /^select: predicate must be bool, got float32\[2\]/],
    [
      'lax.select branches',
      () => lax.select(np.zeros([2], { dtype: 'bool' }), f32([2]), i32([2])),
      'select',
      /^select: predicate and branches must share one shape and the branches one dtype, got bool\[2\], float32\[2\], int32\[2\]/,
    ],
    [
      'lax.concatenate',
      () => lax.concatenate([f32([2]), i32([2])], 0),
      'concatenate',
      /^concatenate: arrays must match in dtype and in every dimension but axis 0, got float32\[2\], int32\[2\]/,
    ],
  ]);
});

describe('ops defined only for some dtypes', () => {
  const b = () => np.array([true, false]);
  table([
    ['lax.exp on bool', () => lax.exp(b()), 'exp', /^exp: needs floating-point inputs, got bool\[2\]; cast with astype\('float32'\) first/],
    ['lax.log on int32', () => lax.log(i32([3])), 'log', /^log: needs floating-point inputs, got int32\[3\]/],
    ['lax.sqrt on bool', () => lax.sqrt(b()), 'sqrt', /^sqrt: needs floating-point inputs, got bool\[2\]/],
    ['lax.tanh on bool', () => lax.tanh(b()), 'tanh', /^tanh: needs floating-point inputs, got bool\[2\]/],
    ['lax.add on bool', () => lax.add(b(), b()), 'add', /^add: is not defined for bool inputs, got bool\[2\] and bool\[2\]/],
    ['lax.neg on bool', () => lax.neg(b()), 'neg', /^neg: is not defined for bool inputs, got bool\[2\]/],
    ['np.negative on bool', () => np.negative(b()), 'neg', /^neg: is not defined for bool inputs, got bool\[2\]/],
    ['lax.bitwiseAnd on floats', () => lax.bitwiseAnd(f32([2]), f32([2])), 'and', /^and: needs int32 or bool inputs, got float32\[2\] and float32\[2\]/],
    ['lax.bitwiseOr on floats', () => lax.bitwiseOr(f32([2, 2]), f32([2, 2])), 'or', /^or: needs int32 or bool inputs, got float32\[2,2\] and float32\[2,2\]/],
    [
      'lax.bitwiseXor on float64',
      () => lax.bitwiseXor(np.zeros([1], { dtype: 'float64' }), np.zeros([1], { dtype: 'float64' })),
      'xor',
      /^xor: needs int32 or bool inputs, got float64\[1\]/,
    ],
    ['lax.bitwiseNot on floats', () => lax.bitwiseNot(f32([3])), 'not', /^not: needs int32 or bool inputs, got float32\[3\]/],
    ['lax.shiftLeft on floats', () => lax.shiftLeft(f32([2]), f32([2])), 'shift_left', /^shift_left: needs int32 inputs, got float32\[2\] and float32\[2\]/],
    ['lax.shiftRightLogical on bool', () => lax.shiftRightLogical(b(), b()), 'shift_right_logical', /^shift_right_logical: needs int32 inputs, got bool\[2\]/],
    ['lax.reduceSum on bool', () => lax.reduceSum(b(), [0]), 'reduce_sum', /^reduce_sum: is not defined for bool bool\[2\]/],
    [
      'lax.dotGeneral on bool',
      () => lax.dotGeneral(b(), b(), { contracting: [[0], [0]], batch: [[], []] }),
      'dot_general',
      /^dot_general: is not defined for bool operands bool\[2\] · bool\[2\]/,
    ],
    [
      'lax.bitcastConvertType',
      () => lax.bitcastConvertType(b(), 'float32'),
      'bitcast_convert_type',
      /^bitcast_convert_type: only between int32 and float32, got bool -> float32/,
    ],
    ['index with a float array', () => f32([3]).index(np.array([0.5])), 'index', /^index: index arrays must be integers or booleans, got float32/],
  ]);
});

describe('bad axis', () => {
  const x = () => f32([2, 3]);
  table([
    ['sum out of range', () => np.sum(x(), 2), 'sum', /^sum: axis 2 is out of bounds for an array of rank 2 \(valid: -2\.\.1\)/],
    ['sum negative out of range', () => np.sum(x(), -3), 'sum', /^sum: axis -3 is out of bounds for an array of rank 2/],
    ['sum repeated', () => np.sum(x(), [0, 0]), 'sum', /^sum: repeated axis in \[0,0\] for an array of rank 2; each axis may appear once/],
    ['sum repeated via negative', () => np.sum(x(), [1, -1]), 'sum', /^sum: repeated axis in \[1,-1\] for an array of rank 2/],
    ['sum non-integer', () => np.sum(x(), 0.5), 'sum', /^sum: axis 0\.5 is not an integer \(array of rank 2/],
    ['Array.sum method', () => x().sum(5), 'sum', /^sum: axis 5 is out of bounds for an array of rank 2/],
    ['mean', () => np.mean(x(), -3), 'mean', /^mean: axis -3 is out of bounds for an array of rank 2 \(valid: -2\.\.1\)/],
    ['mean repeated', () => np.mean(x(), [1, 1]), 'mean', /^mean: repeated axis in \[1,1\] for an array of rank 2/],
    ['max', () => np.max(x(), 2), 'max', /^max: axis 2 is out of bounds for an array of rank 2/],
    ['argmax', () => np.argmax(x(), 5), 'argmax', /^argmax: axis 5 is out of bounds for an array of rank 2/],
    ['argmax non-integer', () => np.argmax(x(), 1.5), 'argmax', /^argmax: axis 1\.5 is not an integer \(array of rank 2/],
    ['transpose repeated', () => np.transpose(x(), [0, 0]), 'transpose', /^transpose: axes \[0,0\] must be a permutation of the 2 axes of \[2,3\]/],
    ['transpose too few', () => np.transpose(x(), [0]), 'transpose', /^transpose: axes \[0\] must be a permutation of the 2 axes of \[2,3\]/],
    ['transpose out of range', () => np.transpose(x(), [0, 2]), 'transpose', /^transpose: axis 2 is out of bounds for an array of rank 2/],
    ['lax.transpose', () => lax.transpose(x(), [1, 1]), 'transpose', /^transpose: \[1,1\] is not a permutation of the 2 axes of float32\[2,3\]/],
    ['concatenate', () => np.concatenate([x(), x()], 2), 'concatenate', /^concatenate: axis 2 is out of bounds for an array of rank 2/],
    [
      'concatenate of scalars',
      () => np.concatenate([f32([]), f32([])]),
      'concatenate',
      /^concatenate: zero-dimensional arrays cannot be concatenated; use np\.stack/,
    ],
    ['squeeze a non-unit axis', () => np.squeeze(x(), 0), 'squeeze', /^squeeze: cannot squeeze axis 0 of size 2 in \[2,3\]; only length-1 axes can be removed/],
    ['squeeze out of range', () => np.squeeze(f32([1, 3]), 2), 'squeeze', /^squeeze: axis 2 is out of bounds for an array of rank 2/],
    ['expandDims out of range', () => np.expandDims(x(), 3), 'expandDims', /^expandDims: axis 3 is out of bounds for an array of rank 3 \(valid: -3\.\.2\)/],
    ['expandDims repeated', () => np.expandDims(x(), [0, 0]), 'expandDims', /^expandDims: repeated axis in \[0,0\]/],
    ['moveaxis source', () => np.moveaxis(x(), 2, 0), 'moveaxis', /^moveaxis: axis 2 is out of bounds for an array of rank 2/],
    ['moveaxis destination', () => np.moveaxis(x(), 0, -3), 'moveaxis', /^moveaxis: axis -3 is out of bounds for an array of rank 2/],
    ['swapaxes', () => np.swapaxes(x(), 0, 2), 'swapaxes', /^swapaxes: axis 2 is out of bounds for an array of rank 2/],
    ['stack', () => np.stack([x(), x()], 3), 'stack', /^stack: axis 3 is out of bounds for an array of rank 3/],
    ['softmax', () => np.softmax(x(), 2), 'softmax', /^softmax: axis 2 is out of bounds for an array of rank 2/],
    ['split', () => np.split(x(), 2, 2), 'split', /^split: axis 2 is out of bounds for an array of rank 2/],
    ['flip', () => np.flip(x(), 2), 'flip', /^flip: axis 2 is out of bounds for an array of rank 2/],
    ['take', () => np.take(x(), [0], 2), 'take', /^take: axis 2 is out of bounds for an array of rank 2/],
    [
      'lax.reduceSum (axes are not normalized)',
      () => lax.reduceSum(x(), [-1]),
      'reduce_sum',
      /^reduce_sum: axis -1 is out of bounds for float32\[2,3\] \(axes must be normalized to 0\.\.1\)/,
    ],
    ['lax.reduceMax repeated', () => lax.reduceMax(x(), [1, 1]), 'reduce_max', /^reduce_max: repeated axis 1 for float32\[2,3\]/],
    ['lax.argmax', () => lax.argmax(x(), 2), 'argmax', /^argmax: axis 2 is out of bounds for float32\[2,3\]/],
  ]);
});

describe('ragged nested input', () => {
  table([
    [
      'shorter row',
      () => np.array([[1, 2], [3]]),
      'array',
      /^array: ragged nested input: element at \[1\] has length 1 but the inferred shape \[2,2\] needs length 2/,
    ],
    [
      'longer row',
      () => np.array([[1], [2, 3]]),
      'array',
      /^array: ragged nested input: element at \[1\] has length 2 but the inferred shape \[2,1\] needs length 1/,
    ],
    [
      'scalar among rows',
      () => np.array([[1, 2], 3] as never),
      'array',
      /^array: ragged nested input: element at \[1\] has a scalar but the inferred shape \[2,2\] needs length 2/,
    ],
    [
      'row among scalars',
      () => np.array([1, [2, 3]] as never),
      'array',
      /^array: ragged nested input: element at \[1\] is a list but depth 1 should hold numbers \(inferred shape \[2\]\)/,
    ],
    [
      'deep raggedness',
      () =>
        np.array([
          [
            [1, 2],
            [3, 4],
          ],
          [[5, 6], [7]],
        ]),
      'array',
      /^array: ragged nested input: element at \[1,1\] has length 1 but the inferred shape \[2,2,2\] needs length 2/,
    ],
    ['a string element', () => np.array([1, 'a'] as never), 'array', /^array: element at \[1\] is string, expected a number or boolean/],
    [
      'typed array of the wrong size',
      () => np.array(new Float32Array(5), { shape: [2, 3] }),
      'array',
      /^array: shape \[2,3\] needs 6 elements but the typed array has 5/,
    ],
  ]);
});

describe('.at() updates', () => {
  it('values that do not broadcast to the selection name the update and both shapes', () => {
    const x = np.zeros([3, 2]);
    expectError(
      () => x.at(0).set(np.ones([3])),
      'at().set',
      /^at\(\)\.set: values of shape \[3\] do not broadcast to the selection's shape \[2\] \(of an array of shape \[3,2\]\)$/,
    );
    expectError(() => x.at(np.array([0, 1])).add(np.ones([3, 2])), 'at().add', /values of shape \[3,2\] do not broadcast to the selection's shape \[2,2\]/);
    // broadcastable values still work
    expect(
      x
        .at(np.array([0, 2]))
        .set(np.array([1, 2]))
        .tolist(),
    ).toEqual([
      [1, 2],
      [0, 0],
      [1, 2],
    ]);
  });
});

describe('reduceWindow arguments', () => {
  it('an unknown op and window lists of the wrong length are named', () => {
    expectError(() => lax.reduceWindow(np.ones([1, 4]), 'min' as never, [1, 2]), 'reduceWindow', /^reduceWindow: op must be 'max' or 'sum', got 'min'$/);
    expectError(
      () => lax.reduceWindow(np.ones([1, 2, 5, 5]), 'max', [2, 2]),
      'reduce_window_max',
      /windowDimensions has 2 entries, expected one per dimension of the input \(4\)/,
    );
  });

  it("an int32 max window with no element of the input is int32's minimum (XLA), not 0", () => {
    const x = np.array([[-7, -8]], { dtype: 'int32' });
    expect(
      lax
        .reduceWindow(x, 'max', [1, 2], {
          padding: [
            [0, 0],
            [2, 0],
          ],
        })
        .tolist(),
    ).toEqual([[-2147483648, -7, -7]]);
    expect(lax.reduceWindow(np.array([1, 2], { dtype: 'int32' }), 'max', [1], { baseDilation: [3] }).tolist()).toEqual([1, -2147483648, -2147483648, 2]);
  });
});

describe('tile reps', () => {
  it('negative or fractional reps name tile', () => {
    expectError(() => np.tile(np.ones([2]), -1), 'tile', /^tile: reps must be integers >= 0, got \[-1\]$/);
    expectError(() => np.tile(np.ones([2]), [1, 1.5]), 'tile', /^tile: reps must be integers >= 0, got \[1, 1.5\]$/);
  });
});

describe('negative, fractional, NaN and infinite dimensions', () => {
  table([
    ['zeros negative', () => np.zeros([2, -1]), 'zeros', /^zeros: shape \[2,-1\] has a negative dimension -1; dimensions must be integers >= 0/],
    ['zeros negative number', () => np.zeros(-3), 'zeros', /^zeros: shape \[-3\] has a negative dimension -3/],
    ['zeros fractional', () => np.zeros([2.5]), 'zeros', /^zeros: shape \[2\.5\] has a fractional dimension 2\.5; dimensions must be integers >= 0/],
    ['zeros NaN', () => np.zeros([NaN]), 'zeros', /^zeros: shape \[NaN\] has a non-finite dimension NaN/],
    ['ones Infinity', () => np.ones([2, Number.POSITIVE_INFINITY]), 'ones', /^ones: shape \[2,Infinity\] has a non-finite dimension Infinity/],
    ['full negative', () => np.full([-2], 7), 'full', /^full: shape \[-2\] has a negative dimension -2/],
    ['full NaN', () => np.full([3, NaN], 7), 'full', /^full: shape \[3,NaN\] has a non-finite dimension NaN/],
    ['full -Infinity', () => np.full([Number.NEGATIVE_INFINITY], 1), 'full', /^full: shape \[-Infinity\] has a non-finite dimension -Infinity/],
    ['eye', () => np.eye(-1), 'eye', /^eye: shape \[-1,-1\] has a negative dimension -1/],
    ['array shape option', () => np.array([1, 2], { shape: [0.5, 4] }), 'array', /^array: shape \[0\.5,4\] has a fractional dimension 0\.5/],
    [
      'reshape negative',
      () => np.reshape(f32([6]), [-2, -3]),
      'reshape',
      /^reshape: cannot reshape \[6\] \(6 elements\) into \[-2,-3\]: dimension -2 is not an integer >= 0/,
    ],
    [
      'reshape fractional',
      () => np.reshape(f32([6]), [1.5, 4]),
      'reshape',
      /^reshape: cannot reshape \[6\] \(6 elements\) into \[1\.5,4\]: dimension 1\.5 is not an integer >= 0/,
    ],
    [
      'reshape NaN',
      () => np.reshape(f32([6]), [NaN, 6]),
      'reshape',
      /^reshape: cannot reshape \[6\] \(6 elements\) into \[NaN,6\]: dimension NaN is not an integer/,
    ],
    [
      'reshape Infinity',
      () => f32([6]).reshape(Number.POSITIVE_INFINITY),
      'reshape',
      /^reshape: cannot reshape \[6\] \(6 elements\) into \[Infinity\]: dimension Infinity is not an integer/,
    ],
    [
      'reshape size mismatch',
      () => np.reshape(f32([6]), [4, 2]),
      'reshape',
      /^reshape: cannot reshape float32\[6\] \(6 elements\) into \[4,2\] \(8 elements\)/,
    ],
    [
      'reshape two -1',
      () => np.reshape(f32([6]), [-1, -1]),
      'reshape',
      /^reshape: cannot reshape \[6\] \(6 elements\) into \[-1,-1\]: only one dimension can be -1/,
    ],
    [
      'reshape -1 that cannot be inferred',
      () => np.reshape(f32([6]), [-1, 4]),
      'reshape',
      /^reshape: cannot reshape \[6\] \(6 elements\) into \[-1,4\]: the known dimensions \(4 elements\) do not divide 6/,
    ],
    ['lax.reshape', () => lax.reshape(f32([6]), [4]), 'reshape', /^reshape: cannot reshape float32\[6\] \(6 elements\) into \[4\] \(4 elements\)/],
    [
      'lax.broadcastInDim negative',
      () => lax.broadcastInDim(f32([]), [-1], []),
      'broadcast_in_dim',
      /^broadcast_in_dim: shape \[-1\] has a negative dimension -1/,
    ],
    ['lax.iota NaN', () => lax.iota('int32', [NaN]), 'iota', /^iota: shape \[NaN\] has a non-finite dimension NaN/],
    ['linspace num', () => np.linspace(0, 1, -1), 'linspace', /^linspace: num must be an integer >= 0, got -1/],
    ['arange zero step', () => np.arange(0, 1, 0), 'arange', /^arange: step must not be zero/],
    ['arange NaN', () => np.arange(0, Number.NaN), 'arange', /^arange: arguments must be finite numbers, got start=0, stop=NaN, step=1/],
    ['arange Infinity', () => np.arange(Number.POSITIVE_INFINITY), 'arange', /^arange: arguments must be finite numbers, got start=0, stop=Infinity/],
  ]);
});

describe('indexing', () => {
  const x = () => np.arange(6).reshape(2, 3);
  table([
    ['int out of range', () => x().index(5), 'index', /^index: index 5 is out of bounds for axis 0 with size 2 \(array shape \[2,3\]\)/],
    ['negative int out of range', () => x().index(0, -4), 'index', /^index: index -4 is out of bounds for axis 1 with size 3 \(array shape \[2,3\]\)/],
    ['int array out of range', () => x().index(np.array([0, 2])), 'index', /^index: index 2 is out of bounds for axis 0 with size 2 \(array shape \[2,3\]\)/],
    [
      'negative int array out of range',
      () => x().index(np.array([-3])),
      'index',
      /^index: index -3 is out of bounds for axis 0 with size 2 \(array shape \[2,3\]\)/,
    ],
    ['number list out of range', () => x().index(null, [0, 7]), 'index', /^index: index 7 is out of bounds for axis 0 with size 2/],
    ['second axis array', () => x().index(':', np.array([3])), 'index', /^index: index 3 is out of bounds for axis 1 with size 3 \(array shape \[2,3\]\)/],
    ['take', () => np.take(np.arange(3), [3]), 'take', /^take: index 3 is out of bounds for axis 0 with size 3 \(array shape \[3\]\)/],
    ['take negative', () => np.take(x(), [-4], 1), 'take', /^take: index -4 is out of bounds for axis 1 with size 3 \(array shape \[2,3\]\)/],
    ['too many indices', () => x().index(0, 0, 0), 'index', /^index: too many indices for an array of shape \[2,3\]: 3 were given/],
    ['index into a scalar', () => f32([]).index(0), 'index', /^index: too many indices for an array of shape \[\]: 1 were given/],
    [
      'two ellipses',
      () => x().index('...', '...'),
      'index',
      /^index: an index can only have a single ellipsis \('\.\.\.'\), got 2 for an array of shape \[2,3\]/,
    ],
    ['fractional index', () => x().index(0.5), 'index', /^index: index 0\.5 is not an integer \(array shape \[2,3\]\)/],
    ['bad slice string', () => x().index('1-2'), 'index', /^index: '1-2' is not a slice; use forms like '1:3'/],
    ['zero slice step', () => x().index(np.slice(null, null, 0)), 'index', /^index: slice step must be a non-zero integer, got 0/],
    ['at().set out of range', () => x().at(2).set(0), 'index', /^index: index 2 is out of bounds for axis 0 with size 2 \(array shape \[2,3\]\)/],
    ['lax.slice', () => lax.slice(f32([3]), [0], [5]), 'slice', /^slice: bounds 0:5 on axis 0 are outside 0\.\.3 of float32\[3\]/],
    ['lax.gather index dtype', () => lax.gather(f32([3]), f32([1]), 0), 'gather', /^gather: indices must be int32, got float32\[1\]/],
  ]);
});

describe('convolution shapes', () => {
  table([
    [
      'channel mismatch',
      () => lax.conv(f32([1, 3, 5, 5]), f32([4, 2, 3, 3])),
      'conv',
      /^conv: input channels 3 of float32\[1,3,5,5\] must equal featureGroupCount \(1\) × kernel input channels 2 of float32\[4,2,3,3\]/,
    ],
    [
      'feature groups that do not divide the input channels',
      () => lax.conv(f32([1, 3, 5, 5]), f32([4, 1, 3, 3]), { featureGroupCount: 2 }),
      'conv',
      /^conv: input channels 3 of float32\[1,3,5,5\] must equal featureGroupCount \(2\) × kernel input channels 1 of float32\[4,1,3,3\]/,
    ],
    [
      'feature groups that do not divide the output channels',
      () => lax.conv(f32([1, 4, 5, 5]), f32([3, 2, 3, 3]), { featureGroupCount: 2 }),
      'conv',
      /^conv: output channels 3 of float32\[3,2,3,3\] must be divisible by featureGroupCount 2 \(lhs float32\[1,4,5,5\]\)/,
    ],
    [
      'batch groups',
      () => lax.conv(f32([3, 2, 5, 5]), f32([4, 2, 3, 3]), { batchGroupCount: 2 }),
      'conv',
      /^conv: batch 3 of float32\[3,2,5,5\] and output channels 4 of float32\[4,2,3,3\] must be divisible by batchGroupCount 2/,
    ],
    [
      'zero groups',
      () => lax.conv(f32([1, 2, 5, 5]), f32([4, 2, 3, 3]), { featureGroupCount: 0 }),
      'conv',
      /^conv: featureGroupCount and batchGroupCount must be integers >= 1, got 0 and 1 \(for float32\[1,2,5,5\] and float32\[4,2,3,3\]\)/,
    ],
    ['lhs without spatial dims', () => lax.conv(f32([3, 5]), f32([3, 5])), 'conv', /^conv: lhs must be \[N, C, \.\.\.spatial\], got shape \[3,5\]/],
    [
      'ranks differ',
      () => lax.conv(f32([1, 3, 5, 5]), f32([3, 5, 2])),
      'conv',
      /^conv: expects lhs \[N,C,\.\.\.spatial\] and rhs \[O,I,\.\.\.window\] of equal rank >= 3, got float32\[1,3,5,5\] and float32\[3,5,2\]/,
    ],
    [
      'dtypes differ',
      () => lax.conv(f32([1, 1, 4]), np.zeros([1, 1, 2], { dtype: 'float64' })),
      'conv',
      /^conv: operands must have one dtype, got float32\[1,1,4\] and float64\[1,1,2\]/,
    ],
    [
      'strides per spatial dim',
      () => lax.conv(f32([1, 1, 4, 4]), f32([1, 1, 2, 2]), { windowStrides: [1] }),
      'conv',
      /^conv: windowStrides has 1 entries, expected one per spatial dimension \(2\)/,
    ],
    [
      'bad padding spec',
      () => lax.conv(f32([1, 1, 4]), f32([1, 1, 2]), { padding: 'FULL' as never }),
      'conv',
      /^conv: padding must be 'SAME', 'VALID' or \[low, high\] pairs, got FULL/,
    ],
  ]);
});

describe('dtypes, empty reductions, splits', () => {
  table([
    [
      'array with an unknown dtype',
      () => np.array([1], { dtype: 'float16' as never }),
      'array',
      /^array: unknown dtype 'float16'; use float32, float64, int32 or bool/,
    ],
    [
      'zeros with an unknown dtype',
      () => np.zeros([1], { dtype: 'int8' as never }),
      'zeros',
      /^zeros: unknown dtype 'int8'; use float32, float64, int32 or bool/,
    ],
    ['astype to an unknown dtype', () => f32([1]).astype('uint8' as never), 'astype', /^astype: unknown dtype 'uint8'; use float32, float64, int32 or bool/],
    ['arange with an unknown dtype', () => np.arange(3, undefined, 1, { dtype: 'complex64' as never }), 'arange', /^arange: unknown dtype 'complex64'/],
    ['argmax of empty', () => np.argmax(f32([0])), 'argmax', /^argmax: attempt to get argmax of an empty sequence \(shape \[0\]\)/],
    ['argmin of empty along an axis', () => np.argmin(f32([2, 0]), 1), 'argmin', /^argmin: attempt to get argmin of an empty sequence \(shape \[2,0\]\)/],
    ['max of empty', () => np.max(f32([0])), 'max', /^max: zero-size array \[0\] has no max along axes \[0\] \(the reduction has no identity\)/],
    ['min of empty along an axis', () => np.min(f32([3, 0]), 1), 'min', /^min: zero-size array \[3,0\] has no min along axes \[1\]/],
    ['lax.reduceMax of empty', () => lax.reduceMax(f32([0]), [0]), 'reduce_max', /^reduce_max: zero-size reduction over float32\[0\] has no identity/],
    [
      'split into unequal sections',
      () => np.split(np.arange(7), 2),
      'split',
      /^split: axis 0 of length 7 in \[7\] cannot be split into 2 equal sections; pass split indices instead/,
    ],
    ['split along axis 1', () => np.split(f32([2, 5]), 3, 1), 'split', /^split: axis 1 of length 5 in \[2,5\] cannot be split into 3 equal sections/],
    ['split into zero sections', () => np.split(f32([4]), 0), 'split', /^split: axis 0 of length 4 in \[4\] cannot be split into 0 equal sections/],
    ['item of a non-scalar', () => f32([2]).item(), 'item', /^item: can only convert an array of size 1 to a scalar, got shape \[2\]/],
    ['pad with a negative width', () => np.pad(f32([3]), -1), 'pad', /^pad: pad widths must be integers >= 0, got \[\[-1,-1\]\]/],
    [
      'pad with too many pairs',
      () =>
        np.pad(f32([3]), [
          [1, 1],
          [1, 1],
        ]),
      'pad',
      /^pad: padWidth has 2 pairs for an array of rank 1/,
    ],
    ['a non-array operand', () => np.add('1' as never, 1), 'add', /^add: expected an Array, number or boolean, got string/],
  ]);
});

describe('disposed arrays', () => {
  it('reading a disposed array names the read and the array', () => {
    const x = np.array([1, 2], { dtype: 'float32' });
    x.dispose();
    expectError(() => x.dataSync(), 'dataSync', /^dataSync: this float32\[2\] array was disposed and cannot be used any more/);
    expectError(() => x.item(), 'item', /^item: can only convert an array of size 1/);
    expectError(() => x.tolist(), 'dataSync', /^dataSync: this float32\[2\] array was disposed/);
  });

  it('data() rejects with the same error', async () => {
    const x = np.zeros([3, 2]);
    x.dispose();
    await expect(x.data()).rejects.toThrow(/^data: this float32\[3,2\] array was disposed and cannot be used any more/);
    await expect(x.data()).rejects.toBeInstanceOf(TenfoldError);
  });

  it('using a disposed array in an op names the op', () => {
    const x = np.ones([2, 2]);
    x.dispose();
    expectError(() => np.add(x, 1), 'add', /^add: this float32\[2,2\] array was disposed and cannot be used any more/);
    expectError(() => np.exp(x), 'exp', /^exp: this float32\[2,2\] array was disposed/);
    expectError(() => np.matmul(x, x), 'dot_general', /^dot_general: this float32\[2,2\] array was disposed/);
  });

  it('dispose twice is harmless', () => {
    const x = np.ones([2]);
    x.dispose();
    expect(() => x.dispose()).not.toThrow();
  });
});

class InertTrace extends Trace {
  pure(x: Array): Array {
    return x;
  }
  lift(x: Array): Array {
    return x;
  }
  processPrimitive(): Array[] {
    throw new Error('InertTrace evaluates nothing');
  }
}

/** A tracer with nothing behind it: what a transform hands user code. */
class AbstractTracer extends Tracer {
  readonly trace = new InertTrace(new MainTrace(1, InertTrace, null));
  readonly #aval: ShapedArray;
  constructor(shape: number[], dtype: 'float32' | 'bool' = 'float32') {
    super();
    this.#aval = new ShapedArray(shape, dtype);
  }
  get aval(): ShapedArray {
    return this.#aval;
  }
}

describe('concretization', () => {
  const rule = /cannot read the values of a traced float32\[2,3\] array inside a transform; the value is abstract here\. Use np\.where/;

  it('reading a tracer synchronously', () => {
    const t = new AbstractTracer([2, 3]);
    expectError(() => t.dataSync(), 'dataSync', new RegExp(`^dataSync: ${rule.source}`));
    expectError(() => t.tolist(), 'dataSync', rule);
  });

  it('reading a tracer asynchronously', async () => {
    const t = new AbstractTracer([2, 3]);
    await expect(t.data()).rejects.toThrow(new RegExp(`^data: ${rule.source}`));
    await expect(t.data()).rejects.toBeInstanceOf(TenfoldError);
  });

  it('item() of a traced scalar', () => {
    const t = new AbstractTracer([]);
    expectError(() => t.item(), 'dataSync', /^dataSync: cannot read the values of a traced float32\[\] array inside a transform/);
  });

  it('value-dependent shapes', () => {
    const mask = new AbstractTracer([3], 'bool');
    expectError(() => np.nonzero(mask), 'nonzero', /^nonzero: the result shape depends on the values, so it cannot be traced/);
  });

  it('toString of a tracer shows its shape and dtype instead of throwing', () => {
    expect(new AbstractTracer([2, 3]).toString()).toMatch(/float32/);
  });
});
