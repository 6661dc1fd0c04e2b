// Arrays print exactly as NumPy 2.x's repr with its default print options. Every expected string
// below was produced by NumPy (`repr(np.array(...))`) for the same values and dtype; the only
// difference is that NumPy's default integer is int64, so tenfold's int32 arrays name their dtype.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Array, np } from '../src/index.js';

const numpyRepr: [string, () => Array, string][] = [
  [
    "np.array([[1, 2], [3, 4]], { dtype: 'float32' })",
    () =>
      np.array(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'float32' },
      ),
    'array([[1., 2.],\n       [3., 4.]], dtype=float32)',
  ],
  ['np.array([1, 2, 3])', () => np.array([1, 2, 3]), 'array([1, 2, 3], dtype=int32)'],
  ['np.array([true, false])', () => np.array([true, false]), 'array([ True, False])'],
  ['np.array([true, true])', () => np.array([true, true]), 'array([ True,  True])'],
  ['np.array(true)', () => np.array(true), 'array(True)'],
  ["np.array([1.5, 2], { dtype: 'float64' })", () => np.array([1.5, 2], { dtype: 'float64' }), 'array([1.5, 2. ])'],
  ["np.array(1.5, { dtype: 'float32' })", () => np.array(1.5, { dtype: 'float32' }), 'array(1.5, dtype=float32)'],
  ['np.array(1.5)', () => np.array(1.5), 'array(1.5, dtype=float32)'],
  ['np.array(3)', () => np.array(3), 'array(3, dtype=int32)'],
  ["np.array(1e-7, { dtype: 'float64' })", () => np.array(1e-7, { dtype: 'float64' }), 'array(1.e-07)'],
  ["np.array(-0.5, { dtype: 'float64' })", () => np.array(-0.5, { dtype: 'float64' }), 'array(-0.5)'],
  ["np.array([1, NaN, Infinity], { dtype: 'float64' })", () => np.array([1, NaN, Infinity], { dtype: 'float64' }), 'array([ 1., nan, inf])'],
  [
    "np.array([1, NaN, -Infinity], { dtype: 'float32' })",
    () => np.array([1, NaN, -Infinity], { dtype: 'float32' }),
    'array([  1.,  nan, -inf], dtype=float32)',
  ],
  ['np.array([NaN, Infinity])', () => np.array([NaN, Infinity]), 'array([nan, inf], dtype=float32)'],
  ['np.array([-Infinity])', () => np.array([-Infinity]), 'array([-inf], dtype=float32)'],
  ["np.array([0.25, NaN, -Infinity], { dtype: 'float64' })", () => np.array([0.25, NaN, -Infinity], { dtype: 'float64' }), 'array([0.25,  nan, -inf])'],
  ["np.array([0.1, 0.2, 0.3], { dtype: 'float32' })", () => np.array([0.1, 0.2, 0.3], { dtype: 'float32' }), 'array([0.1, 0.2, 0.3], dtype=float32)'],
  [
    "np.array([-2.4076059, -1.4076059, -0.40760589], { dtype: 'float32' })",
    () => np.array([-2.4076059, -1.4076059, -0.40760589], { dtype: 'float32' }),
    'array([-2.407606 , -1.4076059, -0.4076059], dtype=float32)',
  ],
  ["np.array(1 / 3, { dtype: 'float32' })", () => np.array(1 / 3, { dtype: 'float32' }), 'array(0.33333334, dtype=float32)'],
  ["np.array(1 / 3, { dtype: 'float64' })", () => np.array(1 / 3, { dtype: 'float64' }), 'array(0.33333333)'],
  ["np.array(Math.PI, { dtype: 'float32' })", () => np.array(Math.PI, { dtype: 'float32' }), 'array(3.1415927, dtype=float32)'],
  [
    "np.array([Math.PI, 123.456789012], { dtype: 'float64' })",
    () => np.array([Math.PI, 123.456789012], { dtype: 'float64' }),
    'array([  3.14159265, 123.45678901])',
  ],
  ["np.array([0.1, 0.2, 0.3], { dtype: 'float64' })", () => np.array([0.1, 0.2, 0.3], { dtype: 'float64' }), 'array([0.1, 0.2, 0.3])'],
  ["np.array([1e-5, 1.5e-5], { dtype: 'float64' })", () => np.array([1e-5, 1.5e-5], { dtype: 'float64' }), 'array([1.0e-05, 1.5e-05])'],
  ["np.array([1, 1000.5], { dtype: 'float64' })", () => np.array([1, 1000.5], { dtype: 'float64' }), 'array([1.0000e+00, 1.0005e+03])'],
  ["np.array([1, 1000], { dtype: 'float64' })", () => np.array([1, 1000], { dtype: 'float64' }), 'array([   1., 1000.])'],
  ["np.array([0, 1e-5], { dtype: 'float64' })", () => np.array([0, 1e-5], { dtype: 'float64' }), 'array([0.e+00, 1.e-05])'],
  ["np.array([1e9, -1e-300], { dtype: 'float64' })", () => np.array([1e9, -1e-300], { dtype: 'float64' }), 'array([ 1.e+009, -1.e-300])'],
  ["np.array([1e6], { dtype: 'float32' })", () => np.array([1e6], { dtype: 'float32' }), 'array([1.e+06], dtype=float32)'],
  ["np.array([999999.94], { dtype: 'float32' })", () => np.array([999999.94], { dtype: 'float32' }), 'array([999999.94], dtype=float32)'],
  ["np.array([12345678], { dtype: 'float64' })", () => np.array([12345678], { dtype: 'float64' }), 'array([12345678.])'],
  [
    "np.array([0.3, 1e-5, 1.2345678e-5], { dtype: 'float32' })",
    () => np.array([0.3, 1e-5, 1.2345678e-5], { dtype: 'float32' }),
    'array([3.0000001e-01, 9.9999997e-06, 1.2345678e-05], dtype=float32)',
  ],
  ["np.array([1e-4], { dtype: 'float32' })", () => np.array([1e-4], { dtype: 'float32' }), 'array([0.0001], dtype=float32)'],
  ["np.array([1.5, 10.25, -100], { dtype: 'float64' })", () => np.array([1.5, 10.25, -100], { dtype: 'float64' }), 'array([   1.5 ,   10.25, -100.  ])'],
  ["np.array([1, -0], { dtype: 'float64' })", () => np.array([1, -0], { dtype: 'float64' }), 'array([ 1., -0.])'],
  ["np.array([0.001953125, 1], { dtype: 'float64' })", () => np.array([0.001953125, 1], { dtype: 'float64' }), 'array([0.00195312, 1.        ])'],
  ["np.array([61312.3125], { dtype: 'float32' })", () => np.array([61312.3125], { dtype: 'float32' }), 'array([61312.312], dtype=float32)'],
  ['np.array([-2147483648, 2147483647])', () => np.array([-2147483648, 2147483647]), 'array([-2147483648,  2147483647], dtype=int32)'],
  [
    'np.arange(30)',
    () => np.arange(30),
    'array([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16,\n       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dtype=int32)',
  ],
  [
    "np.divide(np.arange(24, undefined, 1, { dtype: 'float32' }), 7).reshape(2, 3, 4)",
    () => np.divide(np.arange(24, undefined, 1, { dtype: 'float32' }), 7).reshape(2, 3, 4),
    'array([[[0.        , 0.14285715, 0.2857143 , 0.42857143],\n        [0.5714286 , 0.71428573, 0.85714287, 1.        ],\n        [1.1428572 , 1.2857143 , 1.4285715 , 1.5714285 ]],\n\n       [[1.7142857 , 1.8571428 , 2.        , 2.142857  ],\n        [2.2857144 , 2.4285715 , 2.5714285 , 2.7142856 ],\n        [2.857143  , 3.        , 3.142857  , 3.2857144 ]]], dtype=float32)',
  ],
  [
    "np.divide(np.arange(24, undefined, 1, { dtype: 'float64' }), 7).reshape(4, 6)",
    () => np.divide(np.arange(24, undefined, 1, { dtype: 'float64' }), 7).reshape(4, 6),
    'array([[0.        , 0.14285714, 0.28571429, 0.42857143, 0.57142857,\n        0.71428571],\n       [0.85714286, 1.        , 1.14285714, 1.28571429, 1.42857143,\n        1.57142857],\n       [1.71428571, 1.85714286, 2.        , 2.14285714, 2.28571429,\n        2.42857143],\n       [2.57142857, 2.71428571, 2.85714286, 3.        , 3.14285714,\n        3.28571429]])',
  ],
  ["np.zeros([2, 1, 1, 2], { dtype: 'int32' })", () => np.zeros([2, 1, 1, 2], { dtype: 'int32' }), 'array([[[[0, 0]]],\n\n\n       [[[0, 0]]]], dtype=int32)'],
  ['np.arange(2000)', () => np.arange(2000), 'array([   0,    1,    2, ..., 1997, 1998, 1999],\n      shape=(2000,), dtype=int32)'],
  [
    "np.arange(2000, undefined, 1, { dtype: 'float32' })",
    () => np.arange(2000, undefined, 1, { dtype: 'float32' }),
    'array([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n       1.999e+03], shape=(2000,), dtype=float32)',
  ],
  [
    "np.arange(2000, undefined, 1, { dtype: 'float64' })",
    () => np.arange(2000, undefined, 1, { dtype: 'float64' }),
    'array([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n       1.999e+03], shape=(2000,))',
  ],
  [
    'np.arange(2000).reshape(2, 1000)',
    () => np.arange(2000).reshape(2, 1000),
    'array([[   0,    1,    2, ...,  997,  998,  999],\n       [1000, 1001, 1002, ..., 1997, 1998, 1999]],\n      shape=(2, 1000), dtype=int32)',
  ],
  [
    'np.arange(1331).reshape(11, 11, 11)',
    () => np.arange(1331).reshape(11, 11, 11),
    'array([[[   0,    1,    2, ...,    8,    9,   10],\n        [  11,   12,   13, ...,   19,   20,   21],\n        [  22,   23,   24, ...,   30,   31,   32],\n        ...,\n        [  88,   89,   90, ...,   96,   97,   98],\n        [  99,  100,  101, ...,  107,  108,  109],\n        [ 110,  111,  112, ...,  118,  119,  120]],\n\n       [[ 121,  122,  123, ...,  129,  130,  131],\n        [ 132,  133,  134, ...,  140,  141,  142],\n        [ 143,  144,  145, ...,  151,  152,  153],\n        ...,\n        [ 209,  210,  211, ...,  217,  218,  219],\n        [ 220,  221,  222, ...,  228,  229,  230],\n        [ 231,  232,  233, ...,  239,  240,  241]],\n\n       [[ 242,  243,  244, ...,  250,  251,  252],\n        [ 253,  254,  255, ...,  261,  262,  263],\n        [ 264,  265,  266, ...,  272,  273,  274],\n        ...,\n        [ 330,  331,  332, ...,  338,  339,  340],\n        [ 341,  342,  343, ...,  349,  350,  351],\n        [ 352,  353,  354, ...,  360,  361,  362]],\n\n       ...,\n\n       [[ 968,  969,  970, ...,  976,  977,  978],\n        [ 979,  980,  981, ...,  987,  988,  989],\n        [ 990,  991,  992, ...,  998,  999, 1000],\n        ...,\n        [1056, 1057, 1058, ..., 1064, 1065, 1066],\n        [1067, 1068, 1069, ..., 1075, 1076, 1077],\n        [1078, 1079, 1080, ..., 1086, 1087, 1088]],\n\n       [[1089, 1090, 1091, ..., 1097, 1098, 1099],\n        [1100, 1101, 1102, ..., 1108, 1109, 1110],\n        [1111, 1112, 1113, ..., 1119, 1120, 1121],\n        ...,\n        [1177, 1178, 1179, ..., 1185, 1186, 1187],\n        [1188, 1189, 1190, ..., 1196, 1197, 1198],\n        [1199, 1200, 1201, ..., 1207, 1208, 1209]],\n\n       [[1210, 1211, 1212, ..., 1218, 1219, 1220],\n        [1221, 1222, 1223, ..., 1229, 1230, 1231],\n        [1232, 1233, 1234, ..., 1240, 1241, 1242],\n        ...,\n        [1298, 1299, 1300, ..., 1306, 1307, 1308],\n        [1309, 1310, 1311, ..., 1317, 1318, 1319],\n        [1320, 1321, 1322, ..., 1328, 1329, 1330]]],\n      shape=(11, 11, 11), dtype=int32)',
  ],
  ['np.greater(np.arange(1001), 500)', () => np.greater(np.arange(1001), 500), 'array([False, False, False, ...,  True,  True,  True], shape=(1001,))'],
  ['np.zeros([0])', () => np.zeros([0]), 'array([], dtype=float32)'],
  ["np.zeros([0], { dtype: 'float64' })", () => np.zeros([0], { dtype: 'float64' }), 'array([], dtype=float64)'],
  ["np.zeros([0], { dtype: 'bool' })", () => np.zeros([0], { dtype: 'bool' }), 'array([], dtype=bool)'],
  ['np.zeros([2, 0])', () => np.zeros([2, 0]), 'array([], shape=(2, 0), dtype=float32)'],
  ["np.zeros([0, 3], { dtype: 'int32' })", () => np.zeros([0, 3], { dtype: 'int32' }), 'array([], shape=(0, 3), dtype=int32)'],
  ['np.array([])', () => np.array([]), 'array([], dtype=float32)'],
];

describe('toString matches NumPy repr', () => {
  it.each(numpyRepr)('%s', (_expr, make, expected) => {
    const x = make();
    expect(x.toString()).toBe(expected);
    expect(String(x)).toBe(expected);
    expect(`${x}`).toBe(expected);
  });
});

describe('layout', () => {
  it('the documented examples', () => {
    expect(
      np
        .array(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: 'float32' },
        )
        .toString(),
    ).toBe('array([[1., 2.],\n       [3., 4.]], dtype=float32)');
    expect(np.array([1, 2, 3], { dtype: 'int32' }).toString()).toBe('array([1, 2, 3], dtype=int32)');
    expect(np.array([true, false]).toString()).toBe('array([ True, False])');
    expect(np.array(1.5, { dtype: 'float32' }).toString()).toBe('array(1.5, dtype=float32)');
    expect(np.array([], { dtype: 'float32' }).toString()).toBe('array([], dtype=float32)');
  });

  it('float64 and bool leave out the dtype, as NumPy does for its default types', () => {
    expect(np.array([0.5, 2], { dtype: 'float64' }).toString()).toBe('array([0.5, 2. ])');
    expect(np.array([false]).toString()).toBe('array([False])');
    expect(np.array([0.5], { dtype: 'float32' }).toString()).toContain('dtype=float32');
  });

  it('summarizes arrays of more than 1000 elements with three items at each edge', () => {
    const big = np.arange(1001);
    const s = big.toString();
    // the extras go on a new line when they would pass 75 columns
    expect(s).toBe('array([   0,    1,    2, ...,  998,  999, 1000],\n      shape=(1001,), dtype=int32)');
    // 1000 elements are printed in full
    const full = np.arange(1000).toString();
    expect(full).not.toContain('...');
    expect(full.match(/\d+/g)?.length).toBe(1000 + 1); // the values and the 32 of int32
  });

  it('every line fits in 75 columns', () => {
    const xs = [
      np.arange(500),
      np.divide(np.arange(200, undefined, 1, { dtype: 'float64' }), 7),
      np.arange(3000).reshape(30, 100),
      np.greater(np.arange(300), 7),
    ];
    for (const x of xs) for (const line of x.toString().split('\n')) expect(line.length).toBeLessThanOrEqual(75);
  });

  it('toString never changes the array', () => {
    const x = np.array([0.1, 0.25, -3], { dtype: 'float32' });
    const before = x.dataSync();
    x.toString();
    expect(x.dataSync()).toEqual(before);
  });
});

describe('float32 digits', () => {
  /** The value printed for a one-element float32 array. */
  const printed = (v: number): string => {
    const m = /^array\(\[(.*)\], dtype=float32\)$/.exec(np.array([v], { dtype: 'float32' }).toString());
    if (!m) throw new Error('unexpected format');
    return (m[1] as string).trim();
  };

  it('uses the shortest decimal that reads back as the same float32', () => {
    expect(printed(0.1)).toBe('0.1');
    expect(printed(-2.4076059)).toBe('-2.407606');
    expect(printed(16777217)).toBe('1.6777216e+07');
    expect(printed(1 / 3)).toBe('0.33333334');
    expect(printed(100)).toBe('100.');
  });

  it('round-trips every float32 outside [1e-4, 1) (where 8 digits after the point may not be enough)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const a = Math.abs(v);
        fc.pre(a === 0 || a >= 1 || a < 1e-4);
        const s = printed(v);
        expect(Math.fround(Number(s.endsWith('.') ? `${s}0` : s))).toBe(Math.fround(v));
      }),
      { numRuns: 500 },
    );
  });

  it('prints no more digits than needed', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: 1, max: 999999 }), (v) => {
        const s = printed(v);
        const digits = s.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
        // the shortest round trip in float32, found by trying each precision in turn
        let p = 1;
        while (p < 9 && Math.fround(Number(v.toPrecision(p))) !== v) p++;
        expect(digits.length).toBeLessThanOrEqual(p);
      }),
      { numRuns: 300 },
    );
  });
});
