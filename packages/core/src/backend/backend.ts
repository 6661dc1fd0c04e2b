import type { ShapedArray } from '../aval.js';
import type { DType, TypedArray } from '../dtype.js';
import { fail } from '../errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { RoutineName } from '../kernel/routines.js';
import type { PrimitiveParams } from '../primitives/params.js';

/** An opaque handle to a buffer owned by a backend. */
export interface DataHandle {
  readonly __dataHandle: unique symbol;
}

export interface BackendInput {
  readonly handle: DataHandle;
  readonly aval: ShapedArray;
}

/**
 * What a backend holds for live arrays. Arrays nobody disposed are released by garbage collection,
 * whose callbacks run only when the event loop turns: inside a synchronous loop these counts
 * include arrays already collected (await a tick after `gc()` to read them exactly). Memory kept
 * for reuse (the CPU backend's pool of released buffers, up to 256 MiB, and the worker threads'
 * scratch buffer, sized by the largest threaded product so far) is not counted.
 */
export interface BackendStats {
  /** Buffers allocated and not yet released. */
  readonly liveBuffers: number;
  /** Bytes held by those buffers. */
  readonly liveBytes: number;
}

/**
 * An elementwise kernel over a routine's single result (a bias add, an activation): its input
 * `result` is the routine's result, read only at the element it writes; its other inputs are
 * `inputs` (whose entry at `result` is null).
 */
export interface RoutineEpilogue {
  readonly kernel: Kernel;
  /** The kernel's cache key. */
  readonly key: string;
  readonly result: number;
  readonly inputs: readonly (DataHandle | null)[];
}

/**
 * One while loop handed to a backend that runs loops itself ({@link Backend.whileLoop}). The steps
 * run synchronously, each recording its work on the backend like any other op, and may be called
 * long after `whileLoop` returned (when the predicate of the previous step has been read).
 */
export interface WhileLoopSteps {
  /** The initial carry; the backend retains what it needs past the call. */
  readonly carry: readonly BackendInput[];
  /** The predicate of `carry`: a new reference to a bool scalar. */
  cond(carry: readonly DataHandle[]): DataHandle;
  /** The next carry: new references, one per carry buffer. */
  body(carry: readonly DataHandle[]): DataHandle[];
  /** Called once when the loop has ended or failed: releases what the steps keep (its constants). */
  done(): void;
}

/** A kernel compiled by a backend: opaque to core, which caches it per kernel key. */
export interface Executable {
  readonly __executable: unique symbol;
}

/**
 * Where arrays live and kernels run. A backend implements three things, never one kernel per
 * primitive:
 * - buffers, reference-counted: `alloc`/`write` create one reference, `retain` adds one, `release`
 *   drops one and frees at zero; `read`/`readSync` copy out; `stats` counts what is live;
 * - a renderer: `compile` turns a kernel of the IR (kernel/kernel.ts) into an executable, and `run`
 *   executes it into a new buffer (core compiles each kernel once and caches it);
 * - the routines (kernel/routines.ts: matmul, conv, gather/scatter, sort, threefry...), through
 *   `routine`, with each primitive's own params and avals.
 * Nothing a backend runs may write to its inputs, except a kernel into the buffer `run` offers it.
 */
export interface Backend {
  readonly name: string;
  /** Whether `readSync` works (true on CPU; false on WebGPU, whose reads are async). */
  readonly supportsSyncRead: boolean;
  supportsDType(dtype: DType): boolean;
  /** A new zero-filled buffer. */
  alloc(dtype: DType, size: number): DataHandle;
  /** A new buffer holding a copy of `data` (whose element type matches `dtype`). */
  write(dtype: DType, data: TypedArray): DataHandle;
  /** Reads a buffer into a fresh typed array the caller owns. */
  read(handle: DataHandle): Promise<TypedArray>;
  readSync(handle: DataHandle): TypedArray;
  retain(handle: DataHandle): void;
  release(handle: DataHandle): void;
  /**
   * Optional: a token for the garbage-collection backstop that releases `handle` without keeping
   * its memory reachable (so the collector can free host memory before the callback runs).
   * Without it the backstop holds the handle and calls `release`.
   */
  finalizer?(handle: DataHandle): object;
  /** Releases the reference a {@link Backend.finalizer} token stands for. */
  releaseFinalized?(token: object): void;
  /** Renders and compiles a kernel (called once per distinct kernel; core caches the result). */
  compile(kernel: Kernel): Executable;
  /**
   * Runs a compiled kernel: a new buffer `out` whose every element the kernel writes, from `inputs`
   * (in the kernel's input order) and the kernel's runtime `vars`.
   *
   * `into`, when given, is one of `inputs`, of `out`'s dtype and size, that the kernel reads only
   * at the element it writes, and whose reference the caller gives up if the backend uses it: the
   * backend may write the result there (when no one else holds that buffer) and return `into`
   * itself, or ignore it and return a new buffer (the caller then still owns `into`).
   */
  run(exe: Executable, inputs: readonly DataHandle[], vars: readonly number[], out: ShapedArray, into?: DataHandle): DataHandle;
  /**
   * Runs a routine: new buffers for `outAvals`, never consuming `inputs`. With an `epilogue` (only
   * when {@link Backend.fusesEpilogue} says so), the single output is the epilogue kernel applied
   * to the routine's result.
   */
  routine<R extends RoutineName>(
    name: R,
    params: PrimitiveParams[R],
    inputs: readonly BackendInput[],
    outAvals: readonly ShapedArray[],
    epilogue?: RoutineEpilogue,
  ): DataHandle[];
  /**
   * Optional: whether `routine` applies an epilogue to `name`'s result itself (before storing
   * it). Otherwise core runs the epilogue as a kernel after the routine, into its result's buffer.
   */
  fusesEpilogue?(name: RoutineName, epilogue: Kernel): boolean;
  /**
   * Optional, for backends that cannot read a predicate synchronously: runs a whole while loop and
   * returns new buffers for its final carry at once. They are filled when the loop ends; the
   * backend orders all later work (and reads) after it. A step that fails makes the next read throw.
   * Without it, core runs the loop on the host, reading each predicate with `readSync`.
   */
  whileLoop?(loop: WhileLoopSteps): DataHandle[];
  stats(): BackendStats;
}

// backends register themselves (core's entry registers 'cpu'), so this module imports none
const backends = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let defaultName = 'cpu';

/** Makes a backend available by name (which must equal the backend's `name`); the factory runs on first use. */
export function registerBackend(name: string, factory: () => Backend): void {
  backends.set(name, factory);
}

/** The backend called `name`, or the default backend. */
export function getBackend(name?: string): Backend {
  const key = name ?? defaultName;
  const existing = instances.get(key);
  if (existing) return existing;
  const factory = backends.get(key);
  if (!factory) fail('getBackend', `no backend named '${key}'; registered: ${[...backends.keys()].join(', ')}`);
  const b = factory();
  // ops find an array's backend again by its name (withBackend, shared constants), so it must match
  if (b.name !== key)
    fail('getBackend', `the backend registered as '${key}' calls itself '${b.name}'; a backend's name must be the name it is registered under`);
  instances.set(key, b);
  return b;
}

/** Sets the backend that new arrays are created on. */
export function setDefaultBackend(name: string): void {
  getBackend(name);
  defaultName = name;
}

export function defaultBackendName(): string {
  return defaultName;
}

/**
 * Runs `fn` with `name` (when given) as the default backend, so arrays created inside land there.
 *
 * @example
 * const x = withBackend('cpu', () => np.arange(10));
 */
export function withBackend<T>(name: string | undefined, fn: () => T): T {
  if (name === undefined || name === defaultName) return fn();
  const prev = defaultName;
  setDefaultBackend(name);
  try {
    return fn();
  } finally {
    defaultName = prev;
  }
}
