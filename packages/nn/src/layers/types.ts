import type { Array, random } from '@tenfold/core';
import type { ParamDType } from '../init.js';

/**
 * Options of `Layer.init`.
 *
 * @example
 * const params = model.init(random.key(0), { dtype: 'float64' } satisfies InitOptions);
 */
export interface InitOptions {
  /** The float dtype of the parameters (default float32; float64 on the CPU backend, e.g. for gradient checks). */
  readonly dtype?: ParamDType;
}

/**
 * Options of `Layer.apply`, threaded through {@link sequential} to every layer.
 *
 * @example
 * model.apply(params, x, { train: true, key: random.key(1) } satisfies ApplyOptions);
 */
export interface ApplyOptions {
  /** Training mode (default false): dropout is active only when true. */
  readonly train?: boolean;
  /** A PRNG key for stochastic layers (dropout); {@link sequential} splits it across its layers. */
  readonly key?: random.PRNGKey;
}

/**
 * The parameters of a layer without any (activations, pooling, flatten, dropout): `null`, an empty pytree.
 *
 * @example
 * const p: NoParams = relu().init(random.key(0)); // null
 */
export type NoParams = null;

/**
 * A layer as a pair of pure functions: `init(key)` makes its parameters (a pytree of arrays of
 * type `P`) and `apply(params, x, opts)` computes its output. Nothing is stored in the layer:
 * parameters travel explicitly, so `grad`, optimizers and checkpoints see plain pytrees.
 *
 * @example
 * import { np, random } from '@tenfold/core';
 * const layer: Layer<DenseParams> = dense(3, 2);
 * const params = layer.init(random.key(0)); // { weight: [2,3], bias: [2] }
 * const y = layer.apply(params, np.ones([4, 3])); // [4, 2]
 */
export interface Layer<P> {
  /** A short description, e.g. `'dense(784, 200)'` (shown by {@link sequential}'s `name`). */
  readonly name: string;
  /** The parameters, from a PRNG key (the same key gives the same parameters). */
  init(key: random.PRNGKey, opts?: InitOptions): P;
  /** The layer's output for input `x`. */
  apply(params: P, x: Array, opts?: ApplyOptions): Array;
}

/**
 * The parameter type of a layer.
 *
 * @example
 * const model = sequential(dense(784, 200), relu(), dense(200, 10));
 * type Params = ParamsOf<typeof model>; // [DenseParams, null, DenseParams]
 */
export type ParamsOf<L> = L extends Layer<infer P> ? P : never;
