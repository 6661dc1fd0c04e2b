// The Array class: immutability, getters, reads, weak typing of JS numbers, creation functions and
// memory management (dispose, `using`, shared storage).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Array, type DType, getBackend, lax, np, TenfoldError } from '../src/index.js';

const stats = () => getBackend().stats();

/** A copy of every input's values, to compare after running ops. */
function snapshot(xs: readonly Array[]): number[][] {
  return xs.map((x) => globalThis.Array.from(x.dataSync()));
}

describe('immutability', () => {
  const inputs = () => {
    const x = np.array(
      [
        [1.5, -2, 3],
        [0.25, 5, -6],
      ],
      { dtype: 'float32' },
    );
    const y = np.array(
      [
        [2, 2, 2],
        [-1, 0.5, 4],
      ],
      { dtype: 'float32' },
    );
    const v = np.array([1, -1, 0.5], { dtype: 'float32' });
    const i = np.array(
      [
        [3, -7, 0],
        [9, 2, -1],
      ],
      { dtype: 'int32' },
    );
    const m = np.array([
      [true, false, true],
      [false, false, true],
    ]);
    const d = np.array(
      [
        [0.1, 0.2, 0.3],
        [0.4, 0.5, 0.6],
      ],
      { dtype: 'float64' },
    );
    return { x, y, v, i, m, d };
  };
  type In = ReturnType<typeof inputs>;

  // every op family: methods, np (elementwise, reductions, shape, indexing, linalg, nn) and lax
  const ops: [string, (a: In) => unknown][] = [
    ['methods: arithmetic', ({ x, y, v }) => [x.add(y), x.sub(1), x.mul(v), x.div(2), x.pow(2), x.neg(), x.exp(), x.log(), x.sqrt(), x.abs()]],
    ['methods: comparisons', ({ x, y, v }) => [x.eq(y), x.lt(0), x.gt(v)]],
    ['methods: reductions', ({ x }) => [x.sum(), x.sum(0, { keepdims: true }), x.mean(1), x.max(), x.min(0), x.argmax(), x.argmin(1)]],
    [
      'methods: shape',
      ({ x }) => [x.reshape(3, 2), x.reshape([6]), x.transpose(), x.T, x.flatten(), x.squeeze(), x.expandDims(0), x.astype('int32'), x.matmul(x.T)],
    ],
    ['methods: reads', ({ x }) => [x.toString(), x.tolist(), x.dataSync(), x.index(0, 0).item()]],
    [
      'indexing',
      ({ x }) => [
        x.index(0),
        x.index(np.slice(null, null, -1)),
        x.index(np.array([1, 0])),
        x.index('...', 1),
        x.index(null, ':', 2),
        x.index(np.greater(x, 0)),
      ],
    ],
    ['at updates', ({ x }) => [x.at(0).set(5), x.at(np.array([1, 1])).add(1), x.at(0, 1).get(), x.at(':', 2).set(np.array([7, 8], { dtype: 'float32' }))]],
    [
      'np elementwise',
      ({ x, y, i, m }) => [
        np.where(m, x, y),
        np.clip(x, -1, 1),
        np.maximum(x, y),
        np.minimum(x, 0),
        np.power(x, y),
        np.floorDivide(i, 2),
        np.remainder(i, 4),
        np.sign(x),
        np.floor(x),
        np.ceil(x),
        np.round(x),
        np.tanh(x),
        np.sigmoid(x),
        np.isnan(x),
        np.isfinite(x),
        np.isinf(x),
        np.logicalAnd(m, m),
        np.logicalNot(m),
        np.arctan2(x, y),
        np.square(x),
        np.reciprocal(y),
        np.relu(x),
        np.astype(i, 'float32'),
        np.equal(i, 3),
        np.add(m, m),
        np.multiply(m, true),
      ],
    ],
    [
      'np reductions',
      ({ x, m }) => [
        np.prod(x),
        np.var(x, 0),
        np.std(x),
        np.logsumexp(x, 1),
        np.any(m),
        np.all(m, 0),
        np.sort(x),
        np.argsort(x, 0),
        np.softmax(x),
        np.logSoftmax(x, 0),
      ],
    ],
    [
      'np shape',
      ({ x, y }) => [
        np.concatenate([x, y]),
        np.stack([x, y], 1),
        np.split(x, 3, 1),
        np.flip(x),
        np.pad(x, 1),
        np.tile(x, [2, 1]),
        np.moveaxis(x, 0, 1),
        np.swapaxes(x, 0, 1),
        np.broadcastTo(x, [4, 2, 3]),
        np.ravel(x),
        np.reshape(x, [-1]),
      ],
    ],
    ['np gather-like', ({ x, m }) => [np.take(x, [2, 0], 1), np.takeAlongAxis(x, np.argsort(x, 1), 1), np.nonzero(m), np.oneHot(np.array([0, 2]), 3)]],
    [
      'np linalg',
      ({ x, y, v }) => [np.matmul(x, y.T), np.dot(v, v), np.tensordot(x, y, [[1], [1]]), np.einsum('ij,kj->ik', x, y), np.einsum('ij->j', x), np.outer(v, v)],
    ],
    ['np creation from an input', ({ x }) => [np.zerosLike(x), np.onesLike(x), np.fullLike(x, 3), np.array(x, { dtype: 'float64' })]],
    ['float64', ({ d }) => [np.exp(d), np.sum(d), d.matmul(d.T), np.sort(d, 0)]],
    [
      'lax',
      ({ x, y, i }) => [
        lax.add(x, y),
        lax.max(x, y),
        lax.neg(x),
        lax.select(np.greater(x, 0), x, y),
        lax.reduceSum(x, [0, 1]),
        lax.reduceMax(x, [1]),
        lax.rev(x, [0, 1]),
        lax.slice(x, [0, 1], [2, 3]),
        lax.pad(x, 0, [
          [1, 1, 1],
          [0, 0, 0],
        ]),
        lax.transpose(x, [1, 0]),
        lax.broadcastInDim(x, [4, 2, 3], [1, 2]),
        lax.gather(x, np.array([1, 0]), 0),
        lax.scatterAdd(x, np.array([1, 1]), y, 0),
        lax.scatter(x, np.array([0]), y.index(np.slice(0, 1)), 0),
        lax.bitcastConvertType(x, 'int32'),
        lax.convertElementType(i, 'float32'),
        lax.bitwiseAnd(i, i),
        lax.shiftLeft(i, i),
        lax.argsort(x, 1),
        lax.dotGeneral(x, y, { contracting: [[1], [1]], batch: [[], []] }),
      ],
    ],
    [
      'conv and pooling',
      ({ x }) => {
        const img = x.reshape(1, 1, 2, 3);
        const k = np.array(
          [
            [
              [
                [1, -1],
                [0.5, 2],
              ],
            ],
          ],
          { dtype: 'float32' },
        );
        return [
          lax.conv(img, k, { padding: 'SAME' }),
          lax.reduceWindow(img, 'max', [1, 1, 2, 2]),
          lax.reduceWindow(img, 'sum', [1, 1, 1, 2], { windowStrides: [1, 1, 1, 2] }),
        ];
      },
    ],
  ];

  it.each(ops)('%s leaves the inputs unchanged', (_name, run) => {
    const a = inputs();
    const all = Object.values(a);
    const before = snapshot(all);
    run(a);
    expect(snapshot(all)).toEqual(before);
  });

  it('ops on a reshaped view (shared storage) leave the original unchanged', () => {
    const x = np.array([1, 2, 3, 4, 5, 6], { dtype: 'float32' });
    const r = x.reshape(2, 3);
    const before = snapshot([x, r]);
    r.add(1);
    r.at(0, 0).set(100);
    lax.scatterAdd(r.reshape(6), np.array([0, 0]), np.array([5, 5], { dtype: 'float32' }), 0);
    np.exp(r);
    expect(snapshot([x, r])).toEqual(before);
  });

  it('random elementwise and reduction ops never write to their inputs', () => {
    const unary: ((a: Array) => unknown)[] = [
      (a) => np.exp(a),
      (a) => np.negative(a),
      (a) => np.sum(a, 0),
      (a) => np.sort(a, -1),
      (a) => a.T,
      (a) => np.matmul(a, a.T),
      (a) => a.index(np.slice(null, null, -1)),
      (a) => a.at(0).add(1),
      (a) => np.softmax(a),
      (a) => np.flip(a),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.float({ noNaN: true, min: -100, max: 100 }), { minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: unary.length - 1 }),
        (rows, cols, values, k) => {
          const x = np.array(new Float32Array(values.slice(0, rows * cols)), { shape: [rows, cols] });
          const before = globalThis.Array.from(x.dataSync());
          (unary[k] as (a: Array) => unknown)(x);
          expect(globalThis.Array.from(x.dataSync())).toEqual(before);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('dataSync() and data() return copies the caller may modify', async () => {
    const x = np.array([1, 2, 3], { dtype: 'float32' });
    const a = x.dataSync();
    a[0] = 99;
    expect(x.dataSync()).toEqual(new Float32Array([1, 2, 3]));
    const b = await x.data();
    b.fill(-1);
    expect(x.dataSync()).toEqual(new Float32Array([1, 2, 3]));
    expect(x.dataSync()).not.toBe(x.dataSync());
  });

  it('np.array copies its typed-array input', () => {
    const src = new Float32Array([1, 2, 3, 4]);
    const x = np.array(src, { shape: [2, 2] });
    src[0] = 42;
    expect(x.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('the shape an array reports cannot be changed', () => {
    const x = np.zeros([2, 3]);
    const shape = x.shape as number[];
    expect(() => shape.push(4)).toThrow(TypeError);
    expect(() => {
      shape[0] = 7;
    }).toThrow(TypeError);
    expect(x.shape).toEqual([2, 3]);
    expect(x.size).toBe(6);
  });

  it('a shape passed in is copied, not kept', () => {
    const s = [2, 2];
    const x = np.zeros(s);
    s[0] = 5;
    expect(x.shape).toEqual([2, 2]);
  });
});

describe('getters', () => {
  it.each([
    [
      np.array([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      [2, 3],
      'int32',
      2,
      6,
    ],
    [np.zeros([4], { dtype: 'float64' }), [4], 'float64', 1, 4],
    [np.array(2.5), [], 'float32', 0, 1],
    [np.array([true]), [1], 'bool', 1, 1],
    [np.zeros([2, 0, 3]), [2, 0, 3], 'float32', 3, 0],
    [np.ones([1, 1, 1, 1, 5], { dtype: 'int32' }), [1, 1, 1, 1, 5], 'int32', 5, 5],
  ] as [Array, number[], DType, number, number][])('%s', (x, shape, dtype, ndim, size) => {
    expect(x.shape).toEqual(shape);
    expect(x.dtype).toBe(dtype);
    expect(x.ndim).toBe(ndim);
    expect(x.size).toBe(size);
    expect(x.aval.shape).toEqual(shape);
    expect(x.aval.dtype).toBe(dtype);
  });

  it('T reverses the axes', () => {
    expect(np.zeros([2, 3, 4]).T.shape).toEqual([4, 3, 2]);
  });
});

describe('reading values', () => {
  it('await data() gives a typed array of the dtype', async () => {
    expect(await np.array([1.5, 2], { dtype: 'float32' }).data()).toEqual(new Float32Array([1.5, 2]));
    expect(await np.array([1.5, 2], { dtype: 'float64' }).data()).toEqual(new Float64Array([1.5, 2]));
    expect(await np.array([1, -2]).data()).toEqual(new Int32Array([1, -2]));
    expect(await np.array([true, false]).data()).toEqual(new Uint8Array([1, 0]));
    expect(await np.arange(6).reshape(2, 3).T.data()).toEqual(new Int32Array([0, 3, 1, 4, 2, 5]));
  });

  it('item() returns a number or a boolean', () => {
    expect(np.array(3.5).item()).toBe(3.5);
    expect(np.array(0.1).item()).toBe(Math.fround(0.1));
    expect(np.array(0.1, { dtype: 'float64' }).item()).toBe(0.1);
    expect(np.array(-7).item()).toBe(-7);
    expect(np.array(true).item()).toBe(true);
    expect(np.array([false]).item()).toBe(false);
    expect(np.array([[42]]).item()).toBe(42);
    expect(np.arange(10).sum().item()).toBe(45);
  });

  it('item() of an array whose size is not 1 is an error', () => {
    expect(() => np.array([1, 2]).item()).toThrow(/^item: can only convert an array of size 1 to a scalar, got shape \[2\]/);
    expect(() => np.zeros([0]).item()).toThrow(/^item: can only convert an array of size 1 to a scalar, got shape \[0\]/);
    expect(() => np.zeros([2, 2]).item()).toThrow(TenfoldError);
  });

  it('tolist() nests like the shape', () => {
    expect(
      np
        .array([
          [1, 2],
          [3, 4],
        ])
        .tolist(),
    ).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(np.array([true, false]).tolist()).toEqual([true, false]);
    expect(np.array(5).tolist()).toBe(5);
    expect(np.array(true).tolist()).toBe(true);
    expect(np.zeros([0]).tolist()).toEqual([]);
    expect(np.zeros([2, 0]).tolist()).toEqual([[], []]);
    expect(np.arange(8).reshape(2, 2, 2).tolist()).toEqual([
      [
        [0, 1],
        [2, 3],
      ],
      [
        [4, 5],
        [6, 7],
      ],
    ]);
    expect(np.array([0.5, -1.25], { dtype: 'float64' }).tolist()).toEqual([0.5, -1.25]);
  });

  it('tolist() round-trips through np.array', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (rows) => {
        expect(np.array(rows).tolist()).toEqual(rows);
      }),
    );
  });
});

describe('weak typing of JS numbers', () => {
  it.each([
    ['float32 * 2 stays float32', () => np.multiply(np.array([1.5], { dtype: 'float32' }), 2), 'float32', [3]],
    ['float32 + 0.1 stays float32', () => np.add(np.array([1], { dtype: 'float32' }), 0.1), 'float32', [Math.fround(1.1)]],
    ['float64 * 2 stays float64', () => np.multiply(np.array([1.5], { dtype: 'float64' }), 2), 'float64', [3]],
    ['int32 + 1 stays int32', () => np.add(np.array([1, 2]), 1), 'int32', [2, 3]],
    ['int32 * 3 stays int32', () => np.multiply(np.array([2], { dtype: 'int32' }), 3), 'int32', [6]],
    ['int32 + 1.5 gives float32', () => np.add(np.array([1, 2]), 1.5), 'float32', [2.5, 3.5]],
    ['true + 1 gives int32', () => np.add(true, 1), 'int32', [2]],
    ['bool array + 1 gives int32', () => np.add(np.array([true, false]), 1), 'int32', [2, 1]],
    ['bool array + true stays bool (logical or)', () => np.add(np.array([true, false]), true), 'bool', [1, 1]],
    ['bool * bool is logical and', () => np.multiply(np.array([true, false]), np.array([true, true])), 'bool', [1, 0]],
    ['bool array * 0.5 gives float32', () => np.multiply(np.array([true, false]), 0.5), 'float32', [0.5, 0]],
    ['two JS integers give int32', () => np.add(2, 3), 'int32', [5]],
    ['a JS float gives float32', () => np.add(2, 0.5), 'float32', [2.5]],
    ['int32 / 2 gives float32', () => np.divide(np.array([1, 3]), 2), 'float32', [0.5, 1.5]],
    [
      'float32 array with a float64 array gives float64',
      () => np.add(np.array([1], { dtype: 'float32' }), np.array([1], { dtype: 'float64' })),
      'float64',
      [2],
    ],
    ['int32 array with a float32 array gives float32', () => np.add(np.array([1]), np.array([0.5])), 'float32', [1.5]],
    ['method form: x.mul(2)', () => np.array([1.5], { dtype: 'float32' }).mul(2), 'float32', [3]],
    ['where with numbers keeps the array dtype', () => np.where(np.array([true, false]), np.array([1, 2], { dtype: 'int32' }), 0), 'int32', [1, 0]],
    ['maximum(float32, 0) stays float32', () => np.maximum(np.array([-1, 2], { dtype: 'float32' }), 0), 'float32', [0, 2]],
  ] as [string, () => Array, DType, number[]][])('%s', (_name, make, dtype, values) => {
    const r = make();
    expect(r.dtype).toBe(dtype);
    expect(globalThis.Array.from(r.dataSync())).toEqual(values);
  });

  it('np.array infers the dtype from the values', () => {
    expect(np.array([1, 2]).dtype).toBe('int32');
    expect(np.array([1, 2.5]).dtype).toBe('float32');
    expect(np.array([true]).dtype).toBe('bool');
    expect(np.array([]).dtype).toBe('float32');
    expect(np.array([-2147483648, 2147483647]).dtype).toBe('int32');
    expect(np.array([2147483648]).dtype).toBe('float32');
    expect(np.array(new Float64Array(2)).dtype).toBe('float64');
    expect(np.array(new Int32Array(2)).dtype).toBe('int32');
    expect(np.array(new Uint8Array(2)).dtype).toBe('bool');
    expect(np.array([1.9, -1.9], { dtype: 'int32' }).tolist()).toEqual([1, -1]);
    expect(np.array([0, 2, -1], { dtype: 'bool' }).tolist()).toEqual([false, true, true]);
  });
});

describe('creation', () => {
  const values = (x: Array) => globalThis.Array.from(x.dataSync());

  it('zeros, ones, full', () => {
    expect(np.zeros([2, 3]).dtype).toBe('float32');
    expect(values(np.zeros([2, 2]))).toEqual([0, 0, 0, 0]);
    expect(np.zeros(3).shape).toEqual([3]);
    expect(np.zeros([]).shape).toEqual([]);
    expect(np.zeros([0, 4]).size).toBe(0);
    expect(values(np.ones([3], { dtype: 'int32' }))).toEqual([1, 1, 1]);
    expect(np.ones([3], { dtype: 'int32' }).dtype).toBe('int32');
    const f = np.full([2, 2], 7, { dtype: 'int32' });
    expect(f.dtype).toBe('int32');
    expect(values(f)).toEqual([7, 7, 7, 7]);
    expect(np.full([2], 0.5).dtype).toBe('float32');
    expect(np.full([2], true).dtype).toBe('bool');
    expect(np.full([2], 2.5, { dtype: 'float64' }).tolist()).toEqual([2.5, 2.5]);
  });

  it('arange with integer, float and negative steps', () => {
    expect(np.arange(5).tolist()).toEqual([0, 1, 2, 3, 4]);
    expect(np.arange(5).dtype).toBe('int32');
    expect(np.arange(2, 5).tolist()).toEqual([2, 3, 4]);
    expect(np.arange(0, 10, 3).tolist()).toEqual([0, 3, 6, 9]);
    expect(np.arange(1, 2, 0.25).tolist()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(np.arange(1, 2, 0.25).dtype).toBe('float32');
    expect(np.arange(0, 1, 0.1).size).toBe(10);
    expect(np.arange(5, 0, -1).tolist()).toEqual([5, 4, 3, 2, 1]);
    expect(np.arange(1, 0, -0.25).tolist()).toEqual([1, 0.75, 0.5, 0.25]);
    expect(np.arange(-3, 3, 2).tolist()).toEqual([-3, -1, 1]);
    expect(np.arange(5, 0).size).toBe(0);
    expect(np.arange(0, 5, -1).size).toBe(0);
    expect(np.arange(3, undefined, 1, { dtype: 'float64' }).dtype).toBe('float64');
    expect(np.arange(0.5, 3).tolist()).toEqual([0.5, 1.5, 2.5]);
  });

  it('arange has ceil((stop - start) / step) elements', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: -7, max: 7 }).filter((s) => s !== 0),
        (start, stop, step) => {
          const x = np.arange(start, stop, step);
          const want: number[] = [];
          for (let v = start; step > 0 ? v < stop : v > stop; v += step) want.push(v);
          expect(x.tolist()).toEqual(want);
        },
      ),
    );
  });

  it('linspace with and without the endpoint', () => {
    expect(np.linspace(0, 1, 5).tolist()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(np.linspace(0, 1, 5, { endpoint: false }).tolist()).toEqual([0, 0.2, 0.4, 0.6, 0.8].map(Math.fround));
    expect(np.linspace(0, 1, 4, { endpoint: false, dtype: 'float64' }).tolist()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(np.linspace(2, -2, 3).tolist()).toEqual([2, 0, -2]);
    expect(np.linspace(0, 1).size).toBe(50);
    expect(np.linspace(0, 1, 1).tolist()).toEqual([0]);
    expect(np.linspace(0, 1, 0).size).toBe(0);
    // the last value is exactly `stop`
    expect(np.linspace(0, 0.3, 7).index(-1).item()).toBe(Math.fround(0.3));
    expect(np.linspace(0, 1, 3, { dtype: 'int32' }).dtype).toBe('int32');
  });

  it('eye with k', () => {
    expect(np.eye(3).tolist()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(np.eye(2, 3, 1).tolist()).toEqual([
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(np.eye(3, 3, -1, { dtype: 'int32' }).tolist()).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(np.eye(2, 2, 5).tolist()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(np.eye(2).dtype).toBe('float32');
    expect(np.eye(2, undefined, 0, { dtype: 'bool' }).tolist()).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('zerosLike, onesLike, fullLike keep shape and dtype', () => {
    const x = np.array([[1, 2, 3]]);
    const z = np.zerosLike(x);
    expect(z.shape).toEqual([1, 3]);
    expect(z.dtype).toBe('int32');
    expect(z.tolist()).toEqual([[0, 0, 0]]);
    expect(np.onesLike(np.array([true, false])).tolist()).toEqual([true, true]);
    expect(np.onesLike(x, { dtype: 'float64' }).dtype).toBe('float64');
    expect(np.fullLike(np.zeros([2]), 0.5).tolist()).toEqual([0.5, 0.5]);
  });

  it('array from nested lists, typed arrays with a shape, and Arrays', () => {
    expect(
      np.array([
        [1, 2],
        [3, 4],
      ]).shape,
    ).toEqual([2, 2]);
    expect(np.array([[[1]], [[2]]]).shape).toEqual([2, 1, 1]);
    expect(np.array(7).shape).toEqual([]);
    expect(np.array([[], []]).shape).toEqual([2, 0]);
    const t = np.array(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.tolist()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(np.array(new Int32Array([1, 2, 3, 4]), { shape: [2, 2], dtype: 'float32' }).dtype).toBe('float32');
    expect(np.array(new Float64Array([1, 2])).shape).toEqual([2]);
    expect(np.array([1, 2, 3, 4], { shape: [2, 2] }).shape).toEqual([2, 2]);
    const x = np.array([1, 2]);
    // a copy (on the same storage: arrays are immutable), not x itself
    const copy = np.array(x);
    expect(copy).not.toBe(x);
    expect(copy.tolist()).toEqual([1, 2]);
    expect(np.array(x, { dtype: 'float32' }).dtype).toBe('float32');
  });
});

describe('memory', () => {
  const floats = (n: number) => np.array(new Float32Array(n).fill(1));

  it('dispose() releases the buffer', () => {
    const x = floats(1000);
    const before = stats();
    x.dispose();
    const after = stats();
    expect(after.liveBuffers).toBe(before.liveBuffers - 1);
    expect(after.liveBytes).toBe(before.liveBytes - 4000);
    expect((x as unknown as { isDisposed: boolean }).isDisposed).toBe(true);
    // printing says so rather than showing nothing or a tracer's placeholder
    expect(String(x)).toBe('Array(shape=[1000], dtype=float32, disposed)');
  });

  it('no op returns its input: disposing a no-op result (same dtype, shape, axes...) leaves the input usable', () => {
    const x = np.array([
      [1, 2],
      [3, 4],
    ]);
    const v = np.array([1, 2, 3]);
    const s = np.array(5);
    const noOps: [string, Array, () => Array][] = [
      ['np.array of an array', x, () => np.array(x)],
      ['astype', x, () => np.astype(x, x.dtype)],
      ['x.astype', x, () => x.astype(x.dtype)],
      ['broadcastTo', x, () => np.broadcastTo(x, [2, 2])],
      ['reshape', x, () => np.reshape(x, [2, 2])],
      ['x.reshape', x, () => x.reshape(2, 2)],
      ['transpose', x, () => np.transpose(x, [0, 1])],
      ['T of 1-d', v, () => v.T],
      ['flip over no axes', x, () => np.flip(x, [])],
      ['sort of 0-d', s, () => np.sort(s)],
      ['clip without bounds', x, () => np.clip(x)],
      ['concatenate of one', x, () => np.concatenate([x])],
      ['ravel of 1-d', v, () => np.ravel(v)],
      ['squeeze without size-1 axes', x, () => np.squeeze(x)],
      ['sum over no axes', x, () => np.sum(x, [])],
      ['max over no axes', x, () => np.max(x, [], { keepdims: true })],
      ['moveaxis to itself', x, () => np.moveaxis(x, 0, 0)],
      ['swapaxes of an axis with itself', x, () => np.swapaxes(x, 1, 1)],
      ['index with ":"', x, () => x.index(':')],
      ['index with "..."', x, () => x.index('...')],
    ];
    const before = stats().liveBuffers;
    for (const [name, input, op] of noOps) {
      const out = op();
      expect(out, name).not.toBe(input);
      out.dispose();
      expect((input as unknown as { isDisposed: boolean }).isDisposed, name).toBe(false);
      expect(input.dataSync().length, name).toBe(input.size);
    }
    // the results shared the inputs' storage: nothing was copied, nothing is left behind
    expect(stats().liveBuffers).toBe(before);
  });

  it('a no-op on a disposed array is an error naming the op, not a silent pass-through', () => {
    const x = np.ones([2, 3]);
    x.dispose();
    expect(() => x.reshape(2, 3)).toThrow(/^reshape: this float32\[2,3\] array was disposed/);
    expect(() => np.astype(x, 'float32')).toThrow(/^astype: this float32\[2,3\] array was disposed/);
    expect(() => np.array(x)).toThrow(/^array: this float32\[2,3\] array was disposed/);
  });

  it('a new array adds its bytes to the stats', () => {
    const before = stats();
    const x = np.array(new Float64Array(100));
    expect(stats().liveBuffers).toBe(before.liveBuffers + 1);
    expect(stats().liveBytes).toBe(before.liveBytes + 800);
    const b = np.array(new Uint8Array(10));
    expect(stats().liveBytes).toBe(before.liveBytes + 810);
    x.dispose();
    b.dispose();
    expect(stats()).toEqual(before);
  });

  it('`using` disposes at the end of the block', () => {
    const before = stats();
    {
      using x = floats(256);
      expect(stats().liveBuffers).toBe(before.liveBuffers + 1);
      expect(stats().liveBytes).toBe(before.liveBytes + 1024);
      expect(x.sum().item()).toBe(256);
    }
    // the sum's result (one float32) is the only thing left
    expect(stats().liveBuffers).toBe(before.liveBuffers + 1);
    expect(stats().liveBytes).toBe(before.liveBytes + 4);
  });

  it('Symbol.dispose is dispose', () => {
    const x = floats(10);
    const before = stats();
    x[Symbol.dispose]();
    expect(stats().liveBuffers).toBe(before.liveBuffers - 1);
  });

  it('a reshape shares storage, and outlives the array it came from', () => {
    const x = floats(1000);
    const s0 = stats();
    const y = x.reshape(10, 100);
    const flat = y.reshape(-1);
    const z = flat.reshape(4, 250);
    const e = np.expandDims(x, 0);
    const f = np.ravel(e);
    expect(stats()).toEqual(s0); // no new bytes for any of the views
    x.dispose();
    expect(stats()).toEqual(s0); // still held by the views
    expect(y.shape).toEqual([10, 100]);
    expect(globalThis.Array.from(y.dataSync().slice(0, 3))).toEqual([1, 1, 1]);
    for (const v of [y, flat, z, e]) v.dispose();
    expect(stats()).toEqual(s0);
    f.dispose();
    expect(stats().liveBuffers).toBe(s0.liveBuffers - 1);
    expect(stats().liveBytes).toBe(s0.liveBytes - 4000);
  });

  it('disposing a view does not invalidate the original', () => {
    const x = floats(6);
    const v = x.reshape(2, 3);
    v.dispose();
    expect(x.sum().item()).toBe(6);
  });

  it('live buffers do not grow over many ops when results are disposed', () => {
    const x = np.array(
      new Float32Array(64).map((_, i) => i / 64),
      { shape: [8, 8] },
    );
    const w = np.array(
      new Float32Array(64).map((_, i) => (i % 7) - 3),
      { shape: [8, 8] },
    );
    const before = stats();
    for (let i = 0; i < 200; i++) {
      using h = np.matmul(x, w);
      using a = np.tanh(h);
      using s = np.add(a, x);
      using m = np.multiply(s, w);
      using r = m.reshape(64);
      using t = np.transpose(s);
      using total = np.sum(r);
      using mx = np.max(t, 0);
      using e = np.exp(mx);
      expect(e.shape).toEqual([8]);
      expect(Number.isFinite(total.item())).toBe(true);
    }
    expect(stats()).toEqual(before);
  });

  it('the temporaries an op makes (broadcast scalars, casts) are reclaimed by the garbage collector', async () => {
    // Ops broadcast JS numbers to full arrays internally; those temporaries are not handed to the
    // caller, so they are freed when collected (FinalizationRegistry) rather than by dispose().
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    if (typeof gc !== 'function') return;
    const settle = async () => {
      for (let k = 0; k < 3; k++) {
        gc();
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const x = np.array(new Float32Array(64).fill(0.5), { shape: [8, 8] });
    const i = np.array(new Int32Array(8).fill(3), { shape: [8, 1] });
    const step = () => {
      using y = np.multiply(np.add(x, 1), 0.5);
      using z = np.add(y, i); // casts and broadcasts i
      using r = np.where(np.greater(z, 2), z, 0);
      return r.size;
    };
    step(); // creates the shared scalar constants once
    await settle();
    const before = stats();
    for (let k = 0; k < 100; k++) step();
    expect(stats().liveBuffers).toBeGreaterThan(before.liveBuffers); // temporaries wait for the collector
    let after = stats();
    for (let round = 0; round < 10 && after.liveBuffers !== before.liveBuffers; round++) {
      await settle();
      after = stats();
    }
    expect(after).toEqual(before);
  });

  it('dispose is idempotent and never double-frees', () => {
    const x = floats(4);
    const v = x.reshape(2, 2);
    const before = stats();
    x.dispose();
    x.dispose();
    expect(stats()).toEqual(before);
    v.dispose();
    expect(stats().liveBuffers).toBe(before.liveBuffers - 1);
  });
});
