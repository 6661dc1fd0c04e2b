import type { ShapedArray } from './aval.js';
import { brandArrayPrototype } from './copies.js';
import './disposable.js';
import type { DType, TypedArray } from './dtype.js';
import { fail } from './errors.js';
import { formatArray, formatData } from './format.js';
import type { Shape } from './shape.js';

/** A value accepted wherever an array is: an Array, or a JS number/boolean (weakly typed). */
export type ArrayLike = Array | number | boolean;

/**
 * An immutable n-dimensional array. Every op returns a new Array; none mutates its inputs.
 * Inside a transform (grad, vmap, jit) functions receive tracers, which are Arrays too.
 *
 * @example
 * const x = np.array([[1, 2], [3, 4]]);
 * x.shape;            // [2, 2]
 * x.add(1).sum().item(); // 14
 */
export abstract class Array {
  /** Shape and dtype. */
  abstract get aval(): ShapedArray;
  get shape(): Shape {
    return this.aval.shape;
  }
  get dtype(): DType {
    return this.aval.dtype;
  }
  get ndim(): number {
    return this.aval.shape.length;
  }
  get size(): number {
    return this.aval.size;
  }

  /** Reads the values (row-major) into a fresh typed array; works on every backend. */
  abstract data(): Promise<TypedArray>;
  /** Reads the values synchronously; throws on backends that cannot (WebGPU). */
  abstract dataSync(): TypedArray;
  /**
   * The single value of a one-element array as a JS number (or boolean for bool). Reads
   * synchronously, so it throws on WebGPU: {@link itemAsync} works on every backend.
   */
  item(): number | boolean {
    if (this.size !== 1) fail('item', sizeOneMessage(this.shape));
    return scalarOf(this.dataSync(), this.dtype);
  }
  /**
   * As {@link item}, read asynchronously: works on every backend.
   *
   * @example
   * const loss = await np.mean(x).itemAsync(); // a JS number, on the CPU or WebGPU
   */
  async itemAsync(): Promise<number | boolean> {
    if (this.size !== 1) fail('itemAsync', sizeOneMessage(this.shape));
    return scalarOf(await this.data(), this.dtype);
  }
  /** NumPy's repr; shape and dtype only where values cannot be read synchronously (WebGPU, tracers). */
  toString(): string {
    return formatArray(this);
  }
  /**
   * As {@link toString}, with the values read asynchronously: NumPy's repr on every backend.
   *
   * @example
   * console.log(await np.ones([2]).toStringAsync()); // array([1., 1.], dtype=float32)
   */
  async toStringAsync(): Promise<string> {
    return formatData(await this.data(), this.shape, this.dtype);
  }
  /**
   * The value of a one-element array, so `Number(x)` and `x > 0` work as for a NumPy scalar; an
   * error for other sizes (and, inside a transform, for traced values).
   */
  valueOf(): number {
    return Number(this.item());
  }

  /** Releases the array's memory now instead of waiting for garbage collection. */
  dispose(): void {}
  [Symbol.dispose](): void {
    this.dispose();
  }
}

brandArrayPrototype(Array.prototype);

function sizeOneMessage(shape: Shape): string {
  return `can only convert an array of size 1 to a scalar, got shape [${shape.join(',')}]`;
}

function scalarOf(data: TypedArray, dtype: DType): number | boolean {
  const v = data[0] as number;
  return dtype === 'bool' ? v !== 0 : v;
}
