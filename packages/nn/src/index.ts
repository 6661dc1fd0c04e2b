/**
 * @tenfold/nn: neural networks as pure functions over tenfold arrays.
 *
 * - layers are `{ init(key) -> params, apply(params, x, opts) -> y }` values;
 * - losses, metrics and initializers are plain functions;
 * - optimizers are optax-style folds: `init(params) -> state`, `update(grads, state, params) -> { params, state }`;
 * - data: the IDX parser, MNIST from IDX bytes and shuffled batches; checkpoints: safetensors bytes.
 *
 * This entry imports nothing from Node (it bundles for browsers); reading and writing files (MNIST
 * from a directory, checkpoints at a path) is `@tenfold/nn/node`.
 *
 * @example
 * import { random } from '@tenfold/core';
 * import { dense, relu, sequential, sgd } from '@tenfold/nn';
 * const model = sequential(dense(784, 200), relu(), dense(200, 10));
 * const params = model.init(random.key(0));
 */

export * from './checkpoint/index.js';
export * from './data/index.js';
export * from './init.js';
export * from './layers/index.js';
export * from './losses.js';
export * from './metrics.js';
export * from './optim/index.js';
export * from './train.js';
