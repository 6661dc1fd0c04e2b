/// <reference types="@webgpu/types" preserve="true" />
import type { DType } from '@tenfold/core';

/** A reference-counted storage buffer holding `size` elements of `dtype` (4 bytes each; bool as a u32 0 or 1). */
export class GpuBuffer {
  refs = 1;
  /**
   * A host copy of the contents of a tiny uploaded buffer, which is uploaded again when the buffer
   * is used after a destroyWebGPU()/initWebGPU() cycle: core's shared scalar constants (`x * 2`)
   * are cached for the life of the process.
   */
  shadow: Uint32Array<ArrayBuffer> | null = null;
  constructor(
    public buffer: GPUBuffer,
    readonly dtype: DType,
    readonly size: number,
    /** Which device (initWebGPU call) holds it. */
    public generation: number,
  ) {}
  get bytes(): number {
    return this.size * 4;
  }
}
