// What every op does to its operands first: find their backend, promote their dtypes (NumPy/JAX
// rules, JS numbers weakly typed) and broadcast their shapes. Below the op families.
import type { Array, ArrayLike } from '../array.js';
import { type Backend, getBackend, withBackend } from '../backend/backend.js';
import { ConcreteArray, fresh } from '../concrete.js';
import { foreignCopyOf, twoCopiesMessage } from '../copies.js';
import { type DType, defaultDTypeOf, isDType, promoteTypes, weakScalarDType } from '../dtype.js';
import { fail } from '../errors.js';
import { broadcastShapes, shapesEqual } from '../shape.js';
import { bind1 } from '../trace.js';
import { isArray } from './is-array.js';
import { scalar } from './scalar.js';
import { isWeak, weakOperand, weakStandIn } from './weak.js';

/** The backend new constants should live on: that of the first concrete input, else the default. */
export function backendOf(args: readonly unknown[]): Backend {
  for (const a of args) if (a instanceof ConcreteArray) return a.backend;
  return getBackend();
}

/**
 * Runs `fn` with the backend of `args` as the default, so that the constants an op makes inside
 * (iota, index lists, scalars) land next to its inputs instead of on the default backend.
 */
export function onBackendOf<T>(args: readonly unknown[], fn: () => T): T {
  return withBackend(backendOf(args).name, fn);
}

/**
 * The dtype of combining `args`: arrays are strongly typed, JS numbers weakly (JAX's rule), and so
 * are the arrays a jitted function's JS-number arguments become (weak.ts).
 */
export function resultDType(args: readonly ArrayLike[], op = 'np'): DType {
  let strong: DType | null = null;
  for (const a of args) if (isArray(a) && !isWeak(a)) strong = strong ? promoteTypes(strong, a.dtype) : a.dtype;
  let dtype: DType | null = strong;
  for (const arg of args) {
    let a: ArrayLike = arg;
    if (isArray(a)) {
      if (!isWeak(a)) continue;
      a = weakStandIn(a);
    }
    if (typeof a !== 'number' && typeof a !== 'boolean') {
      const other = foreignCopyOf(a);
      fail(op, other === undefined ? `expected an Array, number or boolean, got ${a === null ? 'null' : typeof a}` : twoCopiesMessage(other));
    }
    dtype = dtype === null ? defaultDTypeOf(a) : strong === null ? promoteTypes(dtype, defaultDTypeOf(a)) : promoteTypes(dtype, weakScalarDType(a, dtype, op));
  }
  return dtype ?? 'float32';
}

/** Casts `x` to `dtype` (when it already is, a new array on the same storage: results are never their input). */
export function astype(x: Array, dtype: DType): Array {
  if (!isDType(dtype)) fail('astype', `unknown dtype '${String(dtype)}'; use float32, float64, int32 or bool`);
  if (x.dtype === dtype) return fresh(x, 'astype');
  return bind1('convert_element_type', [x], { dtype });
}

/** Broadcasts `x` to `shape` with NumPy's trailing-axis alignment. */
export function broadcastTo(x: ArrayLike, shape: readonly number[]): Array {
  const a = isArray(x) ? x : scalar(x, resultDType([x]), backendOf([]));
  if (shapesEqual(a.shape, shape)) return a === x ? fresh(a, 'broadcastTo') : a;
  const out = broadcastShapes('broadcastTo', a.shape, shape);
  if (!shapesEqual(out, shape)) fail('broadcastTo', `cannot broadcast shape [${a.shape.join(',')}] to [${shape.join(',')}]`);
  const lead = shape.length - a.ndim;
  return bind1('broadcast_in_dim', [a], { shape: [...shape], broadcastDimensions: a.shape.map((_, i) => i + lead) });
}

/** Promotes and broadcasts the operands of an elementwise op (NumPy semantics). */
export function prepareOperands(op: string, args: readonly ArrayLike[], dtype: DType = resultDType(args, op)): Array[] {
  const backend = backendOf(args);
  // (checked here: the no-op cast and broadcast would make new arrays on every op)
  const arrays = args.map((a) => (isArray(a) ? castIfNeeded(a, dtype) : scalar(a, dtype, backend)));
  const shape = broadcastShapes(op, ...arrays.map((a) => a.shape));
  return arrays.map((a) => broadcastIfNeeded(a, shape));
}

/**
 * `x` itself when it already has `dtype`, for ops that pass it on (never return it). A weak
 * float (a jitted function's JS-number argument) becomes float64 from its exact original.
 */
export function castIfNeeded(x: Array, dtype: DType): Array {
  if (x.dtype === dtype) return x;
  const exact = weakOperand(x, dtype);
  return exact.dtype === dtype ? exact : astype(exact, dtype);
}

/** `x` itself when it already has `shape`, for ops that pass it on (never return it). */
export function broadcastIfNeeded(x: Array, shape: readonly number[]): Array {
  return shapesEqual(x.shape, shape) ? x : broadcastTo(x, shape);
}
