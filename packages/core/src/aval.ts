import type { DType } from './dtype.js';
import { avalStr } from './errors.js';
import { type Shape, sizeOf } from './shape.js';

/** An abstract value: what tracing knows about an array (its shape and dtype, not its data). */
export class ShapedArray {
  readonly shape: Shape;
  readonly dtype: DType;
  constructor(shape: Shape, dtype: DType) {
    // a private frozen copy: arrays are immutable, so their shape must be too
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtype;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  equals(other: ShapedArray): boolean {
    if (this.dtype !== other.dtype || this.shape.length !== other.shape.length) return false;
    return this.shape.every((d, i) => d === other.shape[i]);
  }
  toString(): string {
    return avalStr(this.shape, this.dtype);
  }
}
