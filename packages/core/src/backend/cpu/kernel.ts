import type { ShapedArray } from '../../aval.js';
import type { TypedArray } from '../../dtype.js';
import type { PrimitiveName, PrimitiveParams } from '../../primitives/params.js';

/**
 * A CPU kernel: reads input typed arrays (row-major, matching `inAvals`) and returns one typed
 * array per output. It may return an input array unchanged when the output shares its storage
 * (e.g. reshape); it never writes to an input.
 */
export type CpuKernel<P extends PrimitiveName> = (
  inputs: readonly TypedArray[],
  inAvals: readonly ShapedArray[],
  outAvals: readonly ShapedArray[],
  params: PrimitiveParams[P],
) => TypedArray[];

export type CpuKernels = Partial<{ [P in PrimitiveName]: CpuKernel<P> }>;
