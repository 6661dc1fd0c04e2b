// The methods of Array, attached by the ops that implement them (so array.ts imports no op).
import { type Array, Array as ArrayClass, type ArrayLike } from '../array.js';
import type { DType } from '../dtype.js';
import { toNested } from '../format.js';
import { abs, add, astype, divide, equal, exp, greater, less, log, multiply, negative, power, sqrt, subtract } from './elementwise.js';
import { type AtUpdater, at, type Index, index } from './indexing.js';
import { matmul } from './linalg.js';
import { argmax, argmin, max, mean, min, sum } from './reductions.js';
import { expandDims, ravel, reshape, squeeze, transpose } from './shape.js';

/** Array's NumPy-style methods; every Array has them once {@link installArrayMethods} ran (core's entry does). */
export class ArrayMethods {
  /**
   * The values as nested JS arrays (numbers, or booleans for bool). Reads synchronously, so it
   * throws on WebGPU: {@link ArrayMethods.tolistAsync} works on every backend.
   */
  tolist(this: Array): unknown {
    return toNested(this.dataSync(), this.shape, this.dtype);
  }
  /**
   * As {@link ArrayMethods.tolist}, read asynchronously: works on every backend.
   *
   * @example
   * await np.arange(3).tolistAsync(); // [0, 1, 2]
   */
  async tolistAsync(this: Array): Promise<unknown> {
    return toNested(await this.data(), this.shape, this.dtype);
  }
  // Arithmetic (NumPy broadcasting and type promotion)
  add(this: Array, other: ArrayLike): Array {
    return add(this, other);
  }
  sub(this: Array, other: ArrayLike): Array {
    return subtract(this, other);
  }
  mul(this: Array, other: ArrayLike): Array {
    return multiply(this, other);
  }
  div(this: Array, other: ArrayLike): Array {
    return divide(this, other);
  }
  pow(this: Array, other: ArrayLike): Array {
    return power(this, other);
  }
  neg(this: Array): Array {
    return negative(this);
  }
  matmul(this: Array, other: Array): Array {
    return matmul(this, other);
  }
  exp(this: Array): Array {
    return exp(this);
  }
  log(this: Array): Array {
    return log(this);
  }
  sqrt(this: Array): Array {
    return sqrt(this);
  }
  abs(this: Array): Array {
    return abs(this);
  }
  eq(this: Array, other: ArrayLike): Array {
    return equal(this, other);
  }
  lt(this: Array, other: ArrayLike): Array {
    return less(this, other);
  }
  gt(this: Array, other: ArrayLike): Array {
    return greater(this, other);
  }
  // Reductions
  sum(this: Array, axis?: number | readonly number[] | null, opts?: { keepdims?: boolean }): Array {
    return sum(this, axis, opts);
  }
  mean(this: Array, axis?: number | readonly number[] | null, opts?: { keepdims?: boolean }): Array {
    return mean(this, axis, opts);
  }
  max(this: Array, axis?: number | readonly number[] | null, opts?: { keepdims?: boolean }): Array {
    return max(this, axis, opts);
  }
  min(this: Array, axis?: number | readonly number[] | null, opts?: { keepdims?: boolean }): Array {
    return min(this, axis, opts);
  }
  argmax(this: Array, axis?: number | null): Array {
    return argmax(this, axis);
  }
  argmin(this: Array, axis?: number | null): Array {
    return argmin(this, axis);
  }
  // Shape
  reshape(this: Array, ...shape: number[] | [readonly number[]]): Array {
    const s = (globalThis.Array.isArray(shape[0]) ? shape[0] : shape) as readonly number[];
    return reshape(this, s);
  }
  transpose(this: Array, axes?: readonly number[]): Array {
    return transpose(this, axes);
  }
  /** The transpose (axes reversed). */
  get T(): Array {
    return transpose(this as unknown as Array);
  }
  flatten(this: Array): Array {
    return ravel(this);
  }
  squeeze(this: Array, axis?: number | readonly number[]): Array {
    return squeeze(this, axis);
  }
  expandDims(this: Array, axis: number | readonly number[]): Array {
    return expandDims(this, axis);
  }
  astype(this: Array, dtype: DType): Array {
    return astype(this, dtype);
  }
  /**
   * NumPy indexing: integers (negative count from the end), `np.slice(start, stop, step)` or string
   * slices (`'1:3'`, `':'`, `'::-1'`), `'...'`, `null` for a new axis, and integer/boolean Arrays
   * or number lists for advanced indexing; see {@link Index}.
   *
   * @example
   * x.index(0)                 // x[0]
   * x.index(np.slice(1, 3), -1) // x[1:3, -1]
   * x.index(np.array([2, 0]))  // x[[2, 0]]
   */
  index(this: Array, ...indices: Index[]): Array {
    return index(this, indices);
  }
  /**
   * Functional update, as JAX's `x.at[idx]`: returns a new array.
   *
   * @example
   * const y = x.at(0).set(5);    // x with row 0 set to 5
   * const z = x.at(np.array([1, 1])).add(1); // adds 2 to x[1]
   */
  at(this: Array, ...indices: Index[]): AtUpdater {
    return at(this, indices);
  }
}

declare module '../array.js' {
  interface Array extends ArrayMethods {}
}

/** Copies the methods onto Array's prototype; idempotent. */
export function installArrayMethods(): void {
  for (const key of Object.getOwnPropertyNames(ArrayMethods.prototype)) {
    if (key === 'constructor') continue;
    Object.defineProperty(ArrayClass.prototype, key, Object.getOwnPropertyDescriptor(ArrayMethods.prototype, key) as PropertyDescriptor);
  }
}
