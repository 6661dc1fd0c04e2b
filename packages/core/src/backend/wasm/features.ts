import { ModuleBuilder, type SimdOp } from './emitter.js';

/**
 * What this runtime's WebAssembly supports, each probed with `WebAssembly.validate` on a tiny
 * module written by the emitter (never assumed from a version number):
 * - `simd`: 128-bit SIMD (Node 16.4+, every current browser);
 * - `relaxedSimd`: relaxed SIMD's `f32x4.relaxed_madd` (fused multiply-add where the hardware has
 *   it). On by default from Node 22 / Chrome 114; Node 20 has it behind a V8 flag, which tenfold
 *   never requires (see {@link enableRelaxedSimdFlag});
 * - `sharedMemory`: a shared WebAssembly.Memory (for worker threads).
 */
export interface WasmFeatures {
  readonly simd: boolean;
  readonly relaxedSimd: boolean;
  readonly sharedMemory: boolean;
}

function validates(build: (m: ModuleBuilder) => void): boolean {
  if (typeof WebAssembly === 'undefined' || typeof WebAssembly.validate !== 'function') return false;
  try {
    const m = new ModuleBuilder();
    build(m);
    return WebAssembly.validate(m.toBytes() as BufferSource);
  } catch {
    return false;
  }
}

/** A module with one function that applies `op` to v128 parameters. */
function simdProbe(op: SimdOp, arity: number): boolean {
  return validates((m) => {
    const f = m.func('probe', Array(arity).fill('v128'), ['v128']);
    for (let i = 0; i < arity; i++) f.get(f.param(i, 'v128'));
    f.simd(op);
  });
}

let cached: WasmFeatures | undefined;

export function wasmFeatures(): WasmFeatures {
  if (cached) return cached;
  const simd = simdProbe('f32x4.mul', 2);
  cached = {
    simd,
    relaxedSimd: simd && simdProbe('f32x4.relaxed_madd', 3),
    sharedMemory:
      typeof SharedArrayBuffer !== 'undefined' &&
      validates((m) => {
        m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: 1, shared: true });
        m.func('probe', [], []);
      }),
  };
  return cached;
}

/** Probes again (after {@link enableRelaxedSimdFlag}, or in tests). */
export function resetWasmFeatures(): void {
  cached = undefined;
}

/**
 * Opt-in (`TENFOLD_WASM_RELAXED_SIMD=1`): on Node 20, turns on V8's
 * `--experimental-wasm-relaxed-simd` at run time, before any kernel is compiled, so the matmul
 * can use fused multiply-add. Never done by default: setting V8 flags after start-up is outside
 * Node's stable API. Returns whether relaxed SIMD validates afterwards. Harmless where relaxed SIMD
 * is already on (Node 22+, browsers), and a no-op outside Node.
 */
export function enableRelaxedSimdFlag(): boolean {
  if (wasmFeatures().relaxedSimd) return true;
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (f: string) => void } | undefined;
  if (!v8?.setFlagsFromString) return false;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  resetWasmFeatures();
  return wasmFeatures().relaxedSimd;
}
