import { type Array, np, type ShapedArray } from '@tenfold/core';

/**
 * A symbolic zero tangent or cotangent: it carries only the aval, so arguments that are not
 * differentiated, and outputs that do not depend on them, cost nothing.
 */
export class Zero {
  /** Brand: keeps Zero and Array apart for the type checker (both have an aval). */
  readonly symbolicZero = true;
  readonly aval: ShapedArray;
  constructor(aval: ShapedArray) {
    this.aval = aval;
  }
}

export type MaybeZero = Array | Zero;

export function isZero(x: unknown): x is Zero {
  return x instanceof Zero;
}

/** A real array of zeros for a symbolic zero (done only when a rule needs one). */
export function instantiate(x: MaybeZero): Array {
  return x instanceof Zero ? np.zeros(x.aval.shape, { dtype: x.aval.dtype }) : x;
}

/** Sum of two tangents, keeping symbolic zeros symbolic. */
export function addTangents(a: MaybeZero, b: MaybeZero): MaybeZero {
  if (a instanceof Zero) return b;
  if (b instanceof Zero) return a;
  return np.add(a, b);
}

/** The aval of a tangent for a primal of `aval`: integer and bool values have no tangent space (float0 in JAX). */
export function tangentDType(aval: ShapedArray): boolean {
  return aval.dtype === 'float32' || aval.dtype === 'float64';
}
