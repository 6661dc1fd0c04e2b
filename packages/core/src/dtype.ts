import { fail } from './errors.js';

/** The element types an array can hold. `float64` exists on the CPU backend for precise checks. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The typed array that stores each dtype (bool as one byte per element). */
export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : Uint8Array;

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64' || x === 'int32' || x === 'bool';
}

/** `dtype` itself, or an error naming `op` and the valid dtypes (for JS callers and `as` casts). */
export function checkDType(op: string, dtype: unknown): DType {
  if (!isDType(dtype)) fail(op, `unknown dtype '${String(dtype)}'; use float32, float64, int32 or bool`);
  return dtype;
}

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** Whether `v` is an integer that int32 holds exactly. */
export function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
}

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

export function bytesPerElement(d: DType): number {
  return d === 'float64' ? 8 : d === 'bool' ? 1 : 4;
}

/**
 * Allocates a zero-filled typed array of `size` elements for `dtype`. JS refuses lengths past its
 * typed-array limit, or memory runs out, with a bare RangeError: this names the size instead.
 */
export function allocTyped<D extends DType>(dtype: D, size: number): TypedArrayFor<D> {
  try {
    return newTyped(dtype, size);
  } catch (e) {
    if (!isAllocationError(e)) throw e;
    return fail('alloc', `cannot allocate ${size} ${dtype} elements (${formatBytes(size * bytesPerElement(dtype))}): ${e.message}`);
  }
}

/** Whether `e` is the RangeError JS throws for a typed array too long or out of memory. */
export function isAllocationError(e: unknown): e is RangeError {
  return e instanceof RangeError && /typed array length|array buffer (length|allocation)/i.test(e.message);
}

/** Bytes in binary units, for messages. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

function newTyped<D extends DType>(dtype: D, size: number): TypedArrayFor<D> {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size) as TypedArrayFor<D>;
    case 'float64':
      return new Float64Array(size) as TypedArrayFor<D>;
    case 'int32':
      return new Int32Array(size) as TypedArrayFor<D>;
    default:
      return new Uint8Array(size) as TypedArrayFor<D>;
  }
}

/** Typed arrays accepted as array data: the storage types and the other 32-bit-or-narrower ones. */
export type TypedArrayInput = TypedArray | Int8Array | Int16Array | Uint16Array | Uint32Array | Uint8ClampedArray;

/**
 * The dtype a typed array becomes when none is asked for: floats keep theirs, integer types become
 * int32 (as jax.numpy with x64 off), and Uint8Array stays bool, the storage type of bool, so that
 * `np.array(await b.data())` round-trips (its values must then be 0 or 1; pass dtype 'int32' for
 * bytes). 64-bit integer and other views have no dtype here and are an error.
 */
export function dtypeOfTyped(a: ArrayBufferView, op = 'array'): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Uint8Array) return 'bool';
  if (a instanceof Int32Array || a instanceof Int16Array || a instanceof Int8Array) return 'int32';
  if (a instanceof Uint16Array || a instanceof Uint32Array || a instanceof Uint8ClampedArray) return 'int32';
  return fail(
    op,
    `${a.constructor.name} has no dtype here; use Float32Array, Float64Array, Int32Array (or a narrower integer array) or Uint8Array for bool, e.g. convert with Float64Array.from(...)`,
  );
}

/**
 * `value` as stored in an array of `dtype`, for arrays made from JS numbers (np.array, np.full,
 * pad values): bool is `value != 0` (NaN is true, as Python's bool); int32 truncates toward zero
 * as NumPy (1.7 → 1) but a non-finite or out-of-range value is an error naming it, where a bare
 * Int32Array would wrap it (3e9 → -1294967296); floats are stored rounded to nearest.
 */
export function castNumber(op: string, value: number | boolean, dtype: DType, where = ''): number {
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  if (dtype !== 'int32') return v;
  if (Number.isFinite(v) && v > INT32_MIN - 1 && v < INT32_MAX + 1) return Math.trunc(v) | 0;
  return fail(op, `${v}${where} cannot be stored as int32, which holds integers ${INT32_MIN}..${INT32_MAX}; use dtype 'float32' or 'float64' for it`);
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/**
 * JAX's promotion lattice restricted to our dtypes: bool < int32 < float32 < float64.
 * int32 with float32 gives float32 (JAX), not float64 (NumPy).
 */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype a JS number takes next to an array of dtype `d` (numbers are weakly typed, as in JAX):
 * it never widens a float array; a non-integer number turns an int or bool array into float32; an
 * integer one is int32 and must fit it (JAX's OverflowError), where it used to wrap silently.
 * JS cannot tell 3e9 from 3000000000, so an integral float literal counts as an integer too.
 */
export function weakScalarDType(value: number | boolean, d: DType, op = 'np'): DType {
  if (typeof value === 'boolean') return d;
  if (isFloatDType(d)) return d;
  if (!Number.isInteger(value)) return 'float32';
  if (!isInt32(value)) {
    fail(
      op,
      `JS number ${value} is too large to convert to int32 (range ${INT32_MIN}..${INT32_MAX}) next to ${d === 'int32' ? 'an' : 'a'} ${d} array; cast the array first, e.g. x.astype('float32')`,
    );
  }
  return d === 'bool' ? 'int32' : d;
}

/** The dtype of a JS value standing alone: boolean → bool, integer → int32, otherwise float32. */
export function defaultDTypeOf(value: number | boolean): DType {
  if (typeof value === 'boolean') return 'bool';
  return isInt32(value) ? 'int32' : 'float32';
}
