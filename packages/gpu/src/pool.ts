// Released GPU buffers kept for reuse, by size class: creating a buffer costs a driver call (and
// on some drivers zeroing), while eager code allocates one output per op.
/// <reference types="@webgpu/types" preserve="true" />

/** Bytes a buffer of `bytes` is created with: 256 at least, then steps of a quarter of the power of two below (≤ 25 % slack). */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const step = 2 ** (Math.floor(Math.log2(bytes - 1)) - 2);
  return Math.ceil(bytes / step) * step;
}

/**
 * A pool of buffers of one usage; the oldest are evicted (destroyed, through `evict`) when it holds
 * more than `capacity` bytes.
 */
export class BufferPool {
  readonly #free = new Map<number, GPUBuffer[]>();
  /** Insertion order, for evicting the oldest. */
  readonly #order = new Set<GPUBuffer>();
  #bytes = 0;
  capacity: number;
  readonly #evict: (b: GPUBuffer) => void;

  constructor(capacity: number, evict: (b: GPUBuffer) => void = (b) => b.destroy()) {
    this.capacity = capacity;
    this.#evict = evict;
  }

  /** A pooled buffer of exactly `size` bytes (a size class), or undefined. */
  take(size: number): GPUBuffer | undefined {
    const list = this.#free.get(size);
    const b = list?.pop();
    if (b === undefined) return undefined;
    if (list!.length === 0) this.#free.delete(size);
    this.#order.delete(b);
    this.#bytes -= size;
    return b;
  }

  give(b: GPUBuffer): void {
    const size = b.size;
    if (size > this.capacity) {
      this.#evict(b);
      return;
    }
    let list = this.#free.get(size);
    if (list === undefined) {
      list = [];
      this.#free.set(size, list);
    }
    list.push(b);
    this.#order.add(b);
    this.#bytes += size;
    for (const old of this.#order) {
      if (this.#bytes <= this.capacity) break;
      this.#order.delete(old);
      const l = this.#free.get(old.size)!;
      l.splice(l.indexOf(old), 1);
      if (l.length === 0) this.#free.delete(old.size);
      this.#bytes -= old.size;
      this.#evict(old);
    }
  }

  /** Buffers and bytes held for reuse. */
  stats(): { buffers: number; bytes: number } {
    return { buffers: this.#order.size, bytes: this.#bytes };
  }

  /** Destroys everything held. */
  clear(): void {
    for (const b of this.#order) b.destroy();
    this.#order.clear();
    this.#free.clear();
    this.#bytes = 0;
  }
}
