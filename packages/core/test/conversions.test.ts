// JS numbers and typed arrays entering arrays: weak-scalar overflow, explicit-dtype creation,
// typed-array dtypes, bool storage, arange/linspace/full dtypes and values, size and axis errors.
// Expected values follow jax.numpy (and NumPy where JAX defers to it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lax, np, type Array as Tensor } from '../src/index.js';
import { expectError } from './expect-error.js';

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const FC = { seed: 42, numRuns: 200 };

const vals = (x: Tensor): number[] => Array.from(x.dataSync());

/** Integers outside int32 that a double still holds exactly. */
const outOfInt32 = fc.oneof(fc.integer({ min: INT_MAX + 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: INT_MIN - 1 }));

describe('a JS number next to an int array must fit int32 (JAX OverflowError)', () => {
  it('comparing with 2^31 is an error, not a wrap to -2^31', () => {
    expectError(() => np.greater(np.array([INT_MAX]), 2147483648), 'greater', /JS number 2147483648 is too large to convert to int32/);
    expect(np.greater(np.array([INT_MAX]), INT_MAX - 1).tolist()).toEqual([true]);
  });

  it('adding 3e9 is an error, not -1294967295', () => {
    expectError(() => np.add(np.array([1]), 3e9), 'add', /3000000000 .*next to an int32 array/);
    expectError(() => np.add(np.array([true]), 3e9), 'add', /next to a bool array/);
    expectError(() => np.multiply(np.array([1]), -2147483649), 'multiply', /-2147483649/);
    expectError(() => np.where(np.array([true]), np.array([1]), 3e9), 'where', /3000000000/);
  });

  it('lax ops with an out-of-range int32 scalar are an error too', () => {
    expectError(() => lax.add(np.array([1]), 3e9), 'scalar', /3000000000 cannot be stored as int32/);
  });

  it('the int32 bounds themselves stay int32', () => {
    const hi = np.add(np.array([0]), INT_MAX);
    expect(hi.dtype).toBe('int32');
    expect(vals(hi)).toEqual([INT_MAX]);
    expect(vals(np.add(np.array([0]), INT_MIN))).toEqual([INT_MIN]);
  });

  it('non-integer numbers still promote an int array to float32', () => {
    const y = np.add(np.array([1]), 1.5);
    expect(y.dtype).toBe('float32');
    expect(vals(y)).toEqual([2.5]);
    expect(vals(np.add(np.array([1]), Number.NaN))).toEqual([Number.NaN]);
    expect(np.add(np.array([1]), 3e9 + 0.5).dtype).toBe('float32');
  });

  it('float arrays take any JS number (property)', () => {
    fc.assert(
      fc.property(outOfInt32, (v) => {
        const y = np.add(np.array([0], { dtype: 'float64' }), v);
        expect(y.dtype).toBe('float64');
        expect(vals(y)).toEqual([v]);
      }),
      FC,
    );
  });

  it('int32 arrays take every int32 number and reject every other integer (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: INT_MIN, max: INT_MAX }), outOfInt32, (ok, bad) => {
        expect(vals(np.add(np.array([0]), ok))).toEqual([ok]);
        expect(() => np.subtract(np.array([0]), bad)).toThrow(/too large to convert to int32/);
      }),
      FC,
    );
  });
});

describe('explicit int32/bool dtypes from JS numbers', () => {
  it('np.array truncates in-range fractions toward zero, as NumPy', () => {
    expect(vals(np.array([1.7, -1.7, 2147483647.9, -2147483648.9], { dtype: 'int32' }))).toEqual([1, -1, INT_MAX, INT_MIN]);
  });

  it('np.array rejects out-of-range and non-finite values instead of wrapping', () => {
    expectError(() => np.array([3e9], { dtype: 'int32' }), 'array', /^array: 3000000000 \(flat index 0\) cannot be stored as int32/);
    expectError(() => np.array([[0, Number.POSITIVE_INFINITY]], { dtype: 'int32' }), 'array', /Infinity \(flat index 1\)/);
    expectError(() => np.array([Number.NaN], { dtype: 'int32' }), 'array', /NaN/);
    expectError(() => np.array([2147483648], { dtype: 'int32' }), 'array', /2147483648/);
    expectError(() => np.array(new Float32Array([3e9]), { dtype: 'int32' }), 'array', /3000000000/);
  });

  it('np.array from doubles agrees with truncation wherever int32 holds the result (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), (v) => {
        const t = Math.trunc(v);
        if (Number.isFinite(v) && t >= INT_MIN && t <= INT_MAX) expect(vals(np.array([v], { dtype: 'int32' }))).toEqual([t | 0]);
        else expect(() => np.array([v], { dtype: 'int32' })).toThrow(/cannot be stored as int32/);
      }),
      FC,
    );
  });

  it('np.full with an int32 dtype follows the same rule', () => {
    expectError(() => np.full([2], 3e9, { dtype: 'int32' }), 'full', /3000000000 cannot be stored as int32/);
    expectError(() => np.full([2], Number.NEGATIVE_INFINITY, { dtype: 'int32' }), 'full', /-Infinity/);
    expect(vals(np.full([2], -1.5, { dtype: 'int32' }))).toEqual([-1, -1]);
  });

  it('np.pad rejects an int32 padding value it cannot store and truncates fractions', () => {
    expectError(() => np.pad(np.array([1]), 1, 1e10), 'pad', /10000000000 \(the padding value for int32\[1\]\) cannot be stored as int32/);
    expectError(() => lax.pad(np.array([1]), Number.NaN, [[1, 0, 0]]), 'pad', /NaN/);
    expect(vals(np.pad(np.array([1]), 1, 2.9))).toEqual([2, 1, 2]);
  });
});

describe('bool storage holds only 0 and 1', () => {
  it('scatter-add on bool is logical or', () => {
    const once = np
      .array([false], { dtype: 'bool' })
      .at(np.array([0, 0]))
      .add(true);
    expect(vals(once)).toEqual([1]);
    // 256 additions would wrap a byte back to 0 with a plain sum
    const many = np
      .array([false, false])
      .at(np.full([256], 1, { dtype: 'int32' }))
      .add(true);
    expect(vals(many)).toEqual([0, 1]);
  });

  it('pad converts its value to bool (bool(2) and bool(0.5) are true)', () => {
    expect(vals(np.pad(np.array([false]), 1, 2))).toEqual([1, 0, 1]);
    expect(np.pad(np.array([false]), 1, 0.5).tolist()).toEqual([true, false, true]);
    expect(vals(np.pad(np.array([true]), 1, 0))).toEqual([0, 1, 0]);
  });

  it('a Uint8Array given dtype bool is normalised', () => {
    expect(vals(np.array(new Uint8Array([0, 2, 255]), { dtype: 'bool' }))).toEqual([0, 1, 1]);
    expect(vals(np.array([0, 2, -1], { dtype: 'bool' }))).toEqual([0, 1, 1]);
  });
});

describe('typed arrays', () => {
  it('integer typed arrays become int32 with their values', () => {
    const cases: [ArrayLike<number> & ArrayBufferView, number[]][] = [
      [new Int8Array([-128, 127]), [-128, 127]],
      [new Int16Array([-32768, 300]), [-32768, 300]],
      [new Uint16Array([0, 65535]), [0, 65535]],
      [new Uint8ClampedArray([0, 200, 255]), [0, 200, 255]],
      [new Uint32Array([5, INT_MAX]), [5, INT_MAX]],
    ];
    for (const [typed, want] of cases) {
      const x = np.array(typed as never);
      expect(x.dtype, typed.constructor.name).toBe('int32');
      expect(vals(x), typed.constructor.name).toEqual(want);
    }
    expect(np.sum(np.array(new Uint8ClampedArray([0, 200, 255]))).item()).toBe(455);
  });

  it('a Uint8Array without a dtype is bool and must hold 0/1; bytes need dtype int32', () => {
    expect(np.array(new Uint8Array([0, 1])).tolist()).toEqual([false, true]);
    expectError(() => np.array(new Uint8Array([0, 200, 255])), 'array', /flat index 1 holds 200; pass \{ dtype: 'int32' \}/);
    const bytes = np.array(new Uint8Array([0, 200, 255]), { dtype: 'int32' });
    expect(np.sum(bytes).item()).toBe(455);
  });

  it('float typed arrays keep their dtype', () => {
    expect(np.array(new Float32Array([0.1])).dtype).toBe('float32');
    expect(vals(np.array(new Float64Array([0.1])))).toEqual([0.1]);
  });

  it('Uint32 values past int32 and 64-bit or untyped views are errors naming them', () => {
    expectError(() => np.array(new Uint32Array([1, 4294967295])), 'array', /4294967295 \(flat index 1\) cannot be stored as int32/);
    expectError(() => np.array(new BigInt64Array(2) as never), 'array', /BigInt64Array has no dtype/);
    expectError(() => np.array(new BigUint64Array(2) as never, { dtype: 'float64' }), 'array', /BigUint64Array/);
    expectError(() => np.array(new DataView(new ArrayBuffer(4)) as never), 'array', /DataView has no dtype/);
  });
});

describe('arange', () => {
  it('integer arguments near the int32 end stay int32 and exact', () => {
    const x = np.arange(2147483640, 2147483648);
    expect(x.dtype).toBe('int32');
    expect(vals(x)).toEqual([2147483640, 2147483641, 2147483642, 2147483643, 2147483644, 2147483645, 2147483646, INT_MAX]);
    expect(vals(np.arange(INT_MIN, INT_MIN + 3))).toEqual([INT_MIN, INT_MIN + 1, INT_MIN + 2]);
  });

  it('a step or span past int32 still gives the exact values when they fit', () => {
    const x = np.arange(-2000000000, 2000000000, 3000000000);
    expect(x.dtype).toBe('int32');
    expect(vals(x)).toEqual([-2000000000, 1000000000]);
    expect(vals(np.arange(INT_MAX, INT_MIN, -2147483647))).toEqual([INT_MAX, 0, -INT_MAX]);
  });

  it('integer values that do not fit int32 are an error', () => {
    expectError(() => np.arange(INT_MAX, 2147483650), 'arange', /2147483647\.\.2147483649 do not fit int32/);
    expectError(() => np.arange(3e9, 3e9 + 2, 1, { dtype: 'int32' }), 'arange', /do not fit int32/);
    expect(vals(np.arange(3e9, 3e9 + 2, 1, { dtype: 'float64' }))).toEqual([3e9, 3e9 + 1]);
  });

  it('matches lo + i * step exactly for int32 arguments (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: INT_MIN, max: INT_MAX }),
        fc.integer({ min: -1e9, max: 1e9 }).filter((s) => s !== 0),
        fc.integer({ min: 0, max: 6 }),
        (lo, step, n) => {
          const last = lo + (n - 1) * step;
          fc.pre(n === 0 || (last >= INT_MIN && last <= INT_MAX));
          const x = np.arange(lo, lo + n * step, step);
          expect(x.dtype).toBe('int32');
          expect(vals(x)).toEqual(Array.from({ length: n }, (_, i) => lo + i * step));
        },
      ),
      FC,
    );
  });
});

describe('linspace', () => {
  it('int32 floors, as NumPy >= 1.20 and JAX', () => {
    expect(vals(np.linspace(-5, 0, 4, { dtype: 'int32' }))).toEqual([-5, -4, -2, 0]);
  });

  it('float32 rounds the float64 value once', () => {
    const x = np.linspace(0, 1, 11);
    expect(x.dtype).toBe('float32');
    expect(vals(x)[9]).toBe(Math.fround(0.9));
    expect(vals(x)).toEqual(Array.from({ length: 11 }, (_, i) => Math.fround(i * 0.1)));
  });

  it('every dtype is start + i * step in float64, the endpoint exact (property)', () => {
    const num = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(num, num, fc.integer({ min: 0, max: 12 }), fc.boolean(), (start, stop, n, endpoint) => {
        const div = endpoint ? n - 1 : n;
        const step = div > 0 ? (stop - start) / div : 0;
        const want = Array.from({ length: n }, (_, i) => (endpoint && n > 1 && i === n - 1 ? stop : start + i * step));
        expect(vals(np.linspace(start, stop, n, { endpoint, dtype: 'float64' }))).toEqual(want);
        expect(vals(np.linspace(start, stop, n, { endpoint }))).toEqual(want.map(Math.fround));
        expect(vals(np.linspace(start, stop, n, { endpoint, dtype: 'int32' }))).toEqual(want.map((v) => Math.floor(v) + 0));
      }),
      FC,
    );
  });
});

describe('dtype validation', () => {
  it('lax.iota rejects unknown dtypes, listing the valid ones', () => {
    expectError(() => lax.iota('int64' as never, [3]), 'iota', /^iota: unknown dtype 'int64'; use float32, float64, int32 or bool/);
    expectError(() => lax.iota('bool', [3]), 'iota', /numeric/);
    expectError(
      () => lax.convertElementType(np.array([1]), 'int64' as never),
      'convert_element_type',
      /^convert_element_type: unknown dtype 'int64'; use float32, float64, int32 or bool/,
    );
  });
});

describe('sizes past what one array can hold', () => {
  it('creation names the op, the shape and the bytes', () => {
    expectError(() => np.zeros([1e5, 1e5]), 'zeros', /^zeros: shape \[100000,100000\] has 10000000000 elements \(37\.3 GiB as float32\)/);
    expectError(() => np.arange(1e10), 'arange', /shape \[10000000000\] has 10000000000 elements \(37\.3 GiB as int32\)/);
    expectError(() => np.full([2 ** 31], true), 'full', /2147483648 elements \(2\.0 GiB as bool\)/);
    expectError(() => np.eye(1e5), 'eye', /\[100000,100000\]/);
    expectError(() => np.linspace(0, 1, 2 ** 32), 'linspace', /4294967296 elements/);
  });

  it('an op whose output is too large names its primitive instead of a bare RangeError', () => {
    const v = np.zeros([1e5]);
    expectError(() => np.outer(v, v), 'broadcast_in_dim', /\[100000,100000\] has 10000000000 elements/);
  });
});

describe('axis arguments', () => {
  const x = np.zeros([2, 3]);
  it('a string or a list with a non-number is a clear error', () => {
    expectError(() => np.sum(x, 'a' as never), 'sum', /^sum: axis must be an integer, a list of integers, or null\/undefined for all axes, got 'a' \(string\)/);
    expectError(() => np.max(x, [0, '1'] as never), 'max', /got \[0,'1'\]/);
    expectError(() => np.mean(x, {} as never), 'mean', /\[object Object\] \(object\)/);
  });

  it('numbers, lists and null still work', () => {
    expect(np.sum(x, [0]).shape).toEqual([3]);
    expect(np.sum(x, -1).shape).toEqual([2]);
    expect(np.sum(x, null).shape).toEqual([]);
  });
});

describe('np.full takes its dtype from the value, as jax.numpy', () => {
  it('an integer gives int32, a boolean bool, a fraction float32', () => {
    const i = np.full([2], 7);
    expect(i.dtype).toBe('int32');
    expect(vals(i)).toEqual([7, 7]);
    expect(np.full([2], -0).dtype).toBe('int32');
    expect(np.full([2], true).dtype).toBe('bool');
    expect(np.full([2], 0.5).dtype).toBe('float32');
    // past int32 a JS integer is float32, as np.array([3e9])
    expect(np.full([1], 3e9).dtype).toBe('float32');
  });

  it('an explicit dtype wins, and zeros/ones stay float32', () => {
    expect(np.full([2], 7, { dtype: 'float32' }).dtype).toBe('float32');
    expect(np.full([2], 7, { dtype: undefined }).dtype).toBe('int32');
    expect(np.zeros([2]).dtype).toBe('float32');
    expect(np.ones([2]).dtype).toBe('float32');
    expect(np.fullLike(np.zeros([2]), 3).dtype).toBe('float32');
  });
});
