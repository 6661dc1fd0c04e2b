import { type Array, lax, np, TenfoldError } from '@tenfold/core';
import type { Layer, NoParams } from './types.js';
import { checkPoolPadding, checkWindowFits, type Padding2d, pair, resolvePadding2d, shapeStr, type Window2d } from './util.js';

/**
 * Options of {@link maxPool2d} and {@link avgPool2d}.
 *
 * @example
 * maxPool2d(3, { stride: 2, padding: 1 } satisfies Pool2dOptions);
 */
export interface Pool2dOptions {
  /** Stride, one number or [sh, sw] (default: the kernel size, as torch). */
  stride?: number | readonly [number, number];
  /**
   * Padding (default 0), as {@link conv2d}'s: max pooling pads with -∞ (padding never wins),
   * average pooling with zeros. At most half the kernel on each side, as torch.
   */
  padding?: Padding2d;
}

/**
 * Options of {@link avgPool2d}.
 *
 * @example
 * avgPool2d(3, { stride: 1, padding: 1, countIncludePad: false } satisfies AvgPool2dOptions);
 */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Whether padded zeros count in the average (default true, as torch's `count_include_pad`). */
  countIncludePad?: boolean;
}

/** The validated window of a pooling layer (checked when the layer is made, not at the first apply). */
function windowOf(op: string, kernel: number | readonly [number, number], opts: Pool2dOptions): Window2d {
  const k = pair(op, 'kernel', kernel);
  const strides = pair(op, 'stride', opts.stride ?? k);
  const padding = resolvePadding2d(op, opts.padding ?? 0);
  checkPoolPadding(op, k, padding);
  return { kernel: k, strides, padding };
}

/** lax.reduceWindow's arguments for input `x`: window 1 over the leading dims, after checking the window fits. */
function laxWindow(op: string, w: Window2d, x: Array) {
  checkWindowFits(op, x.shape, w);
  const lead = new globalThis.Array<number>(x.ndim - 2).fill(1);
  const leadPad = lead.map(() => [0, 0] as const);
  return {
    window: [...lead, ...w.kernel],
    strides: [...lead, ...w.strides],
    padding: typeof w.padding === 'string' ? w.padding : [...leadPad, ...w.padding],
  };
}

function checkInput(op: string, x: Array): void {
  if (x.ndim < 2) throw new TenfoldError(op, `expected an input with at least 2 dims ([..., H, W], e.g. NCHW), got ${shapeStr(x.shape)}`);
}

/**
 * 2-d max pooling over the last two dims (NCHW, or any [..., H, W]), as `torch.nn.MaxPool2d`:
 * one `lax.reduceWindow(x, 'max', ...)`. The stride defaults to the kernel size.
 *
 * @example
 * const pool = maxPool2d(2);                           // 28×28 → 14×14
 * pool.apply(null, np.zeros([8, 32, 28, 28])).shape;   // [8, 32, 14, 14]
 * maxPool2d(3, { stride: 2, padding: 1 });
 */
export function maxPool2d(kernel: number | readonly [number, number], opts: Pool2dOptions = {}): Layer<NoParams> {
  const op = 'maxPool2d';
  const win = windowOf(op, kernel, opts);
  return {
    name: `maxPool2d([${win.kernel.join(', ')}])`,
    init: () => null,
    apply(_params, x) {
      checkInput(op, x);
      const w = laxWindow(op, win, x);
      return lax.reduceWindow(x, 'max', w.window, { windowStrides: w.strides, padding: w.padding });
    },
  };
}

/**
 * 2-d average pooling over the last two dims, as `torch.nn.AvgPool2d`: a window sum
 * (`lax.reduceWindow(x, 'sum', ...)`) divided by the window size (or, with
 * `countIncludePad: false`, by the number of unpadded elements in each window).
 *
 * @example
 * avgPool2d(2).apply(null, np.ones([1, 1, 4, 4])); // [1, 1, 2, 2] of ones
 */
export function avgPool2d(kernel: number | readonly [number, number], opts: AvgPool2dOptions = {}): Layer<NoParams> {
  const op = 'avgPool2d';
  const win = windowOf(op, kernel, opts);
  const [kh, kw] = win.kernel;
  return {
    name: `avgPool2d([${kh}, ${kw}])`,
    init: () => null,
    apply(_params, x) {
      checkInput(op, x);
      const xf = x.dtype === 'float32' || x.dtype === 'float64' ? x : np.astype(x, 'float32');
      const w = laxWindow(op, win, x);
      const sums = lax.reduceWindow(xf, 'sum', w.window, { windowStrides: w.strides, padding: w.padding });
      if (opts.countIncludePad ?? true) return np.divide(sums, kh * kw);
      // the count of real elements per window: the same window sum over ones (on x's backend)
      const counts = lax.reduceWindow(np.onesLike(xf), 'sum', w.window, { windowStrides: w.strides, padding: w.padding });
      return np.divide(sums, counts);
    },
  };
}
