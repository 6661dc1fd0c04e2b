// Internal helpers shared by the layer files (not exported from the package).
import { type Array, np, TenfoldError } from '@tenfold/core';

/** `n` or `[a, b]` as a pair of positive integers. */
export function pair(op: string, name: string, v: number | readonly [number, number], min = 1): [number, number] {
  const p: readonly unknown[] = typeof v === 'number' ? [v, v] : v;
  if (!globalThis.Array.isArray(p) || p.length !== 2 || p.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < min)) {
    throw new TenfoldError(op, `${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0] as number, p[1] as number];
}

export function positiveInt(op: string, name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TenfoldError(op, `${name} must be a positive integer, got ${String(v)}`);
  return v;
}

/** `[d0,d1,...]` for messages. */
export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** x and w in one float dtype (an integer or bool input takes the parameter's dtype). */
export function sameFloat(x: Array, w: Array): [Array, Array] {
  if (x.dtype === w.dtype) return [x, w];
  const dtype = x.dtype === 'float64' || w.dtype === 'float64' ? 'float64' : 'float32';
  return [x.dtype === dtype ? x : np.astype(x, dtype), w.dtype === dtype ? w : np.astype(w, dtype)];
}

/**
 * Padding for 2-d windows, as PyTorch and JAX spell it: 'SAME', 'VALID' (or lowercase), one
 * integer for every side, [ph, pw] (symmetric per dim), or [[top, bottom], [left, right]].
 *
 * @example
 * conv2d(1, 8, 3, { padding: 1 });
 * maxPool2d(2, { padding: [[0, 1], [0, 1]] });
 */
export type Padding2d =
  | 'SAME'
  | 'VALID'
  | 'same'
  | 'valid'
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];

/** A padding spec as lax takes it: 'SAME', 'VALID' or explicit [low, high] pairs per spatial dim. */
export function resolvePadding2d(op: string, padding: Padding2d): 'SAME' | 'VALID' | [readonly [number, number], readonly [number, number]] {
  if (padding === 'SAME' || padding === 'same') return 'SAME';
  if (padding === 'VALID' || padding === 'valid') return 'VALID';
  const bad = (): never => {
    throw new TenfoldError(
      op,
      `padding must be 'SAME', 'VALID', an integer, a pair [ph, pw] or [[top, bottom], [left, right]] of integers >= 0, got ${JSON.stringify(padding)}`,
    );
  };
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (typeof padding === 'number')
    return ok(padding)
      ? [
          [padding, padding],
          [padding, padding],
        ]
      : bad();
  if (!globalThis.Array.isArray(padding) || padding.length !== 2) return bad();
  const [a, b] = padding as readonly unknown[];
  if (ok(a) && ok(b))
    return [
      [a, a],
      [b, b],
    ];
  const isPair = (p: unknown): p is readonly [number, number] => globalThis.Array.isArray(p) && p.length === 2 && ok(p[0]) && ok(p[1]);
  if (isPair(a) && isPair(b))
    return [
      [a[0], a[1]],
      [b[0], b[1]],
    ];
  return bad();
}

/**
 * The parameter `name` of a layer, checked to be an array of `shape`: a wrong shape would
 * broadcast silently (a bias) or fail deep inside lax with a message about something else.
 * `layer` is the layer's name (e.g. 'dense(3, 2)'), `dims` what the expected dims are.
 */
export function checkParam(op: string, layer: string, name: string, value: Array | undefined, shape: readonly number[], dims: string): Array {
  if (value === undefined || value === null || typeof value !== 'object' || !globalThis.Array.isArray(value.shape)) {
    throw new TenfoldError(
      op,
      `the parameters of ${layer} have no ${name} array (expected shape ${shapeStr(shape)}, ${dims}); pass the parameters its init made`,
    );
  }
  if (value.ndim !== shape.length || value.shape.some((d, i) => d !== shape[i])) {
    throw new TenfoldError(op, `the ${name} of ${layer} must have shape ${shapeStr(shape)} (${dims}), got ${shapeStr(value.shape)}`);
  }
  return value;
}

const padStr = (p: readonly (readonly [number, number])[]): string => `[${p.map(([lo, hi]) => `[${lo}, ${hi}]`).join(', ')}]`;

/** A window's geometry over the last two dims of an input. */
export interface Window2d {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'SAME' | 'VALID' | readonly [readonly [number, number], readonly [number, number]];
  /** Kernel dilation, for conv (shown in the message only when given). */
  readonly dilation?: readonly [number, number];
}

/**
 * Throws unless the (dilated) window fits the padded input in both spatial dims. lax would give a
 * zero-size output there ([1,1,0,0] for a 5×5 window on 4×4); torch raises, and so do we.
 */
export function checkWindowFits(op: string, xShape: readonly number[], w: Window2d): void {
  const spatial = xShape.slice(-2);
  const dil = w.dilation ?? [1, 1];
  const span = w.kernel.map((k, i) => (k - 1) * (dil[i] as number) + 1);
  // 'SAME' pads (⌈in/stride⌉ − 1)·stride + span − in in total, which fits unless the input is empty
  const pads = spatial.map((n, i): readonly [number, number] => {
    if (w.padding === 'VALID') return [0, 0];
    if (w.padding !== 'SAME') return w.padding[i] as readonly [number, number];
    const s = w.strides[i] as number;
    const total = Math.max(0, (Math.ceil(n / s) - 1) * s + (span[i] as number) - n);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  const padded = spatial.map((n, i) => n + (pads[i]?.[0] as number) + (pads[i]?.[1] as number));
  if (padded.every((n, i) => n >= (span[i] as number))) return;
  const what = w.dilation === undefined ? 'window' : 'kernel';
  const dilText = w.dilation === undefined ? '' : ` with dilation [${dil.join(', ')}]`;
  const padText = typeof w.padding === 'string' ? `'${w.padding}'` : padStr(w.padding);
  throw new TenfoldError(
    op,
    `the ${what} does not fit the input ${shapeStr(xShape)}: kernel [${w.kernel.join(', ')}]${dilText} spans ${span.join('×')}, but the input padded by ${padText} is ${padded.join('×')} (the output would be empty); use a smaller kernel, more padding or a larger input`,
  );
}

/**
 * Throws when explicit pooling padding exceeds half the kernel on some side (torch's rule, "pad
 * should be at most half of effective kernel size"): more can make windows of padding only, -∞
 * for max pooling and 0/0 for average pooling without countIncludePad.
 */
export function checkPoolPadding(
  op: string,
  kernel: readonly [number, number],
  padding: 'SAME' | 'VALID' | readonly [readonly [number, number], readonly [number, number]],
): void {
  if (typeof padding === 'string') return; // 'SAME' never pads a side by more than ⌊k/2⌋
  const half = kernel.map((k) => Math.floor(k / 2));
  if (padding.every(([lo, hi], i) => lo <= (half[i] as number) && hi <= (half[i] as number))) return;
  throw new TenfoldError(
    op,
    `padding ${padStr(padding)} is more than half the kernel [${kernel.join(', ')}]: at most ${half.join(' (H) and ')} (W) on each side, as torch; more padding can make windows that hold only padding (-inf for max pooling, NaN for average pooling without countIncludePad). Use a smaller padding or 'SAME'`,
  );
}
