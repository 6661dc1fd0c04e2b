/**
 * Initializers: pure functions `(key, shape, dtype?) -> Array`, as `jax.nn.initializers`, with
 * PyTorch's conventions for fans (`torch.nn.init._calculate_fan_in_and_fan_out`): a weight of
 * shape [out, in, ...kernel] has fanIn = in·∏kernel and fanOut = out·∏kernel.
 *
 * @example
 * import { random } from '@tenfold/core';
 * import { kaimingUniform } from '@tenfold/nn';
 * const w = kaimingUniform({ a: Math.sqrt(5) })(random.key(0), [200, 784]); // torch.nn.Linear's default
 */
import { type Array, np, random, TenfoldError } from '@tenfold/core';

/**
 * Float dtypes parameters may have (float64 on the CPU backend only).
 *
 * @example
 * const dtype: ParamDType = 'float64'; // model.init(key, { dtype })
 */
export type ParamDType = random.FloatDType;

/**
 * An initializer: a pure function of a PRNG key, a shape and a float dtype (default float32).
 * The same key always gives the same array.
 *
 * @example
 * const init: Initializer = uniformInit(0.1);
 * const w = init(random.key(0), [3, 4]);
 */
export type Initializer = (key: random.PRNGKey, shape: readonly number[], dtype?: ParamDType) => Array;

/**
 * PyTorch's fans of a weight shape: `[fanIn, fanOut]`, where dim 1 is the input features, dim 0
 * the output features and the remaining dims the receptive field (their product multiplies both).
 * A 1-d shape has fanIn = fanOut = its length (torch refuses 1-d weights; this is the common
 * convention for biases).
 *
 * @example
 * computeFans([200, 784]);      // [784, 200]
 * computeFans([32, 1, 3, 3]);   // [9, 288]
 */
export function computeFans(shape: readonly number[]): [fanIn: number, fanOut: number] {
  if (shape.length === 0) throw new TenfoldError('computeFans', 'cannot compute fans of a scalar shape []');
  if (shape.length === 1) return [shape[0] as number, shape[0] as number];
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return [(shape[1] as number) * receptive, (shape[0] as number) * receptive];
}

/**
 * Nonlinearities {@link calculateGain} knows, as `torch.nn.init.calculate_gain`.
 *
 * @example
 * const n: Nonlinearity = 'relu'; // kaimingUniform({ nonlinearity: n })
 */
export type Nonlinearity = 'linear' | 'conv' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/**
 * The recommended gain for a nonlinearity (`torch.nn.init.calculate_gain`): 1 for linear/conv/
 * sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + a²)) for leaky_relu with slope `a`
 * (default 0.01), 3/4 for selu.
 *
 * @example
 * calculateGain('relu');                      // 1.4142
 * calculateGain('leaky_relu', Math.sqrt(5));  // √(1/3): the gain of torch's default init
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const a = param ?? 0.01;
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new TenfoldError('calculateGain', `unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

function checkShape(op: string, shape: readonly number[]): readonly number[] {
  if (!globalThis.Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TenfoldError(op, `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape;
}

/**
 * Zeros (the key is ignored).
 *
 * @example
 * zerosInit(random.key(0), [10]); // 10 zeros
 */
export const zerosInit: Initializer = (_key, shape, dtype = 'float32') => np.zeros(checkShape('zerosInit', shape), { dtype });

/**
 * Ones (the key is ignored).
 *
 * @example
 * onesInit(random.key(0), [10]); // 10 ones
 */
export const onesInit: Initializer = (_key, shape, dtype = 'float32') => np.ones(checkShape('onesInit', shape), { dtype });

/**
 * An initializer filling every element with `value`.
 *
 * @example
 * constantInit(0.1)(random.key(0), [3]); // [0.1, 0.1, 0.1]
 */
export function constantInit(value: number): Initializer {
  return (_key, shape, dtype = 'float32') => np.full(checkShape('constantInit', shape), value, { dtype });
}

/**
 * Uniform in [-bound, bound) (`torch.nn.init.uniform_(w, -bound, bound)`).
 *
 * @example
 * uniformInit(1 / Math.sqrt(784))(random.key(0), [200]); // torch.nn.Linear's default bias
 */
export function uniformInit(bound: number): Initializer {
  if (!(bound >= 0)) throw new TenfoldError('uniformInit', `bound must be >= 0, got ${bound}`);
  return (key, shape, dtype = 'float32') => random.uniform(key, checkShape('uniformInit', shape), { dtype, minval: -bound, maxval: bound });
}

/**
 * Normal with mean 0 and standard deviation `std`.
 *
 * @example
 * normalInit(0.01)(random.key(0), [10, 784]);
 */
export function normalInit(std: number): Initializer {
  if (!(std >= 0)) throw new TenfoldError('normalInit', `std must be >= 0, got ${std}`);
  return (key, shape, dtype = 'float32') => np.multiply(random.normal(key, checkShape('normalInit', shape), { dtype }), std);
}

/**
 * Options of the Kaiming (He) initializers, as torch's `kaiming_uniform_` / `kaiming_normal_`.
 *
 * @example
 * const opts: KaimingOptions = { mode: 'fanOut', nonlinearity: 'relu' };
 */
export interface KaimingOptions {
  /** The negative slope of the leaky relu that follows (default 0). torch's layers use √5 for their default init. */
  a?: number;
  /** Preserve the variance of the forward pass ('fanIn', default) or of the backward pass ('fanOut'). */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity the gain is computed for (default 'leaky_relu', with slope `a`). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, shape: readonly number[], opts: KaimingOptions): number {
  const [fanIn, fanOut] = computeFans(checkShape(op, shape));
  const fan = (opts.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return fan === 0 ? 0 : gain / Math.sqrt(fan);
}

/**
 * Kaiming (He) uniform: U(-b, b) with b = gain·√(3 / fan) (`torch.nn.init.kaiming_uniform_`).
 * With `a = √5` (PyTorch's default for Linear and Conv weights) b = 1/√fanIn.
 *
 * @example
 * const w = kaimingUniform({ a: Math.sqrt(5) })(random.key(0), [200, 784]); // within ±1/√784
 * const v = kaimingUniform({ nonlinearity: 'relu' })(random.key(1), [200, 784]);
 */
export function kaimingUniform(opts: KaimingOptions = {}): Initializer {
  return (key, shape, dtype = 'float32') => {
    const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', shape, opts);
    return random.uniform(key, shape, { dtype, minval: -bound, maxval: bound });
  };
}

/**
 * Kaiming (He) normal: N(0, std²) with std = gain/√fan (`torch.nn.init.kaiming_normal_`).
 *
 * @example
 * const w = kaimingNormal({ nonlinearity: 'relu' })(random.key(0), [200, 784]);
 */
export function kaimingNormal(opts: KaimingOptions = {}): Initializer {
  return (key, shape, dtype = 'float32') => np.multiply(random.normal(key, shape, { dtype }), kaimingStd('kaimingNormal', shape, opts));
}

/**
 * Xavier (Glorot) uniform: U(-b, b) with b = gain·√(6 / (fanIn + fanOut)) (`torch.nn.init.xavier_uniform_`).
 *
 * @example
 * const w = xavierUniform()(random.key(0), [10, 200]);
 */
export function xavierUniform(gain = 1): Initializer {
  return (key, shape, dtype = 'float32') => {
    const [fanIn, fanOut] = computeFans(checkShape('xavierUniform', shape));
    const bound = fanIn + fanOut === 0 ? 0 : gain * Math.sqrt(6 / (fanIn + fanOut));
    return random.uniform(key, shape, { dtype, minval: -bound, maxval: bound });
  };
}

/**
 * Xavier (Glorot) normal: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)) (`torch.nn.init.xavier_normal_`).
 *
 * @example
 * const w = xavierNormal()(random.key(0), [10, 200]);
 */
export function xavierNormal(gain = 1): Initializer {
  return (key, shape, dtype = 'float32') => {
    const [fanIn, fanOut] = computeFans(checkShape('xavierNormal', shape));
    const std = fanIn + fanOut === 0 ? 0 : gain * Math.sqrt(2 / (fanIn + fanOut));
    return np.multiply(random.normal(key, shape, { dtype }), std);
  };
}
