import type { Array } from '../array.js';
import { type Backend, getBackend } from '../backend/backend.js';
import { fresh, fromTyped } from '../concrete.js';
import { allocTyped, castNumber, checkDType, type DType, defaultDTypeOf, dtypeOfTyped, type TypedArray, type TypedArrayInput } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { checkShape, sizeOf } from '../shape.js';
import { isArray } from './is-array.js';
import { astype } from './operands.js';
import { reshape } from './shape.js';

/** Nested JS arrays of numbers or booleans, as accepted by {@link array}. */
export type NestedArray = number | boolean | readonly NestedArray[];

export interface ArrayOptions {
  /** Element type; inferred from the data when omitted (booleans → bool, integers → int32, else float32). */
  dtype?: DType;
  /** Shape for flat typed-array data; inferred from nesting otherwise. */
  shape?: readonly number[];
  /** Backend name (default: the current default backend). */
  backend?: string;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (globalThis.Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0] as NestedArray;
  }
  return shape;
}

/** Flattens nested data into `out`, checking every level has the inferred length (no ragged input). */
function fill(data: NestedArray, shape: readonly number[], depth: number, out: number[], path: number[]): void {
  if (depth === shape.length) {
    if (globalThis.Array.isArray(data)) {
      fail('array', `ragged nested input: element at [${path.join(',')}] is a list but depth ${depth} should hold numbers (inferred shape ${shapeStr(shape)})`);
    }
    if (typeof data === 'boolean') out.push(data ? 1 : 0);
    else if (typeof data === 'number') out.push(data);
    else fail('array', `element at [${path.join(',')}] is ${typeof data}, expected a number or boolean`);
    return;
  }
  if (!globalThis.Array.isArray(data) || data.length !== shape[depth]) {
    const got = globalThis.Array.isArray(data) ? `length ${data.length}` : 'a scalar';
    fail('array', `ragged nested input: element at [${path.join(',')}] has ${got} but the inferred shape ${shapeStr(shape)} needs length ${shape[depth]}`);
  }
  data.forEach((d, i) => {
    fill(d, shape, depth + 1, out, [...path, i]);
  });
}

function inferDType(data: NestedArray): DType {
  let sawFloat = false;
  let sawNumber = false;
  const visit = (d: NestedArray): void => {
    if (globalThis.Array.isArray(d)) {
      for (const e of d) visit(e);
    } else if (typeof d === 'number') {
      sawNumber = true;
      if (defaultDTypeOf(d) === 'float32') sawFloat = true;
    }
  };
  visit(data);
  if (sawFloat) return 'float32';
  if (sawNumber) return 'int32';
  return inferShape(data).includes(0) ? 'float32' : 'bool';
}

/** Whether `typed` already is the storage of `dtype`, so it can be copied in as is. */
function isStorageOf(typed: TypedArrayInput, dtype: DType): typed is TypedArray {
  if (dtype === 'float32') return typed instanceof Float32Array;
  if (dtype === 'float64') return typed instanceof Float64Array;
  if (dtype === 'int32') return typed instanceof Int32Array;
  return false; // bool: a Uint8Array may hold values other than 0 and 1
}

/** Indexable numbers: a plain array or any numeric typed array. */
type NumberList = { readonly length: number; readonly [i: number]: number };

/** `src` converted element by element to the storage of `dtype` with {@link castNumber}'s rules. */
function castInto(op: string, src: NumberList, dtype: DType): TypedArray {
  const out = allocTyped(dtype, src.length);
  if (dtype === 'float32' || dtype === 'float64') {
    out.set(src);
    return out;
  }
  for (let i = 0; i < src.length; i++) out[i] = castNumber(op, src[i] as number, dtype, ` (flat index ${i})`);
  return out;
}

/** An array of `shape` from numbers computed on the host, converted with {@link castNumber}'s rules (errors name `op`). */
export function fromNumbers(op: string, values: NumberList, shape: readonly number[], dtype: DType, backend: Backend = getBackend()): Array {
  const typed = dtype === 'float64' && values instanceof Float64Array ? values : castInto(op, values, dtype);
  return fromTyped(typed, shape, dtype, backend);
}

/** A Uint8Array read as bool by default must already be 0/1: silently mapping 200 to true would lose byte data. */
function checkBoolBytes(typed: Uint8Array): void {
  for (let i = 0; i < typed.length; i++) {
    const v = typed[i] as number;
    if (v > 1)
      fail(
        'array',
        `a Uint8Array becomes bool unless a dtype is given, but flat index ${i} holds ${v}; pass { dtype: 'int32' } for byte data, or { dtype: 'bool' } to read nonzero as true`,
      );
  }
}

function fromTypedInput(typed: TypedArrayInput, opts: ArrayOptions, backend: Backend): Array {
  const natural = dtypeOfTyped(typed); // first: it rejects BigInt64Array, DataView...
  const dtype = opts.dtype ?? natural;
  const shape = checkShape('array', opts.shape ?? [typed.length]);
  if (sizeOf(shape) !== typed.length) fail('array', `shape ${shapeStr(shape)} needs ${sizeOf(shape)} elements but the typed array has ${typed.length}`);
  if (opts.dtype === undefined && typed instanceof Uint8Array) {
    checkBoolBytes(typed);
    return fromTyped(typed, shape, 'bool', backend);
  }
  return fromTyped(isStorageOf(typed, dtype) ? typed : castInto('array', typed, dtype), shape, dtype, backend);
}

/**
 * Creates an array from nested JS arrays, a typed array, a number or another Array (copied).
 *
 * Without a dtype: booleans → bool, integers in int32 range → int32, other numbers → float32;
 * Float32Array/Float64Array keep their dtype, Int8/Int16/Int32/Uint8Clamped/Uint16/Uint32 arrays
 * give int32 (Uint32 values past 2^31-1 are an error), and Uint8Array gives bool (values must be 0
 * or 1; pass dtype 'int32' for bytes). With dtype 'int32', fractional values truncate toward zero
 * as NumPy (1.7 → 1) and non-finite or out-of-range values are an error naming them (JAX raises
 * for out-of-range ints) instead of wrapping; with dtype 'bool', nonzero (and NaN) is true.
 *
 * @example
 * np.array([[1, 2], [3, 4]]);                 // int32 [2,2]
 * np.array([0.5, 1.5], { dtype: 'float64' });
 * np.array(new Float32Array(6), { shape: [2, 3] });
 */
export function array(data: NestedArray | TypedArrayInput | Array, opts: ArrayOptions = {}): Array {
  const backend: Backend = getBackend(opts.backend);
  if (opts.dtype !== undefined) checkDType('array', opts.dtype);
  // arrays are immutable, so a new array on the same storage is a copy (disposing it leaves `data`)
  if (isArray(data)) return opts.dtype && opts.dtype !== data.dtype ? astype(data, opts.dtype) : fresh(data, 'array');
  if (ArrayBuffer.isView(data)) {
    return fromTypedInput(data as TypedArrayInput, opts, backend);
  }
  const shape = inferShape(data);
  if (opts.shape) checkShape('array', opts.shape);
  const flat: number[] = [];
  fill(data, shape, 0, flat, []);
  const dtype = opts.dtype ?? inferDType(data);
  const arr = fromTyped(castInto('array', flat, dtype), shape, dtype, backend);
  if (opts.shape) return reshape(arr, opts.shape);
  return arr;
}
