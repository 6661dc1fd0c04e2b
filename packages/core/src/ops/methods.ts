// The functions behind Array's methods, gathered in one place for array.ts.
import type { Array } from '../array.js';
import { toNested } from '../format.js';

export { abs, add, astype, divide, equal, exp, greater, less, log, multiply, negative, power, sqrt, subtract } from './elementwise.js';
export { at, index } from './indexing.js';
export { matmul } from './linalg.js';
export { argmax, argmin, max, mean, min, sum } from './reductions.js';
export { expandDims, ravel, reshape, squeeze, transpose } from './shape.js';

export function tolist(x: Array): unknown {
  return toNested(x.dataSync(), x.shape, x.dtype);
}
