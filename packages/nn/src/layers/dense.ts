import { type Array, lax, np, random, TenfoldError } from '@tenfold/core';
import { type Initializer, kaimingUniform, uniformInit } from '../init.js';
import type { Layer } from './types.js';
import { checkParam, positiveInt, sameFloat, shapeStr } from './util.js';

/**
 * Parameters of {@link dense}: `weight` [out, in] (torch's layout) and `bias` [out].
 *
 * @example
 * const p: DenseParams = dense(784, 200).init(random.key(0)); // weight [200,784], bias [200]
 */
export type DenseParams = { weight: Array; bias: Array };
/**
 * Parameters of {@link dense} with `bias: false`.
 *
 * @example
 * const p: DenseNoBiasParams = dense(784, 200, { bias: false }).init(random.key(0));
 */
export type DenseNoBiasParams = { weight: Array };

/**
 * Options of {@link dense}.
 *
 * @example
 * dense(784, 200, { weightInit: xavierUniform() } satisfies DenseOptions);
 */
export interface DenseOptions {
  /** Whether to add a bias (default true). */
  bias?: boolean;
  /** The weight initializer, called with shape [out, in] (default: PyTorch's, uniform within ±1/√in). */
  weightInit?: Initializer;
  /** The bias initializer, called with shape [out] (default: PyTorch's, uniform within ±1/√in). */
  biasInit?: Initializer;
}

/**
 * A fully connected layer, as `torch.nn.Linear(inFeatures, outFeatures)`: `y = x·Wᵀ + b` over the
 * last axis of `x` ([..., in] → [..., out]). The weight is stored as PyTorch stores it, [out, in],
 * so the parameters match a torch `state_dict`; `apply` contracts x's last axis with the weight's
 * axis 1 directly (one `dot_general`, no transposed copy). Default init is PyTorch's: weight
 * Kaiming-uniform with a = √5 and bias uniform, both within ±1/√inFeatures.
 *
 * @example
 * const layer = dense(784, 200);
 * const params = layer.init(random.key(0));        // { weight: [200,784], bias: [200] }
 * const y = layer.apply(params, np.zeros([32, 784])); // [32, 200]
 * const noBias = dense(4, 2, { bias: false });    // Layer<{ weight }>
 */
export function dense(inFeatures: number, outFeatures: number, opts?: DenseOptions & { bias?: true }): Layer<DenseParams>;
export function dense(inFeatures: number, outFeatures: number, opts: DenseOptions & { bias: false }): Layer<DenseNoBiasParams>;
export function dense(inFeatures: number, outFeatures: number, opts?: DenseOptions): Layer<DenseParams | DenseNoBiasParams>;
export function dense(inFeatures: number, outFeatures: number, opts: DenseOptions = {}): Layer<DenseParams | DenseNoBiasParams> {
  const op = 'dense';
  positiveInt(op, 'inFeatures', inFeatures);
  positiveInt(op, 'outFeatures', outFeatures);
  const useBias = opts.bias ?? true;
  const weightInit = opts.weightInit ?? kaimingUniform({ a: Math.sqrt(5) });
  const biasInit = opts.biasInit ?? uniformInit(1 / Math.sqrt(inFeatures));
  const name = `dense(${inFeatures}, ${outFeatures}${useBias ? '' : ', { bias: false }'})`;
  return {
    name,
    init(key, initOpts = {}) {
      const dtype = initOpts.dtype ?? 'float32';
      const [kw, kb] = random.split(key);
      const weight = weightInit(kw, [outFeatures, inFeatures], dtype);
      return useBias ? { weight, bias: biasInit(kb, [outFeatures], dtype) } : { weight };
    },
    apply(params, x) {
      if (x.ndim < 1 || x.shape[x.ndim - 1] !== inFeatures) {
        throw new TenfoldError(op, `expected an input of shape [..., ${inFeatures}], got ${shapeStr(x.shape)}`);
      }
      const weight = checkParam(op, name, 'weight', params.weight, [outFeatures, inFeatures], '[outFeatures, inFeatures]');
      const [xs, w] = sameFloat(x, weight);
      const y = lax.dotGeneral(xs, w, { contracting: [[xs.ndim - 1], [1]], batch: [[], []] });
      if (!useBias) return y;
      const bias = (params as Partial<DenseParams>).bias;
      if (bias === undefined) throw new TenfoldError(op, 'the parameters have no bias; make the layer with { bias: false } for parameters without one');
      // a bias of shape [1] or [n, out] would broadcast into a wrong result without an error
      return np.add(y, checkParam(op, name, 'bias', bias, [outFeatures], '[outFeatures]'));
    },
  };
}
