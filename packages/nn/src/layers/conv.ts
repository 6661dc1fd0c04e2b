import { type Array, lax, np, random, TenfoldError } from '@tenfold/core';
import { type Initializer, kaimingUniform, uniformInit } from '../init.js';
import type { Layer } from './types.js';
import { checkParam, checkWindowFits, type Padding2d, pair, positiveInt, resolvePadding2d, sameFloat, shapeStr, type Window2d } from './util.js';

export type { Padding2d } from './util.js';

/**
 * Parameters of {@link conv2d}: `weight` [out, in/groups, kh, kw] (OIHW, torch's layout) and `bias` [out].
 *
 * @example
 * const p: Conv2dParams = conv2d(1, 32, 3).init(random.key(0)); // weight [32,1,3,3]
 */
export type Conv2dParams = { weight: Array; bias: Array };
/**
 * Parameters of {@link conv2d} with `bias: false`.
 *
 * @example
 * const p: Conv2dNoBiasParams = conv2d(1, 32, 3, { bias: false }).init(random.key(0));
 */
export type Conv2dNoBiasParams = { weight: Array };

/**
 * Options of {@link conv2d}.
 *
 * @example
 * conv2d(16, 32, 3, { stride: 2, padding: 1, groups: 4 } satisfies Conv2dOptions);
 */
export interface Conv2dOptions {
  /** Stride, one number or [sh, sw] (default 1). */
  stride?: number | readonly [number, number];
  /**
   * Padding (default 0): 'SAME' (output size ⌈in/stride⌉; the odd extra goes on the high side, as
   * JAX/TensorFlow), 'VALID' (none), an integer for every side, [ph, pw] (symmetric per dim, as
   * torch), or [[top, bottom], [left, right]].
   */
  padding?: Padding2d;
  /** Kernel dilation, one number or [dh, dw] (default 1). */
  dilation?: number | readonly [number, number];
  /** Feature groups (default 1): inChannels and outChannels must be divisible by it. */
  groups?: number;
  /** Whether to add a bias (default true). */
  bias?: boolean;
  /** The weight initializer, called with shape [out, in/groups, kh, kw] (default: PyTorch's). */
  weightInit?: Initializer;
  /** The bias initializer, called with shape [out] (default: PyTorch's, uniform within ±1/√(in/groups·kh·kw)). */
  biasInit?: Initializer;
}

/**
 * A 2-d convolution, as `torch.nn.Conv2d`: input NCHW ([N, C, H, W], or unbatched [C, H, W]),
 * weight OIHW [out, in/groups, kh, kw], bias [out]; lowers to one `lax.conv`. Default init is
 * PyTorch's: weight Kaiming-uniform with a = √5 and bias uniform, both within ±1/√fanIn where
 * fanIn = in/groups·kh·kw.
 *
 * @example
 * const conv = conv2d(1, 32, 3);                          // 28×28 → 26×26
 * const same = conv2d(32, 64, [3, 3], { padding: 'SAME', stride: 2 });
 * const params = conv.init(random.key(0));               // { weight: [32,1,3,3], bias: [32] }
 * const y = conv.apply(params, np.zeros([8, 1, 28, 28])); // [8, 32, 26, 26]
 */
export function conv2d(
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly [number, number],
  opts?: Conv2dOptions & { bias?: true },
): Layer<Conv2dParams>;
export function conv2d(
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly [number, number],
  opts: Conv2dOptions & { bias: false },
): Layer<Conv2dNoBiasParams>;
export function conv2d(
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly [number, number],
  opts?: Conv2dOptions,
): Layer<Conv2dParams | Conv2dNoBiasParams>;
export function conv2d(
  inChannels: number,
  outChannels: number,
  kernelSize: number | readonly [number, number],
  opts: Conv2dOptions = {},
): Layer<Conv2dParams | Conv2dNoBiasParams> {
  const op = 'conv2d';
  positiveInt(op, 'inChannels', inChannels);
  positiveInt(op, 'outChannels', outChannels);
  const [kh, kw] = pair(op, 'kernelSize', kernelSize);
  const stride = pair(op, 'stride', opts.stride ?? 1);
  const dilation = pair(op, 'dilation', opts.dilation ?? 1);
  const padding = resolvePadding2d(op, opts.padding ?? 0);
  const groups = positiveInt(op, 'groups', opts.groups ?? 1);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new TenfoldError(op, `inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
  }
  const useBias = opts.bias ?? true;
  const wShape = [outChannels, inChannels / groups, kh, kw];
  const fanIn = (inChannels / groups) * kh * kw;
  const weightInit = opts.weightInit ?? kaimingUniform({ a: Math.sqrt(5) });
  const biasInit = opts.biasInit ?? uniformInit(1 / Math.sqrt(fanIn));
  const name = `conv2d(${inChannels}, ${outChannels}, [${kh}, ${kw}])`;
  const window: Window2d = { kernel: [kh, kw], strides: stride, padding, dilation };
  return {
    name,
    init(key, initOpts = {}) {
      const dtype = initOpts.dtype ?? 'float32';
      const [kwKey, kbKey] = random.split(key);
      const weight = weightInit(kwKey, wShape, dtype);
      return useBias ? { weight, bias: biasInit(kbKey, [outChannels], dtype) } : { weight };
    },
    apply(params, x) {
      const unbatched = x.ndim === 3;
      if ((x.ndim !== 4 && !unbatched) || x.shape[unbatched ? 0 : 1] !== inChannels) {
        throw new TenfoldError(op, `expected an NCHW input [N, ${inChannels}, H, W] (or [${inChannels}, H, W]), got ${shapeStr(x.shape)}`);
      }
      const weight = checkParam(op, name, 'weight', params.weight, wShape, '[outChannels, inChannels/groups, kh, kw]');
      checkWindowFits(op, x.shape, window);
      const [xs, w] = sameFloat(unbatched ? np.expandDims(x, 0) : x, weight);
      let y = lax.conv(xs, w, { windowStrides: stride, padding, rhsDilation: dilation, featureGroupCount: groups });
      if (useBias) {
        const bias = (params as Partial<Conv2dParams>).bias;
        if (bias === undefined) throw new TenfoldError(op, 'the parameters have no bias; make the layer with { bias: false } for parameters without one');
        // checked before the reshape, whose own error would not say which parameter is wrong
        checkParam(op, name, 'bias', bias, [outChannels], '[outChannels]');
        y = np.add(y, np.reshape(bias, [outChannels, 1, 1]));
      }
      return unbatched ? np.squeeze(y, 0) : y;
    },
  };
}
