// The CPU backend's pool of released large buffers: reuse by dtype and length, a byte cap, and
// room made for new sizes by dropping the oldest (a workload whose sizes change is not stuck).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledByteCount, recycle, setPoolCapacity, takeTyped } from '../src/backend/cpu/pool.js';
import { setWasmHeapEnabled, WasmHeap, wasmHeap } from '../src/backend/wasm/heap.js';
import { np } from '../src/index.js';

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

  it('asks for a collection each time arrays grow by its step, counted from what is left after frees', () => {
    let asked = 0;
    const KiB = 1024;
    const heap = new WasmHeap(shared(64), 1024 * KiB, 1024, { collect: () => asked++, collectStep: 64 * KiB });
    const take = () => heap.take('float32', 4 * KiB - 8, true) as Float32Array; // 16 KiB blocks
    const held = [take(), take(), take()];
    expect(asked).toBe(0);
    held.push(take()); // 64 KiB: still not past the step
    expect(asked).toBe(0);
    held.push(take()); // past it
    expect(asked).toBe(1);
    for (let i = 0; i < 3; i++) held.push(take());
    expect(asked).toBe(1); // the next one is a step further on
    held.push(take());
    expect(asked).toBe(2);
    // what the collection's callbacks free lowers the next mark: a step above what is left
    for (const a of held.splice(0, 8)) heap.release(a);
    for (let i = 0; i < 4; i++) held.push(take());
    expect(asked).toBe(2);
    held.push(take());
    expect(asked).toBe(3);
    expect(heap.stats().collections).toBe(3);
  });

  it('never asks without a collector', () => {
    const heap = new WasmHeap(shared(64), 1024 * 1024, 1024, { collectStep: 1024 });
    for (let i = 0; i < 10; i++) heap.take('float32', 1000, true);
    expect(heap.stats().collections).toBe(0);
  });
});

describe('garbage in the process heap', () => {
  it('arrays nobody disposed are collected and their blocks freed while an async loop runs (Node: the heap asks V8)', async () => {
    const heap = wasmHeap();
    if (heap === null) return;
    const before = heap.stats();
    // 8 MiB arrays, never disposed: 96 of them are 768 MiB, past the step several times
    for (let i = 0; i < 96; i++) {
      np.add(np.zeros([2 * 1024 * 1024]), 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const after = heap.stats();
    expect(after.collections).toBeGreaterThan(before.collections);
    // what is left is at most a step and a few arrays more than at the start
    expect(after.arrays - before.arrays).toBeLessThan(160 * 1024 * 1024);
  });
});
