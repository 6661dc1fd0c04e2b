import fc from 'fast-check';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  abstractEval,
  ConcreteArray,
  lax,
  np,
  type PrimitiveName,
  random,
  ShapedArray,
  type Array as TArray,
  TenfoldError,
  Trace,
  Tracer,
  withDynamicTrace,
  withMainTrace,
} from '../src/index.js';

const FC = { seed: 42, numRuns: 50 };

/** The values of an int32 array read as uint32. */
function u32(x: TArray): number[] {
  return globalThis.Array.from(x.dataSync() as Int32Array, (v) => v >>> 0);
}
function values(x: TArray): number[] {
  return globalThis.Array.from(x.dataSync() as ArrayLike<number>);
}
function i32(v: number): TArray {
  return np.array([v | 0], { dtype: 'int32' });
}
function expectClose(actual: unknown, expected: unknown, tol: number): void {
  if (globalThis.Array.isArray(expected)) {
    expect(globalThis.Array.isArray(actual)).toBe(true);
    const a = actual as unknown[];
    expect(a.length).toBe(expected.length);
    expected.forEach((e, i) => {
      expectClose(a[i], e, tol);
    });
  } else {
    expect(Math.abs((actual as number) - (expected as number))).toBeLessThanOrEqual(tol);
  }
}

describe('threefry2x32 known answers (Random123)', () => {
  const cases: [number[], number[]][] = [
    [
      [0, 0, 0, 0],
      [0x6b200159, 0x99ba4efe],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0x1cb996fc, 0xbb002be7],
    ],
    [
      [0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3],
      [0xc4923a9c, 0x483df7a0],
    ],
  ];
  it.each(cases)('key/counter %j', (input, expected) => {
    const [k0, k1, x0, x1] = input.map(i32) as [TArray, TArray, TArray, TArray];
    const [y0, y1] = lax.threefry2x32(k0, k1, x0, x1);
    expect([...u32(y0), ...u32(y1)]).toEqual(expected);
  });
});

describe('random.key', () => {
  it('holds [0, seed] as int32 [2]', () => {
    const k = random.key(42);
    expect(k.dtype).toBe('int32');
    expect(k.shape).toEqual([2]);
    expect(u32(k)).toEqual([0, 42]);
    expect(u32(random.PRNGKey(7))).toEqual([0, 7]);
  });
  it('wraps negative and wide seeds to their low 32 bits', () => {
    expect(u32(random.key(-1))).toEqual([0, 4294967295]);
    expect(u32(random.key(2 ** 32 + 5))).toEqual([0, 5]);
    expect(u32(random.key(4294967295))).toEqual([0, 4294967295]);
  });
  it('accepts an int32 scalar Array', () => {
    expect(u32(random.key(np.array(-3, { dtype: 'int32' })))).toEqual([0, 4294967293]);
  });
  it('rejects non-integer seeds', () => {
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null]) {
      expect(() => random.key(bad as never)).toThrow(/random\.key: seed must be a finite integer/);
    }
    expect(() => random.key(np.array([1, 2]))).toThrow(/random\.key: seed must be an integer or an int32 scalar Array/);
  });
});

describe('random.split / splitKeys / foldIn', () => {
  const expected = [
    [1797259609, 2579123966],
    [928981903, 3453687069],
    [4146024105, 2718843009],
    [2467461003, 3840466878],
  ];
  it('matches JAX (partitionable threefry)', () => {
    const keys = random.split(random.key(0), 4);
    expect(keys).toHaveLength(4);
    expect(keys.map(u32)).toEqual(expected);
    const stacked = random.splitKeys(random.key(0), 4);
    expect(stacked.shape).toEqual([4, 2]);
    expect(stacked.dtype).toBe('int32');
    expect(u32(stacked)).toEqual(expected.flat());
  });
  it('destructures, with num = 2 by default and tuple types for literal counts', () => {
    const [k1, k2, ...rest] = random.split(random.key(0));
    expectTypeOf(k1).toEqualTypeOf<TArray>();
    expectTypeOf(k2).toEqualTypeOf<TArray>();
    expectTypeOf(random.split(random.key(0), 3)).toEqualTypeOf<[TArray, TArray, TArray]>();
    const n: number = 5;
    expectTypeOf(random.split(random.key(0), n)).toEqualTypeOf<TArray[]>();
    expectTypeOf(random.split(random.key(0), 100)).toEqualTypeOf<TArray[]>();
    expect(random.split(random.key(0), n)).toHaveLength(5);
    expect(rest).toEqual([]);
    expect(k1!.shape).toEqual([2]);
    expect(k1!.dtype).toBe('int32');
    expect(u32(k1!)).toEqual(u32(random.split(random.key(0), 2)[0]!));
    expect(u32(k2!)).not.toEqual(u32(k1!));
  });
  it('split(key, n)[i] equals foldIn(key, i)', () => {
    const key = random.key(123);
    random.split(key, 5).forEach((k, i) => {
      expect(u32(k)).toEqual(u32(random.foldIn(key, i)));
    });
  });
  it('foldIn takes the low 32 bits of data and accepts int32 scalar Arrays', () => {
    const key = random.key(5);
    expect(u32(random.foldIn(key, -1))).toEqual(u32(random.foldIn(key, 4294967295)));
    expect(u32(random.foldIn(key, np.array(9, { dtype: 'int32' })))).toEqual(u32(random.foldIn(key, 9)));
    expect(u32(random.foldIn(key, 1))).not.toEqual(u32(random.foldIn(key, 2)));
    expect(() => random.foldIn(key, 0.5)).toThrow(/random\.foldIn: data must be a finite integer/);
    expect(() => random.foldIn(key, np.array(1.5))).toThrow(/random\.foldIn: data must be an integer or an int32 scalar Array/);
  });
  it('rejects a bad num', () => {
    const key = random.key(0);
    expect(() => random.split(key, 0)).toThrow('random.split: num must be a positive integer, got 0');
    expect(() => random.split(key, -2)).toThrow(/random\.split: num must be a positive integer, got -2/);
    expect(() => random.split(key, 1.5)).toThrow(/random\.split: num must be a positive integer, got 1\.5/);
    expect(() => random.splitKeys(key, 0)).toThrow(/random\.splitKeys: num must be a positive integer/);
    expect(() => random.split(key, 0)).toThrow(TenfoldError);
  });
  it('rejects arrays that are not int32 [2] keys', () => {
    const bad: unknown[] = [np.array([0, 0], { dtype: 'float32' }), np.array([0, 0, 0], { dtype: 'int32' }), np.zeros([1, 2], { dtype: 'int32' }), 42, null];
    for (const k of bad) {
      expect(() => random.split(k as TArray)).toThrow(/random\.split: key must be an int32 array of shape \[2\]/);
      expect(() => random.uniform(k as TArray, [2])).toThrow(/random\.uniform: key must be an int32 array of shape \[2\]/);
      expect(() => random.foldIn(k as TArray, 1)).toThrow(/random\.foldIn: key must be/);
    }
    expect(() => random.normal(np.zeros([2]), [2])).toThrow(
      'random.normal: key must be an int32 array of shape [2] as made by random.key(seed), got float32[2]',
    );
  });
  it('split keys are distinct (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 2, max: 40 }), (seed, num) => {
        const keys = u32(random.splitKeys(random.key(seed), num));
        const pairs = new Set<string>();
        for (let i = 0; i < num; i++) pairs.add(`${keys[2 * i]},${keys[2 * i + 1]}`);
        pairs.add(`0,${seed >>> 0}`); // and differ from the parent key
        expect(pairs.size).toBe(num + 1);
      }),
      FC,
    );
  });
});

describe('random.bits', () => {
  it('matches JAX', () => {
    const b = random.bits(random.key(1701), [3]);
    expect(b.dtype).toBe('int32');
    expect(u32(b)).toEqual([1111271205, 2679469115, 974515252]);
  });
  it('is y0 ^ y1 of threefry on the row-major position', () => {
    const key = random.key(99);
    const b = random.bits(key, [2, 3]);
    expect(b.shape).toEqual([2, 3]);
    const [k0, k1] = u32(key);
    const n = 6;
    const [y0, y1] = lax.threefry2x32(
      np.full([n], k0! | 0, { dtype: 'int32' }),
      np.full([n], k1! | 0, { dtype: 'int32' }),
      np.zeros([n], { dtype: 'int32' }),
      np.arange(n),
    );
    expect(u32(b)).toEqual(u32(y0).map((v, i) => (v ^ u32(y1)[i]!) >>> 0));
  });
  it('handles scalar and empty shapes, and rejects bad ones', () => {
    expect(random.bits(random.key(0)).shape).toEqual([]);
    expect(random.bits(random.key(0), [0, 3]).shape).toEqual([0, 3]);
    expect(random.bits(random.key(0), 4).shape).toEqual([4]);
    expect(() => random.bits(random.key(0), [1.5])).toThrow(/random\.bits: shape \[1\.5\] has a fractional dimension/);
    expect(() => random.uniform(random.key(0), [-1])).toThrow(/random\.uniform: shape \[-1\] has a negative dimension/);
  });
});

describe('random.uniform', () => {
  it('matches JAX', () => {
    expectClose(random.uniform(random.key(0), [3]).tolist(), [0.947667, 0.9785799, 0.33229148], 1e-7);
    const s = random.uniform(random.key(0));
    expect(s.shape).toEqual([]);
    expect(s.dtype).toBe('float32');
    expectClose(s.item(), 0.947667, 1e-7);
    const [, sub] = random.split(random.key(0));
    expectClose(random.uniform(sub!).item(), 0.00729382, 1e-8);
  });
  it('is the float32 recipe on the bits: bitcast((b >>> 9) | 0x3f800000) - 1', () => {
    const key = random.key(3);
    const b = u32(random.bits(key, [50]));
    const ref = b.map((v) => Math.fround(new Float32Array(new Uint32Array([(v >>> 9) | 0x3f800000]).buffer)[0]! - 1));
    expect(values(random.uniform(key, [50]))).toEqual(ref);
  });
  it('float64 equals JAX x64: bitcast_f64(((y0 << 32 | y1) >>> 12) | 0x3ff0...) - 1', () => {
    const key = random.key(11);
    const n = 64;
    const [k0, k1] = u32(key);
    const [y0, y1] = lax.threefry2x32(
      np.full([n], k0! | 0, { dtype: 'int32' }),
      np.full([n], k1! | 0, { dtype: 'int32' }),
      np.zeros([n], { dtype: 'int32' }),
      np.arange(n),
    );
    const w0 = u32(y0);
    const w1 = u32(y1);
    const view = new DataView(new ArrayBuffer(8));
    const ref = w0.map((hi, i) => {
      const b = (((BigInt(hi) << 32n) | BigInt(w1[i]!)) >> 12n) | 0x3ff0000000000000n;
      view.setBigUint64(0, b);
      return view.getFloat64(0) - 1;
    });
    const u = random.uniform(key, [n], { dtype: 'float64' });
    expect(u.dtype).toBe('float64');
    expect(values(u)).toEqual(ref);
    // the scaling happens in float64 too
    const scaled = random.uniform(key, [n], { dtype: 'float64', minval: -2, maxval: 3 });
    expect(values(scaled)).toEqual(ref.map((f) => Math.max(-2, f * 5 - 2)));
  });
  it('scales with max(minval, f * (maxval - minval) + minval) in float32, and broadcasts Array bounds', () => {
    const key = random.key(4);
    const f = values(random.uniform(key, [2, 3]));
    const y = random.uniform(key, [2, 3], { minval: -3, maxval: 0.5 });
    expect(values(y)).toEqual(f.map((v) => Math.max(-3, Math.fround(Math.fround(v * 3.5) - 3))));
    const lo = np.array([0, 10, 100], { dtype: 'float32' });
    const z = random.uniform(key, [2, 3], { minval: lo, maxval: np.add(lo, 1) });
    expect(values(z)).toEqual(f.map((v, i) => Math.fround(v + [0, 10, 100][i % 3]!)));
    expect(() => random.uniform(key, [2, 3], { minval: np.zeros([2]) })).toThrow(/random\.uniform/);
    expect(() => random.uniform(key, [3], { minval: np.zeros([2, 3]) })).toThrow(/random\.uniform: minval of shape \[2,3\] does not broadcast/);
    expect(() => random.uniform(key, [3], { dtype: 'int32' as never })).toThrow('random.uniform: dtype must be float32 or float64, got int32');
  });
  it('stays within [minval, maxval) (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: -50, max: 0 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 200 }),
        (seed, minval, maxval, n) => {
          const u = values(random.uniform(random.key(seed), [n], { minval, maxval }));
          for (const v of u) {
            expect(v).toBeGreaterThanOrEqual(minval);
            expect(v).toBeLessThan(maxval);
          }
        },
      ),
      FC,
    );
  });
  it('has mean 1/2 and variance 1/12 within 5 standard errors', () => {
    const n = 100_000;
    const x = values(random.uniform(random.key(2024), [n]));
    const mean = x.reduce((a, b) => a + b, 0) / n;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    // Var of the sample variance of U(0,1): (mu4 - sigma^4) / n with mu4 = 1/80
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n));
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...x)).toBeLessThan(1);
  });
});

describe('random.normal', () => {
  it('matches JAX', () => {
    const z = random.normal(random.key(0), [3, 3]);
    expect(z.dtype).toBe('float32');
    expectClose(
      z.tolist(),
      [
        [1.6226422, 2.0252647, -0.43359444],
        [-0.07861735, 0.1760909, -0.97208923],
        [-0.49529874, 0.4943786, 0.6643493],
      ],
      1e-6,
    );
  });
  it('is finite at the extreme uniforms', () => {
    // u = nextafter(-1, 0) is the smallest uniform; erfinv stays finite there
    const lo = np.array([-1 + 2 ** -24], { dtype: 'float32' });
    expect(Number.isFinite(np.multiply(np.erfinv(lo), Math.SQRT2).item() as number)).toBe(true);
    expect(values(random.normal(random.key(5), [10_000])).every(Number.isFinite)).toBe(true);
  });
  it('has mean 0 and variance 1 within 5 standard errors (float32 and float64)', () => {
    const n = 100_000;
    for (const dtype of ['float32', 'float64'] as const) {
      const z = random.normal(random.key(77), [n], { dtype });
      expect(z.dtype).toBe(dtype);
      const x = values(z);
      const mean = x.reduce((a, b) => a + b, 0) / n;
      const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
      // about 4.55% of samples lie beyond 2 sigma
      const tail = x.filter((v) => Math.abs(v) > 2).length / n;
      const p = 0.0455;
      expect(Math.abs(tail - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });
});

describe('random.bernoulli', () => {
  it('matches JAX', () => {
    const b = random.bernoulli(random.key(0), 0.5, [5]);
    expect(b.dtype).toBe('bool');
    expect(b.tolist()).toEqual([false, false, true, true, false]);
  });
  it('defaults to p = 0.5 and to the shape of p', () => {
    expect(random.bernoulli(random.key(0)).shape).toEqual([]);
    const p = np.array([0, 1, 0, 1], { dtype: 'float32' });
    const b = random.bernoulli(random.key(1), p);
    expect(b.shape).toEqual([4]);
    expect(b.tolist()).toEqual([false, true, false, true]);
    expect(random.bernoulli(random.key(1), p, [3, 4]).shape).toEqual([3, 4]);
    expect(() => random.bernoulli(random.key(1), p, [3])).toThrow(/random\.bernoulli: p of shape \[4\] does not broadcast/);
  });
  it('is uniform < p', () => {
    const key = random.key(8);
    const u = values(random.uniform(key, [100]));
    expect(random.bernoulli(key, 0.3, [100]).tolist()).toEqual(u.map((v) => v < Math.fround(0.3)));
  });
  it('has frequency p within 5 standard errors', () => {
    const n = 100_000;
    const p = 0.3;
    const hits = values(random.bernoulli(random.key(31), p, [n])).filter((v) => v === 1).length;
    expect(Math.abs(hits / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });
});

/** JAX's randint on the host: uint32 arithmetic on the bits of split(key)[0] and [1]. */
function randintReference(key: TArray, n: number, minval: number, maxval: number): number[] {
  const [k1, k2] = random.split(key);
  const higher = u32(random.bits(k1!, [n]));
  const lower = u32(random.bits(k2!, [n]));
  const lo = Math.min(2 ** 31 - 1, Math.max(-(2 ** 31), minval));
  const hi = Math.min(2 ** 31 - 1, Math.max(-(2 ** 31), maxval));
  let span = BigInt(hi <= lo ? 1 : (hi - lo) >>> 0);
  if (maxval > 2 ** 31 - 1 && hi > lo) span = (span + 1n) % 2n ** 32n;
  const mod = (x: bigint): bigint => (span === 0n ? x : x % span);
  const wrap = (x: bigint): bigint => x % 2n ** 32n;
  let mult = mod(65536n);
  mult = mod(wrap(mult * mult));
  return higher.map((h, i) => {
    const off = mod(wrap(wrap(mod(BigInt(h)) * mult) + mod(BigInt(lower[i]!))));
    return (lo + Number(off)) | 0;
  });
}

describe('random.randint', () => {
  it('matches JAX', () => {
    const r = random.randint(random.key(0), [3, 3], 0, 8);
    expect(r.dtype).toBe('int32');
    expect(r.tolist()).toEqual([
      [5, 0, 0],
      [5, 3, 3],
      [0, 7, 5],
    ]);
  });
  it('matches a BigInt reference of the uint32 algorithm for every span (property)', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    const bound = fc.oneof(int32, fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 2 ** 31, 0, 1, 65536, 65537, -(2 ** 31) + 1, 2 ** 30 + 1));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), bound, bound, (seed, a, b) => {
        const key = random.key(seed);
        expect(values(random.randint(key, [16], a, b))).toEqual(randintReference(key, 16, a, b));
      }),
      FC,
    );
  });
  it('stays within [minval, maxval) (property)', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), int32, int32, (seed, a, b) => {
        const r = values(random.randint(random.key(seed), [32], a, b));
        for (const v of r) {
          if (b > a) {
            expect(v).toBeGreaterThanOrEqual(a);
            expect(v).toBeLessThan(b);
          } else {
            expect(v).toBe(a);
          }
        }
      }),
      FC,
    );
  });
  it('covers the full int32 range with maxval = 2^31, and clips bounds', () => {
    const key = random.key(3);
    const full = random.randint(key, [1000], -(2 ** 31), 2 ** 31);
    const v = values(full);
    expect(v.some((x) => x < 0) && v.some((x) => x > 0)).toBe(true);
    expect(values(random.randint(key, [5], -1e12, -(2 ** 31) + 1))).toEqual([-(2 ** 31), -(2 ** 31), -(2 ** 31), -(2 ** 31), -(2 ** 31)]);
    expect(values(random.randint(key, [4], 5, 5))).toEqual([5, 5, 5, 5]);
    expect(values(random.randint(key, [4], 7.9, 8.5))).toEqual([7, 7, 7, 7]); // truncated: [7, 8)
  });
  it('accepts int Array bounds broadcasting to the shape', () => {
    const key = random.key(10);
    const lo = np.array([0, 100, 1000], { dtype: 'int32' });
    const r = values(random.randint(key, [4, 3], lo, np.add(lo, 10)));
    r.forEach((v, i) => {
      const base = [0, 100, 1000][i % 3]!;
      expect(v).toBeGreaterThanOrEqual(base);
      expect(v).toBeLessThan(base + 10);
    });
    expect(values(random.randint(key, [3], np.array([2, 2, 2]), 3))).toEqual([2, 2, 2]);
    expect(() => random.randint(key, [3], 0, Number.POSITIVE_INFINITY)).toThrow(/random\.randint: maxval must be a finite number/);
  });
  it('is roughly uniform over a small range (chi-square-free check: each count within 5 SE)', () => {
    const n = 100_000;
    const k = 10;
    const counts = new globalThis.Array<number>(k).fill(0);
    for (const v of values(random.randint(random.key(12), [n], 0, k))) counts[v]!++;
    const se = Math.sqrt(n * (1 / k) * (1 - 1 / k));
    for (const c of counts) expect(Math.abs(c - n / k)).toBeLessThan(5 * se);
  });
});

describe('random.permutation', () => {
  it('matches JAX', () => {
    const p = random.permutation(random.key(0), 10);
    expect(p.dtype).toBe('int32');
    expect(p.tolist()).toEqual([0, 1, 8, 5, 6, 4, 3, 2, 7, 9]);
  });
  it('is a permutation of 0..n-1 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 300 }), (seed, n) => {
        const p = values(random.permutation(random.key(seed), n));
        expect([...p].sort((a, b) => a - b)).toEqual(globalThis.Array.from({ length: n }, (_, i) => i));
      }),
      FC,
    );
  });
  it('runs JAX’s number of sort rounds (1 up to n = 1625, 2 from 1626)', () => {
    const manual = (key: TArray, n: number, rounds: number): number[] => {
      let x = np.arange(n);
      for (let r = 0; r < rounds; r++) {
        let sub: TArray;
        [key, sub] = random.split(key) as [TArray, TArray];
        const sk = u32(random.bits(sub, [n]));
        const order = globalThis.Array.from({ length: n }, (_, i) => i).sort((a, b) => sk[a]! - sk[b]! || a - b);
        x = np.take(x, np.array(order, { dtype: 'int32' }));
      }
      return values(x);
    };
    const key = random.key(6);
    expect(values(random.permutation(key, 1))).toEqual([0]);
    expect(values(random.permutation(key, 1625))).toEqual(manual(key, 1625, 1));
    expect(values(random.permutation(key, 1626))).toEqual(manual(key, 1626, 2));
  });
  it('permutes an array along an axis with one permutation', () => {
    const key = random.key(0);
    const x = np.reshape(np.arange(30), [10, 3]);
    const rows = random.permutation(key, x);
    const idx = random.permutation(key, 10).tolist() as number[];
    expect(rows.tolist()).toEqual(idx.map((i) => [3 * i, 3 * i + 1, 3 * i + 2]));
    const cols = random.permutation(key, np.transpose(x), { axis: 1 });
    expect(cols.tolist()).toEqual(np.transpose(rows).tolist());
    const v = random.permutation(key, np.array([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]));
    expect(v.tolist()).toEqual(idx.map((i) => 10 + i));
    // a 0-d int array means arange(x)
    expect(random.permutation(key, np.array(10, { dtype: 'int32' })).tolist()).toEqual(idx);
  });
  it('shuffles slices independently with independent: true', () => {
    const x = np.broadcastTo(np.arange(20), [4, 20]);
    const y = random.permutation(random.key(1), x, { axis: 1, independent: true });
    const rowsOut = y.tolist() as number[][];
    for (const r of rowsOut) expect([...r].sort((a, b) => a - b)).toEqual(globalThis.Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(rowsOut.map((r) => r.join(','))).size).toBeGreaterThan(1);
  });
  it('rejects bad inputs', () => {
    const key = random.key(0);
    expect(() => random.permutation(key, -1)).toThrow(/random\.permutation: x must be a non-negative integer/);
    expect(() => random.permutation(key, 2.5)).toThrow(/random\.permutation: x must be a non-negative integer/);
    expect(() => random.permutation(key, np.zeros([3]), { axis: 1 })).toThrow(/random\.permutation: axis 1 is out of bounds/);
    expect(() => random.permutation(key, np.array(1.5))).toThrow(/random\.permutation: a 0-d x must be a concrete int32 count/);
  });
});

describe('determinism and independence', () => {
  it('gives identical numbers for the same key on every call', () => {
    const key = random.key(2025);
    const fns = [
      (k: TArray) => random.uniform(k, [20]),
      (k: TArray) => random.normal(k, [20]),
      (k: TArray) => random.randint(k, [20], -5, 5),
      (k: TArray) => random.bernoulli(k, 0.5, [20]),
      (k: TArray) => random.permutation(k, 20),
      (k: TArray) => random.bits(k, [20]),
    ];
    for (const f of fns) {
      const a = values(f(key));
      expect(values(f(key))).toEqual(a);
      expect(values(f(random.key(2025)))).toEqual(a);
      expect(values(f(random.key(2026)))).not.toEqual(a);
    }
  });
  it('gives different numbers for the keys of a split', () => {
    const [a, b] = random.split(random.key(0));
    expect(values(random.uniform(a!, [10]))).not.toEqual(values(random.uniform(b!, [10])));
  });
});

// A trace that only knows shapes: any attempt to read values under it throws. Running the samplers
// under it shows they are pure compositions of primitives (ready for jit/vmap).
class AbstractTracer extends Tracer {
  readonly #aval: ShapedArray;
  constructor(
    readonly trace: Trace,
    aval: ShapedArray,
  ) {
    super();
    this.#aval = aval;
  }
  get aval(): ShapedArray {
    return this.#aval;
  }
}
const recorded: PrimitiveName[] = [];
class AbstractTrace extends Trace {
  pure(x: TArray): TArray {
    return new AbstractTracer(this, x.aval);
  }
  lift(x: TArray): TArray {
    return new AbstractTracer(this, x.aval);
  }
  processPrimitive<P extends PrimitiveName>(prim: P, tracers: readonly TArray[], params: never): TArray[] {
    recorded.push(prim);
    return abstractEval(
      prim,
      tracers.map((t) => t.aval),
      params,
    ).map((a) => new AbstractTracer(this, a));
  }
}
function traced<T>(fn: (key: TArray) => T): T {
  return withMainTrace(AbstractTrace, null, (main) => withDynamicTrace(main, () => fn(new AbstractTracer(main.trace, new ShapedArray([2], 'int32')))));
}

describe('tracing', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    recorded.length = 0;
  });
  it('builds every sampler from primitives without reading values', () => {
    const read = vi.spyOn(ConcreteArray.prototype, 'dataSync');
    const outs = traced((key) => ({
      split: random.split(key, 3),
      splitKeys: random.splitKeys(key, 3),
      foldIn: random.foldIn(key, 7),
      bits: random.bits(key, [2, 3]),
      uniform: random.uniform(key, [2, 3], { minval: -1, maxval: 2 }),
      normal: random.normal(key, [4]),
      bernoulli: random.bernoulli(key, 0.25, [5]),
      randint: random.randint(key, [6], 0, 10),
      permutation: random.permutation(key, 8),
      permuteArray: random.permutation(key, np.zeros([3, 4]), { axis: 1 }),
      fromSeed: random.key(np.array(3, { dtype: 'int32' })),
    }));
    expect(read).not.toHaveBeenCalled();
    expect(recorded).toContain('threefry2x32');
    expect(outs.split.map((k) => k.aval.toString())).toEqual(['int32[2]', 'int32[2]', 'int32[2]']);
    expect(outs.splitKeys.aval.toString()).toBe('int32[3,2]');
    expect(outs.foldIn.aval.toString()).toBe('int32[2]');
    expect(outs.bits.aval.toString()).toBe('int32[2,3]');
    expect(outs.uniform.aval.toString()).toBe('float32[2,3]');
    expect(outs.normal.aval.toString()).toBe('float32[4]');
    expect(outs.bernoulli.aval.toString()).toBe('bool[5]');
    expect(outs.randint.aval.toString()).toBe('int32[6]');
    expect(outs.permutation.aval.toString()).toBe('int32[8]');
    expect(outs.permuteArray.aval.toString()).toBe('float32[3,4]');
    expect(outs.uniform).toBeInstanceOf(Tracer);
  });
  it('still rejects a traced key of the wrong type', () => {
    expect(() => withMainTrace(AbstractTrace, null, (main) => random.uniform(new AbstractTracer(main.trace, new ShapedArray([2], 'float32')), [2]))).toThrow(
      /random\.uniform: key must be an int32 array of shape \[2\]/,
    );
  });
});
