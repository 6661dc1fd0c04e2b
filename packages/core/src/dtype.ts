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

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

export function bytesPerElement(d: DType): number {
  return d === 'float64' ? 8 : d === 'bool' ? 1 : 4;
}

/** Allocates a zero-filled typed array of `size` elements for `dtype`. */
export function allocTyped<D extends DType>(dtype: D, size: number): TypedArrayFor<D> {
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

/** The dtype a typed array naturally holds (Uint8Array means bool). */
export function dtypeOfTyped(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
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
 * it never widens a float array; a non-integer number turns an int or bool array into float32.
 */
export function weakScalarDType(value: number | boolean, d: DType): DType {
  if (typeof value === 'boolean') return d;
  if (isFloatDType(d)) return d;
  if (!Number.isInteger(value)) return 'float32';
  return d === 'bool' ? 'int32' : d;
}

/** The dtype of a JS value standing alone: boolean → bool, integer → int32, otherwise float32. */
export function defaultDTypeOf(value: number | boolean): DType {
  if (typeof value === 'boolean') return 'bool';
  return Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 ? 'int32' : 'float32';
}
