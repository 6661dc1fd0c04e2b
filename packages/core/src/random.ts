/**
 * JAX's `jax.random`: explicit, splittable PRNG keys on the threefry2x32-20 block cipher.
 *
 * A key is an int32 Array of shape [2] holding the two uint32 words of JAX's raw `uint32[2]` key
 * (read them as unsigned with `>>> 0`). Every function is a pure function of its key: the same key
 * always gives the same numbers, so split a key whenever you need fresh randomness. The streams
 * follow JAX's current default scheme (`jax_threefry_partitionable=True`) bit for bit, and every op
 * is built from primitives (`threefry2x32`, shifts, bitcasts, iota...), never by reading values in
 * JS, so it works on every backend and under transforms.
 *
 * @example
 * import { random } from '@tenfold/core';
 * const key = random.key(0);
 * const [k1, k2] = random.split(key);
 * const x = random.normal(k1, [3, 3]);
 * const u = random.uniform(k2, [3], { minval: -1, maxval: 1 });
 */
import type { Array, ArrayLike } from './array.js';
import { withBackend } from './backend/backend.js';
import { ConcreteArray, isConcrete } from './concrete.js';
import type { DType } from './dtype.js';
import { fail } from './errors.js';
import * as lax from './lax.js';
import * as np from './np.js';
import { isArray } from './ops/is-array.js';
import { checkShape, normalizeAxis, shapesEqual, sizeOf } from './shape.js';

/** A PRNG key: an int32 Array of shape [2] holding uint32 bits (from {@link key}, {@link split} or {@link foldIn}). */
export type PRNGKey = Array;

/** Float dtypes the samplers produce (float64 on the CPU backend only). */
export type FloatDType = 'float32' | 'float64';

/** A shape: a list of dimensions, or one number for a 1-d shape. */
export type ShapeLike = number | readonly number[];

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

// ---------------------------------------------------------------------------------------------
// validation and small helpers

function describe(x: unknown): string {
  if (isArray(x)) return `${x.dtype}[${x.shape.join(',')}]`;
  if (x === null) return 'null';
  if (globalThis.Array.isArray(x)) return 'a JS array';
  return typeof x === 'number' ? String(x) : typeof x;
}

/** Checks `key` is an int32 [2] array (works on tracers: only the aval is read). */
function checkKey(op: string, key: unknown): Array {
  if (!isArray(key) || key.dtype !== 'int32' || !shapesEqual(key.shape, [2])) {
    fail(op, `key must be an int32 array of shape [2] as made by random.key(seed), got ${describe(key)}`);
  }
  return key;
}

function checkShapeLike(op: string, shape: ShapeLike): number[] {
  const s = checkShape(op, typeof shape === 'number' ? [shape] : shape);
  if (sizeOf(s) > INT32_MAX) fail(op, `shape [${s.join(',')}] has ${sizeOf(s)} elements; at most 2^31 - 1 are supported`);
  return s;
}

function checkFloatDType(op: string, dtype: unknown): FloatDType {
  if (dtype !== 'float32' && dtype !== 'float64') fail(op, `dtype must be float32 or float64, got ${String(dtype)}`);
  return dtype;
}

/** Checks an array operand broadcasts to `shape` (JAX requires the output shape to be the full one). */
function checkBroadcastsTo(op: string, name: string, x: Array, shape: readonly number[]): void {
  const lead = shape.length - x.ndim;
  const ok = lead >= 0 && x.shape.every((d, i) => d === 1 || d === shape[lead + i]);
  if (!ok) fail(op, `${name} of shape [${x.shape.join(',')}] does not broadcast to the requested shape [${shape.join(',')}]`);
}

/** Runs `fn` with the key's backend as the default, so constants and iotas land next to the key. */
function onKeyBackend<T>(key: Array, fn: () => T): T {
  return withBackend(key instanceof ConcreteArray ? key.backend.name : undefined, fn);
}

/** `value` as an array of `shape` and `dtype` (int32 values are taken as 32-bit patterns). */
function filled(shape: readonly number[], value: number, dtype: DType = 'int32'): Array {
  return np.full(shape, dtype === 'int32' ? value | 0 : value, { dtype });
}

/** The constant `value` with the shape and dtype of `like`. */
function like(x: Array, value: number): Array {
  return filled(x.shape, value, x.dtype);
}

/** The two words of a key, broadcast to `shape`. */
function keyWords(key: Array, shape: readonly number[]): [Array, Array] {
  const k0 = lax.reshape(lax.slice(key, [0], [1]), []);
  const k1 = lax.reshape(lax.slice(key, [1], [2]), []);
  return [np.broadcastTo(k0, shape), np.broadcastTo(k1, shape)];
}

/**
 * threefry2x32(key, (hi, lo)) for the row-major positions 0..n-1 of `shape` (JAX's
 * `iota_2x32_shape`: hi is 0 below 2^32 elements), as two int32 arrays of `shape`.
 */
function hashPositions(key: Array, shape: readonly number[]): [Array, Array] {
  const n = sizeOf(shape);
  const lo = lax.iota('int32', [n], 0);
  const hi = filled([n], 0);
  const [k0, k1] = keyWords(key, [n]);
  const [y0, y1] = lax.threefry2x32(k0, k1, hi, lo);
  return [lax.reshape(y0, shape), lax.reshape(y1, shape)];
}

/** Stacks two [n] words into keys [n, 2]. */
function stackWords(y0: Array, y1: Array): Array {
  const n = y0.shape[0] as number;
  return lax.concatenate([lax.reshape(y0, [n, 1]), lax.reshape(y1, [n, 1])], 1);
}

/** Row `i` of a [n, 2] key array. */
function row(keys: Array, i: number): Array {
  return lax.reshape(lax.slice(keys, [i, 0], [i + 1, 2]), [2]);
}

function splitImpl(key: Array, num: number): Array {
  const [y0, y1] = hashPositions(key, [num]);
  return stackWords(y0, y1);
}

function split2(key: Array): [Array, Array] {
  const keys = splitImpl(key, 2);
  return [row(keys, 0), row(keys, 1)];
}

/** 32 random bits per element (JAX's partitionable `random_bits`: y0 ^ y1). */
function bits32(key: Array, shape: readonly number[]): Array {
  const [y0, y1] = hashPositions(key, shape);
  return lax.bitwiseXor(y0, y1);
}

/** Uniform floats in [0, 1) with JAX's bit recipe for `dtype`. */
function unitFloats(key: Array, shape: readonly number[], dtype: FloatDType): Array {
  if (dtype === 'float32') {
    // 23 mantissa bits under the exponent of 1.0 give a float in [1, 2)
    const b = bits32(key, shape);
    const mantissa = lax.shiftRightLogical(b, like(b, 9));
    const f = lax.bitcastConvertType(lax.bitwiseOr(mantissa, like(b, 0x3f800000)), 'float32');
    return lax.sub(f, like(f, 1));
  }
  // float64: JAX takes the top 52 of the 64 bits (y0 << 32) | y1. There is no uint64 or f64 bitcast
  // here, so build the same value exactly in float64: (y0 * 2^20 + (y1 >>> 12)) * 2^-52.
  const [y0, y1] = hashPositions(key, shape);
  const y0f = lax.convertElementType(y0, 'float64');
  const y0u = np.where(np.less(y0f, 0), np.add(y0f, 2 ** 32), y0f);
  const y1f = lax.convertElementType(lax.shiftRightLogical(y1, like(y1, 12)), 'float64');
  return np.multiply(np.add(np.multiply(y0u, 2 ** 20), y1f), 2 ** -52);
}

/** A bound as an array of `dtype` that broadcasts to `shape`. */
function floatBound(op: string, name: string, v: ArrayLike, dtype: FloatDType, shape: readonly number[]): Array {
  if (isArray(v)) {
    checkBroadcastsTo(op, name, v, shape);
    return np.astype(v, dtype);
  }
  if (typeof v !== 'number') fail(op, `${name} must be a number or an Array, got ${describe(v)}`);
  return filled([], v, dtype);
}

function uniformImpl(key: Array, shape: readonly number[], dtype: FloatDType, minval: Array, maxval: Array): Array {
  const f = unitFloats(key, shape, dtype);
  // (maxval - minval), the product and the sum each round to `dtype`, as JAX
  const scaled = np.add(np.multiply(f, np.subtract(maxval, minval)), minval);
  return np.maximum(minval, scaled);
}

// ---------------------------------------------------------------------------------------------
// keys

/**
 * A PRNG key from an integer seed: the int32 [2] array `[0, seed mod 2^32]` (JAX's
 * `random.PRNGKey(seed)` with 32-bit seeds). Negative seeds wrap (`-1` → `[0, 4294967295]`); seeds
 * beyond 32 bits keep their low 32 bits. A traced or concrete int32 scalar Array is accepted too.
 *
 * @example
 * const key = random.key(42);
 * key.dtype; // 'int32'
 * key.shape; // [2]
 */
export function key(seed: number | Array): PRNGKey {
  if (isArray(seed)) {
    if (seed.dtype !== 'int32' || seed.ndim !== 0) fail('random.key', `seed must be an integer or an int32 scalar Array, got ${describe(seed)}`);
    return onKeyBackend(seed, () => lax.concatenate([filled([1], 0), lax.reshape(seed, [1])], 0));
  }
  if (typeof seed !== 'number' || !Number.isFinite(seed) || !Number.isInteger(seed)) {
    fail('random.key', `seed must be a finite integer, got ${describe(seed)}`);
  }
  // ToInt32 takes the low 32 bits exactly, whatever the magnitude
  return np.array([0, seed | 0], { dtype: 'int32' });
}

/** Alias of {@link key}, as JAX's legacy `random.PRNGKey`. @example const k = random.PRNGKey(0); */
export const PRNGKey = key;

/**
 * The keys {@link split} returns: a tuple of `N` keys when `N` is a literal up to 16 (so
 * `const [a, b] = random.split(key)` types `a` and `b` as Array under `noUncheckedIndexedAccess`),
 * otherwise `Array[]`.
 */
export type SplitKeys<N extends number, Acc extends Array[] = []> = number extends N
  ? Array[]
  : Acc['length'] extends N
    ? Acc
    : Acc['length'] extends 16
      ? Array[]
      : SplitKeys<N, [...Acc, Array]>;

/**
 * Splits `key` into `num` new independent keys, returned as a JS array so it destructures as in
 * JAX (`k, sub = random.split(key)`). Key `i` is `threefry2x32(key, (0, i))`, so
 * `split(key, n)[i]` equals `foldIn(key, i)`. With a literal `num` (up to 16) the result is typed
 * as a tuple, see {@link SplitKeys}. Use {@link splitKeys} for one [num, 2] Array (JAX's return
 * value, e.g. to vmap over).
 *
 * @example
 * const [k1, k2] = random.split(random.key(0)); // [Array, Array]
 * let key = random.key(1);
 * for (let step = 0; step < 3; step++) {
 *   const [next, sub] = random.split(key);
 *   key = next;
 *   console.log(random.uniform(sub, [2]).tolist());
 * }
 * const keys = random.split(key, 4); // four keys
 */
export function split<N extends number = 2>(key: PRNGKey, num?: N): SplitKeys<N> {
  const k = checkKey('random.split', key);
  const n = num ?? 2;
  checkNum('random.split', n);
  return onKeyBackend(k, () => {
    const keys = splitImpl(k, n);
    return globalThis.Array.from({ length: n }, (_, i) => row(keys, i)) as SplitKeys<N>;
  });
}

function checkNum(op: string, num: unknown): void {
  if (typeof num !== 'number' || !Number.isInteger(num) || num <= 0) fail(op, `num must be a positive integer, got ${describe(num)}`);
  if (num > INT32_MAX) fail(op, `num must be below 2^31, got ${num}`);
}

/**
 * Splits `key` into `num` keys stacked as one int32 Array of shape [num, 2] (JAX's
 * `random.split` return value), convenient to map over with vmap. Row `i` equals `split(key, num)[i]`.
 *
 * @example
 * const keys = random.splitKeys(random.key(0), 8); // [8, 2]
 */
export function splitKeys(key: PRNGKey, num = 2): Array {
  const k = checkKey('random.splitKeys', key);
  checkNum('random.splitKeys', num);
  return onKeyBackend(k, () => splitImpl(k, num));
}

/**
 * A new key derived from `key` and the integer `data` (its low 32 bits, as uint32):
 * `threefry2x32(key, (0, data))`. Use it to derive per-step or per-item keys deterministically.
 * `data` may also be an int32 scalar Array (e.g. a traced step counter).
 *
 * @example
 * const stepKey = random.foldIn(random.key(0), 17);
 */
export function foldIn(key: PRNGKey, data: number | Array): PRNGKey {
  const k = checkKey('random.foldIn', key);
  let d: Array | number;
  if (isArray(data)) {
    if (data.dtype !== 'int32' || data.ndim !== 0) fail('random.foldIn', `data must be an integer or an int32 scalar Array, got ${describe(data)}`);
    d = data;
  } else {
    if (typeof data !== 'number' || !Number.isInteger(data)) fail('random.foldIn', `data must be a finite integer, got ${describe(data)}`);
    d = data | 0;
  }
  return onKeyBackend(k, () => {
    const lo = isArray(d) ? lax.reshape(d, [1]) : filled([1], d);
    const [k0, k1] = keyWords(k, [1]);
    const [y0, y1] = lax.threefry2x32(k0, k1, filled([1], 0), lo);
    return lax.concatenate([y0, y1], 0);
  });
}

// ---------------------------------------------------------------------------------------------
// samplers

/**
 * Random 32-bit words of `shape`, as int32 holding the uint32 bits (JAX's `random.bits`, which
 * returns uint32: read a value as unsigned with `>>> 0`).
 *
 * @example
 * const b = random.bits(random.key(1701), [3]);
 * Array.from(b.dataSync(), (v) => v >>> 0); // [1111271205, 2679469115, 974515252]
 */
export function bits(key: PRNGKey, shape: ShapeLike = []): Array {
  const k = checkKey('random.bits', key);
  const s = checkShapeLike('random.bits', shape);
  return onKeyBackend(k, () => bits32(k, s));
}

export interface UniformOptions {
  /** float32 (default) or float64 (CPU backend). */
  dtype?: FloatDType;
  /** Inclusive lower bound (default 0): a number or an Array broadcasting to the shape. */
  minval?: ArrayLike;
  /** Exclusive upper bound (default 1): a number or an Array broadcasting to the shape. */
  maxval?: ArrayLike;
}

/**
 * Uniform floats in [minval, maxval) of `shape` (JAX's `random.uniform`): the top mantissa bits
 * of random words give a float in [0, 1), scaled as `max(minval, f * (maxval - minval) + minval)`
 * in the requested dtype.
 *
 * @example
 * random.uniform(random.key(0), [3]);                          // [0.947667, 0.9785799, 0.33229148]
 * random.uniform(random.key(1), [2, 2], { minval: -1, maxval: 1 });
 */
export function uniform(key: PRNGKey, shape: ShapeLike = [], opts: UniformOptions = {}): Array {
  const op = 'random.uniform';
  const k = checkKey(op, key);
  const s = checkShapeLike(op, shape);
  const dtype = checkFloatDType(op, opts.dtype ?? 'float32');
  return onKeyBackend(k, () => {
    const minval = floatBound(op, 'minval', opts.minval ?? 0, dtype, s);
    const maxval = floatBound(op, 'maxval', opts.maxval ?? 1, dtype, s);
    return uniformImpl(k, s, dtype, minval, maxval);
  });
}

/**
 * Standard normal samples of `shape` (JAX's `random.normal`): `sqrt(2) * erfinv(u)` with `u`
 * uniform in (-1, 1). float64 uses 52 random bits but erfinv's float32-accurate polynomial
 * (relative error about 1e-7).
 *
 * @example
 * const z = random.normal(random.key(0), [3, 3]);
 * const w = random.normal(random.key(1), [784, 10]).mul(0.01); // weight init
 */
export function normal(key: PRNGKey, shape: ShapeLike = [], opts: { dtype?: FloatDType } = {}): Array {
  const op = 'random.normal';
  const k = checkKey(op, key);
  const s = checkShapeLike(op, shape);
  const dtype = checkFloatDType(op, opts.dtype ?? 'float32');
  // nextafter(-1, 0) in the dtype, so erfinv stays finite
  const lo = dtype === 'float32' ? -1 + 2 ** -24 : -1 + 2 ** -53;
  return onKeyBackend(k, () => {
    const u = uniformImpl(k, s, dtype, filled([], lo, dtype), filled([], 1, dtype));
    return np.multiply(np.erfinv(u), Math.SQRT2);
  });
}

/**
 * Random booleans, true with probability `p` (JAX's `random.bernoulli`: `uniform(key, shape) < p`).
 * `p` may be an Array (float; its dtype sets the uniforms' dtype) broadcasting to `shape`; `shape`
 * defaults to p's shape.
 *
 * @example
 * random.bernoulli(random.key(0), 0.5, [5]); // [false, false, true, true, false]
 * const keep = random.bernoulli(key, 0.9, x.shape); // dropout mask
 */
export function bernoulli(key: PRNGKey, p: ArrayLike = 0.5, shape?: ShapeLike): Array {
  const op = 'random.bernoulli';
  const k = checkKey(op, key);
  if (!isArray(p) && typeof p !== 'number') fail(op, `p must be a number or an Array, got ${describe(p)}`);
  const pShape = isArray(p) ? p.shape : [];
  const s = shape === undefined ? checkShapeLike(op, pShape) : checkShapeLike(op, shape);
  return onKeyBackend(k, () => {
    const pa = isArray(p) ? p : filled([], p, 'float32');
    checkBroadcastsTo(op, 'p', pa, s);
    const dtype: FloatDType = pa.dtype === 'float64' ? 'float64' : 'float32';
    const prob = np.astype(pa, dtype);
    const u = uniformImpl(k, s, dtype, filled([], 0, dtype), filled([], 1, dtype));
    return np.less(u, prob);
  });
}

// unsigned 32-bit arithmetic on int32 storage: add, sub and mul wrap identically; comparisons and
// remainders need care.

/** Unsigned a < b on int32 words. */
function ult(a: Array, b: Array): Array {
  return lax.lt(lax.bitwiseXor(a, like(a, INT32_MIN)), lax.bitwiseXor(b, like(b, INT32_MIN)));
}

/**
 * Unsigned remainder x % s of uint32 words held in int32 arrays of one shape, exact for every
 * divisor; s = 0 stands for 2^32 and leaves x unchanged (XLA's unsigned rem by 0).
 */
function urem(x: Array, s: Array): Array {
  // s < 2^31: halve x so signed rem applies, then double back with one conditional subtraction
  // (2 * (h % s) + bit < 2s <= 2^32, so the sum is exact as a uint32)
  const h = lax.shiftRightLogical(x, like(x, 1));
  const bit = lax.bitwiseAnd(x, like(x, 1));
  const r = lax.rem(h, s);
  const t = lax.add(lax.add(r, r), bit);
  const small = lax.select(ult(t, s), t, lax.sub(t, s));
  // s >= 2^31: x < 2^32 <= 2s, so one conditional subtraction suffices
  const large = lax.select(ult(x, s), x, lax.sub(x, s));
  const out = lax.select(lax.lt(s, like(s, 0)), large, small);
  return lax.select(lax.eq(s, like(s, 0)), x, out);
}

/** An integer bound as int32 broadcast to `shape`, and whether it lies above the int32 range. */
function intBound(op: string, name: string, v: ArrayLike, shape: readonly number[]): [Array, Array] {
  if (isArray(v)) {
    checkBroadcastsTo(op, name, v, shape);
    const above = v.dtype === 'float32' || v.dtype === 'float64' ? np.greaterEqual(v, 2 ** 31) : filled([], 0, 'bool');
    return [np.broadcastTo(np.astype(v, 'int32'), shape), np.broadcastTo(above, shape)];
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(op, `${name} must be a finite number or an Array, got ${describe(v)}`);
  const t = Math.trunc(v);
  const clipped = Math.min(INT32_MAX, Math.max(INT32_MIN, t));
  return [filled(shape, clipped), filled(shape, t > INT32_MAX ? 1 : 0, 'bool')];
}

/**
 * Random int32 integers in [minval, maxval) of `shape` (JAX's `random.randint`, bit for bit).
 * Bounds may be numbers (truncated toward zero, then clipped to the int32 range; a maxval above
 * 2^31 - 1 includes 2^31 - 1, as JAX with 64-bit ints) or int Arrays broadcasting to `shape`.
 * When maxval <= minval every value is minval. As in JAX the result is slightly biased when the
 * range is not a power of two.
 *
 * @example
 * random.randint(random.key(0), [3, 3], 0, 8); // [[5, 0, 0], [5, 3, 3], [0, 7, 5]]
 * const labels = random.randint(key, [32], 0, 10);
 */
export function randint(key: PRNGKey, shape: ShapeLike, minval: ArrayLike, maxval: ArrayLike): Array {
  const op = 'random.randint';
  const k = checkKey(op, key);
  const s = checkShapeLike(op, shape);
  return onKeyBackend(k, () => {
    const [lo] = intBound(op, 'minval', minval, s);
    const [hi, hiAbove] = intBound(op, 'maxval', maxval, s);
    const [k1, k2] = split2(k);
    const higher = bits32(k1, s);
    const lower = bits32(k2, s);
    const one = filled(s, 1);
    // span = maxval - minval as uint32; 1 for an empty range; one more when maxval lies above
    // int32 (wrapping to 0 = 2^32 for the full range, where the remainders below do nothing)
    let span = lax.select(lax.le(hi, lo), one, lax.sub(hi, lo));
    span = lax.select(np.logicalAnd(hiAbove, lax.gt(hi, lo)), lax.add(span, one), span);
    // 2^32 % span from (2^16 % span)^2; for span > 2^16 the square wraps to 0, exactly as JAX
    let mult = urem(filled(s, 65536), span);
    mult = urem(lax.mul(mult, mult), span);
    const offset = urem(lax.add(lax.mul(urem(higher, span), mult), urem(lower, span)), span);
    return lax.add(lo, offset);
  });
}

/** The round count of JAX's sort-based shuffle for `n` elements. */
function shuffleRounds(n: number): number {
  return Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(4294967295));
}

/** Int32 sort keys whose signed order is the unsigned order of the random words. */
function sortKeys(key: Array, shape: readonly number[]): Array {
  const b = bits32(key, shape);
  return lax.bitwiseXor(b, like(b, INT32_MIN));
}

/** A random permutation of 0..n-1 (int32 [n]) by JAX's rounds of stable sorts on random keys. */
function permutationIndices(key: Array, n: number): Array {
  let x = lax.iota('int32', [n], 0);
  for (let r = 0, rounds = shuffleRounds(n); r < rounds; r++) {
    const [next, sub] = split2(key);
    key = next;
    x = lax.gather(x, lax.argsort(sortKeys(sub, [n]), 0), 0);
  }
  return x;
}

export interface PermutationOptions {
  /** The axis of an array to permute (default 0). */
  axis?: number;
  /** Shuffle each slice along `axis` independently (default false: one permutation for all). */
  independent?: boolean;
}

/**
 * A random permutation (JAX's `random.permutation`). With a number `n`: a shuffled
 * `arange(n)` (int32). With an array: the array with its slices along `axis` shuffled by one
 * permutation, or, with `independent`, each 1-d slice along `axis` shuffled on its own.
 * (JAX's deprecated `random.shuffle` is `permutation(key, x, { independent: true })`.)
 *
 * @example
 * random.permutation(random.key(0), 10);         // [0, 1, 8, 5, 6, 4, 3, 2, 7, 9]
 * const rows = random.permutation(key, data);     // shuffles the rows of `data`
 * const cols = random.permutation(key, data, { axis: 1 });
 */
export function permutation(key: PRNGKey, x: number | Array, opts: PermutationOptions = {}): Array {
  const op = 'random.permutation';
  const k = checkKey(op, key);
  if (!isArray(x)) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > INT32_MAX) {
      fail(op, `x must be a non-negative integer or an Array with at least one dimension, got ${describe(x)}`);
    }
    return onKeyBackend(k, () => permutationIndices(k, x));
  }
  if (x.ndim === 0) {
    // as JAX: a 0-d integer array means arange(x), which needs its value
    if (x.dtype !== 'int32' || !isConcrete(x)) fail(op, `a 0-d x must be a concrete int32 count (the output shape depends on it), got ${describe(x)}`);
    return permutation(k, x.item() as number, opts);
  }
  const axis = normalizeAxis(op, opts.axis ?? 0, x.ndim);
  return onKeyBackend(k, () => {
    if (!opts.independent || x.ndim === 1) return lax.gather(x, permutationIndices(k, x.shape[axis] as number), axis);
    let out = x;
    let kk = k;
    for (let r = 0, rounds = shuffleRounds(x.size); r < rounds; r++) {
      const [next, sub] = split2(kk);
      kk = next;
      out = np.takeAlongAxis(out, lax.argsort(sortKeys(sub, x.shape), axis), axis);
    }
    return out;
  });
}
