import type { ShapedArray } from '../../aval.js';
import { bytesPerElement, type DType, formatBytes, isAllocationError, type TypedArray } from '../../dtype.js';
import { fail, TenfoldError } from '../../errors.js';
import type { PrimitiveName, PrimitiveParams } from '../../primitives/params.js';
import { checkSize } from '../../shape.js';
import type { Backend, BackendInput, BackendStats, DataHandle } from '../backend.js';
import { convKernels } from './conv.js';
import { dotKernels } from './dot.js';
import { elementwiseKernels } from './elementwise.js';
import { indexingKernels } from './indexing.js';
import type { CpuKernel, CpuKernels } from './kernel.js';
import { recycle, takeTyped } from './pool.js';
import { randomKernels } from './random.js';
import { reductionKernels } from './reductions.js';
import { shapeOpKernels } from './shape-ops.js';

const kernels: CpuKernels = {
  ...elementwiseKernels,
  ...reductionKernels,
  ...shapeOpKernels,
  ...dotKernels,
  ...indexingKernels,
  ...convKernels,
  ...randomKernels,
};

/** The reference count of one buffer, shared by every array viewing it; it never holds the data. */
class RefCount {
  refs = 1;
  readonly bytes: number;
  constructor(bytes: number) {
    this.bytes = bytes;
  }
}

/** A reference-counted typed array. */
class CpuBuffer {
  data: TypedArray;
  readonly count: RefCount;
  constructor(data: TypedArray) {
    this.data = data;
    this.count = new RefCount(data.byteLength);
  }
}

/**
 * What the garbage-collection backstop keeps for a CpuBuffer: only its count. Holding nothing of
 * the data lets the collector free an unreachable array's memory at once, even in a synchronous
 * loop where finalization callbacks have not run yet. (Not a WeakRef: a WeakRef keeps its target
 * alive until the current job ends, which in a training loop is never.)
 */
class CpuFinalizer {
  readonly count: RefCount;
  constructor(b: CpuBuffer) {
    this.count = b.count;
  }
}

/**
 * The reference backend: every primitive as a loop over typed arrays, synchronous, with float64
 * support for precise checks. Kernels never write to their inputs.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly supportsSyncRead = true;
  #liveBuffers = 0;
  #liveBytes = 0;

  supportsDType(_dtype: DType): boolean {
    return true;
  }
  #wrap(data: TypedArray): DataHandle {
    this.#liveBuffers++;
    this.#liveBytes += data.byteLength;
    return new CpuBuffer(data) as unknown as DataHandle;
  }
  #buf(handle: DataHandle): CpuBuffer {
    const b = handle as unknown as CpuBuffer;
    if (b.count.refs <= 0) throw new Error('internal: cpu buffer used after release');
    return b;
  }
  #drop(count: RefCount, b: CpuBuffer | undefined): void {
    if (--count.refs !== 0) return;
    this.#liveBuffers--;
    this.#liveBytes -= count.bytes;
    if (b !== undefined) {
      // nothing else holds the array (reads copy, writes copy in), so it can back a later output
      recycle(b.data);
      b.data = EMPTY;
    }
  }
  alloc(dtype: DType, size: number): DataHandle {
    return this.#wrap(takeTyped(dtype, size));
  }
  write(dtype: DType, data: TypedArray): DataHandle {
    const copy = takeTyped(dtype, data.length, true);
    copy.set(data);
    return this.#wrap(copy);
  }
  async read(handle: DataHandle): Promise<TypedArray> {
    return this.readSync(handle);
  }
  readSync(handle: DataHandle): TypedArray {
    return this.#buf(handle).data.slice();
  }
  /** The stored typed array itself, for kernels and formatting (never to be written). */
  view(handle: DataHandle): TypedArray {
    return this.#buf(handle).data;
  }
  retain(handle: DataHandle): void {
    this.#buf(handle).count.refs++;
  }
  release(handle: DataHandle): void {
    const b = this.#buf(handle);
    this.#drop(b.count, b);
  }
  finalizer(handle: DataHandle): object {
    return new CpuFinalizer(this.#buf(handle));
  }
  releaseFinalized(token: object): void {
    const t = token as CpuFinalizer;
    this.#drop(t.count, undefined);
  }
  execute<P extends PrimitiveName>(prim: P, params: PrimitiveParams[P], inputs: readonly BackendInput[], outAvals: readonly ShapedArray[]): DataHandle[] {
    const kernel = kernels[prim] as CpuKernel<P> | undefined;
    if (!kernel) fail(prim, 'has no kernel on the cpu backend');
    for (const a of outAvals) checkSize(prim, a.shape, a.dtype);
    const bufs = inputs.map((i) => this.#buf(i.handle));
    const outs = this.#run(prim, kernel, bufs, inputs, outAvals, params);
    return outs.map((data) => {
      // A kernel that returns an input's storage (reshape) shares that buffer.
      const shared = bufs.findIndex((b) => b.data === data);
      if (shared >= 0) {
        const h = (inputs[shared] as BackendInput).handle;
        this.retain(h);
        return h;
      }
      return this.#wrap(data);
    });
  }
  /** Runs a kernel, naming the primitive and its outputs when memory runs out (JS's bare RangeError). */
  #run<P extends PrimitiveName>(
    prim: P,
    kernel: CpuKernel<P>,
    bufs: readonly CpuBuffer[],
    inputs: readonly BackendInput[],
    outAvals: readonly ShapedArray[],
    params: PrimitiveParams[P],
  ): TypedArray[] {
    try {
      return kernel(
        bufs.map((b) => b.data),
        inputs.map((i) => i.aval),
        outAvals,
        params,
      );
    } catch (e) {
      const cause = e instanceof TenfoldError && e.op === 'alloc' ? e.message : isAllocationError(e) ? e.message : null;
      if (cause === null) throw e;
      const bytes = outAvals.reduce((n, a) => n + a.size * bytesPerElement(a.dtype), 0);
      return fail(prim, `cannot allocate the output ${outAvals.map(String).join(', ')} (${formatBytes(bytes)}): ${cause}`);
    }
  }
  stats(): BackendStats {
    return { liveBuffers: this.#liveBuffers, liveBytes: this.#liveBytes };
  }
}

const EMPTY = new Float32Array(0);
