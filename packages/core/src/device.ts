import type { Array } from './array.js';
import { getBackend } from './backend/backend.js';
import { ConcreteArray, fromTyped, isConcrete } from './concrete.js';
import { fail } from './errors.js';

/**
 * A copy of `x` on the backend called `backend` (itself when already there). Reads synchronously,
 * so it works from backends that support sync reads; use {@link devicePutAsync} otherwise.
 *
 * @example
 * const y = devicePut(x, 'cpu');
 */
export function devicePut(x: Array, backend: string): Array {
  if (!isConcrete(x)) fail('devicePut', `cannot move a traced ${x.aval} value between backends inside a transform`);
  const target = getBackend(backend);
  if (x.backend === target) return x;
  if (!x.backend.supportsSyncRead) {
    fail(
      'devicePut',
      `the ${x.backend.name} backend reads asynchronously, so its ${x.aval} array cannot move synchronously; use await devicePutAsync(x, '${backend}')`,
    );
  }
  return fromTyped(x.backend.readSync(x.liveHandle('devicePut')), x.shape, x.dtype, target);
}

/** Like {@link devicePut}, reading asynchronously (works from every backend). */
export async function devicePutAsync(x: Array, backend: string): Promise<Array> {
  if (!(x instanceof ConcreteArray)) fail('devicePutAsync', `cannot move a traced ${x.aval} value between backends inside a transform`);
  const target = getBackend(backend);
  if (x.backend === target) return x;
  return fromTyped(await x.backend.read(x.liveHandle('devicePutAsync')), x.shape, x.dtype, target);
}
