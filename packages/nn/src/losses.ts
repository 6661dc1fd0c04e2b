/**
 * Losses as pure functions of arrays, as `torch.nn.functional`: they differentiate through
 * `@tenfold/grad` and return an Array (a scalar unless `reduction: 'none'`), never a JS number,
 * so they work under transforms and cost no device sync.
 *
 * @example
 * import { crossEntropy } from '@tenfold/nn';
 * const lossFn = (params, [x, y]) => crossEntropy(model.apply(params, x), y);
 */
import { type Array, isFloatDType, np, TenfoldError } from '@tenfold/core';

/**
 * How per-element losses are combined: their mean (default), their sum, or none (one loss per sample).
 *
 * @example
 * nllLoss(logProbs, labels, { reduction: 'sum' satisfies Reduction });
 */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Options of {@link nllLoss}.
 *
 * @example
 * const opts: NllLossOptions = { reduction: 'mean', ignoreIndex: -1 };
 */
export interface NllLossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
  /** Samples with this label contribute nothing and are not counted by 'mean' (default -100, as torch). */
  ignoreIndex?: number;
  /** A float [C] weight per class (torch's `weight`): 'mean' then divides by the sum of the samples' weights. */
  weight?: Array;
}

/**
 * Options of {@link crossEntropy}.
 *
 * @example
 * const opts: CrossEntropyOptions = { labelSmoothing: 0.1 };
 */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Label smoothing ε in [0, 1] (default 0): the target mixes (1 − ε)·onehot with ε/C uniform, as torch. */
  labelSmoothing?: number;
}

/**
 * Options of {@link mse}.
 *
 * @example
 * mse(pred, target, { reduction: 'none' } satisfies MseOptions);
 */
export interface MseOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

const shapeStr = (s: readonly number[]): string => `[${s.join(',')}]`;

/** The class axis: 1 for [N, C, ...], 0 for one unbatched sample [C] (torch's convention). */
function classAxisOf(op: string, x: Array): number {
  if (x.ndim === 0) throw new TenfoldError(op, 'expected an input of shape [N, C] (or [C], or [N, C, d1, ...]), got a scalar');
  if (!isFloatDType(x.dtype)) throw new TenfoldError(op, `expected a float input, got ${x.dtype}`);
  return x.ndim === 1 ? 0 : 1;
}

/** Checks integer labels have the input's shape without its class axis. */
function checkLabels(op: string, x: Array, labels: Array, axis: number): void {
  const expected = x.shape.filter((_, i) => i !== axis);
  if (labels.dtype !== 'int32') {
    throw new TenfoldError(op, `labels must be int32 class indices of shape ${shapeStr(expected)}, got ${labels.dtype}${shapeStr(labels.shape)}`);
  }
  if (labels.ndim !== expected.length || labels.shape.some((d, i) => d !== expected[i])) {
    throw new TenfoldError(op, `labels must have shape ${shapeStr(expected)} for an input of shape ${shapeStr(x.shape)}, got ${shapeStr(labels.shape)}`);
  }
}

/** A bool mask of x's shape, true at each sample's label (false everywhere for out-of-range labels). */
function labelMask(labels: Array, numClasses: number, axis: number): Array {
  const mask = np.oneHot(labels, numClasses, { dtype: 'bool' }); // [..., C]
  return axis === mask.ndim - 1 ? mask : np.moveaxis(mask, -1, axis);
}

/** `w` [C] broadcast along x's class axis. */
function alongClassAxis(w: Array, x: Array, axis: number): Array {
  return np.reshape(
    w,
    x.shape.map((d, i) => (i === axis ? d : 1)),
  );
}

function checkWeight(op: string, weight: Array | undefined, numClasses: number): void {
  if (weight === undefined) return;
  if (weight.ndim !== 1 || weight.shape[0] !== numClasses || !isFloatDType(weight.dtype)) {
    throw new TenfoldError(op, `weight must be a float array of shape [${numClasses}] (one per class), got ${weight.dtype}${shapeStr(weight.shape)}`);
  }
}

function checkReduction(op: string, r: Reduction): Reduction {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new TenfoldError(op, `reduction must be 'mean', 'sum' or 'none', got ${String(r)}`);
  return r;
}

/**
 * Per-sample negative log-likelihood terms and each sample's weight in the 'mean' denominator
 * (0 for ignored samples).
 */
function nllTerms(op: string, logProbs: Array, labels: Array, opts: NllLossOptions): { loss: Array; weights: Array } {
  const axis = classAxisOf(op, logProbs);
  checkLabels(op, logProbs, labels, axis);
  const numClasses = logProbs.shape[axis] as number;
  checkWeight(op, opts.weight, numClasses);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  // select (not a one-hot product): -inf log-probabilities of other classes cannot make NaN
  const mask = labelMask(labels, numClasses, axis);
  const keep = np.notEqual(labels, ignoreIndex);
  const valid = np.astype(keep, logProbs.dtype);
  // log p(label); 0 for ignored samples and out-of-range labels
  let picked = np.where(keep, np.sum(np.where(mask, logProbs, 0), axis), 0);
  let weights = valid;
  if (opts.weight !== undefined) {
    const w = np.astype(opts.weight, logProbs.dtype);
    weights = np.multiply(np.sum(np.where(mask, alongClassAxis(w, logProbs, axis), 0), axis), valid);
    picked = np.multiply(picked, weights);
  }
  return { loss: np.negative(picked), weights };
}

function reduce(loss: Array, denominator: Array | null, reduction: Reduction): Array {
  if (reduction === 'none') return loss;
  const total = np.sum(loss);
  if (reduction === 'sum') return total;
  return denominator === null ? np.mean(loss) : np.divide(total, np.sum(denominator));
}

/**
 * The negative log-likelihood loss, as `torch.nn.NLLLoss`: `−logProbs[i, labels[i]]`, averaged
 * over the samples (default), summed, or per sample. `logProbs` is [N, C] (or [C], or
 * [N, C, d1, ...] with labels [N, d1, ...]), typically from a `logSoftmax` layer; `labels` are int32
 * class indices. It selects with a mask (no gather), so its gradient is a cheap elementwise
 * select: −1/N at each label for 'mean'. Labels equal to `ignoreIndex` (default -100) contribute
 * 0 and are left out of the mean; other out-of-range labels also contribute 0 (they are not
 * checked, which would cost a device sync) but are counted.
 *
 * @example
 * const logProbs = np.logSoftmax(logits, -1);
 * nllLoss(logProbs, np.array([3, 0], { dtype: 'int32' }));                     // scalar
 * nllLoss(logProbs, labels, { reduction: 'none' });                           // [N]
 */
export function nllLoss(logProbs: Array, labels: Array, opts: NllLossOptions = {}): Array {
  const op = 'nllLoss';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const { loss, weights } = nllTerms(op, logProbs, labels, opts);
  return reduce(loss, weights, reduction);
}

/**
 * Cross entropy from unnormalized logits, as `torch.nn.CrossEntropyLoss`: `nllLoss(logSoftmax(logits))`
 * along the class axis (1, or 0 for a single [C] sample), numerically stable for huge logits.
 * `labels` are int32 class indices (shape of logits without the class axis) or, as torch, float
 * class probabilities of the logits' shape. With `labelSmoothing` ε the loss is
 * (1 − ε)·nll + ε·mean over classes of −log p, as torch.
 * The gradient with 'mean' is (softmax(logits) − onehot(labels)) / N.
 *
 * @example
 * crossEntropy(np.array([[2, 0.5, -1]]), np.array([0], { dtype: 'int32' })); // 0.2413
 * crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * crossEntropy(logits, np.softmax(teacherLogits, -1));                       // soft targets
 */
export function crossEntropy(logits: Array, labels: Array, opts: CrossEntropyOptions = {}): Array {
  const op = 'crossEntropy';
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const axis = classAxisOf(op, logits);
  const numClasses = logits.shape[axis] as number;
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new TenfoldError(op, `labelSmoothing must be in [0, 1], got ${eps}`);
  const logProbs = np.logSoftmax(logits, axis);
  checkWeight(op, opts.weight, numClasses);
  const w = opts.weight === undefined ? null : alongClassAxis(np.astype(opts.weight, logits.dtype), logits, axis);
  if (isFloatDType(labels.dtype)) {
    // class probabilities: −Σ_c w_c·t_c·log p_c per sample; 'mean' divides by the sample count
    if (labels.ndim !== logits.ndim || labels.shape.some((d, i) => d !== logits.shape[i])) {
      throw new TenfoldError(
        op,
        `float labels are class probabilities and must have the logits' shape ${shapeStr(logits.shape)}, got ${shapeStr(labels.shape)}`,
      );
    }
    let t = np.astype(labels, logits.dtype);
    if (eps > 0) t = np.add(np.multiply(t, 1 - eps), eps / numClasses);
    const terms = np.multiply(t, logProbs);
    const loss = np.negative(np.sum(w === null ? terms : np.multiply(terms, w), axis));
    return reduce(loss, null, reduction);
  }
  const { loss, weights } = nllTerms(op, logProbs, labels, opts);
  if (eps === 0) return reduce(loss, weights, reduction);
  // torch: smooth = −Σ_c w_c·log p_c, zero for ignored samples, with nll's denominator
  const keep = np.notEqual(labels, opts.ignoreIndex ?? -100);
  const smooth = np.where(keep, np.negative(np.sum(w === null ? logProbs : np.multiply(logProbs, w), axis)), 0);
  const combined = np.add(np.multiply(loss, 1 - eps), np.multiply(smooth, eps / numClasses));
  return reduce(combined, weights, reduction);
}

/** Whether an array of shape `from` broadcasts to `to` without changing `to` (NumPy's rules). */
function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  const off = to.length - from.length;
  return from.every((d, i) => d === 1 || d === to[off + i]);
}

/**
 * The mean squared error, as `torch.nn.MSELoss`: `(pred − target)²`, averaged over every element
 * (default), summed, or elementwise. `target` must broadcast to `pred`'s shape.
 *
 * @example
 * mse(np.array([1, 2]), np.array([1, 4]));                       // 2
 * mse(np.array([1, 2]), np.array([1, 4]), { reduction: 'sum' }); // 4
 */
export function mse(pred: Array, target: Array, opts: MseOptions = {}): Array {
  const reduction = checkReduction('mse', opts.reduction ?? 'mean');
  // a target that would broadcast pred to a larger shape ([N,1] against [N]) is almost always a bug
  if (!broadcastsTo(target.shape, pred.shape)) {
    throw new TenfoldError('mse', `target ${target.aval} does not broadcast to pred's shape ${pred.aval}; reshape one so that the shapes agree`);
  }
  const sq = np.square(np.subtract(pred, target));
  return reduce(sq, null, reduction);
}
