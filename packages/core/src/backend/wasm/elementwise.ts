// Runs elementwise kernels rendered to WebAssembly SIMD (render-wasm.ts) on the CPU backend's
// typed arrays: the operands are copied into one scratch WebAssembly memory, the kernel runs
// there, and the result is copied out (the copies cost a fraction of what the SIMD code saves
// over the JavaScript loop on anything but tiny arrays; arrays that live in WebAssembly memory
// would avoid them).
import type { TypedArray } from '../../dtype.js';
import type { Kernel } from '../../kernel/kernel.js';
import { wasmEnabled } from './engine.js';
import { wasmFeatures } from './features.js';
import { renderWasm } from './render-wasm.js';

/** A kernel over typed arrays, as the JavaScript renderer's (cpu/render-js.ts). */
export type TypedKernel = (out: TypedArray, inputs: readonly TypedArray[], vars: readonly number[]) => void;

/** Outputs smaller than this run the JavaScript kernel: the call and copies would cost more. */
export const WASM_MIN_ELEMENTS = 256;

const PAGE = 65536;
let runs = 0;

/** How many kernel runs took the WebAssembly path (tests check the routing with it). */
export function wasmKernelRuns(): number {
  return runs;
}
let memory: WebAssembly.Memory | null = null;

function scratch(bytes: number): WebAssembly.Memory {
  if (memory === null) memory = new WebAssembly.Memory({ initial: Math.max(16, Math.ceil(bytes / PAGE)), maximum: 32768 });
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
  return memory;
}

/** Room for `n` elements of 4 bytes plus the 16 bytes the kernel may read past them, 16-aligned. */
const span = (n: number) => (n * 4 + 16 + 15) & ~15;

/**
 * `kernel` compiled to WebAssembly, with `fallback` (its JavaScript rendering) for outputs smaller
 * than `minElements` and when WebAssembly kernels are off; null when the renderer cannot express
 * the kernel.
 */
export function compileWasmKernel(kernel: Kernel, fallback: TypedKernel, minElements = WASM_MIN_ELEMENTS): TypedKernel | null {
  if (!wasmEnabled() || !wasmFeatures().simd) return null;
  const bytes = renderWasm(kernel);
  if (bytes === null) return null;
  const mem = scratch(PAGE);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory: mem } });
  const run = instance.exports.kernel as (...args: number[]) => void;
  const args: number[] = new Array(1 + kernel.inputs.length + kernel.vars);
  return (out, inputs, vars) => {
    if (out.length < minElements || !wasmEnabled()) {
      fallback(out, inputs, vars);
      return;
    }
    let bytes = span(out.length);
    for (const x of inputs) bytes += span(x.length);
    const buffer = scratch(bytes).buffer;
    let at = 0;
    args[0] = at;
    at += span(out.length);
    inputs.forEach((x, j) => {
      new (x.constructor as Float32ArrayConstructor)(buffer, at, x.length).set(x as Float32Array);
      args[1 + j] = at;
      at += span(x.length);
    });
    for (let k = 0; k < vars.length; k++) args[1 + inputs.length + k] = vars[k] as number;
    run(...args);
    runs++;
    out.set(new (out.constructor as Float32ArrayConstructor)(buffer, 0, out.length));
  };
}
