// Runs elementwise kernels rendered to WebAssembly SIMD (render-wasm.ts) on the CPU backend's
// typed arrays. Arrays in the WebAssembly heap (heap.ts) are read and written in place; any
// other operand is copied into a temporary heap block (or, without a heap, everything goes
// through one scratch memory).
import type { TypedArray } from '../../dtype.js';
import type { Kernel } from '../../kernel/kernel.js';
import { wasmEnabled } from './enabled.js';
import { wasmThreadPool } from './engine.js';
import { wasmFeatures } from './features.js';
import { HEAP_MEMORY, type WasmHeap, wasmHeap } from './heap.js';
import { renderWasm, wasmVarTypes } from './render-wasm.js';
import { MAX_JOB_ARGS, type SharedKernel, uniformChunks } from './threads.js';

/** A kernel over typed arrays, as the JavaScript renderer's (cpu/render-js.ts). */
export type TypedKernel = (out: TypedArray, inputs: readonly TypedArray[], vars: readonly number[]) => void;

/** Outputs smaller than this run the JavaScript kernel: the call would cost more than it saves. */
export const WASM_MIN_ELEMENTS = 256;

const PAGE = 65536;
let runs = 0;

/** How many kernel runs took the WebAssembly path (tests check the routing with it). */
export function wasmKernelRuns(): number {
  return runs;
}

let scratchMemory: WebAssembly.Memory | null = null;

/** The scratch memory of runtimes without a heap, grown to at least `bytes`. */
function scratch(bytes: number): WebAssembly.Memory {
  if (scratchMemory === null) scratchMemory = new WebAssembly.Memory({ initial: Math.max(16, Math.ceil(bytes / PAGE)), maximum: 32768 });
  const missing = bytes - scratchMemory.buffer.byteLength;
  if (missing > 0) scratchMemory.grow(Math.ceil(missing / PAGE));
  return scratchMemory;
}

/** Room for `n` elements of 4 bytes plus the 16 bytes the kernel may read past them, 16-aligned. */
const span = (n: number) => (n * 4 + 16 + 15) & ~15;

type Entry = (...args: number[]) => void;
/** Calls a kernel with its arguments (`outputs`: the output's size where the operands are on the shared heap, else 0: then never threaded). */
type Invoke = (args: number[], outputs: number) => void;

/**
 * `kernel` compiled to WebAssembly, with `fallback` (its JavaScript rendering) for outputs smaller
 * than `minElements` and when WebAssembly kernels are off; null when the renderer cannot express
 * the kernel.
 */
export function compileWasmKernel(
  kernel: Kernel,
  fallback: TypedKernel,
  minElements = WASM_MIN_ELEMENTS,
  /** Whether exp's and tanh's polynomials use relaxed SIMD's madd (where the runtime has it). */
  useFma = true,
): TypedKernel | null {
  if (!wasmEnabled() || !wasmFeatures().simd) return null;
  const heap = wasmHeap();
  const fma = { fma: useFma && wasmFeatures().relaxedSimd };
  const bytes = heap ? renderWasm(kernel, HEAP_MEMORY, fma) : renderWasm(kernel, undefined, fma);
  if (bytes === null) return null;
  const memory = heap ? heap.memory : scratch(PAGE);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory } });
  const entry = instance.exports.kernel as Entry;
  const reduces = kernel.reduction !== null;
  const nVars = kernel.vars;
  const args: number[] = new Array(1 + kernel.inputs.length + nVars + (reduces ? 1 : 2));
  const invoke: Invoke = reduces ? (a) => entry(...a) : rangedInvoke(kernel, bytes, instance, heap);
  const run = heap ? onHeap(heap, invoke, args, reduces) : throughScratch(invoke, args, reduces);
  return (out, inputs, vars) => {
    // (a reduction's work is its input's size)
    let size = out.length;
    if (reduces) for (const x of inputs) size = Math.max(size, x.length);
    if (size < minElements || !wasmEnabled()) {
      fallback(out, inputs, vars);
      return;
    }
    for (let k = 0; k < vars.length; k++) args[1 + inputs.length + k] = vars[k] as number;
    if (!run(out, inputs)) fallback(out, inputs, vars);
    else runs++;
  };
}

/**
 * An elementwise kernel's call: its outermost loop's whole range, split among the heap's worker
 * threads when the output has at least THREAD_MIN_ELEMENTS elements and the loop has a row for
 * each thread (in chunks of whole 16-element lines when it is the only loop, so no two threads
 * write one cache line).
 */
function rangedInvoke(kernel: Kernel, bytes: Uint8Array, instance: WebAssembly.Instance, heap: WasmHeap | null): Invoke {
  const entry = instance.exports.kernel as Entry;
  const extent = instance.exports.extent as (...vars: number[]) => number;
  const first = 1 + kernel.inputs.length;
  const nVars = kernel.vars;
  const nArgs = first + nVars;
  const floats = [...new Array(first).fill(false), ...wasmVarTypes(kernel).map((d) => d === 'float32')];
  const oneLoop = kernel.loops.length === 1;
  let shared: SharedKernel | null | undefined = heap === null || nArgs > MAX_JOB_ARGS ? null : undefined;
  return (a, outputs) => {
    const pool = shared !== null && outputs >= threadMin ? wasmThreadPool() : null;
    if (pool !== null) {
      const threads = pool.workers.length + 1;
      const total = nVars === 0 ? extent() : extent(...a.slice(first, first + nVars));
      if (shared === undefined) shared = shareModule(heap as WasmHeap, bytes);
      if (shared !== null && total >= threads) {
        let chunk = Math.ceil(total / (threads * KERNEL_CHUNKS_PER_THREAD));
        if (oneLoop) chunk = Math.ceil(chunk / 16) * 16;
        pool.runKernel(entry, shared, a.slice(0, nArgs), floats, uniformChunks(total, chunk));
        return;
      }
    }
    // the whole loop (the kernel takes hi at most the loop's size)
    a[nArgs] = 0;
    a[nArgs + 1] = WHOLE;
    entry(...a);
  };
}

/** An `hi` past any loop's size: the whole range. */
const WHOLE = 0x7fffffff;

/**
 * Chunks per thread of a threaded kernel: many, so the calling thread, done with its own, waits at
 * most a short chunk for a worker's last (a claim is one compare-and-swap; a chunk of the 4M-element
 * tanh workload is then about 0.4 ms).
 */
const KERNEL_CHUNKS_PER_THREAD = 16;
/**
 * Outputs from this size on are computed by several threads. Waking a worker and waiting for its
 * last chunk cost more than they save below it: measured on the MNIST train step, whose largest
 * kernels (the [784, 200] weight update, 157k elements) took 4.2-6.4 ms per step threaded from
 * 2^16 elements on and 3.8-4.7 ms on one thread, interleaved on a quiet machine.
 */
export const THREAD_MIN_ELEMENTS = 1 << 20;
let threadMin = THREAD_MIN_ELEMENTS;

/** Sets the output size from which kernels use the worker threads (tests compare with one thread); returns the previous one. */
export function setKernelThreadMinElements(n: number): number {
  const previous = threadMin;
  threadMin = n;
  return previous;
}

let sharedKernels = 0;

/** The module's bytes in a block of the heap that is never released, where the workers compile it from; null when the heap is full. */
function shareModule(heap: WasmHeap, bytes: Uint8Array): SharedKernel | null {
  const at = heap.takeBlock(bytes.length);
  if (at === null) return null;
  new Uint8Array(heap.memory.buffer, at, bytes.length).set(bytes);
  return { id: ++sharedKernels, at, length: bytes.length };
}

/** Runs on heap arrays in place, copying any other operand into a temporary block; false when the heap is full. */
function onHeap(heap: WasmHeap, entry: Invoke, args: number[], reduces: boolean): (out: TypedArray, inputs: readonly TypedArray[]) => boolean {
  return (out, inputs) => {
    // (scratch blocks, not arrays: they are back before the call returns, so the cap on what
    // arrays hold, which a heap full of garbage reaches, does not apply)
    const temps: number[] = [];
    const place = (x: TypedArray, copy: boolean): TypedArray | null => {
      if (heap.owns(x)) return x;
      const at = heap.takeBlock(x.byteLength);
      if (at === null) return null;
      temps.push(at);
      const t = new (x.constructor as Float32ArrayConstructor)(heap.memory.buffer, at, x.length);
      if (copy) t.set(x as Float32Array);
      return t;
    };
    try {
      const o = place(out, false);
      if (o === null) return false;
      args[0] = o.byteOffset;
      for (let j = 0; j < inputs.length; j++) {
        const x = place(inputs[j] as TypedArray, true);
        if (x === null) return false;
        args[1 + j] = x.byteOffset;
      }
      if (reduces) {
        // a reduction's float64 accumulators, zeroed (plus the 32 bytes its last vector may read)
        const at = heap.takeBlock(8 * out.length + 32);
        if (at === null) return false;
        temps.push(at);
        new Float64Array(heap.memory.buffer, at, out.length + 4).fill(0);
        args[args.length - 1] = at;
      }
      entry(args, out.length);
      if (o !== out) out.set(o);
      return true;
    } finally {
      for (const at of temps) heap.releaseAt(at);
    }
  };
}

/** Copies every operand into the scratch memory and the result out. */
function throughScratch(entry: Invoke, args: number[], reduces: boolean): (out: TypedArray, inputs: readonly TypedArray[]) => boolean {
  return (out, inputs) => {
    let bytes = span(out.length);
    for (const x of inputs) bytes += span(x.length);
    const accBytes = reduces ? 8 * out.length + 32 : 0;
    bytes += accBytes;
    const buffer = scratch(bytes).buffer;
    let at = 0;
    args[0] = at;
    at += span(out.length);
    inputs.forEach((x, j) => {
      new (x.constructor as Float32ArrayConstructor)(buffer, at, x.length).set(x as Float32Array);
      args[1 + j] = at;
      at += span(x.length);
    });
    if (reduces) {
      new Float64Array(buffer, at, accBytes / 8).fill(0);
      args[args.length - 1] = at;
    }
    entry(args, 0);
    out.set(new (out.constructor as Float32ArrayConstructor)(buffer, 0, out.length));
    return true;
  };
}
