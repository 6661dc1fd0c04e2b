// The CPU backend's arrays live in one shared WebAssembly memory, so WebAssembly kernels read and
// write them in place (no copies in or out) while JavaScript kernels and routines see ordinary
// typed arrays: views of that memory. Shared, because growing a shared memory never detaches the
// views already handed out (growing an unshared one would). Where shared memory is unavailable
// (a browser page without cross-origin isolation) or the heap is full, arrays are plain typed
// arrays, and WebAssembly kernels copy them through a scratch memory instead.
import type { DType, TypedArray } from '../../dtype.js';
import { fullCollection } from './collect.js';
import { wasmEnabled } from './enabled.js';
import { wasmFeatures } from './features.js';

const PAGE = 65536;
/** The process heap's memory may grow to just under 2 GiB (kernels compute addresses in signed i32). */
export const HEAP_MAX_PAGES = 32767;
/**
 * Arrays take at most this much of it; beyond that they are plain typed arrays (and kernels copy
 * them in and out). V8 counts plain typed arrays towards its collection pressure, not views of a
 * WebAssembly memory, so arrays nobody disposed accumulate in the heap until a major collection
 * finds them (its FinalizationRegistry callbacks then free the blocks). Where the heap can ask
 * for one (collect.ts: Node), it does so each time its arrays grow by COLLECT_STEP since the
 * last, and may hold 1 GiB; elsewhere 256 MiB, reached only by spilling into plain arrays, bounds
 * the garbage. (Measured before the request: in MNIST training the 188 MB training set left 68 MB
 * for garbage; it filled within 100 steps and kernels then copied 0.9 GB per epoch.) Kernels'
 * scratch blocks (the matmul's panels) do not count: the call that takes them releases them.
 */
const ARRAY_BYTES_COLLECTING = 1024 * 1024 * 1024;
const ARRAY_BYTES = 256 * 1024 * 1024;
/** A collection is asked for when arrays reach this much more than after the last one's frees. */
const COLLECT_STEP = 128 * 1024 * 1024;
/** Blocks are 16-aligned and followed by 16 readable bytes (SIMD loads may read past a row's end). */
const SLACK = 16;
/**
 * Arrays smaller than this stay plain typed arrays: WebAssembly kernels leave outputs under 256
 * elements to JavaScript anyway, and eager code makes many small temporaries nobody disposes,
 * which would sit in the heap until the collector's callbacks run (a synchronous loop never lets
 * them), where plain arrays are freed by the collector itself.
 */
export const HEAP_MIN_BYTES = 1024;

const CONSTRUCTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;

/** The block size serving `bytes`: the next of 2^k·{1, 1.25, 1.5, 1.75} (at most a quarter wasted), so similar sizes share blocks. */
function blockSize(bytes: number): number {
  const need = Math.max(64, bytes + SLACK);
  const p = 2 ** Math.floor(Math.log2(need));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const size = Math.ceil((p * f) / 16) * 16;
    if (size >= need) return size;
  }
  return 2 * p;
}

/** Each block is preceded by a 16-byte header: its size class and its state (FREE, SCRATCH, ARRAY). */
const HEADER = 16;
const FREE = 0;
const SCRATCH = 1;
const ARRAY = 2;

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** The memory's buffer objects (a new one after each growth), to recognise its views. */
  readonly #buffers = new WeakSet<ArrayBufferLike>();
  /** Free blocks by size class (a few classes, so this map itself hardly changes). */
  readonly #free = new Map<number, number[]>();
  readonly #arrayCap: number;
  /** Where to ask for a collection next (Infinity: never), and the function that asks. */
  #collectAt: number;
  readonly #collect: (() => void) | null;
  readonly #collectStep: number;
  #collections = 0;
  #top = HEADER;
  #inUse = 0;
  #arrays = 0;

  readonly #minBytes: number;
  /** The memory's buffer now, and a view of it for the headers (renewed after it grows). */
  #buffer: ArrayBufferLike;
  #headers: Int32Array;

  /**
   * A heap over `memory`, whose arrays take at most `arrayBytes` of it, none smaller than
   * `minBytes`; `collect` (if any) is called to run a full garbage collection each time arrays
   * grow by `collectStep`.
   */
  constructor(
    memory: WebAssembly.Memory,
    arrayBytes = ARRAY_BYTES,
    minBytes = HEAP_MIN_BYTES,
    { collect = null, collectStep = COLLECT_STEP }: { collect?: (() => void) | null; collectStep?: number } = {},
  ) {
    this.memory = memory;
    this.#arrayCap = arrayBytes;
    this.#collect = collect;
    this.#collectStep = collectStep;
    this.#collectAt = collect ? collectStep : Number.POSITIVE_INFINITY;
    this.#minBytes = minBytes;
    this.#buffer = memory.buffer;
    this.#headers = new Int32Array(this.#buffer);
    this.#buffers.add(this.#buffer);
  }

  /** A view of a block for `size` elements of `dtype` (zero-filled unless `uninitialized`), or null when the heap is full. */
  take(dtype: DType, size: number, uninitialized: boolean): TypedArray | null {
    const C = CONSTRUCTORS[dtype];
    if (size * C.BYTES_PER_ELEMENT < this.#minBytes) return null;
    const bytes = blockSize(size * C.BYTES_PER_ELEMENT);
    // (not for a first big array: with little in the heap there is little to find)
    if (this.#arrays + bytes > this.#collectAt && 2 * this.#arrays >= this.#collectStep) this.#requestCollection();
    if (this.#arrays + bytes > this.#arrayCap) return null;
    const offset = this.#block(bytes, ARRAY);
    if (offset < 0) return null;
    this.#arrays += bytes;
    const view = new C(this.#buffer as ArrayBuffer, offset, size);
    if (!uninitialized) view.fill(0);
    return view;
  }

  /**
   * The offset of a scratch block of at least `bytes` (for a kernel's working memory, released by
   * the same call), or null when the memory cannot grow. Taking a block may grow the memory: make
   * views after taking every block a call needs (an unshared memory's old views detach).
   */
  takeBlock(bytes: number): number | null {
    const offset = this.#block(blockSize(bytes), SCRATCH);
    return offset < 0 ? null : offset;
  }

  /**
   * Runs a full collection: unreachable arrays' callbacks will free their blocks once the event
   * loop turns (not before: a synchronous loop keeps its garbage until it returns, and past the
   * cap its new arrays are plain). The next request comes when arrays hold collectStep more than
   * now or, once blocks are freed, than what is left (see releaseAt): at most one collection per
   * collectStep of net growth.
   */
  #requestCollection(): void {
    this.#collectAt = this.#arrays + this.#collectStep;
    this.#collections++;
    (this.#collect as () => void)();
  }

  /** A block of class `bytes` in `state`: its data's offset, or -1. */
  #block(bytes: number, state: number): number {
    let offset = this.#free.get(bytes)?.pop();
    if (offset === undefined) {
      offset = this.#top + HEADER;
      const end = offset + bytes;
      const have = this.#buffer.byteLength;
      if (end > have) {
        try {
          this.memory.grow(Math.ceil((end - have) / PAGE));
        } catch {
          return -1; // past the memory's maximum, or the runtime refused the memory
        }
        this.#buffer = this.memory.buffer;
        this.#headers = new Int32Array(this.#buffer);
        this.#buffers.add(this.#buffer);
      }
      this.#top = end;
      this.#headers[(offset - HEADER) >> 2] = bytes;
    }
    this.#headers[((offset - HEADER) >> 2) + 1] = state;
    this.#inUse += bytes;
    return offset;
  }

  /** Whether `a` is a view of this heap. */
  owns(a: TypedArray): boolean {
    return this.#buffers.has(a.buffer);
  }

  /** Returns the block under `a` (a view from {@link WasmHeap.take}) for reuse. */
  release(a: TypedArray): void {
    this.releaseAt(a.byteOffset);
  }

  /** Returns the block at `offset` for reuse (for a view that is gone, e.g. garbage collected). */
  releaseAt(offset: number): void {
    const h = (offset - HEADER) >> 2;
    const state = offset >= HEADER && offset < this.#top ? this.#headers[h + 1] : FREE;
    if (state !== SCRATCH && state !== ARRAY) throw new Error(`internal: heap block ${offset} released twice or never taken`);
    const bytes = this.#headers[h] as number;
    this.#headers[h + 1] = FREE;
    this.#inUse -= bytes;
    if (state === ARRAY) {
      this.#arrays -= bytes;
      if (this.#collect !== null && this.#arrays + this.#collectStep < this.#collectAt) this.#collectAt = this.#arrays + this.#collectStep;
    }
    let list = this.#free.get(bytes);
    if (list === undefined) {
      list = [];
      this.#free.set(bytes, list);
    }
    list.push(offset);
  }

  /** Bytes in blocks now in use (and of those, in arrays), the memory's size, and the collections asked for. */
  stats(): { inUse: number; arrays: number; size: number; collections: number } {
    return { inUse: this.#inUse, arrays: this.#arrays, size: this.memory.buffer.byteLength, collections: this.#collections };
  }
}

let heap: WasmHeap | null | undefined;
let takingNew = true;

/**
 * Whether new CPU arrays go to the heap (tests and benchmarks compare with plain typed arrays);
 * returns the previous setting. Arrays already in the heap stay there.
 */
export function setWasmHeapEnabled(on: boolean): boolean {
  const previous = takingNew;
  takingNew = on;
  return previous;
}

/** The heap to take a new array from, or null (none, or turned off). */
export function heapForNewArrays(): WasmHeap | null {
  return takingNew && wasmEnabled() ? wasmHeap() : null;
}

/** The process's heap, or null where WebAssembly kernels are off or shared memory is unavailable. */
export function wasmHeap(): WasmHeap | null {
  if (heap !== undefined) return heap;
  heap = null;
  if (wasmEnabled() && wasmFeatures().simd && wasmFeatures().sharedMemory) {
    try {
      const collect = fullCollection();
      heap = new WasmHeap(
        new WebAssembly.Memory({ initial: 16, maximum: HEAP_MAX_PAGES, shared: true }),
        collect ? ARRAY_BYTES_COLLECTING : ARRAY_BYTES,
        HEAP_MIN_BYTES,
        {
          collect,
        },
      );
    } catch {
      heap = null;
    }
  }
  return heap;
}

/** The memory import that kernels running on the heap declare. */
export const HEAP_MEMORY = { module: 'env', name: 'memory', initial: 16, maximum: HEAP_MAX_PAGES, shared: true } as const;
