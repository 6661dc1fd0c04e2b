// How a dot_general operand is laid out for a matmul kernel: in place when its storage already is
// [batch, free, contracting] or [batch, contracting, free], else a copy (the JavaScript and the
// WebAssembly matmul share this).
import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import { stridesOf } from '../../shape.js';
import { takeTyped } from './pool.js';
import { stridedMove } from './strided.js';

/** Whether `order` visits a's dimensions in storage order, ignoring size-1 dimensions (which take no room). */
function inStorageOrder(a: ShapedArray, order: readonly number[]): boolean {
  let last = -1;
  for (const d of order) {
    if (a.shape[d] === 1) continue;
    if (d < last) return false;
    last = d;
  }
  return true;
}

/**
 * An operand as the matmul kernel reads it: [batch..., free..., contracting...] ('free-major') or,
 * when `kMajorInPlace` allows it, [batch..., contracting..., free...] ('k-major'), whichever its
 * storage already is; otherwise a copy in free-major order (scratch the caller recycles).
 */
export function arrangeOperand(
  x: TypedArray,
  a: ShapedArray,
  batch: readonly number[],
  contracting: readonly number[],
  kMajorInPlace: boolean,
): { data: TypedArray; kMajor: boolean } {
  const free = a.shape.map((_, i) => i).filter((i) => !batch.includes(i) && !contracting.includes(i));
  const freeMajor = [...batch, ...free, ...contracting];
  if (inStorageOrder(a, freeMajor)) return { data: x, kMajor: false };
  if (kMajorInPlace && inStorageOrder(a, [...batch, ...contracting, ...free])) return { data: x, kMajor: true };
  const s = stridesOf(a.shape);
  const shape = freeMajor.map((p) => a.shape[p] as number);
  const dst = takeTyped(a.dtype, a.size, true);
  stridedMove(
    x,
    0,
    freeMajor.map((p) => s[p] as number),
    dst,
    0,
    stridesOf(shape),
    shape,
  );
  return { data: dst, kMajor: false };
}
