// The CPU backend's pool of released large buffers: reuse by dtype and length, a byte cap, and
// room made for new sizes by dropping the oldest (a workload whose sizes change is not stuck).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledByteCount, recycle, setPoolCapacity, takeTyped } from '../src/backend/cpu/pool.js';
import { setWasmHeapEnabled, WasmHeap } from '../src/backend/wasm/heap.js';

const MiB = 1024 * 1024;

describe('cpu buffer pool (plain typed arrays, where the WebAssembly heap is off or full)', () => {
  let heap = true;
  beforeAll(() => {
    heap = setWasmHeapEnabled(false);
  });
  afterAll(() => {
    setWasmHeapEnabled(heap);
  });

  it('hands back a released buffer of the same dtype and length, zeroed unless asked otherwise', () => {
    const a = takeTyped('float32', 65536);
    a.fill(3);
    recycle(a);
    const b = takeTyped('float32', 65536, true);
    expect(b).toBe(a);
    expect(b[0]).toBe(3); // uninitialized: the caller writes every element
    recycle(b);
    const c = takeTyped('float32', 65536);
    expect(c).toBe(a);
    expect(c.every((v) => v === 0)).toBe(true);
    // another dtype or length is a new buffer
    recycle(c);
    expect(takeTyped('int32', 65536)).not.toBe(a);
    expect(takeTyped('float32', 65537)).not.toBe(a);
  });

  it('stays under its cap, and new sizes push out the oldest rather than being refused', () => {
    // a 1 MiB cap (256 MiB in use) and 34 distinct sizes of about 32 KiB floats: 4.25 MiB released
    const previous = setPoolCapacity(MiB);
    try {
      const sizes = Array.from({ length: 34 }, (_, i) => 32768 + i);
      const released = sizes.map((n) => {
        const a = takeTyped('float32', n, true);
        recycle(a);
        return a;
      });
      expect(pooledByteCount()).toBeLessThanOrEqual(MiB);
      // the newest sizes are kept (pooled although the pool was full of older ones)
      expect(takeTyped('float32', sizes[33] as number, true)).toBe(released[33]);
      expect(takeTyped('float32', sizes[32] as number, true)).toBe(released[32]);
      // the oldest were dropped to make room
      expect(takeTyped('float32', sizes[0] as number, true)).not.toBe(released[0]);
      // lowering the cap drops buffers down to it
      setPoolCapacity(256 * 1024);
      expect(pooledByteCount()).toBeLessThanOrEqual(256 * 1024);
    } finally {
      setPoolCapacity(previous);
    }
  });
});

describe('the WebAssembly heap', () => {
  const shared = (maximum: number) => new WebAssembly.Memory({ initial: 1, maximum, shared: true });

  it('reuses a released block for a similar size, zeroed unless asked otherwise, and keeps views valid as it grows', () => {
    const heap = new WasmHeap(shared(16));
    const a = heap.take('float32', 1000, false) as Float32Array;
    a.fill(3);
    heap.release(a);
    const b = heap.take('float32', 990, true) as Float32Array; // same size class
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(b[0]).toBe(3);
    heap.release(b);
    const c = heap.take('int32', 1000, false) as Int32Array;
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(c.every((v) => v === 0)).toBe(true);
    c.fill(7);
    // growing the memory leaves earlier views readable
    const big = heap.take('float32', 100000, true);
    expect(big).not.toBeNull();
    expect(heap.stats().size).toBeGreaterThan(65536);
    expect(c[999]).toBe(7);
    expect(heap.owns(c)).toBe(true);
    expect(heap.owns(new Int32Array(4))).toBe(false);
    // small arrays stay plain: they never run WebAssembly kernels
    expect(heap.take('float32', 200, false)).toBeNull();
  });

  it("refuses to grow past its memory's maximum (callers then use plain arrays) and rejects a double release", () => {
    const heap = new WasmHeap(shared(8));
    expect(heap.take('float32', 70000, true)).not.toBeNull();
    expect(heap.take('float32', 70000, true)).toBeNull(); // 8 pages of 64 KiB hold one such block (320 KiB), not two
    const x = heap.take('float32', 300, true) as Float32Array;
    heap.release(x);
    expect(() => heap.release(x)).toThrow(/released twice/);
  });
});
