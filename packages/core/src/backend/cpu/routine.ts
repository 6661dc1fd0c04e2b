import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import type { RoutineName } from '../../kernel/routines.js';
import type { PrimitiveParams } from '../../primitives/params.js';

/**
 * A CPU routine: reads input typed arrays (row-major, matching `inAvals`) and returns one typed
 * array per output; it never writes to an input.
 */
export type CpuRoutine<R extends RoutineName> = (
  inputs: readonly TypedArray[],
  inAvals: readonly ShapedArray[],
  outAvals: readonly ShapedArray[],
  params: PrimitiveParams[R],
) => TypedArray[];

export type CpuRoutines = Partial<{ [R in RoutineName]: CpuRoutine<R> }>;
