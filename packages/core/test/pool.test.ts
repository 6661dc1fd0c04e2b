// The CPU backend's pool of released large buffers: reuse by dtype and length, a byte cap, and
// room made for new sizes by dropping the oldest (a workload whose sizes change is not stuck).
import { describe, expect, it } from 'vitest';
import { pooledByteCount, recycle, setPoolCapacity, takeTyped } from '../src/backend/cpu/pool.js';

const MiB = 1024 * 1024;

describe('cpu buffer pool', () => {
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
