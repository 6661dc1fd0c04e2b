/// <reference types="@webgpu/types" />
import type { DType } from '@tenfold/core';

/** A reference-counted storage buffer holding `size` elements of `dtype` (4 bytes each; bool as a u32 0 or 1). */
export class GpuBuffer {
  refs = 1;
  constructor(
    readonly buffer: GPUBuffer,
    readonly dtype: DType,
    readonly size: number,
    /** Which device (initWebGPU call) made it. */
    readonly generation: number,
  ) {}
  get bytes(): number {
    return this.size * 4;
  }
}
