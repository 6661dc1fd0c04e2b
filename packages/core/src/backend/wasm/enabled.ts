// Whether the CPU backend's WebAssembly kernels (the matmul, the elementwise kernels and the heap
// they share) are on: TENFOLD_WASM=0 turns them off for a process, setWasmMatmulEnabled at run time.

/** An environment variable, where the runtime has them. */
export function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

let enabled: boolean | undefined;

/** While positive, WebAssembly is off (the pure JavaScript backend's calls, see withoutWasm). */
let suspended = 0;

/** Whether WebAssembly kernels are on (TENFOLD_WASM=0 or setWasmMatmulEnabled(false) turn them off). */
export function wasmEnabled(): boolean {
  if (enabled === undefined) enabled = env('TENFOLD_WASM') !== '0';
  return enabled && suspended === 0;
}

/** Runs `fn` (synchronous) with WebAssembly kernels and the heap off: no new array goes to the heap. */
export function withoutWasm<T>(fn: () => T): T {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}

/**
 * Turns the WebAssembly kernels (the matmul and the elementwise kernels) on or off for this
 * process (tests and benchmarks compare them with the JavaScript ones); returns the previous setting.
 */
export function setWasmMatmulEnabled(on: boolean): boolean {
  if (enabled === undefined) enabled = env('TENFOLD_WASM') !== '0';
  const previous = enabled;
  enabled = on;
  return previous;
}
