import { type Array, np, random, TenfoldError } from '@tenfold/core';
import { type Initializer, onesInit, zerosInit } from '../init.js';
import type { Layer } from './types.js';
import { checkParam, shapeStr } from './util.js';

/**
 * Parameters of {@link layerNorm}: `weight` (ones) and `bias` (zeros), both of the normalized shape.
 *
 * @example
 * const p: LayerNormParams = layerNorm(64).init(random.key(0));
 */
export type LayerNormParams = { weight: Array; bias: Array };

/**
 * Options of {@link layerNorm}.
 *
 * @example
 * layerNorm(64, { eps: 1e-6 } satisfies LayerNormOptions);
 */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5, as torch). */
  eps?: number;
  /** The weight initializer (default ones). */
  weightInit?: Initializer;
  /** The bias initializer (default zeros). */
  biasInit?: Initializer;
}

/**
 * Layer normalization over the trailing dims of shape `features`, as `torch.nn.LayerNorm`:
 * `(x − mean) / √(var + eps) · weight + bias` with the biased variance.
 *
 * @example
 * const ln = layerNorm(64);
 * const params = ln.init(random.key(0));            // { weight: ones [64], bias: zeros [64] }
 * ln.apply(params, np.zeros([8, 64])).shape;        // [8, 64]
 * layerNorm([16, 16], { eps: 1e-6 });               // normalizes the last two dims
 */
export function layerNorm(features: number | readonly number[], opts: LayerNormOptions = {}): Layer<LayerNormParams> {
  const op = 'layerNorm';
  const shape = typeof features === 'number' ? [features] : [...features];
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new TenfoldError(op, `features must be a positive integer or a non-empty list of them, got ${JSON.stringify(features)}`);
  }
  const eps = opts.eps ?? 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    // a negative eps can make var + eps negative (NaN output); NaN or ∞ poison every output
    throw new TenfoldError(op, `eps must be a finite number >= 0 (added to the variance; torch's default is 1e-5), got ${String(eps)}`);
  }
  const weightInit = opts.weightInit ?? onesInit;
  const biasInit = opts.biasInit ?? zerosInit;
  const k = shape.length;
  const name = `layerNorm(${shape.length === 1 ? shape[0] : shapeStr(shape)})`;
  return {
    name,
    init(key, initOpts = {}) {
      const dtype = initOpts.dtype ?? 'float32';
      const [kw, kb] = random.split(key);
      return { weight: weightInit(kw, shape, dtype), bias: biasInit(kb, shape, dtype) };
    },
    apply(params, x) {
      const tail = x.shape.slice(x.ndim - k);
      if (x.ndim < k || tail.some((d, i) => d !== shape[i])) {
        throw new TenfoldError(op, `expected an input of shape [..., ${shape.join(', ')}], got ${shapeStr(x.shape)}`);
      }
      // both of the normalized shape: another shape would broadcast into a wrong result
      const weight = checkParam(op, name, 'weight', params.weight, shape, 'the normalized shape');
      const bias = checkParam(op, name, 'bias', params.bias, shape, 'the normalized shape');
      const axes = shape.map((_, i) => x.ndim - k + i);
      const xf = x.dtype === 'float32' || x.dtype === 'float64' ? x : np.astype(x, weight.dtype);
      const mean = np.mean(xf, axes, { keepdims: true });
      const centered = np.subtract(xf, mean);
      const variance = np.mean(np.square(centered), axes, { keepdims: true });
      const normed = np.multiply(centered, np.rsqrt(np.add(variance, eps)));
      return np.add(np.multiply(normed, weight), bias);
    },
  };
}
