// What cannot be a kernel expression: routines, which every backend implements by hand (tiled
// matmul, implicit-GEMM conv, gathers and scatters, sorting, threefry). A routine's signature is
// its primitive's: the same params, operands and result avals (primitives/params.ts).
import type { PrimitiveName } from '../primitives/params.js';

export const ROUTINES = [
  'dot_general',
  'conv',
  'reduce_window_sum',
  'reduce_window_max',
  'gather',
  'scatter',
  'scatter_add',
  'argmax',
  'argmin',
  'argsort',
  'threefry2x32',
] as const satisfies readonly PrimitiveName[];

export type RoutineName = (typeof ROUTINES)[number];

const routineSet: ReadonlySet<string> = new Set(ROUTINES);

export function isRoutine(prim: string): prim is RoutineName {
  return routineSet.has(prim);
}
