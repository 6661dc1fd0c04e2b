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
