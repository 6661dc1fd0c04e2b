import type { ShapedArray } from './aval.js';
import type { DType, TypedArray } from './dtype.js';
import { fail } from './errors.js';
import { formatArray } from './format.js';
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
  /** The single value of a one-element array as a JS number (or boolean for bool). */
  item(): number | boolean {
    if (this.size !== 1) fail('item', `can only convert an array of size 1 to a scalar, got shape [${this.shape.join(',')}]`);
    const v = this.dataSync()[0] as number;
    return this.dtype === 'bool' ? v !== 0 : v;
  }
  toString(): string {
    return formatArray(this);
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
