// Rank-0 constants and the ArrayLike → Array conversion every op starts with (below all other ops).
import type { Array, ArrayLike } from '../array.js';
import { ShapedArray } from '../aval.js';
import { type Backend, getBackend } from '../backend/backend.js';
import { ConcreteArray } from '../concrete.js';
import { foreignCopyOf, twoCopiesMessage } from '../copies.js';
import { allocTyped, castNumber, type DType, defaultDTypeOf } from '../dtype.js';
import { fail } from '../errors.js';
import { isArray } from './is-array.js';

const constants = new Map<string, ConcreteArray>();
const MAX_CONSTANTS = 4096;

/**
 * A rank-0 array holding `value` as `dtype` on `backend`, converted by {@link castNumber} (an
 * int32 out of range is an error naming `op`). Arrays are immutable, so constants are shared:
 * `x * 2` in a loop allocates the `2` once. Shared constants ignore `dispose()`.
 */
export function scalar(value: number | boolean, dtype: DType, backend: Backend = getBackend(), op = 'scalar'): ConcreteArray {
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const key = `${backend.name}:${dtype}:${Object.is(v, -0) ? '-0' : v}`;
  const cached = constants.get(key);
  if (cached) return cached;
  const typed = allocTyped(dtype, 1);
  typed[0] = castNumber(op, v, dtype);
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
    const other = foreignCopyOf(x);
    fail(
      'asArray',
      other === undefined
        ? `expected an Array, number or boolean, got ${x === null ? 'null' : typeof x}; build arrays with np.array(...)`
        : twoCopiesMessage(other),
    );
  }
  return scalar(x, dtype ?? defaultDTypeOf(x));
}

/**
 * Forgets the shared scalar constants of the backend called `name` (a backend whose device was
 * destroyed and made anew must not see arrays of the old one).
 *
 * @example
 * clearBackendConstants('webgpu');
 */
export function clearBackendConstants(name: string): void {
  for (const key of [...constants.keys()]) if (key.startsWith(`${name}:`)) constants.delete(key);
}
