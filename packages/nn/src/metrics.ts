/**
 * Classification metrics. {@link correct} stays an Array (no device sync: sum it over an epoch
 * and read it once); {@link correctCount} and {@link accuracy} read the value and return JS numbers
 * (synchronously: on the CPU backend; their twins {@link correctCountAsync} and {@link accuracyAsync}
 * work on every backend).
 *
 * @example
 * import { accuracy } from '@tenfold/nn';
 * accuracy(model.apply(params, xTest), yTest); // 0.98
 */
import { type Array, isConcrete, np, TenfoldError } from '@tenfold/core';

const shapeStr = (s: readonly number[]): string => `[${s.join(',')}]`;

/** The predicted classes (argmax over the class axis: 1, or 0 for a single [C] sample), checked against the labels' shape. */
function predictions(op: string, scores: Array, labels: Array): Array {
  if (scores.ndim === 0) throw new TenfoldError(op, 'expected scores of shape [N, C] (or [C]), got a scalar');
  const axis = scores.ndim === 1 ? 0 : 1;
  const expected = scores.shape.filter((_, i) => i !== axis);
  if (labels.ndim !== expected.length || labels.shape.some((d, i) => d !== expected[i])) {
    throw new TenfoldError(op, `labels must have shape ${shapeStr(expected)} for scores of shape ${shapeStr(scores.shape)}, got ${shapeStr(labels.shape)}`);
  }
  if (labels.dtype !== 'int32') throw new TenfoldError(op, `labels must be int32 class indices, got ${labels.dtype}`);
  return np.argmax(scores, axis);
}

/**
 * The number of samples whose highest score (logit, log-probability or probability) is at their
 * label, as an int32 scalar Array: no device sync, so it can be summed over batches and read once.
 *
 * @example
 * const n = correct(logits, labels); // int32 scalar Array
 * let total = np.zeros([], { dtype: 'int32' });
 * total = np.add(total, correct(logits, labels));
 */
export function correct(scores: Array, labels: Array): Array {
  const pred = predictions('correct', scores, labels);
  return np.sum(np.astype(np.equal(pred, labels), 'int32'));
}

function checkReadable(op: string, x: Array): void {
  if (!isConcrete(x)) throw new TenfoldError(op, `cannot read a traced value inside a transform; use correct(), which returns an Array`);
}

function read(op: string, x: Array): number {
  checkReadable(op, x);
  return x.item() as number;
}

async function readAsync(op: string, x: Array): Promise<number> {
  checkReadable(op, x);
  return (await x.itemAsync()) as number;
}

/**
 * The number of correctly classified samples as a JS integer (reads the value: one device sync).
 *
 * @example
 * correctCount(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1], { dtype: 'int32' })); // 1
 */
export function correctCount(scores: Array, labels: Array): number {
  return read('correctCount', correct(scores, labels));
}

/**
 * As {@link correctCount}, read asynchronously: works on every backend (WebGPU included).
 *
 * @example
 * await correctCountAsync(logits, labels); // 1
 */
export function correctCountAsync(scores: Array, labels: Array): Promise<number> {
  return readAsync('correctCountAsync', correct(scores, labels));
}

/**
 * The fraction of correctly classified samples, as a JS number in [0, 1] (reads the value: one
 * device sync). `scores` may be logits, log-probabilities or probabilities: only the argmax counts.
 * An empty batch gives NaN.
 *
 * @example
 * accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1], { dtype: 'int32' })); // 0.5
 */
export function accuracy(scores: Array, labels: Array): number {
  const n = labels.size;
  return correctCount(scores, labels) / n;
}

/**
 * As {@link accuracy}, read asynchronously: works on every backend (WebGPU included).
 *
 * @example
 * await accuracyAsync(model.apply(params, xTest), yTest); // 0.98
 */
export async function accuracyAsync(scores: Array, labels: Array): Promise<number> {
  const n = labels.size;
  return (await correctCountAsync(scores, labels)) / n;
}
