// The routines of core's kernel/routines.ts on WebGPU (all of them; a routine missing here would
// be an error naming it, backend.ts).
import type { BackendInput, PrimitiveParams, RoutineName, ShapedArray } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';
import { conv } from './conv.js';
import type { RoutineEpilogue, RoutineHost } from './host.js';
import { argmax, argmin, argsort, gather, scatterAdd, scatterSet } from './indexing.js';
import { dotGeneral } from './matmul.js';
import { threefry } from './threefry.js';
import { reduceWindowMax, reduceWindowSum } from './window.js';

/**
 * A routine on WebGPU: new buffers for `outAvals`, never writing to `inputs`; with an `epilogue`
 * (only for routines in EPILOGUE_FUSING), its single output is the epilogue of its result.
 */
export type GpuRoutine<R extends RoutineName> = (
  backend: RoutineHost,
  params: PrimitiveParams[R],
  inputs: readonly BackendInput[],
  outAvals: readonly ShapedArray[],
  epilogue?: RoutineEpilogue,
) => GpuBuffer[];

/** The routines that apply an epilogue in their own shader. */
export const EPILOGUE_FUSING: ReadonlySet<RoutineName> = new Set(['dot_general', 'conv']);

export const GPU_ROUTINES: Partial<{ [R in RoutineName]: GpuRoutine<R> }> = {
  dot_general: dotGeneral,
  threefry2x32: threefry,
  argmax,
  argmin,
  argsort,
  gather,
  scatter: scatterSet,
  scatter_add: scatterAdd,
  conv,
  reduce_window_sum: reduceWindowSum,
  reduce_window_max: reduceWindowMax,
};
