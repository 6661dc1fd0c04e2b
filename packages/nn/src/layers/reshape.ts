import { np, TenfoldError } from '@tenfold/core';
import type { Layer, NoParams } from './types.js';
import { shapeStr } from './util.js';

/**
 * Flattens dims `startDim..endDim` (inclusive; negative counts from the end) into one, as
 * `torch.nn.Flatten(startDim = 1, endDim = -1)`: the default keeps the batch dim, so
 * [N, C, H, W] becomes [N, C·H·W].
 *
 * @example
 * flatten().apply(null, np.zeros([8, 1, 28, 28])).shape; // [8, 784]
 * flatten(0).apply(null, np.zeros([2, 3])).shape;        // [6]
 */
export function flatten(startDim = 1, endDim = -1): Layer<NoParams> {
  const op = 'flatten';
  if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) throw new TenfoldError(op, `startDim and endDim must be integers, got ${startDim}, ${endDim}`);
  return {
    name: startDim === 1 && endDim === -1 ? 'flatten()' : `flatten(${startDim}, ${endDim})`,
    init: () => null,
    apply(_params, x) {
      const nd = Math.max(x.ndim, 1);
      const s = startDim < 0 ? startDim + nd : startDim;
      const e = endDim < 0 ? endDim + nd : endDim;
      if (s < 0 || e >= nd || s > e) {
        throw new TenfoldError(op, `dims ${startDim}..${endDim} are out of range for an input of shape ${shapeStr(x.shape)}`);
      }
      if (x.ndim === 0) return np.reshape(x, [1]);
      const merged = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
      return np.reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
    },
  };
}
