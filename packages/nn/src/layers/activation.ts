import { type Array, np } from '@tenfold/core';
import type { Layer, NoParams } from './types.js';

/**
 * A layer without parameters from any function of its input (the activations below are made
 * with it).
 *
 * @example
 * const square = activation('square', (x) => np.square(x));
 * square.apply(null, np.array([1, 2])); // [1, 4]
 */
export function activation(name: string, f: (x: Array) => Array): Layer<NoParams> {
  return { name, init: () => null, apply: (_params, x) => f(x) };
}

/**
 * max(x, 0), as `torch.nn.ReLU`.
 *
 * @example
 * relu().apply(null, np.array([-1, 2])); // [0, 2]
 */
export function relu(): Layer<NoParams> {
  return activation('relu()', (x) => np.relu(x));
}

/**
 * x for x ≥ 0, slope·x below, as `torch.nn.LeakyReLU(negativeSlope = 0.01)`.
 *
 * @example
 * leakyRelu(0.1).apply(null, np.array([-1, 2])); // [-0.1, 2]
 */
export function leakyRelu(negativeSlope = 0.01): Layer<NoParams> {
  return activation(`leakyRelu(${negativeSlope})`, (x) => np.where(np.greaterEqual(x, 0), x, np.multiply(x, negativeSlope)));
}

/**
 * The hyperbolic tangent, as `torch.nn.Tanh`.
 *
 * @example
 * tanh().apply(null, np.array([0])); // [0]
 */
export function tanh(): Layer<NoParams> {
  return activation('tanh()', (x) => np.tanh(x));
}

/**
 * The logistic sigmoid 1/(1 + e^−x), as `torch.nn.Sigmoid`.
 *
 * @example
 * sigmoid().apply(null, np.array([0])); // [0.5]
 */
export function sigmoid(): Layer<NoParams> {
  return activation('sigmoid()', (x) => np.sigmoid(x));
}

/**
 * Softmax over `axis` (default last), stable for large inputs, as `torch.nn.Softmax(dim)`.
 *
 * @example
 * softmax().apply(null, np.array([[1000, 1000]])); // [[0.5, 0.5]]
 */
export function softmax(axis = -1): Layer<NoParams> {
  return activation(`softmax(${axis})`, (x) => np.softmax(x, axis));
}

/**
 * log(softmax(x)) over `axis` (default last), computed as x − logsumexp(x), as
 * `torch.nn.LogSoftmax(dim)`: pair it with {@link nllLoss}.
 *
 * @example
 * const model = sequential(dense(784, 10), logSoftmax());
 */
export function logSoftmax(axis = -1): Layer<NoParams> {
  return activation(`logSoftmax(${axis})`, (x) => np.logSoftmax(x, axis));
}
