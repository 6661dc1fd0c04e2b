// Compiled kernels, cached per backend by kernel key: an eager op compiles its one-op kernel once
// per (op, dtypes, shape class) and afterwards only looks it up.
import type { Backend, Executable } from '../backend/backend.js';
import type { Kernel } from './kernel.js';

interface Cache {
  generation: number;
  readonly entries: Map<string, Executable>;
}

const caches = new WeakMap<Backend, Cache>();
/** Distinct kernels are few (op × dtypes × rank pattern); the cap only guards against a runaway. */
const MAX_ENTRIES = 4096;
let generation = 0;
let compiles = 0;
let hits = 0;

/** The executable for the kernel `key` on `backend`, compiling `build()` on first use. */
export function cachedKernel(backend: Backend, key: string, build: () => Kernel): Executable {
  let cache = caches.get(backend);
  if (cache === undefined) {
    cache = { generation, entries: new Map() };
    caches.set(backend, cache);
  } else if (cache.generation !== generation) {
    cache.entries.clear();
    cache.generation = generation;
  }
  let exe = cache.entries.get(key);
  if (exe === undefined) {
    exe = backend.compile(build());
    if (cache.entries.size >= MAX_ENTRIES) cache.entries.delete(cache.entries.keys().next().value as string);
    cache.entries.set(key, exe);
    compiles++;
  } else hits++;
  return exe;
}

/** How many kernels were compiled and how many runs found theirs cached, since the last clear. */
export interface KernelCacheStats {
  readonly compiles: number;
  readonly hits: number;
}

/**
 * @example
 * const before = kernelCacheStats().compiles;
 * np.add(x, y); np.add(x, y);
 * kernelCacheStats().compiles - before; // at most 1: the second add reuses the kernel
 */
export function kernelCacheStats(): KernelCacheStats {
  return { compiles, hits };
}

/** Forgets every compiled kernel on every backend (compiled again on next use) and resets the counts. */
export function clearKernelCache(): void {
  generation++;
  compiles = 0;
  hits = 0;
}
