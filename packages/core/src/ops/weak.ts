// Weakly typed arrays: a JS number passed to a jitted function becomes a traced array that
// promotes as the number would (JAX's weak types), so `f(float64Array, 0.1)` under jit computes
// what it computes eagerly. Only these traced arguments are weak; every op result is strong.
import type { Array } from '../array.js';

interface Weak {
  /** A float64 copy of a float argument (exact where the number meets a float64 array). */
  readonly wide: Array | null;
}

const weak = new WeakMap<Array, Weak>();

/**
 * Marks `x` (int32, float32 or bool) as standing for a JS number; `wide` is the same number in
 * float64, for a float `x`, when the backend has float64.
 */
export function markWeak(x: Array, wide: Array | null = null): void {
  weak.set(x, { wide });
}

export function isWeak(x: Array): boolean {
  return weak.has(x);
}

/** A JS number of the kind `x` stands for (an integer, a fraction or a boolean), for promotion. */
export function weakStandIn(x: Array): number | boolean {
  return x.dtype === 'bool' ? false : x.dtype === 'int32' ? 0 : 0.5;
}

/** `x`, or its float64 copy when the op computes in float64. */
export function weakOperand(x: Array, dtype: string): Array {
  return dtype === 'float64' ? (weak.get(x)?.wide ?? x) : x;
}
