import { describe, expect, it } from 'vitest';
import { wasmHeap } from '../src/backend/wasm/heap.js';
import { copyElements } from '../src/backend/wasm/heap-copy.js';
import { np } from '../src/index.js';

describe('copies between arrays of the WebAssembly heap (memory.copy)', () => {
  const heap = wasmHeap();

  it('copies ranges between heap arrays and between a heap array and a plain one, touching nothing else', () => {
    expect(heap).not.toBeNull();
    if (heap === null) return;
    const src = heap.take('float32', 4096, true) as Float32Array;
    const dst = heap.take('float32', 4096, false) as Float32Array;
    for (let i = 0; i < src.length; i++) src[i] = i + 0.5;
    src[7] = Number.NaN;
    copyElements(dst, 100, src, 3, 1000);
    expect(dst[99]).toBe(0);
    expect(dst[1100]).toBe(0);
    expect(Object.is(dst[104], Number.NaN)).toBe(true);
    expect([...dst.subarray(100, 1100)].every((v, i) => i === 4 || v === i + 3.5)).toBe(true);
    // int32 bits are copied as they are
    const ints = heap.take('int32', 2048, true) as Int32Array;
    const intsOut = heap.take('int32', 2048, false) as Int32Array;
    ints.fill(-(2 ** 31));
    copyElements(intsOut, 0, ints, 0, 2048);
    expect(intsOut.every((v) => v === -(2 ** 31))).toBe(true);
    // a plain destination takes the TypedArray path, with the same result
    const plain = new Float32Array(50);
    copyElements(plain, 10, src, 20, 30);
    expect([...plain.subarray(10, 40)]).toEqual([...src.subarray(20, 50)]);
    expect(plain[9]).toBe(0);
    for (const a of [src, dst, ints, intsOut]) heap.release(a);
  });

  it('np.take of rows of a large float32 array (in the heap) gathers exactly those rows', () => {
    const rows = 600;
    const cols = 784;
    const data = new Float32Array(rows * cols).map((_, i) => Math.fround(Math.sin(i) * 1000));
    const x = np.array(data).reshape([rows, cols]);
    const idx = [599, 0, 17, 17, 300, 598];
    const got = np.take(x, np.array(idx, { dtype: 'int32' }), 0).dataSync();
    const want = idx.flatMap((r) => [...data.subarray(r * cols, (r + 1) * cols)]);
    expect([...got]).toEqual(want);
  });
});
