/**
 * Data: the IDX reader, MNIST and minibatches.
 */
export * from './batches.js';
export { IdxError } from './errors.js';
export * from './idx.js';
export * from './mnist.js';
