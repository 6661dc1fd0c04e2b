import { np, random, TenfoldError } from '@tenfold/core';
import type { Layer, NoParams } from './types.js';

/**
 * Inverted dropout, as `torch.nn.Dropout(rate)`: in training (`apply(null, x, { train: true, key })`)
 * each element is zeroed with probability `rate` (a `random.bernoulli` mask from `key`) and the
 * survivors are scaled by 1/(1 − rate), so the expectation is unchanged; otherwise it is the
 * identity. Training without a key is an error (randomness is explicit). The same key gives the
 * same mask.
 *
 * @example
 * const drop = dropout(0.5);
 * drop.apply(null, x);                                        // x (evaluation)
 * drop.apply(null, x, { train: true, key: random.key(0) });  // about half zeroed, the rest doubled
 */
export function dropout(rate: number): Layer<NoParams> {
  const op = 'dropout';
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new TenfoldError(op, `rate must be a number in [0, 1], got ${String(rate)}`);
  return {
    name: `dropout(${rate})`,
    init: () => null,
    apply(_params, x, opts = {}) {
      // the identity, as a new array (np.array of an array shares its storage): disposing the
      // output must not dispose the input
      if (!opts.train || rate === 0) return np.array(x);
      if (opts.key === undefined) {
        throw new TenfoldError(
          op,
          'training mode needs a PRNG key: call apply(params, x, { train: true, key }) (sequential splits the key across its layers), or pass train: false to evaluate',
        );
      }
      const xf = x.dtype === 'float32' || x.dtype === 'float64' ? x : np.astype(x, 'float32');
      if (rate === 1) return np.zerosLike(xf);
      const keep = random.bernoulli(opts.key, 1 - rate, x.shape);
      return np.where(keep, np.divide(xf, 1 - rate), 0);
    },
  };
}
