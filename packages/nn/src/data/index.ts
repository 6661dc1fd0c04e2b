/**
 * Data: the IDX parser, MNIST from IDX bytes and minibatches (bytes only: reading files from a
 * path is in `@tenfold/nn/node`).
 */
export * from './batches.js';
export { IdxError } from './errors.js';
export {
  IDX_MAX_RANK,
  type IdxArray,
  type IdxData,
  type IdxExpectation,
  type IdxType,
  type IdxTypeCode,
  idxToArray,
  idxTypeCode,
  type ParseIdxOptions,
  parseIdx,
} from './idx.js';
export * from './mnist.js';
