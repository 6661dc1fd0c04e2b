// Which inputs a kernel reads only at the element it writes: those it may overwrite in place, and
// a reduction's only consumer that can become its epilogue.
import { add, type Exp, int, loopIndex, mul, postOrder } from '../kernel/exp.js';
import { stridesOf } from '../shape.js';

/** The row-major position of `idx` in `shape` (unit dims skipped, so reshapes adding them agree). */
export function rowMajor(idx: readonly Exp[], shape: readonly number[]): Exp {
  const strides = stridesOf(shape);
  let e: Exp = int(0);
  idx.forEach((ix, k) => {
    if ((shape[k] as number) !== 1) e = add(e, mul(ix, int(strides[k] as number)));
  });
  return e;
}

/**
 * The inputs (by index) that `body`, computing an output of `shape` over its loops in order, reads
 * only at the output's own row-major position: each of their elements is read by the one output
 * element at the same position (if the input has the output's size).
 */
export function readAtElement(body: Exp, shape: readonly number[]): number[] {
  const here = rowMajor(
    shape.map((_, k) => loopIndex(k)),
    shape,
  ).key;
  const ok = new Map<number, boolean>();
  for (const e of postOrder(body)) {
    if (e.op !== 'load') continue;
    const atElement = e.args.length === 1 && (e.args[0] as Exp).key === here;
    ok.set(e.value, (ok.get(e.value) ?? true) && atElement);
  }
  return [...ok].filter(([, v]) => v).map(([j]) => j);
}
