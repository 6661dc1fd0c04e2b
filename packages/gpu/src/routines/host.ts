// What routines need from the backend: buffers, cached pipelines, dispatch, and kernels of the IR.
/// <reference types="@webgpu/types" preserve="true" />
import type { DataHandle, DType, Executable, Kernel } from '@tenfold/core';
import type { GpuBuffer } from '../buffer.js';

/** Core's RoutineEpilogue: an elementwise kernel a routine applies to its result. */
export type { RoutineEpilogue } from '@tenfold/core';

/** How the matmul routine tiles: 'registers' (outputs per invocation read from storage; CPU-backed adapters) or 'shared' (tiles in workgroup memory; GPUs). */
export type MatmulMode = 'registers' | 'shared';

export interface RoutineHost {
  /** How tiled matmuls stage their operands on this device (routines/matmul.ts). */
  readonly matmulMode: MatmulMode;
  /** A new storage buffer for `size` elements (contents undefined). */
  newBuffer(dtype: DType, size: number, op: string): GpuBuffer;
  /** The live buffer behind a handle. */
  buf(handle: DataHandle, op?: string): GpuBuffer;
  /** Drops one reference to a buffer a routine holds. */
  releaseBuffer(b: GpuBuffer): void;
  /** A compute pipeline for `code` (bindings: a uniform, `nIn` read-only then `nOut` writable storage buffers), cached by `key`. */
  pipeline(key: string, nIn: number, nOut: number, code: () => string): GPUComputePipeline;
  /** A 2-D workgroup grid holding `groups` workgroups within the device's per-dimension limit. */
  grid(groups: number, op: string): [number, number];
  /** Submits one dispatch with the uniform `ints` and the storage buffers bound in order. */
  dispatch(pipeline: GPUComputePipeline, nIn: number, ints: Int32Array, buffers: readonly GPUBuffer[], groups: readonly [number, number], op: string): void;
  /** A kernel of core's IR, built and compiled once per device under `key`. */
  kernel(key: string, build: () => Kernel): Executable;
  /** Runs a compiled kernel into a new buffer. */
  runKernel(exe: Executable, inputs: readonly GpuBuffer[], vars: readonly number[], dtype: DType, size: number): GpuBuffer;
}
