import type { Array, PrimitiveName, PrimitiveParams } from '@tenfold/core';
import type { MaybeZero } from '../zero.js';

/** Primal outputs and their tangents from primal inputs and tangents (zeros may be symbolic). */
export type JvpRule<P extends PrimitiveName> = (
  primals: readonly Array[],
  tangents: readonly MaybeZero[],
  params: PrimitiveParams[P],
) => [Array[], MaybeZero[]];
/** A rule for primitives without params (elementwise ops). */
export type SimpleJvpRule = (primals: readonly Array[], tangents: readonly MaybeZero[], params: Record<string, never>) => [Array[], MaybeZero[]];
export type JvpRules = Partial<{ [P in PrimitiveName]: JvpRule<P> }>;

/** Marks an input of a linear equation whose value is unknown (the one being transposed). */
export class UndefPrimal {
  /** Brand: keeps UndefPrimal and Array apart for the type checker. */
  readonly undefinedPrimal = true;
  readonly aval: import('@tenfold/core').ShapedArray;
  constructor(aval: import('@tenfold/core').ShapedArray) {
    this.aval = aval;
  }
}

/**
 * A transpose rule of a linear primitive: cotangents of the linear inputs (entries for known
 * inputs are ignored and may be null) from the output cotangents.
 */
export type TransposeRule<P extends PrimitiveName> = (
  cts: readonly MaybeZero[],
  inputs: readonly (Array | UndefPrimal)[],
  params: PrimitiveParams[P],
) => (MaybeZero | null)[];
export type TransposeRules = Partial<{ [P in PrimitiveName]: TransposeRule<P> }>;
