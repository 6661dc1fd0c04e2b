import { ModuleBuilder, type SimdOp } from './emitter.js';
import { env } from './enabled.js';

/**
 * What this runtime's WebAssembly supports, each probed with `WebAssembly.validate` on a tiny
 * module written by the emitter (never assumed from a version number):
 * - `simd`: 128-bit SIMD (Node 16.4+, every current browser);
 * - `relaxedSimd`: relaxed SIMD's `f32x4.relaxed_madd` (fused multiply-add where the hardware has
 *   it). On by default from Node 22 / Chrome 114; Node 20 has it behind a V8 flag, which tenfold
 *   turns on before its first probe unless TENFOLD_WASM_RELAXED_SIMD=0 (see
 *   {@link enableRelaxedSimdFlag});
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
  if (env('TENFOLD_WASM_RELAXED_SIMD') !== '0') setRelaxedSimdFlag();
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
 * On Node 20, turns on V8's `--experimental-wasm-relaxed-simd` (the issue's "settable at run time
 * before compiling"): the matmul then uses fused multiply-add, 1.7-1.9x the throughput of a
 * multiply and an add measured here, and exp/tanh fuse their polynomials. Done by default before
 * the first probe (the flag changes nothing else: it only lets modules that use relaxed SIMD
 * validate); TENFOLD_WASM_RELAXED_SIMD=0 refuses. A no-op where relaxed SIMD is already on
 * (Node 22+, browsers) and outside Node. False when the flag cannot be set.
 */
function setRelaxedSimdFlag(): boolean {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (f: string) => void } | undefined;
  if (!v8?.setFlagsFromString) return false;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    return true;
  } catch {
    return false;
  }
}

/**
 * Turns relaxed SIMD on (see setRelaxedSimdFlag) even where TENFOLD_WASM_RELAXED_SIMD=0 said not
 * to (tests and benchmarks compare both), and probes again. Returns whether it validates now.
 */
export function enableRelaxedSimdFlag(): boolean {
  if (wasmFeatures().relaxedSimd) return true;
  if (!setRelaxedSimdFlag()) return false;
  // (the flag is on now, whatever the variable says: probing again finds it)
  resetWasmFeatures();
  return wasmFeatures().relaxedSimd;
}
