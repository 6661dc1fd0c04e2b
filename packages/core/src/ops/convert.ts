import { type Array, type ArrayLike, ConcreteArray, fromTyped } from '../array.js';
import { ShapedArray } from '../aval.js';
import { type Backend, getBackend } from '../backend/backend.js';
import { allocTyped, type DType, defaultDTypeOf, dtypeOfTyped, isDType, type TypedArray } from '../dtype.js';
import { fail, shapeStr } from '../errors.js';
import { checkShape, sizeOf } from '../shape.js';
import { astype } from './elementwise.js';
import { isArray } from './is-array.js';
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

/**
 * Creates an array from nested JS arrays, a typed array, a number or another Array (copied).
 *
 * @example
 * np.array([[1, 2], [3, 4]]);                 // int32 [2,2]
 * np.array([0.5, 1.5], { dtype: 'float64' });
 * np.array(new Float32Array(6), { shape: [2, 3] });
 */
export function array(data: NestedArray | TypedArray | Array, opts: ArrayOptions = {}): Array {
  const backend: Backend = getBackend(opts.backend);
  if (opts.dtype !== undefined && !isDType(opts.dtype)) fail('array', `unknown dtype '${String(opts.dtype)}'; use float32, float64, int32 or bool`);
  if (isArray(data)) return opts.dtype && opts.dtype !== data.dtype ? astype(data, opts.dtype) : data;
  if (ArrayBuffer.isView(data)) {
    const typed = data as TypedArray;
    const shape = checkShape('array', opts.shape ?? [typed.length]);
    if (sizeOf(shape) !== typed.length) fail('array', `shape ${shapeStr(shape)} needs ${sizeOf(shape)} elements but the typed array has ${typed.length}`);
    const dtype = opts.dtype ?? dtypeOfTyped(typed);
    return fromTyped(typed, shape, dtype, backend);
  }
  const shape = inferShape(data);
  if (opts.shape) checkShape('array', opts.shape);
  const flat: number[] = [];
  fill(data, shape, 0, flat, []);
  const dtype = opts.dtype ?? inferDType(data);
  const typed = allocTyped(dtype, flat.length);
  if (dtype === 'int32') for (let i = 0; i < flat.length; i++) typed[i] = Math.trunc(flat[i] as number);
  else if (dtype === 'bool') for (let i = 0; i < flat.length; i++) typed[i] = flat[i] !== 0 ? 1 : 0;
  else typed.set(flat);
  const arr = fromTyped(typed, shape, dtype, backend);
  if (opts.shape) return reshape(arr, opts.shape);
  return arr;
}

const constants = new Map<string, ConcreteArray>();
const MAX_CONSTANTS = 4096;

/**
 * A rank-0 array holding `value` as `dtype` on `backend`. Arrays are immutable, so constants are
 * shared: `x * 2` in a loop allocates the `2` once. Shared constants ignore `dispose()`.
 */
export function scalar(value: number | boolean, dtype: DType, backend: Backend = getBackend()): ConcreteArray {
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const key = `${backend.name}:${dtype}:${Object.is(v, -0) ? '-0' : v}`;
  const cached = constants.get(key);
  if (cached) return cached;
  const typed = allocTyped(dtype, 1);
  typed[0] = dtype === 'bool' ? (v !== 0 ? 1 : 0) : dtype === 'int32' ? Math.trunc(v) : v;
  const arr = new ConcreteArray(new ShapedArray([], dtype), backend, backend.write(dtype, typed));
  arr.pin();
  if (constants.size >= MAX_CONSTANTS) constants.clear();
  constants.set(key, arr);
  return arr;
}

/** An Array as is; a JS number or boolean as a rank-0 array (dtype inferred unless given). */
export function asArray(x: ArrayLike, dtype?: DType): Array {
  if (isArray(x)) return x;
  if (typeof x !== 'number' && typeof x !== 'boolean') {
    fail('asArray', `expected an Array, number or boolean, got ${x === null ? 'null' : typeof x}; build arrays with np.array(...)`);
  }
  return scalar(x, dtype ?? defaultDTypeOf(x));
}
