import { Array } from '../array.js';

/** Whether `x` is a tenfold Array (concrete or traced). */
export function isArray(x: unknown): x is Array {
  return x instanceof Array;
}
