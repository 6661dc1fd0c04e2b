// The WebGPU backend: reference-counted storage buffers from a size-class pool, kernels of core's IR
// rendered to WGSL (wgsl/render.ts) and run one dispatch each, routines as hand-written shaders,
// and asynchronous reads through mapped staging buffers.
//
// Batching: dispatches (and buffer clears and read copies) are recorded into one open command
// encoder, in one compute pass, and submitted together when a read needs them, at `sync()`, when
// the JavaScript that records them yields (a microtask), or after `batchLimit` dispatches. So a jit
// program's execution, or a run of eager ops, is one queue submission. The uniforms of the
// recorded dispatches are packed into one arena buffer, uploaded with one write just before the
// submission. Ordering: commands in one encoder run in order, and queue writes run before the
// submission that follows them; so a buffer released while recording may be reused by later
// recorded commands, but not written through the queue (write() submits first), and a buffer the
// pool evicts is destroyed only after the submission.
//
// While loops (while.ts) run on the device: each predicate is read back before the next step is
// recorded, and meanwhile everything issued later (recording, uploads, reads, releases into the
// pool) waits in the device's Sequencer, in program order. Buffers are still allocated at once, so
// every op returns its handles synchronously.
/// <reference types="@webgpu/types" preserve="true" />
import type {
  Backend,
  BackendInput,
  BackendStats,
  DataHandle,
  DType,
  Executable,
  Kernel,
  PrimitiveParams,
  RoutineName,
  ShapedArray,
  TypedArray,
  WhileLoopSteps,
} from '@tenfold/core';
import { GpuBuffer } from './buffer.js';
import type { Acquired, AdapterReport } from './device.js';
import { BufferPool, sizeClass } from './pool.js';
import type { RoutineEpilogue, RoutineHost } from './routines/host.js';
import { EPILOGUE_FUSING, GPU_ROUTINES, type GpuRoutine } from './routines/index.js';
import type { MatmulMode } from './routines/matmul.js';
import { Sequencer } from './sequencer.js';
import { type CompiledSplit, runSplit, splitKernel } from './split.js';
import { isEpilogueKernel } from './wgsl/epilogue.js';
import { floatBits, unsupportedDType, writeHeader } from './wgsl/exp.js';
import { ELEMENTS, evalSize, GROUPS_SLOT, type RenderMode, renderKernel, VAR_BASE, varDTypes, WORKGROUP } from './wgsl/render.js';
import { type LoopDevice, runWhile } from './while.js';

// WebGPU's flag values (not taken from globals, which Dawn does not install in Node)
export const BUFFER = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ_MODE = 0x1;
const COMPUTE_STAGE = 0x4;
const STORAGE_USAGE = BUFFER.STORAGE | BUFFER.COPY_SRC | BUFFER.COPY_DST;

/** Uploads of at most this many elements keep a host copy (see GpuBuffer.shadow). */
const SHADOW_MAX = 4;

/** Released storage buffers kept for reuse, in bytes. */
const POOL_CAPACITY = 256 * 1024 * 1024;

/** Bytes of the uniform arena: the uniforms of one submission's dispatches (each at an aligned offset). */
const ARENA_BYTES = 256 * 1024;

/** Bind groups cached before the cache is emptied. */
const BIND_GROUP_CACHE = 4096;

/** Numbers identifying GPU buffers in bind-group keys. */
const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 0;

/** Dispatches recorded into one command encoder before it is submitted anyway. */
const BATCH_LIMIT = 1024;

/** The open command encoder and what its submission must wait for or do after. */
interface Recording {
  readonly encoder: GPUCommandEncoder;
  /** The open compute pass (dispatches go into one pass until a copy or clear needs the encoder). */
  pass: GPUComputePassEncoder | null;
  dispatches: number;
  /** Bytes of the arena used so far. */
  uniformBytes: number;
  /** Buffers released (given to the pool) since the encoder opened: recorded commands may use them. */
  readonly released: Set<GPUBuffer>;
  /** Buffers to destroy once the encoder is submitted. */
  readonly destroy: GPUBuffer[];
}

/** One device's state; replaced when initWebGPU runs again after destroyWebGPU. */
interface DeviceState {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  readonly gpu: GPU;
  readonly generation: number;
  /** Why the device is unusable (lost or destroyed), or null. */
  dead: string | null;
  /** Uncaptured validation and out-of-memory errors, and failed while loops, reported at the next read. */
  readonly errors: string[];
  /** Errors pushed to `errors` so far (while loops stop when one came during them). */
  failures: number;
  /** Work issued after a pending while loop, in order (see the top of this file). */
  readonly seq: Sequencer;
  /** The device as while loops see it. */
  readonly loops: LoopDevice;
  /** The staging buffer while loops read their predicates through (one read is pending at a time: the sequencer waits for it). */
  predicate: GPUBuffer | null;
  readonly pool: BufferPool;
  /** The uniform arena on the device and its host copy. */
  readonly arena: GPUBuffer;
  readonly arenaHost: Int32Array;
  /** minUniformBufferOffsetAlignment. */
  readonly uniformAlign: number;
  rec: Recording | null;
  submissions: number;
  dispatches: number;
  readonly layouts: Map<string, GPUBindGroupLayout>;
  /** Bind groups by uniform size and buffer identities (see #bindGroup). */
  readonly bindGroups: Map<string, GPUBindGroup>;
  readonly pipelines: Map<string, GPUComputePipeline>;
  /** Kernels the routines build themselves (transposes), by key. */
  readonly kernels: Map<string, Executable>;
}

/**
 * A compiled kernel: its shaders per mode, built on first use on each device (core caches the
 * executable per backend, and the backend outlives a destroyWebGPU()/initWebGPU() cycle).
 */
interface GpuExecutable {
  readonly kernel: Kernel;
  readonly varTypes: readonly DType[];
  /** The device generation the pipelines belong to. */
  generation: number;
  pipelines: Partial<Record<RenderMode, { pipeline: GPUComputePipeline; constants: Int32Array }>>;
  /** The kernels that run it in several dispatches, when its inputs exceed a shader's storage buffers (split.ts). */
  readonly split: CompiledSplit | null;
}

/** Reductions with at most this many outputs and at least this many reduced elements use one workgroup per output. */
const TREE_MAX_OUTPUTS = 8192;
const TREE_MIN_REDUCED = 128;
/** Reduced elements per workgroup at least, when a reduction is split over several workgroups per output. */
const SPLIT_CHUNK = 4096;
/** Workgroups a split reduction aims for in all. */
const SPLIT_TARGET = 512;

/**
 * Workgroups per output for a reduction of `reduced` elements to `outputs` values: 1 (one
 * workgroup tree per output) unless there are too few outputs to occupy the device and each would
 * have a long chunk of at least SPLIT_CHUNK elements.
 */
export function splitGroups(outputs: number, reduced: number): number {
  return Math.max(1, Math.min(Math.floor(reduced / SPLIT_CHUNK), Math.ceil(SPLIT_TARGET / outputs)));
}

/**
 * Core's Backend on WebGPU: float32, int32 and bool (stored as one u32 per element, 0 or 1);
 * float64 is refused with an error naming the CPU backend. Reads are asynchronous only
 * (`await x.data()`); kernels and routines are dispatches recorded into one command encoder,
 * submitted when something waits for them (see the top of this file).
 */
export class WebGPUBackend implements Backend, RoutineHost {
  readonly name = 'webgpu';
  readonly supportsSyncRead = false;
  /** Dispatches recorded before the encoder is submitted anyway (1: a submission per dispatch). */
  batchLimit = BATCH_LIMIT;
  /**
   * How tiled matmuls stage their operands: 'registers' (read straight from storage, for CPU-backed
   * adapters like lavapipe, where that measured faster) or 'shared' (workgroup-memory tiles, for
   * GPUs). Set from the adapter by initWebGPU; settable to compare.
   */
  matmulMode: MatmulMode = 'shared';
  /**
   * Whether matmuls apply the epilogues of jit programs in their shader (fusesEpilogue); settable
   * to compare (it applies to programs prepared after the change).
   */
  fuseEpilogues = true;
  #state: DeviceState | null = null;
  #generation = 0;
  #liveBuffers = 0;
  #liveBytes = 0;

  /** Attaches a device (initWebGPU). */
  attach(acquired: Acquired): void {
    if (this.#state !== null && this.#state.dead === null) throw new Error('internal: webgpu backend attached twice');
    const device = acquired.device;
    const errors: string[] = [];
    const state: DeviceState = {
      device,
      report: acquired.report,
      gpu: acquired.gpu,
      generation: ++this.#generation,
      dead: null,
      errors,
      failures: 0,
      seq: new Sequencer((e) => {
        errors.push(e.message);
        state.failures++;
      }),
      loops: null as unknown as LoopDevice,
      predicate: null,
      pool: new BufferPool(POOL_CAPACITY, (b) => {
        // recorded commands may still use it
        if (state.rec !== null) state.rec.destroy.push(b);
        else b.destroy();
      }),
      arena: device.createBuffer({ size: ARENA_BYTES, usage: BUFFER.UNIFORM | BUFFER.COPY_DST, label: 'uniforms' }),
      arenaHost: new Int32Array(ARENA_BYTES / 4),
      uniformAlign: Math.max(16, device.limits.minUniformBufferOffsetAlignment),
      rec: null,
      submissions: 0,
      dispatches: 0,
      layouts: new Map(),
      bindGroups: new Map(),
      pipelines: new Map(),
      kernels: new Map(),
    };
    (state as { loops: LoopDevice }).loops = this.#loopDevice(state);
    acquired.device.onuncapturederror = (ev) => {
      state.errors.push((ev as GPUUncapturedErrorEvent).error.message);
      state.failures++;
    };
    void acquired.device.lost.then((info) => {
      if (state.dead !== null) return;
      state.dead = `the WebGPU device was lost (${info.reason}: ${info.message})`;
      state.seq.cancel(new Error(`data: ${state.dead}`));
    });
    this.#state = state;
    this.matmulMode = acquired.report.isFallbackAdapter ? 'registers' : 'shared';
    this.#liveBuffers = 0;
    this.#liveBytes = 0;
  }

  /** Releases the device; arrays on it become unusable. */
  detach(): void {
    const s = this.#state;
    if (s === null) return;
    s.dead = 'the WebGPU device was destroyed by destroyWebGPU(); call initWebGPU() again for a new one';
    // work waiting behind a pending while loop never runs: its reads reject
    s.seq.cancel(new Error(`data: ${s.dead}`));
    s.rec = null;
    s.pool.clear();
    s.arena.destroy();
    s.device.onuncapturederror = null;
    s.device.destroy();
    this.#state = null;
    this.#liveBuffers = 0;
    this.#liveBytes = 0;
  }

  get report(): AdapterReport | null {
    return this.#state?.report ?? null;
  }

  #live(op: string): DeviceState {
    const s = this.#state;
    if (s === null) throw new Error(`${op}: the webgpu backend has no device; await initWebGPU() first`);
    if (s.dead !== null) throw new Error(`${op}: ${s.dead}`);
    return s;
  }

  supportsDType(dtype: DType): boolean {
    return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
  }

  #checkDType(dtype: DType, op: string): void {
    if (!this.supportsDType(dtype)) throw unsupportedDType(dtype, op);
  }

  /** A new storage buffer for `size` elements, contents undefined (from the pool when one fits). */
  newBuffer(dtype: DType, size: number, op: string): GpuBuffer {
    this.#checkDType(dtype, op);
    const s = this.#live(op);
    const bytes = size * 4;
    if (bytes > s.report.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `${op}: ${dtype}[${size}] needs ${bytes} bytes, more than this WebGPU device binds in one buffer (maxStorageBufferBindingSize ${s.report.limits.maxStorageBufferBindingSize})`,
      );
    }
    let cls = sizeClass(bytes);
    if (cls > s.report.limits.maxStorageBufferBindingSize) cls = Math.max(4, Math.ceil(bytes / 4) * 4);
    const buffer = s.pool.take(cls) ?? s.device.createBuffer({ size: cls, usage: STORAGE_USAGE, label: op });
    this.#liveBuffers++;
    this.#liveBytes += bytes;
    return new GpuBuffer(buffer, dtype, size, s.generation);
  }

  /** The buffer behind `handle`, checked to be alive and on the current device. */
  buf(handle: DataHandle, op = 'webgpu'): GpuBuffer {
    const b = handle as unknown as GpuBuffer;
    if (b.refs <= 0) throw new Error('internal: webgpu buffer used after release');
    const s = this.#live(op);
    if (b.generation !== s.generation) {
      if (b.shadow === null) throw new Error(`${op}: this array lives on a WebGPU device that was destroyed; create it again after initWebGPU()`);
      const fresh = this.newBuffer(b.dtype, b.size, op);
      this.#upload(s, fresh.buffer, b.shadow);
      b.buffer = fresh.buffer;
      b.generation = s.generation;
    }
    return b;
  }

  alloc(dtype: DType, size: number): DataHandle {
    const b = this.newBuffer(dtype, size, 'alloc');
    const s = this.#live('alloc');
    if (s.seq.busy) s.seq.defer(() => this.#encoder(this.#live('alloc')).clearBuffer(b.buffer));
    else this.#encoder(s).clearBuffer(b.buffer);
    return b as unknown as DataHandle;
  }

  // ---- recording and submission --------------------------------------------------------------

  /** The open recording, opened (with a flush scheduled for when the current JavaScript yields) if none is. */
  #recording(s: DeviceState): Recording {
    let r = s.rec;
    if (r === null) {
      const rec: Recording = {
        encoder: s.device.createCommandEncoder(),
        pass: null,
        dispatches: 0,
        uniformBytes: 0,
        released: new Set(),
        destroy: [],
      };
      s.rec = r = rec;
      queueMicrotask(() => {
        if (s.rec === rec && s.dead === null) this.#flush(s);
      });
    }
    return r;
  }

  /** The open encoder with no pass open (for copies and clears). */
  #encoder(s: DeviceState): GPUCommandEncoder {
    const r = this.#recording(s);
    if (r.pass !== null) {
      r.pass.end();
      r.pass = null;
    }
    return r.encoder;
  }

  /** Submits what is recorded: the uniforms first, then the encoder. */
  #flush(s: DeviceState): void {
    const r = s.rec;
    if (r === null) return;
    s.rec = null;
    if (r.pass !== null) r.pass.end();
    if (r.uniformBytes > 0) s.device.queue.writeBuffer(s.arena, 0, s.arenaHost.buffer, 0, r.uniformBytes);
    s.device.queue.submit([r.encoder.finish()]);
    s.submissions++;
    for (const b of r.destroy) b.destroy();
  }

  /** Submits the recorded work now (reads and sync() do this themselves). */
  flush(): void {
    const s = this.#state;
    if (s !== null && s.dead === null) this.#flush(s);
  }

  /** Queue writes run before the open encoder's commands: submit those first when they may use `buffer`. */
  #upload(s: DeviceState, buffer: GPUBuffer, data: ArrayBufferView<ArrayBuffer>): void {
    if (s.seq.busy) {
      // the caller may change `data` after this returns
      const copy = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      s.seq.defer(() => this.#upload(this.#live('write'), buffer, copy));
      return;
    }
    if (s.rec?.released.has(buffer)) this.#flush(s);
    s.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Submissions and dispatches on the current device so far. */
  queueStats(): { submissions: number; dispatches: number } {
    const s = this.#state;
    return { submissions: s?.submissions ?? 0, dispatches: s?.dispatches ?? 0 };
  }

  write(dtype: DType, data: TypedArray): DataHandle {
    const b = this.newBuffer(dtype, data.length, 'write');
    if (data.length > 0) {
      const src = dtype === 'bool' ? Uint32Array.from(data as Uint8Array) : data;
      this.#upload(this.#live('write'), b.buffer, src as ArrayBufferView<ArrayBuffer>);
      if (data.length <= SHADOW_MAX) {
        b.shadow = new Uint32Array(data.length);
        b.shadow.set(new Uint32Array(src.buffer, src.byteOffset, data.length));
      }
    }
    return b as unknown as DataHandle;
  }

  async read(handle: DataHandle): Promise<TypedArray> {
    const b = this.buf(handle, 'data');
    const s = this.#live('data');
    const n = b.size;
    let bytes: ArrayBuffer = new ArrayBuffer(0);
    const staging = n > 0 ? s.device.createBuffer({ size: n * 4, usage: BUFFER.MAP_READ | BUFFER.COPY_DST, label: 'read' }) : null;
    const copy = () => {
      if (staging === null) return;
      this.#encoder(this.#live('data')).copyBufferToBuffer(b.buffer, 0, staging, 0, n * 4);
      this.#flush(s);
    };
    if (s.seq.busy) {
      // behind a pending while loop: the copy is recorded after the work issued before it (and
      // before anything later may reuse the buffer)
      try {
        await new Promise<void>((resolve, reject) => s.seq.submit({ run: () => resolve(copy()), fail: reject }));
      } catch (e) {
        staging?.destroy();
        throw e;
      }
    } else copy();
    if (staging !== null) {
      try {
        await staging.mapAsync(MAP_READ_MODE);
        bytes = staging.getMappedRange().slice(0);
        staging.unmap();
      } catch (e) {
        this.#throwErrors(s, 'data');
        throw new Error(`data: reading a webgpu buffer failed: ${(e as Error).message}${s.dead ? ` (${s.dead})` : ''}`);
      } finally {
        staging.destroy();
      }
    }
    this.#throwErrors(s, 'data');
    switch (b.dtype) {
      case 'float32':
        return new Float32Array(bytes);
      case 'int32':
        return new Int32Array(bytes);
      default:
        return Uint8Array.from(new Uint32Array(bytes));
    }
  }

  /** Throws the device's uncaptured errors since the last check (they surface at the next read). */
  #throwErrors(s: DeviceState, op: string): void {
    if (s.errors.length === 0) return;
    const msgs = s.errors.splice(0);
    throw new Error(`${op}: the WebGPU device reported ${msgs.length === 1 ? 'an error' : `${msgs.length} errors`}: ${msgs.join('\n')}`);
  }

  /** Resolves when the queue has finished everything submitted so far, and throws the device's errors. */
  async sync(): Promise<void> {
    const s = this.#live('sync');
    if (s.seq.busy) await new Promise<void>((resolve, reject) => s.seq.submit({ run: resolve, fail: reject }));
    this.#flush(s);
    await s.device.queue.onSubmittedWorkDone();
    this.#throwErrors(s, 'sync');
  }

  readSync(_handle: DataHandle): TypedArray {
    throw new Error('dataSync: the webgpu backend reads asynchronously; use await x.data() instead');
  }

  retain(handle: DataHandle): void {
    const b = handle as unknown as GpuBuffer;
    if (b.refs <= 0) throw new Error('internal: webgpu buffer used after release');
    b.refs++;
  }

  release(handle: DataHandle): void {
    const b = handle as unknown as GpuBuffer;
    if (b.refs <= 0) throw new Error('internal: webgpu buffer used after release');
    if (--b.refs !== 0) return;
    const s = this.#state;
    // buffers of a destroyed device were already counted out and freed with it
    if (s === null || b.generation !== s.generation) return;
    this.#liveBuffers--;
    this.#liveBytes -= b.bytes;
    if (s.dead !== null) return;
    // behind a pending while loop, deferred work may still read it
    if (s.seq.busy) s.seq.defer(() => this.#toPool(s, b.buffer));
    else this.#toPool(s, b.buffer);
  }

  #toPool(s: DeviceState, buffer: GPUBuffer): void {
    if (s.dead !== null) return;
    // command order makes reuse safe: work recorded or submitted reads it before anything later
    // recorded writes it (queue writes into it wait for a submission: #upload)
    s.rec?.released.add(buffer);
    s.pool.give(buffer);
  }

  stats(): BackendStats {
    return { liveBuffers: this.#liveBuffers, liveBytes: this.#liveBytes };
  }

  /** Buffers and bytes the pool keeps for reuse (not counted in stats). */
  poolStats(): { buffers: number; bytes: number } {
    return this.#state?.pool.stats() ?? { buffers: 0, bytes: 0 };
  }

  // ---- while loops --------------------------------------------------------------------------

  /**
   * Runs a while loop on the device (while.ts): new buffers for the final carry at once, filled when
   * the loop ends; later work waits for it. A failing step makes the next read throw.
   */
  whileLoop(loop: WhileLoopSteps): DataHandle[] {
    const s = this.#live('whileLoop');
    const outs = loop.carry.map((c) => {
      this.buf(c.handle, 'whileLoop');
      return this.newBuffer(c.aval.dtype, c.aval.size, 'whileLoop') as unknown as DataHandle;
    });
    runWhile(s.loops, loop, outs);
    return outs;
  }

  #loopDevice(s: DeviceState): LoopDevice {
    return {
      seq: s.seq,
      retain: (h) => this.retain(h),
      release: (h) => this.release(h),
      readScalar: (h) => {
        const b = this.buf(h, 'whileLoop');
        s.predicate ??= s.device.createBuffer({ size: 4, usage: BUFFER.MAP_READ | BUFFER.COPY_DST, label: 'whileLoop predicate' });
        const staging = s.predicate;
        this.#encoder(s).copyBufferToBuffer(b.buffer, 0, staging, 0, 4);
        this.#flush(s);
        return staging.mapAsync(MAP_READ_MODE).then(
          () => {
            const bits = new Uint32Array(staging.getMappedRange(), 0, 1)[0] as number;
            staging.unmap();
            return bits;
          },
          (e: Error) => {
            if (s.predicate === staging) s.predicate = null;
            staging.destroy();
            throw e;
          },
        );
      },
      copy: (from, to) => {
        const a = this.buf(from, 'whileLoop');
        // the output may be released already: its buffer goes to the pool only after this copy
        const b = to as unknown as GpuBuffer;
        if (a.size > 0) this.#encoder(s).copyBufferToBuffer(a.buffer, 0, b.buffer, 0, a.bytes);
      },
      dead: () => s.dead,
      fail: (message) => {
        s.errors.push(`whileLoop: a step of the loop failed: ${message}`);
        s.failures++;
      },
      failures: () => s.failures,
    };
  }

  // ---- pipelines and dispatch ---------------------------------------------------------------

  /** The bind group layout of a shader with a uniform, `nIn` read-only and `nOut` writable storage buffers. */
  layout(nIn: number, nOut: number): GPUBindGroupLayout {
    const s = this.#live('compile');
    const key = `${nIn}:${nOut}`;
    let l = s.layouts.get(key);
    if (l === undefined) {
      // the uniform's offset in the arena is dynamic, so a bind group serves any dispatch with the same buffers
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: COMPUTE_STAGE, buffer: { type: 'uniform', hasDynamicOffset: true } }];
      for (let j = 0; j < nIn + nOut; j++)
        entries.push({ binding: j + 1, visibility: COMPUTE_STAGE, buffer: { type: j < nIn ? 'read-only-storage' : 'storage' } });
      l = s.device.createBindGroupLayout({ entries, label: `layout ${key}` });
      s.layouts.set(key, l);
    }
    return l;
  }

  /** A compute pipeline for `code`, cached by `key` (routines' shaders). */
  pipeline(key: string, nIn: number, nOut: number, code: () => string): GPUComputePipeline {
    const s = this.#live(key);
    let p = s.pipelines.get(key);
    if (p === undefined) {
      p = this.#createPipeline(s, key, code(), nIn, nOut);
      s.pipelines.set(key, p);
    }
    return p;
  }

  #createPipeline(s: DeviceState, label: string, code: string, nIn: number, nOut: number): GPUComputePipeline {
    const limit = s.report.limits.maxStorageBuffersPerShaderStage;
    if (nIn + nOut > limit) {
      throw new Error(`${label}: a shader with ${nIn + nOut} storage buffers exceeds this WebGPU device's limit of ${limit} per shader stage`);
    }
    const module = s.device.createShaderModule({ code, label });
    const layout = s.device.createPipelineLayout({ bindGroupLayouts: [this.layout(nIn, nOut)], label });
    return s.device.createComputePipeline({ layout, compute: { module, entryPoint: 'main' }, label });
  }

  /** A 2-D workgroup grid holding `groups` workgroups (x at most the device's per-dimension limit). */
  grid(groups: number, op: string): [number, number] {
    const max = this.#live(op).report.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.min(groups, max);
    const y = Math.ceil(groups / x);
    if (y > max) throw new Error(`${op}: ${groups} workgroups exceed this WebGPU device's dispatch limits (${max} × ${max})`);
    return [x, y];
  }

  /** Records one dispatch of `pipeline` with the uniform `ints` and the storage buffers bound in order. */
  dispatch(
    pipeline: GPUComputePipeline,
    nIn: number,
    ints: Int32Array,
    buffers: readonly GPUBuffer[],
    groups: readonly [number, number] | [number, number, number],
    op: string,
  ): void {
    const s = this.#live(op);
    const ubytes = Math.max(16, Math.ceil(ints.byteLength / 16) * 16);
    if (ubytes > ARENA_BYTES) throw new Error(`internal: ${op} has ${ubytes} bytes of uniforms, more than the arena's ${ARENA_BYTES}`);
    if (s.seq.busy) {
      // recorded when the loop is done (the queue runs when nothing is pending)
      const args = ints.slice();
      const bound = [...buffers];
      s.seq.defer(() => this.dispatch(pipeline, nIn, args, bound, groups, op));
      return;
    }
    let r = this.#recording(s);
    let offset = Math.ceil(r.uniformBytes / s.uniformAlign) * s.uniformAlign;
    if (offset + ubytes > ARENA_BYTES) {
      this.#flush(s);
      r = this.#recording(s);
      offset = 0;
    }
    s.arenaHost.set(ints, offset / 4);
    r.uniformBytes = offset + ubytes;
    const bindGroup = this.#bindGroup(s, nIn, ubytes, buffers, op);
    if (r.pass === null) r.pass = r.encoder.beginComputePass();
    r.pass.setPipeline(pipeline);
    r.pass.setBindGroup(0, bindGroup, [offset]);
    r.pass.dispatchWorkgroups(groups[0], groups[1], groups[2] ?? 1);
    r.dispatches++;
    s.dispatches++;
    if (r.dispatches >= this.batchLimit) this.#flush(s);
  }

  /**
   * The bind group of the arena (a window of `ubytes`, at a dynamic offset) and `buffers`, cached by
   * the buffers' identities: eager code and jit programs reuse the same pooled buffers, and creating
   * a bind group was the largest cost of recording a dispatch. A destroyed buffer is never bound
   * again, so its entries only wait for the cache to be cleared.
   */
  #bindGroup(s: DeviceState, nIn: number, ubytes: number, buffers: readonly GPUBuffer[], op: string): GPUBindGroup {
    let key = `${nIn}:${ubytes}`;
    for (const b of buffers) {
      let id = bufferIds.get(b);
      if (id === undefined) {
        id = nextBufferId++;
        bufferIds.set(b, id);
      }
      key += `:${id}`;
    }
    let group = s.bindGroups.get(key);
    if (group === undefined) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: s.arena, offset: 0, size: ubytes } }];
      buffers.forEach((buffer, j) => {
        entries.push({ binding: j + 1, resource: { buffer } });
      });
      group = s.device.createBindGroup({ layout: this.layout(nIn, buffers.length - nIn), entries, label: op });
      if (s.bindGroups.size >= BIND_GROUP_CACHE) s.bindGroups.clear();
      s.bindGroups.set(key, group);
    }
    return group;
  }

  // ---- kernels ------------------------------------------------------------------------------

  compile(kernel: Kernel): Executable {
    const s = this.#live(kernel.name);
    for (const d of [...kernel.inputs, kernel.outDType]) this.#checkDType(d, kernel.name);
    const varTypes = varDTypes(kernel);
    // an input per storage buffer, and one for the output
    const maxInputs = s.report.limits.maxStorageBuffersPerShaderStage - 1;
    let split: CompiledSplit | null = null;
    if (kernel.inputs.length > maxInputs) {
      const plan = splitKernel(kernel, maxInputs);
      split = { plan, exes: [...plan.steps.map((st) => st.kernel), plan.kernel].map((k) => this.compile(k)) };
    }
    // the shader of each mode is rendered and compiled when a run first needs it (a reduction may
    // only ever run as a workgroup tree; compiling a shader is the expensive part on lavapipe)
    const exe: GpuExecutable = { kernel, generation: s.generation, varTypes, pipelines: {}, split };
    return exe as unknown as Executable;
  }

  #kernelPipeline(exe: GpuExecutable, mode: RenderMode): { pipeline: GPUComputePipeline; constants: Int32Array } {
    const s = this.#live(exe.kernel.name);
    if (exe.generation !== s.generation) {
      exe.generation = s.generation;
      exe.pipelines = {};
    }
    let p = exe.pipelines[mode];
    if (p === undefined) {
      const r = renderKernel(exe.kernel, mode);
      // 'combine' reads the partials after the kernel's inputs
      const nIn = exe.kernel.inputs.length + (mode === 'combine' ? 1 : 0);
      const pipeline = this.#createPipeline(s, exe.kernel.name, r.code, nIn, 1);
      p = { pipeline, constants: Int32Array.from(r.constants, floatBits) };
      exe.pipelines[mode] = p;
    }
    return p;
  }

  run(exe: Executable, inputs: readonly DataHandle[], vars: readonly number[], out: ShapedArray): DataHandle {
    const name = (exe as unknown as GpuExecutable).kernel.name;
    const ins = inputs.map((h) => this.buf(h, name));
    return this.runKernel(exe, ins, vars, out.dtype, out.size) as unknown as DataHandle;
  }

  /** Runs a compiled kernel into a new buffer of `size` elements of `dtype`. */
  runKernel(exe: Executable, inputs: readonly GpuBuffer[], vars: readonly number[], dtype: DType, size: number): GpuBuffer {
    const k = exe as unknown as GpuExecutable;
    if (k.split !== null) return runSplit(this, k.split, inputs, vars, dtype, size);
    const kernel = k.kernel;
    const dst = this.newBuffer(dtype, size, kernel.name);
    if (size === 0) return dst;
    let mode: RenderMode = 'thread';
    let G = 1;
    if (kernel.reduction !== null && size <= TREE_MAX_OUTPUTS) {
      let reduced = 1;
      for (const l of kernel.loops) if (l.reduce) reduced *= evalSize(l.size, vars);
      if (reduced >= TREE_MIN_REDUCED) {
        mode = 'tree';
        G = splitGroups(size, reduced);
        // the combine pass binds the partials beside the kernel's inputs
        if (G > 1 && kernel.inputs.length + 2 <= this.#live(kernel.name).report.limits.maxStorageBuffersPerShaderStage) mode = 'split';
      }
    }
    const ins = inputs.map((b) => b.buffer);
    if (mode !== 'split') {
      const groups = mode === 'tree' ? size : Math.ceil(Math.ceil(size / ELEMENTS) / WORKGROUP);
      this.#dispatchKernel(k, mode, vars, 1, [...ins, dst.buffer], groups);
      return dst;
    }
    // two passes: G partials per output, then one workgroup per output folds them
    const parts = this.newBuffer(kernel.body.dtype === 'float32' ? 'float32' : 'int32', size * G, kernel.name);
    this.#dispatchKernel(k, 'split', vars, G, [...ins, parts.buffer], size * G);
    this.#dispatchKernel(k, 'combine', vars, G, [...ins, parts.buffer, dst.buffer], size);
    this.releaseBuffer(parts);
    return dst;
  }

  /** Records one dispatch of a kernel's shader in `mode` over `groups` workgroups. */
  #dispatchKernel(k: GpuExecutable, mode: RenderMode, vars: readonly number[], G: number, buffers: GPUBuffer[], groups: number): void {
    const kernel = k.kernel;
    const { pipeline, constants } = this.#kernelPipeline(k, mode);
    const ints = new Int32Array(VAR_BASE + kernel.vars + constants.length);
    writeHeader(ints);
    ints[GROUPS_SLOT] = G;
    vars.forEach((v, j) => {
      const d = k.varTypes[j];
      ints[VAR_BASE + j] = d === 'float32' ? floatBits(v) : d === 'bool' ? (v !== 0 ? 1 : 0) : v | 0;
    });
    ints.set(constants, VAR_BASE + kernel.vars);
    this.dispatch(pipeline, buffers.length - 1, ints, buffers, this.grid(groups, kernel.name), kernel.name);
  }

  /** A kernel built and compiled once per device under `key` (for routines that run kernels). */
  kernel(key: string, build: () => Kernel): Executable {
    const s = this.#live(key);
    let exe = s.kernels.get(key);
    if (exe === undefined) {
      exe = this.compile(build());
      s.kernels.set(key, exe);
    }
    return exe;
  }

  /** Drops one reference to a buffer a routine holds. */
  releaseBuffer(b: GpuBuffer): void {
    this.release(b as unknown as DataHandle);
  }

  routine<R extends RoutineName>(
    name: R,
    params: PrimitiveParams[R],
    inputs: readonly BackendInput[],
    outAvals: readonly ShapedArray[],
    epilogue?: RoutineEpilogue,
  ): DataHandle[] {
    const fn = GPU_ROUTINES[name] as GpuRoutine<R> | undefined;
    if (fn === undefined) throw new Error(`${name}: routine ${name} is not yet implemented on webgpu; compute it on the 'cpu' backend (devicePut) for now`);
    if (epilogue !== undefined && !EPILOGUE_FUSING.has(name)) throw new Error(`internal: ${name} was given an epilogue it does not fuse on webgpu`);
    for (const i of inputs) this.#checkDType(i.aval.dtype, name);
    for (const a of outAvals) this.#checkDType(a.dtype, name);
    return fn(this, params, inputs, outAvals, epilogue).map((b) => b as unknown as DataHandle);
  }

  /**
   * Whether the routine applies `kernel` (an elementwise epilogue) in its own shader: matmuls do,
   * when the epilogue's inputs fit the storage buffers a shader stage may bind beside the product's
   * two operands and its output.
   */
  fusesEpilogue(name: RoutineName, kernel: Kernel): boolean {
    const s = this.#state;
    if (!this.fuseEpilogues || s === null || s.dead !== null || !EPILOGUE_FUSING.has(name) || !isEpilogueKernel(kernel)) return false;
    return 3 + kernel.inputs.length - 1 <= s.report.limits.maxStorageBuffersPerShaderStage;
  }
}
