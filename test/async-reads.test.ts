// Every synchronous read has an asynchronous twin that works on every backend: the CPU, and
// WebGPU (lavapipe in CI), where the synchronous forms throw.
import { type Array, np } from '@tenfold/core';
import { accuracy, accuracyAsync, correctCount, correctCountAsync, meanLoss, meanLossAsync } from '@tenfold/nn';
import { describe, expect, it } from 'vitest';
import { adapter } from '../packages/gpu/test/gpu-env.js';

const backends = adapter === null ? ['cpu'] : ['cpu', 'webgpu'];

describe.each(backends)('async reads on the %s backend', (backend) => {
  const on = (values: unknown, dtype: 'float32' | 'int32' | 'bool' = 'float32'): Array => np.array(values as number[], { dtype, backend });

  it('itemAsync: the value of a one-element array, as item() gives it on the CPU', async () => {
    expect(await on([2.5]).itemAsync()).toBe(2.5);
    expect(await on([[-7]], 'int32').itemAsync()).toBe(-7);
    expect(await on([true], 'bool').itemAsync()).toBe(true);
    expect(await on([0], 'bool').itemAsync()).toBe(false);
    await expect(on([1, 2]).itemAsync()).rejects.toThrow(/^itemAsync: can only convert an array of size 1 to a scalar, got shape \[2\]/);
  });

  it('tolistAsync: nested JS arrays', async () => {
    expect(
      await on(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        'int32',
      ).tolistAsync(),
    ).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(await on([1, 0], 'bool').tolistAsync()).toEqual([true, false]);
    expect(await on(3.5).tolistAsync()).toBe(3.5);
  });

  it("toStringAsync: NumPy's repr, as toString() prints it on the CPU", async () => {
    const values = [
      [0.5, -1],
      [2, 3.25],
    ];
    expect(await on(values).toStringAsync()).toBe(np.array(values, { dtype: 'float32', backend: 'cpu' }).toString());
    expect(await on(values).toStringAsync()).toBe('array([[ 0.5 , -1.  ],\n       [ 2.  ,  3.25]], dtype=float32)');
  });

  it("nn's readers: meanLossAsync, correctCountAsync, accuracyAsync", async () => {
    expect(await meanLossAsync([on(1), on(2), on(6)])).toBe(3);
    expect(await meanLossAsync([])).toBeNaN();
    const scores = on([
      [0.1, 0.9],
      [0.8, 0.2],
      [0.3, 0.7],
    ]);
    const labels = on([1, 1, 1], 'int32');
    expect(await correctCountAsync(scores, labels)).toBe(2);
    expect(await accuracyAsync(scores, labels)).toBeCloseTo(2 / 3, 12);
  });

  it.runIf(backend === 'webgpu')('the synchronous forms throw there, naming the asynchronous one', () => {
    const x = on([1]);
    expect(() => x.dataSync()).toThrow(/data\(\)/);
    expect(() => x.item()).toThrow();
    expect(() => meanLoss([x])).toThrow();
    expect(() => correctCount(on([[1, 0]]), on([0], 'int32'))).toThrow();
    expect(() => accuracy(on([[1, 0]]), on([0], 'int32'))).toThrow();
  });
});
