import type { ShapedArray } from '../../aval.js';
import { bytesPerElement, type DType, dtypeOfTyped, formatBytes, isAllocationError, type TypedArray } from '../../dtype.js';
import { fail, TenfoldError } from '../../errors.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { RoutineName } from '../../kernel/routines.js';
import type { PrimitiveParams } from '../../primitives/params.js';
import type { Backend, BackendInput, BackendStats, DataHandle, Executable } from '../backend.js';
import { compileWasmKernel, WASM_MIN_ELEMENTS } from '../wasm/elementwise.js';
import { withoutWasm } from '../wasm/enabled.js';
import { wasmHeap } from '../wasm/heap.js';
import { argRoutines } from './arg-reductions.js';
import { convRoutines } from './conv.js';
import { dotRoutines } from './dot.js';
import { indexingRoutines } from './indexing.js';
import { recycle, takeTyped } from './pool.js';
import { randomRoutines } from './random.js';
import { compileJs, type JsKernel } from './render-js.js';
import type { CpuRoutine, CpuRoutines } from './routine.js';

const routines: CpuRoutines = {
  ...dotRoutines,
  ...convRoutines,
  ...indexingRoutines,
  ...argRoutines,
  ...randomRoutines,
};

/** The reference count of one buffer, shared by every array viewing it; it never holds the data. */
class RefCount {
  refs = 1;
  readonly bytes: number;
  /** The array's block in the WebAssembly heap (freed when the count drops to zero), or -1. */
  readonly heapBlock: number;
  constructor(bytes: number, heapBlock: number) {
    this.bytes = bytes;
    this.heapBlock = heapBlock;
  }
}

/** A reference-counted typed array. */
class CpuBuffer {
  data: TypedArray;
  readonly count: RefCount;
  constructor(data: TypedArray) {
    this.data = data;
    this.count = new RefCount(data.byteLength, wasmHeap()?.owns(data) ? data.byteOffset : -1);
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

export interface CpuBackendOptions {
  /** The name it is registered under (default 'cpu'). */
  readonly name?: string;
  /**
   * Whether it runs WebAssembly (default true): arrays in the WebAssembly heap, elementwise
   * kernels in WebAssembly SIMD from this many output elements on, float32 matmul and conv on the
   * WebAssembly matmul. False gives the pure JavaScript reference (registered as 'js').
   */
  readonly webAssembly?: boolean;
  /** Outputs smaller than this run the JavaScript kernel (default {@link WASM_MIN_ELEMENTS}). */
  readonly wasmMinElements?: number;
}

/**
 * The CPU backend: kernels rendered to generated JavaScript loops (float64 arithmetic, the
 * reference semantics) and, where they pay and the runtime has WebAssembly SIMD, to WebAssembly;
 * matmul and conv as threaded routines; synchronous reads; float64 support for precise checks.
 * Nothing it runs writes to its inputs, except a kernel into a buffer offered to `run` that no
 * other array holds.
 */
export class CpuBackend implements Backend {
  readonly name: string;
  readonly supportsSyncRead = true;
  readonly #wasm: boolean;
  readonly #wasmMinElements: number;
  #liveBuffers = 0;
  #liveBytes = 0;

  constructor(opts: CpuBackendOptions = {}) {
    this.name = opts.name ?? 'cpu';
    this.#wasm = opts.webAssembly ?? true;
    this.#wasmMinElements = opts.wasmMinElements ?? WASM_MIN_ELEMENTS;
  }

  /** Runs `fn` as this backend runs: with WebAssembly, or (the pure JavaScript one) without. */
  #mode<T>(fn: () => T): T {
    return this.#wasm ? fn() : withoutWasm(fn);
  }

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
    } else if (count.heapBlock >= 0) {
      // collected without a release: its heap block is still taken
      wasmHeap()?.releaseAt(count.heapBlock);
    }
  }
  alloc(dtype: DType, size: number): DataHandle {
    return this.#wrap(this.#mode(() => takeTyped(dtype, size)));
  }
  write(dtype: DType, data: TypedArray): DataHandle {
    const copy = this.#mode(() => takeTyped(dtype, data.length, true));
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
  /**
   * Renders the kernel to a generated JavaScript loop nest (render-js.ts), and an elementwise
   * kernel also to WebAssembly SIMD (wasm/render-wasm.ts), which runs it where it pays.
   */
  compile(kernel: Kernel): Executable {
    const js = compileJs(kernel);
    const wasm = this.#wasm ? compileWasmKernel(kernel, js, this.#wasmMinElements) : null;
    if (wasm === null) return js as unknown as Executable;
    Object.defineProperty(wasm, 'name', { value: js.name });
    return wasm as unknown as Executable;
  }
  run(exe: Executable, inputs: readonly DataHandle[], vars: readonly number[], out: ShapedArray, into?: DataHandle): DataHandle {
    const fn = exe as unknown as JsKernel;
    const views = inputs.map((h) => this.#buf(h).data);
    if (into !== undefined) {
      // in place, when the caller's reference is the only one (no other array views the buffer)
      const b = this.#buf(into);
      if (b.count.refs === 1 && b.data.length === out.size && dtypeOfTyped(b.data) === out.dtype) {
        fn(b.data, views, vars);
        return into;
      }
    }
    const dst = this.#allocating(fn.name, [out], () => this.#mode(() => takeTyped(out.dtype, out.size, true)));
    this.#mode(() => fn(dst, views, vars));
    return this.#wrap(dst);
  }
  routine<R extends RoutineName>(name: R, params: PrimitiveParams[R], inputs: readonly BackendInput[], outAvals: readonly ShapedArray[]): DataHandle[] {
    const fn = routines[name] as CpuRoutine<R> | undefined;
    if (!fn) fail(name, 'has no routine on the cpu backend');
    const datas = inputs.map((i) => this.#buf(i.handle).data);
    const avals = inputs.map((i) => i.aval);
    const outs = this.#allocating(name, outAvals, () => this.#mode(() => fn(datas, avals, outAvals, params)));
    return outs.map((d) => this.#wrap(d));
  }
  /** Runs `fn`, naming the op and its outputs when memory runs out (JS's bare RangeError). */
  #allocating<T>(op: string, outAvals: readonly ShapedArray[], fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const cause = e instanceof TenfoldError && e.op === 'alloc' ? e.message : isAllocationError(e) ? e.message : null;
      if (cause === null) throw e;
      const bytes = outAvals.reduce((n, a) => n + a.size * bytesPerElement(a.dtype), 0);
      return fail(op, `cannot allocate the output ${outAvals.map(String).join(', ')} (${formatBytes(bytes)}): ${cause}`);
    }
  }
  stats(): BackendStats {
    return { liveBuffers: this.#liveBuffers, liveBytes: this.#liveBytes };
  }
}

const EMPTY = new Float32Array(0);
