import { Array } from './array.js';
import { ShapedArray } from './aval.js';
import { type Backend, type DataHandle, getBackend } from './backend/backend.js';
import type { DType, TypedArray } from './dtype.js';
import { fail, TenfoldError } from './errors.js';
import type { Shape } from './shape.js';

/** The backstop: an array that was never disposed releases its reference when it is collected. */
const registry = new FinalizationRegistry<{ backend: Backend; token: object }>(({ backend, token }) => {
  if (backend.releaseFinalized) backend.releaseFinalized(token);
  else backend.release(token as DataHandle);
});

/** An array whose data live in a backend buffer (the values eager evaluation produces). */
export class ConcreteArray extends Array {
  readonly #aval: ShapedArray;
  readonly backend: Backend;
  #handle: DataHandle | null;
  #pinned = false;
  /** Set when the buffer was donated to a jitted function: what to name in the error. */
  #donatedTo: string | null = null;

  constructor(aval: ShapedArray, backend: Backend, handle: DataHandle) {
    super();
    this.#aval = aval;
    this.backend = backend;
    this.#handle = handle;
    registry.register(this, { backend, token: backend.finalizer ? backend.finalizer(handle) : handle }, this);
  }
  get aval(): ShapedArray {
    return this.#aval;
  }
  /** The backend buffer; throws if the array was disposed. */
  get handle(): DataHandle {
    return this.liveHandle('Array');
  }
  /** The backend buffer for `op`, which names the error when the array was disposed. */
  liveHandle(op: string): DataHandle {
    if (this.#handle === null) {
      if (this.#donatedTo !== null) {
        throw new TenfoldError(
          op,
          `this ${this.#aval} array was donated to ${this.#donatedTo} (donateArgnums), which reused its buffer; use the function's outputs instead`,
        );
      }
      throw new TenfoldError(op, `this ${this.#aval} array was disposed and cannot be used any more; dispose arrays only after their last use`);
    }
    return this.#handle;
  }
  get isDisposed(): boolean {
    return this.#handle === null;
  }
  async data(): Promise<TypedArray> {
    return this.backend.read(this.liveHandle('data'));
  }
  dataSync(): TypedArray {
    if (!this.backend.supportsSyncRead) {
      fail('dataSync', `the ${this.backend.name} backend reads asynchronously; use await x.data() instead`);
    }
    return this.backend.readSync(this.liveHandle('dataSync'));
  }
  /** Whether the array is a pinned shared constant (see {@link ConcreteArray.pin}). */
  get isPinned(): boolean {
    return this.#pinned;
  }
  /**
   * Hands the array's reference to `to` (a jitted function that took it as a donated argument and
   * released or reused its buffer): the array is unusable afterwards, and says why.
   */
  markDonated(to: string): void {
    registry.unregister(this);
    this.#handle = null;
    this.#donatedTo = to;
  }
  /** Makes `dispose()` a no-op: for shared constants that must outlive any one user. */
  pin(): void {
    this.#pinned = true;
  }
  override dispose(): void {
    if (this.#handle === null || this.#pinned) return;
    registry.unregister(this);
    this.backend.release(this.#handle);
    this.#handle = null;
  }
}

/** Wraps a typed array (copied) as an array on `backend`. */
export function fromTyped(data: TypedArray, shape: Shape, dtype: DType, backend: Backend = getBackend()): ConcreteArray {
  if (!backend.supportsDType(dtype)) {
    fail(
      'array',
      `the ${backend.name} backend does not support ${dtype}; use ${dtype === 'float64' ? 'float32, or ' : ''}the cpu backend (withBackend('cpu', ...) or devicePut) for ${dtype} arrays`,
    );
  }
  return new ConcreteArray(new ShapedArray(shape, dtype), backend, backend.write(dtype, data));
}

/**
 * A new array on `x`'s storage, for an op whose result is its input (a cast to the same dtype, a
 * reshape to the same shape): returning `x` itself would let `result.dispose()` dispose `x`.
 * Storage is shared by reference count, so nothing is copied. Tracers are returned as they are;
 * a disposed `x` is an error naming `op`.
 */
export function fresh(x: Array, op: string): Array {
  if (!(x instanceof ConcreteArray)) return x;
  const handle = x.liveHandle(op); // a disposed input is an error naming the op
  x.backend.retain(handle);
  return new ConcreteArray(x.aval, x.backend, handle);
}

/** Checks the value is an Array that is not a tracer (for reading data). */
export function isConcrete(x: unknown): x is ConcreteArray {
  return x instanceof ConcreteArray;
}
