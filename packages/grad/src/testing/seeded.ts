/**
 * A seeded generator of uniform floats in [0, 1) (mulberry32): the same numbers for the same seed
 * on every run and platform, independent of the library's PRNG, for test data that follows from a
 * fast-check seed.
 *
 * @example
 * import { seededUniform } from '@tenfold/grad/testing';
 *
 * const next = seededUniform(42);
 * const data = Float32Array.from({ length: 6 }, () => 2 * next() - 1); // in [-1, 1)
 */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
