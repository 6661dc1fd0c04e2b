// Whether the CPU backend's WebAssembly kernels (the matmul, the elementwise kernels and the heap
// they share) are on: TENFOLD_WASM=0 turns them off for a process, setWasmMatmulEnabled at run time.

/** An environment variable, where the runtime has them. */
export function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

let enabled: boolean | undefined;

/** Whether WebAssembly kernels are on (TENFOLD_WASM=0 or setWasmMatmulEnabled(false) turn them off). */
export function wasmEnabled(): boolean {
  if (enabled === undefined) enabled = env('TENFOLD_WASM') !== '0';
  return enabled;
}

/**
 * Turns the WebAssembly kernels (the matmul and the elementwise kernels) on or off for this
 * process (tests and benchmarks compare them with the JavaScript ones); returns the previous setting.
 */
export function setWasmMatmulEnabled(on: boolean): boolean {
  const previous = wasmEnabled();
  enabled = on;
  return previous;
}
