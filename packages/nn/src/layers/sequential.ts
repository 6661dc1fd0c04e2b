import { type Array, random, TenfoldError } from '@tenfold/core';
import type { ApplyOptions, Layer, ParamsOf } from './types.js';

/**
 * The parameters of {@link sequential}: a tuple with each layer's parameters, in order
 * (`null` for layers without parameters).
 *
 * @example
 * type P = SequentialParams<[Layer<DenseParams>, Layer<null>]>; // [DenseParams, null]
 */
export type SequentialParams<Ls extends readonly Layer<unknown>[]> = { -readonly [K in keyof Ls]: ParamsOf<Ls[K]> };

/**
 * The layer {@link sequential} returns: a {@link Layer} that also lists its layers.
 *
 * @example
 * const model: Sequential<[Layer<DenseParams>, Layer<null>]> = sequential(dense(4, 2), relu());
 * model.layers[0].name; // 'dense(4, 2)'
 */
export interface Sequential<Ls extends readonly Layer<unknown>[]> extends Layer<SequentialParams<Ls>> {
  /** The layers, in order. */
  readonly layers: Ls;
}

/**
 * Chains layers, as `torch.nn.Sequential`. Its parameters are a tuple of each layer's parameters
 * (typed precisely: `sequential(dense(784, 200), relu(), dense(200, 10))` has parameters of type
 * `[DenseParams, null, DenseParams]`). `init` splits the key with `random.split` into one key per
 * layer; `apply` threads `opts` to every layer, with `opts.key` (when given) split the same way,
 * so each stochastic layer gets its own key.
 *
 * @example
 * const model = sequential(dense(784, 200), relu(), dropout(0.2), dense(200, 10), logSoftmax());
 * const params = model.init(random.key(0));
 * const logProbs = model.apply(params, x);                                  // evaluation
 * const train = model.apply(params, x, { train: true, key: random.key(1) }); // dropout active
 * const scaled = tree.map((p) => p.mul(0.5), params);                     // same type as params
 */
export function sequential<Ls extends readonly Layer<unknown>[]>(...layers: Ls): Sequential<Ls> {
  const op = 'sequential';
  const n = layers.length;
  layers.forEach((l, i) => {
    if (l === null || typeof l !== 'object' || typeof l.init !== 'function' || typeof l.apply !== 'function') {
      throw new TenfoldError(op, `argument ${i} is not a layer (an object with init and apply)`);
    }
  });
  const keysFor = (key: random.PRNGKey): Array[] => (n === 0 ? [] : random.split(key, n));
  return {
    name: `sequential(${layers.map((l) => l.name).join(', ')})`,
    layers,
    init(key, initOpts) {
      const keys = keysFor(key);
      return layers.map((l, i) => l.init(keys[i] as Array, initOpts)) as SequentialParams<Ls>;
    },
    apply(params, x, opts: ApplyOptions = {}) {
      const ps = params as readonly unknown[];
      if (!globalThis.Array.isArray(ps) || ps.length !== n) {
        throw new TenfoldError(
          op,
          `expected parameters as a list of ${n} entries (one per layer), got ${globalThis.Array.isArray(ps) ? `${ps.length}` : typeof ps}`,
        );
      }
      const keys = opts.key === undefined ? undefined : keysFor(opts.key);
      return layers.reduce((h, l, i) => l.apply(ps[i], h, keys === undefined ? opts : { ...opts, key: keys[i] as Array }), x);
    },
  };
}
