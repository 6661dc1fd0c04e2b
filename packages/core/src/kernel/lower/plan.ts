import type { ShapedArray } from '../../aval.js';
import type { PrimitiveName, PrimitiveParams } from '../../primitives/params.js';
import type { Kernel } from '../kernel.js';
import type { RoutineName } from '../routines.js';

/**
 * How one eager primitive runs: a kernel (compiled once per `key`, the op's dtypes and shape
 * class, and run with `vars`, the sizes and strides of this call), an alias of its first input's
 * buffer (reshape of row-major data), or a backend routine.
 */
export type EagerPlan =
  | { readonly kind: 'kernel'; readonly key: string; readonly vars: readonly number[]; readonly build: () => Kernel }
  | { readonly kind: 'alias' }
  | { readonly kind: 'routine'; readonly name: RoutineName };

/** Lowers one primitive application (single output) to its plan; runs on every eager op, so it builds no kernel. */
export type Lowering<P extends PrimitiveName> = (inAvals: readonly ShapedArray[], out: ShapedArray, params: PrimitiveParams[P]) => EagerPlan;

export type LoweringTable = Partial<{ [P in PrimitiveName]: Lowering<P> }>;

export const ALIAS: EagerPlan = { kind: 'alias' };

export function kernelPlan(key: string, vars: readonly number[], build: () => Kernel): EagerPlan {
  return { kind: 'kernel', key, vars, build };
}
