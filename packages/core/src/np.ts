// The NumPy-style API: `import { np } from '@tenfold/core'`.
export { type ArrayOptions, array, type NestedArray } from './ops/convert.js';
export { arange, type CreationOptions, eye, full, fullLike, linspace, oneHot, ones, onesLike, zeros, zerosLike } from './ops/creation.js';
// every export of ops/elementwise.ts is an np function (a new one needs no line here)
export * from './ops/elementwise.js';
export { type AtUpdater, type Index, index, nonzero, Slice, slice, take } from './ops/indexing.js';
export { dot, einsum, matmul, outer, tensordot } from './ops/linalg.js';
export { logSoftmax, relu, softmax } from './ops/nn.js';
export {
  type Axis,
  all,
  any,
  argmax,
  argmin,
  argsort,
  logsumexp,
  max,
  mean,
  min,
  prod,
  type ReduceOptions,
  sort,
  std,
  sum,
  takeAlongAxis,
  type VarOptions,
  variance as var,
} from './ops/reductions.js';
export { asArray } from './ops/scalar.js';
export {
  concatenate,
  expandDims,
  flip,
  moveaxis,
  pad,
  ravel,
  ravel as flatten,
  reshape,
  split,
  squeeze,
  stack,
  swapaxes,
  tile,
  transpose,
} from './ops/shape.js';

/** NumPy's `newaxis` (None): use in {@link index} to insert a length-1 axis. */
export const newaxis = null;
