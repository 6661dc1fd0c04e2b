import { ShapedArray } from './aval.js';
import { type Backend, type DataHandle, getBackend } from './backend/backend.js';
import type { DType, TypedArray } from './dtype.js';
import { fail, TenfoldError } from './errors.js';
import { formatArray } from './format.js';
import type { AtUpdater, Index } from './ops/indexing.js';
import * as ops from './ops/methods.js';
import type { PrimitiveName, PrimitiveParams } from './primitives/params.js';
import { abstractEval } from './primitives/registry.js';
import type { Shape } from './shape.js';
import { installEvalTrace, isTraced, type MainTrace, Trace } from './trace.js';

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
  /** The values as nested JS arrays (numbers, or booleans for bool). */
  tolist(): unknown {
    return ops.tolist(this);
  }
  toString(): string {
    return formatArray(this);
  }

  // Arithmetic (NumPy broadcasting and type promotion)
  add(other: ArrayLike): Array {
    return ops.add(this, other);
  }
  sub(other: ArrayLike): Array {
    return ops.subtract(this, other);
  }
  mul(other: ArrayLike): Array {
    return ops.multiply(this, other);
  }
  div(other: ArrayLike): Array {
    return ops.divide(this, other);
  }
  pow(other: ArrayLike): Array {
    return ops.power(this, other);
  }
  neg(): Array {
    return ops.negative(this);
  }
  matmul(other: Array): Array {
    return ops.matmul(this, other);
  }
  exp(): Array {
    return ops.exp(this);
  }
  log(): Array {
    return ops.log(this);
  }
  sqrt(): Array {
    return ops.sqrt(this);
  }
  abs(): Array {
    return ops.abs(this);
  }
  eq(other: ArrayLike): Array {
    return ops.equal(this, other);
  }
  lt(other: ArrayLike): Array {
    return ops.less(this, other);
  }
  gt(other: ArrayLike): Array {
    return ops.greater(this, other);
  }
  // Reductions
  sum(axis?: number | readonly number[] | null, opts?: { keepdims?: boolean }): Array {
    return ops.sum(this, axis, opts);
  }
  mean(axis?: number | readonly number[] | null, opts?: { keepdims?: boolean }): Array {
    return ops.mean(this, axis, opts);
  }
  max(axis?: number | readonly number[] | null, opts?: { keepdims?: boolean }): Array {
    return ops.max(this, axis, opts);
  }
  min(axis?: number | readonly number[] | null, opts?: { keepdims?: boolean }): Array {
    return ops.min(this, axis, opts);
  }
  argmax(axis?: number | null): Array {
    return ops.argmax(this, axis);
  }
  argmin(axis?: number | null): Array {
    return ops.argmin(this, axis);
  }
  // Shape
  reshape(...shape: number[] | [readonly number[]]): Array {
    const s = (Array_isArray(shape[0]) ? shape[0] : shape) as readonly number[];
    return ops.reshape(this, s);
  }
  transpose(axes?: readonly number[]): Array {
    return ops.transpose(this, axes);
  }
  /** The transpose (axes reversed). */
  get T(): Array {
    return ops.transpose(this);
  }
  flatten(): Array {
    return ops.ravel(this);
  }
  squeeze(axis?: number | readonly number[]): Array {
    return ops.squeeze(this, axis);
  }
  expandDims(axis: number | readonly number[]): Array {
    return ops.expandDims(this, axis);
  }
  astype(dtype: DType): Array {
    return ops.astype(this, dtype);
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
  index(...indices: Index[]): Array {
    return ops.index(this, indices);
  }
  /**
   * Functional update, as JAX's `x.at[idx]`: returns a new array.
   *
   * @example
   * const y = x.at(0).set(5);    // x with row 0 set to 5
   * const z = x.at(np.array([1, 1])).add(1); // adds 2 to x[1]
   */
  at(...indices: Index[]): AtUpdater {
    return ops.at(this, indices);
  }

  /** Releases the array's memory now instead of waiting for garbage collection. */
  dispose(): void {}
  [Symbol.dispose](): void {
    this.dispose();
  }
}

const Array_isArray = globalThis.Array.isArray;

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
  if (!backend.supportsDType(dtype)) fail('array', `the ${backend.name} backend does not support ${dtype}`);
  return new ConcreteArray(new ShapedArray(shape, dtype), backend, backend.write(dtype, data));
}

/** Eager evaluation: the bottom of the trace stack. Runs each primitive on its backend. */
class EvalTrace extends Trace {
  pure(x: Array): Array {
    return x;
  }
  lift(x: Array): Array {
    return x;
  }
  processPrimitive<P extends PrimitiveName>(prim: P, args: readonly Array[], params: PrimitiveParams[P]): Array[] {
    return evalPrimitive(prim, args as readonly ConcreteArray[], params);
  }
}

/** Evaluates one primitive on concrete arrays. */
export function evalPrimitive<P extends PrimitiveName>(prim: P, args: readonly ConcreteArray[], params: PrimitiveParams[P]): ConcreteArray[] {
  const avals = args.map((a) => a.aval);
  const outAvals = abstractEval(prim, avals, params);
  const backend = args.length > 0 ? (args[0] as ConcreteArray).backend : getBackend();
  if (args.some((a) => a.backend !== backend)) {
    const where = args.map((a) => `${a.aval} on ${a.backend.name}`).join(', ');
    fail(prim, `inputs live on different backends (${where}); move them to one with devicePut(x, '${backend.name}') first`);
  }
  const handles = backend.execute(
    prim,
    params,
    args.map((a) => ({ handle: a.liveHandle(prim), aval: a.aval })),
    outAvals,
  );
  return handles.map((h, i) => new ConcreteArray(outAvals[i] as ShapedArray, backend, h));
}

installEvalTrace(EvalTrace);

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

export type { MainTrace };
export { isTraced };

/**
 * Base class of the values transforms pass through user functions. Reading a tracer's data is an
 * error: under a transform the value is abstract.
 */
export abstract class Tracer extends Array {
  abstract readonly trace: Trace;
  /** The plain value when this tracer carries nothing of its trace; itself otherwise. */
  fullLower(): Array {
    return this;
  }
  async data(): Promise<TypedArray> {
    throw this.concretizationError('data');
  }
  dataSync(): TypedArray {
    throw this.concretizationError('dataSync');
  }
  protected concretizationError(what: string): TenfoldError {
    return new TenfoldError(
      what,
      `cannot read the values of a traced ${this.aval} array inside a transform; the value is abstract here. Use np.where instead of JS control flow on array values, or move the read outside the transformed function`,
    );
  }
}
