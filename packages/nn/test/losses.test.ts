// Losses and metrics: values against hand computation, reductions, ignoreIndex and class weights,
// stability for huge logits, and gradients (cross entropy's is (softmax − onehot)/N).
import { type Array, np } from '@tenfold/core';
import { grad } from '@tenfold/grad';
import { checkGrads } from '@tenfold/grad/testing';
import { accuracy, correct, correctCount, crossEntropy, mse, nllLoss } from '@tenfold/nn';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const FC = { seed: 42, numRuns: 10 } as const;

const f64 = (v: number[][] | number[]): Array => np.array(v, { dtype: 'float64' });
const i32 = (v: number[] | number): Array => np.array(v, { dtype: 'int32' });
const vals = (x: Array): number[] => globalThis.Array.from(x.dataSync() as ArrayLike<number>);
const num = (x: Array): number => x.item() as number;

function expectAll(actual: Array, expected: number[], digits = 12): void {
  const a = vals(actual);
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i] as number, digits);
  });
}

const logsumexp = (row: number[]): number => {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
};

describe('nllLoss (torch.nn.NLLLoss)', () => {
  const logProbs = f64([
    [-0.1, -2.3, -3],
    [-1.2, -0.4, -2],
  ]);
  const labels = i32([0, 1]);

  it('picks −logProbs at the labels; mean, sum and none', () => {
    expect(num(nllLoss(logProbs, labels))).toBeCloseTo(0.25, 14);
    expect(num(nllLoss(logProbs, labels, { reduction: 'sum' }))).toBeCloseTo(0.5, 14);
    expectAll(nllLoss(logProbs, labels, { reduction: 'none' }), [0.1, 0.4]);
    expect(nllLoss(logProbs, labels).shape).toEqual([]);
  });

  it('ignoreIndex (default -100) drops samples from the sum and the mean’s count', () => {
    const withIgnored = i32([0, -100]);
    expect(num(nllLoss(logProbs, withIgnored))).toBeCloseTo(0.1, 14);
    expectAll(nllLoss(logProbs, withIgnored, { reduction: 'none' }), [0.1, 0]);
    expect(num(nllLoss(logProbs, i32([0, 2]), { ignoreIndex: 2 }))).toBeCloseTo(0.1, 14);
  });

  it('class weights: the mean divides by the sum of the samples’ weights', () => {
    const weight = f64([2, 1, 1]);
    expect(num(nllLoss(logProbs, labels, { weight }))).toBeCloseTo((2 * 0.1 + 0.4) / 3, 14);
    expectAll(nllLoss(logProbs, labels, { weight, reduction: 'none' }), [0.2, 0.4]);
  });

  it('handles [C] with a scalar label and [N, C, d] with labels [N, d]', () => {
    expect(num(nllLoss(f64([-0.5, -1, -2]), i32(2)))).toBeCloseTo(2, 14);
    // [1, 3, 2]: class axis 1
    const lp = np.array(Float64Array.from([-1, -2, -3, -4, -5, -6]), { shape: [1, 3, 2], dtype: 'float64' });
    expectAll(nllLoss(lp, np.array([[1, 2]], { dtype: 'int32' }), { reduction: 'none' }), [3, 6]);
  });

  it('is not poisoned by -inf log-probabilities of other classes', () => {
    const lp = f64([[-0.5, Number.NEGATIVE_INFINITY]]);
    expect(num(nllLoss(lp, i32([0])))).toBeCloseTo(0.5, 14);
  });

  it('has the gradient −1/N at each label (0 for ignored samples)', () => {
    const g = grad((lp: Array) => nllLoss(lp, i32([0, 1])))(logProbs);
    expectAll(g, [-0.5, 0, 0, 0, -0.5, 0]);
    const gi = grad((lp: Array) => nllLoss(lp, i32([2, -100])))(logProbs);
    expectAll(gi, [0, 0, -1, 0, 0, 0]);
    checkGrads((lp: Array) => nllLoss(lp, i32([2, 0]), { weight: f64([1, 2, 3]) }), [logProbs], { order: 1 });
  });

  it('rejects float labels and wrong shapes clearly', () => {
    expect(() => nllLoss(logProbs, f64([0, 1]))).toThrow(/int32 class indices/);
    expect(() => nllLoss(logProbs, i32([0, 1, 1]))).toThrow(/shape \[2\]/);
    expect(() => nllLoss(logProbs, labels, { reduction: 'avg' as never })).toThrow(/reduction/);
  });
});

describe('crossEntropy (torch.nn.CrossEntropyLoss)', () => {
  it('is logsumexp(logits) − logits[label], averaged', () => {
    const rows = [
      [2, 0.5, -1],
      [0.1, 0.2, 0.3],
    ];
    const y = [0, 2];
    const expected = rows.map((r, i) => logsumexp(r) - (r[y[i] as number] as number));
    expectAll(crossEntropy(f64(rows), i32(y), { reduction: 'none' }), expected);
    expect(num(crossEntropy(f64(rows), i32(y)))).toBeCloseTo((expected[0]! + expected[1]!) / 2, 12);
    expect(num(crossEntropy(f64(rows), i32(y), { reduction: 'sum' }))).toBeCloseTo(expected[0]! + expected[1]!, 12);
    expect(num(crossEntropy(f64([[2, 0.5, -1]]), i32([0])))).toBeCloseTo(0.24131, 5);
  });

  it('is stable for huge logits (float32)', () => {
    const logits = np.array([
      [1000, 0, -1000],
      [1e30, -1e30, 0],
      [-5e37, 5e37, 0],
    ]);
    const l = vals(crossEntropy(logits, i32([0, 0, 1]), { reduction: 'none' })).map((v) => v + 0); // -0 → 0
    expect(l.every(Number.isFinite)).toBe(true);
    expect(l).toEqual([0, 0, 0]);
    const wrong = vals(crossEntropy(logits, i32([1, 1, 0]), { reduction: 'none' }));
    expect(wrong[0]).toBeCloseTo(1000, 3);
    expect(wrong[1]! / 2e30).toBeCloseTo(1, 5);
    expect(Number.isFinite(wrong[2])).toBe(true);
    const g = grad((x: Array) => crossEntropy(x, i32([0, 0, 1])))(logits);
    expect(vals(g).every(Number.isFinite)).toBe(true);
  });

  it('has the gradient (softmax − onehot)/N for mean, and softmax − onehot for sum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 30, maxLength: 30 }),
        fc.array(fc.nat(100), { minLength: 5, maxLength: 5 }),
        (n, c, raw, ls) => {
          const logits = np.array(Float64Array.from(raw.slice(0, n * c)), { shape: [n, c], dtype: 'float64' });
          const labels = i32(ls.slice(0, n).map((l) => l % c));
          const expected = np.subtract(np.softmax(logits, -1), np.oneHot(labels, c, { dtype: 'float64' }));
          const gMean = grad((x: Array) => crossEntropy(x, labels))(logits);
          expectAll(
            gMean,
            vals(expected).map((v) => v / n),
            12,
          );
          const gSum = grad((x: Array) => crossEntropy(x, labels, { reduction: 'sum' }))(logits);
          expectAll(gSum, vals(expected), 12);
        },
      ),
      FC,
    );
  });

  it('label smoothing: (1 − ε)·nll + ε·mean over classes of −log p', () => {
    const row = [2, 0.5, -1];
    const lse = logsumexp(row);
    const eps = 0.1;
    const want = (1 - eps) * (lse - 2) + (eps / 3) * row.reduce((s, v) => s + (lse - v), 0);
    expect(num(crossEntropy(f64([row]), i32([0]), { labelSmoothing: eps }))).toBeCloseTo(want, 12);
    checkGrads((x: Array) => crossEntropy(x, i32([0, 2]), { labelSmoothing: 0.2 }), [f64([row, [0, 1, 2]])], { order: 1 });
  });

  it('accepts class probabilities as targets', () => {
    const logits = f64([
      [2, 0.5, -1],
      [0.3, -0.2, 0.1],
    ]);
    const labels = i32([0, 2]);
    const onehot = np.oneHot(labels, 3, { dtype: 'float64' });
    expect(num(crossEntropy(logits, onehot))).toBeCloseTo(num(crossEntropy(logits, labels)), 14);
    const soft = f64([
      [0.5, 0.5, 0],
      [0.2, 0.3, 0.5],
    ]);
    const lp = vals(np.logSoftmax(logits, -1));
    const want = -(0.5 * lp[0]! + 0.5 * lp[1]! + 0.2 * lp[3]! + 0.3 * lp[4]! + 0.5 * lp[5]!) / 2;
    expect(num(crossEntropy(logits, soft))).toBeCloseTo(want, 14);
    expect(() => crossEntropy(logits, f64([0, 2]))).toThrow(/class probabilities/);
  });
});

describe('mse', () => {
  it('averages, sums or keeps the squared errors; gradient 2(pred − target)/n', () => {
    const pred = f64([1, 2, 3]);
    const target = f64([1, 4, 0]);
    expect(num(mse(pred, target))).toBeCloseTo(13 / 3, 14);
    expect(num(mse(pred, target, { reduction: 'sum' }))).toBeCloseTo(13, 14);
    expectAll(mse(pred, target, { reduction: 'none' }), [0, 4, 9]);
    expectAll(grad((p: Array) => mse(p, target))(pred), [0, -4 / 3, 2]);
  });

  it('a target broadcasts to pred, never pred to a larger shape ([3,1] against [3] is an error, not 9 pairs)', () => {
    expect(num(mse(f64([[1, 2, 3]]), f64([1, 2, 5])))).toBeCloseTo(4 / 3, 14);
    expect(num(mse(f64([[1], [2], [3]]), f64([[2]])))).toBeCloseTo(2 / 3, 14);
    expect(() => mse(f64([[1], [2], [3]]), f64([1, 2, 3]))).toThrow(
      "mse: target float64[3] does not broadcast to pred's shape float64[3,1]; reshape one so that the shapes agree",
    );
    expect(() => mse(f64([1, 2, 3]), f64([[1, 2, 3]]))).toThrow(/target float64\[1,3\] does not broadcast/);
  });
});

describe('metrics', () => {
  const scores = f64([
    [0.1, 0.9],
    [0.8, 0.2],
    [0.3, 0.7],
  ]);
  const labels = i32([1, 1, 1]);

  it('count and fraction of argmax hits', () => {
    expect(correctCount(scores, labels)).toBe(2);
    expect(accuracy(scores, labels)).toBeCloseTo(2 / 3, 15);
    const c = correct(scores, labels);
    expect(c.dtype).toBe('int32');
    expect(c.shape).toEqual([]);
    expect(num(c)).toBe(2);
    // log-probabilities give the same argmax
    expect(accuracy(np.logSoftmax(scores, -1), labels)).toBeCloseTo(2 / 3, 15);
    expect(() => accuracy(scores, i32([1, 1]))).toThrow(/shape \[3\]/);
  });
});
