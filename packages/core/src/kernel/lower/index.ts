// Eager lowering: every primitive application becomes a one-op kernel, an alias or a routine.
import type { ShapedArray } from '../../aval.js';
import { customVjpForwardModeError } from '../../errors.js';
import type { PrimitiveName, PrimitiveParams } from '../../primitives/params.js';
import { isRoutine } from '../routines.js';
import { elementwiseLowerings } from './elementwise.js';
import { movementLowerings } from './movement.js';
import type { EagerPlan, Lowering, LoweringTable } from './plan.js';
import { reductionLowerings } from './reductions.js';

export type { EagerPlan } from './plan.js';

const lowerings: LoweringTable = { ...elementwiseLowerings, ...movementLowerings, ...reductionLowerings };
const routinePlans = new Map<string, EagerPlan>();

/** How `prim` runs eagerly on operands `inAvals` giving `outAvals`. */
export function lowerEager<P extends PrimitiveName>(
  prim: P,
  inAvals: readonly ShapedArray[],
  outAvals: readonly ShapedArray[],
  params: PrimitiveParams[P],
): EagerPlan {
  const lower = lowerings[prim] as Lowering<P> | undefined;
  if (lower !== undefined) return lower(inAvals, outAvals[0] as ShapedArray, params);
  if (isRoutine(prim)) {
    let plan = routinePlans.get(prim);
    if (plan === undefined) {
      plan = { kind: 'routine', name: prim };
      routinePlans.set(prim, plan);
    }
    return plan;
  }
  // a custom VJP's linear map has only a transpose: reaching it eagerly means forward mode
  if (prim === 'custom_lin') throw customVjpForwardModeError((params as PrimitiveParams['custom_lin']).name);
  throw new Error(`internal: primitive ${prim} has no eager lowering`);
}
