/**
 * Layers as pure `{ init(key) -> params, apply(params, x, opts) -> y }` values.
 *
 * @example
 * import { random } from '@tenfold/core';
 * import { dense, relu, sequential } from '@tenfold/nn';
 * const model = sequential(dense(784, 200), relu(), dense(200, 10));
 * const params = model.init(random.key(0)); // [DenseParams, null, DenseParams]
 */
export { activation, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh } from './activation.js';
export { type Conv2dNoBiasParams, type Conv2dOptions, type Conv2dParams, conv2d, type Padding2d } from './conv.js';
export { type DenseNoBiasParams, type DenseOptions, type DenseParams, dense } from './dense.js';
export { dropout } from './dropout.js';
export { type LayerNormOptions, type LayerNormParams, layerNorm } from './norm.js';
export { type AvgPool2dOptions, avgPool2d, maxPool2d, type Pool2dOptions } from './pool.js';
export { flatten } from './reshape.js';
export { type Sequential, type SequentialParams, sequential } from './sequential.js';
export type { ApplyOptions, InitOptions, Layer, NoParams, ParamsOf } from './types.js';
