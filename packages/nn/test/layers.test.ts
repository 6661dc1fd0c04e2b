// Layers: shapes and values against naive references, PyTorch's default init, dropout's
// statistics, sequential's parameter tuple (values and types), and gradients through small models
// checked against central finite differences in float64.
import { type Array, lax, np, random, tree } from '@tenfold/core';
import { checkGrads, seededUniform } from '@tenfold/grad/testing';
import {
  activation,
  avgPool2d,
  conv2d,
  type DenseParams,
  dense,
  dropout,
  flatten,
  type Layer,
  layerNorm,
  leakyRelu,
  logSoftmax,
  maxPool2d,
  type ParamsOf,
  relu,
  sequential,
  sigmoid,
  softmax,
  tanh,
} from '@tenfold/nn';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';

const FC = { seed: 42, numRuns: 8 } as const;

function vals(x: Array): number[] {
  return globalThis.Array.from(x.dataSync() as ArrayLike<number>);
}

function expectClose(actual: Array, expected: Array | number[], atol = 1e-5, rtol = 1e-5): void {
  const e = globalThis.Array.isArray(expected) ? expected : vals(expected);
  if (!globalThis.Array.isArray(expected)) expect(actual.shape).toEqual(expected.shape);
  const a = vals(actual);
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => {
    const want = e[i] as number;
    if (Math.abs(v - want) > atol + rtol * Math.abs(want)) {
      throw new Error(`element ${i}: got ${v}, expected ${want} (atol ${atol}, rtol ${rtol})`);
    }
  });
}

/** A seeded float64 array with values in [-1, 1) (mulberry32, independent of the library). */
function rand(shape: readonly number[], seed: number): Array {
  const next = seededUniform(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = 2 * next() - 1;
  return np.array(data, { shape: [...shape] });
}

/** Row-major strides. */
function strides(shape: readonly number[]): number[] {
  return shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
}

/** A loop conv2d (NCHW, OIHW, groups, stride, symmetric-or-not padding, dilation): the reference. */
function naiveConv2d(
  x: Array,
  w: Array,
  b: Array | null,
  o: { stride: [number, number]; pad: [[number, number], [number, number]]; dil: [number, number]; groups: number },
): Array {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, KH, KW] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + o.pad[0][0] + o.pad[0][1] - o.dil[0] * (KH - 1) - 1) / o.stride[0]) + 1;
  const OW = Math.floor((W + o.pad[1][0] + o.pad[1][1] - o.dil[1] * (KW - 1) - 1) / o.stride[1]) + 1;
  const xs = vals(x);
  const ws = vals(w);
  const bs = b === null ? null : vals(b);
  const [sxn, sxc, sxh] = strides(x.shape) as [number, number, number];
  const [swo, swc, swh] = strides(w.shape) as [number, number, number];
  const Og = O / o.groups;
  void C;
  const out = new Float64Array(N * O * OH * OW);
  let k = 0;
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = bs === null ? 0 : (bs[oc] as number);
          const g = Math.floor(oc / Og);
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const h = oh * o.stride[0] - o.pad[0][0] + i * o.dil[0];
                const ww = ow * o.stride[1] - o.pad[1][0] + j * o.dil[1];
                if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                const xv = xs[n * sxn + (g * Cg + c) * sxc + h * sxh + ww] as number;
                s += xv * (ws[oc * swo + c * swc + i * swh + j] as number);
              }
          out[k++] = s;
        }
  return np.array(out, { shape: [N, O, OH, OW] });
}

/** A loop 2-d pool over the last two dims (max pads with -inf; avg divides by the full window). */
function naivePool(x: Array, kind: 'max' | 'avg', k: [number, number], s: [number, number], pad: [number, number]): Array {
  const lead = x.shape.slice(0, -2);
  const [H, W] = x.shape.slice(-2) as [number, number];
  const OH = Math.floor((H + 2 * pad[0] - k[0]) / s[0]) + 1;
  const OW = Math.floor((W + 2 * pad[1] - k[1]) / s[1]) + 1;
  const xs = vals(x);
  const planes = lead.reduce((p, d) => p * d, 1);
  const out = new Float64Array(planes * OH * OW);
  let idx = 0;
  for (let p = 0; p < planes; p++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let acc = kind === 'max' ? Number.NEGATIVE_INFINITY : 0;
        for (let i = 0; i < k[0]; i++)
          for (let j = 0; j < k[1]; j++) {
            const h = oh * s[0] - pad[0] + i;
            const w = ow * s[1] - pad[1] + j;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            const v = xs[p * H * W + h * W + w] as number;
            acc = kind === 'max' ? Math.max(acc, v) : acc + v;
          }
        out[idx++] = kind === 'max' ? acc : acc / (k[0] * k[1]);
      }
  return np.array(out, { shape: [...lead, OH, OW] });
}

/** Checks `x`'s values are uniform in ±bound: inside the bound, mean and variance within k·SE. */
function expectUniform(x: Array, bound: number): void {
  const v = vals(x);
  const n = v.length;
  expect(v.reduce((m, a) => Math.max(m, Math.abs(a)), 0)).toBeLessThanOrEqual(bound);
  const mean = v.reduce((s, a) => s + a, 0) / n;
  const variance = v.reduce((s, a) => s + (a - mean) ** 2, 0) / n;
  // U(-b, b): mean 0, variance b²/3; Var(X²) = E[X⁴] − (b²/3)² = b⁴/5 − b⁴/9 = 4b⁴/45
  const seMean = Math.sqrt(bound ** 2 / 3 / n);
  const seVar = Math.sqrt((4 * bound ** 4) / 45 / n);
  expect(Math.abs(mean)).toBeLessThan(5 * seMean);
  expect(Math.abs(variance - bound ** 2 / 3)).toBeLessThan(5 * seVar);
  // it uses the whole range
  if (n >= 1000) expect(v.reduce((m, a) => Math.max(m, a), Number.NEGATIVE_INFINITY)).toBeGreaterThan(0.98 * bound);
}

describe('dense', () => {
  it('computes x·Wᵀ + b with the weight stored [out, in]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.nat(1000), (n, fin, fout, seed) => {
        const layer = dense(fin, fout);
        const params = layer.init(random.key(seed), { dtype: 'float64' });
        expect(params.weight.shape).toEqual([fout, fin]);
        expect(params.bias.shape).toEqual([fout]);
        expect(params.weight.dtype).toBe('float64');
        const x = rand([n, fin], seed);
        const y = layer.apply(params, x);
        expectClose(y, np.add(np.matmul(x, np.transpose(params.weight)), params.bias), 1e-12, 1e-12);
      }),
      FC,
    );
  });

  it('applies over the last axis of any leading shape, and without bias', () => {
    const layer = dense(3, 2, { bias: false });
    const params = layer.init(random.key(0));
    expect(Object.keys(params)).toEqual(['weight']);
    const x = rand([2, 4, 3], 1).astype('float32');
    const y = layer.apply(params, x);
    expect(y.shape).toEqual([2, 4, 2]);
    expectClose(y, np.matmul(x, np.transpose(params.weight)));
  });

  it('has PyTorch’s default init: weight and bias uniform within ±1/√fan_in', () => {
    const params = dense(784, 200).init(random.key(7));
    expectUniform(params.weight, 1 / Math.sqrt(784));
    expectUniform(params.bias, 1 / Math.sqrt(784));
    expect(params.weight.dtype).toBe('float32');
  });

  it('same key, same params; different keys differ', () => {
    const a = dense(5, 3).init(random.key(1));
    const b = dense(5, 3).init(random.key(1));
    const c = dense(5, 3).init(random.key(2));
    expect(vals(a.weight)).toEqual(vals(b.weight));
    expect(vals(a.weight)).not.toEqual(vals(c.weight));
  });

  it('rejects mismatched inputs with a clear error', () => {
    const layer = dense(4, 2);
    const params = layer.init(random.key(0));
    expect(() => layer.apply(params, np.zeros([3, 5]))).toThrow(/\[\.\.\., 4\]/);
    expect(() => dense(0, 2)).toThrow(/inFeatures/);
  });

  it('rejects a weight or bias of the wrong shape, naming the layer, the parameter and both shapes', () => {
    const layer = dense(3, 2);
    const x = np.ones([4, 3]);
    // a [1] or [1, 2] bias would broadcast into a [4, 2] result without any error
    expect(() => layer.apply({ weight: np.ones([2, 3]), bias: np.ones([1]) }, x)).toThrow(
      'dense: the bias of dense(3, 2) must have shape [2] ([outFeatures]), got [1]',
    );
    expect(() => layer.apply({ weight: np.ones([2, 3]), bias: np.ones([1, 2]) }, x)).toThrow('must have shape [2] ([outFeatures]), got [1,2]');
    expect(() => layer.apply({ weight: np.ones([3, 2]), bias: np.ones([2]) }, x)).toThrow(
      'dense: the weight of dense(3, 2) must have shape [2,3] ([outFeatures, inFeatures]), got [3,2]',
    );
    expect(() => layer.apply({ bias: np.ones([2]) } as unknown as DenseParams, x)).toThrow('the parameters of dense(3, 2) have no weight array');
    expect(vals(layer.apply({ weight: np.ones([2, 3]), bias: np.array([1, 2]) }, np.ones([1, 3])))).toEqual([4, 5]);
  });
});

describe('conv2d', () => {
  it('matches a loop convolution (stride, padding, dilation, groups)', () => {
    const cases = [
      { cin: 2, cout: 3, k: [3, 3] as [number, number], stride: 1, padding: 0, dil: 1, groups: 1 },
      { cin: 2, cout: 4, k: [3, 2] as [number, number], stride: 2, padding: 1, dil: 1, groups: 2 },
      { cin: 3, cout: 2, k: [2, 2] as [number, number], stride: 1, padding: [1, 2] as [number, number], dil: 2, groups: 1 },
    ];
    cases.forEach((c, i) => {
      const layer = conv2d(c.cin, c.cout, c.k, { stride: c.stride, padding: c.padding, dilation: c.dil, groups: c.groups });
      const params = layer.init(random.key(i), { dtype: 'float64' });
      expect(params.weight.shape).toEqual([c.cout, c.cin / c.groups, ...c.k]);
      const x = rand([2, c.cin, 7, 6], 10 + i);
      const pad = typeof c.padding === 'number' ? [c.padding, c.padding] : c.padding;
      const ref = naiveConv2d(x, params.weight, params.bias, {
        stride: [c.stride, c.stride],
        pad: [
          [pad[0] as number, pad[0] as number],
          [pad[1] as number, pad[1] as number],
        ],
        dil: [c.dil, c.dil],
        groups: c.groups,
      });
      expectClose(layer.apply(params, x), ref, 1e-12, 1e-12);
    });
  });

  it("equals lax.conv plus the bias, with 'SAME' padding; accepts unbatched input", () => {
    const layer = conv2d(3, 4, 3, { padding: 'SAME', stride: 2 });
    const params = layer.init(random.key(3));
    const x = rand([2, 3, 9, 9], 4).astype('float32');
    const y = layer.apply(params, x);
    expect(y.shape).toEqual([2, 4, 5, 5]);
    const ref = np.add(lax.conv(x, params.weight, { windowStrides: [2, 2], padding: 'SAME' }), np.reshape(params.bias, [4, 1, 1]));
    expectClose(y, ref);
    const single = layer.apply(params, x.index(0));
    expect(single.shape).toEqual([4, 5, 5]);
    expectClose(single, ref.index(0));
  });

  it('has PyTorch’s default init: within ±1/√(in/groups·kh·kw)', () => {
    const params = conv2d(6, 64, 5, { groups: 2 }).init(random.key(11));
    expectUniform(params.weight, 1 / Math.sqrt(3 * 25));
    expectUniform(params.bias, 1 / Math.sqrt(3 * 25));
    const noBias = conv2d(1, 2, 3, { bias: false }).init(random.key(0));
    expect(Object.keys(noBias)).toEqual(['weight']);
  });

  it('rejects bad configurations and inputs', () => {
    expect(() => conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
    expect(() => conv2d(3, 4, 3, { padding: -1 })).toThrow(/padding/);
    const layer = conv2d(3, 4, 3);
    expect(() => layer.apply(layer.init(random.key(0)), np.zeros([1, 2, 5, 5]))).toThrow(/NCHW/);
  });

  it('rejects a bias of the wrong shape by name (not with a reshape error)', () => {
    const layer = conv2d(1, 2, 3);
    const x = np.ones([1, 1, 4, 4]);
    expect(() => layer.apply({ weight: np.ones([2, 1, 3, 3]), bias: np.ones([3]) }, x)).toThrow(
      'conv2d: the bias of conv2d(1, 2, [3, 3]) must have shape [2] ([outChannels]), got [3]',
    );
    // [2, 1] has the right size: a reshape would accept it
    expect(() => layer.apply({ weight: np.ones([2, 1, 3, 3]), bias: np.ones([2, 1]) }, x)).toThrow('must have shape [2] ([outChannels]), got [2,1]');
    expect(() => layer.apply({ weight: np.ones([2, 1, 3, 2]), bias: np.ones([2]) }, x)).toThrow(
      'the weight of conv2d(1, 2, [3, 3]) must have shape [2,1,3,3] ([outChannels, inChannels/groups, kh, kw]), got [2,1,3,2]',
    );
  });

  it('rejects a kernel larger than the padded input (lax would give a zero-size output)', () => {
    const apply = (layer: Layer<unknown>, x: Array) => layer.apply(layer.init(random.key(0)), x);
    const x = np.ones([1, 1, 4, 4]);
    expect(() => apply(conv2d(1, 1, 5) as Layer<unknown>, x)).toThrow(
      'conv2d: the kernel does not fit the input [1,1,4,4]: kernel [5, 5] with dilation [1, 1] spans 5×5, but the input padded by [[0, 0], [0, 0]] is 4×4 (the output would be empty); use a smaller kernel, more padding or a larger input',
    );
    expect(() => apply(conv2d(1, 1, 3, { dilation: [2, 1] }) as Layer<unknown>, x)).toThrow('kernel [3, 3] with dilation [2, 1] spans 5×3');
    expect(() =>
      apply(
        conv2d(1, 1, [2, 6], {
          padding: [
            [0, 0],
            [1, 0],
          ],
        }) as Layer<unknown>,
        x.index(0),
      ),
    ).toThrow('the input [1,4,4]: kernel [2, 6] with dilation [1, 1] spans 2×6, but the input padded by [[0, 0], [1, 0]] is 4×5');
    // the boundary fits: one output position
    expect(apply(conv2d(1, 1, 4) as Layer<unknown>, x).shape).toEqual([1, 1, 1, 1]);
    expect(
      apply(
        conv2d(1, 1, 5, {
          padding: [
            [1, 0],
            [0, 1],
          ],
        }) as Layer<unknown>,
        x,
      ).shape,
    ).toEqual([1, 1, 1, 1]);
    expect(apply(conv2d(1, 1, 5, { padding: 'SAME' }) as Layer<unknown>, x).shape).toEqual([1, 1, 4, 4]);
  });
});

describe('pooling', () => {
  it('maxPool2d and avgPool2d match loops (default stride = kernel, explicit stride and padding)', () => {
    const x = rand([2, 3, 7, 8], 5);
    const cases: { k: [number, number]; s: [number, number]; p: [number, number] }[] = [
      { k: [2, 2], s: [2, 2], p: [0, 0] },
      { k: [3, 3], s: [2, 2], p: [1, 1] },
      { k: [3, 2], s: [1, 2], p: [1, 0] },
    ];
    for (const c of cases) {
      const opts = { stride: c.s, padding: c.p };
      expectClose(maxPool2d(c.k, opts).apply(null, x), naivePool(x, 'max', c.k, c.s, c.p), 1e-12, 1e-12);
      expectClose(avgPool2d(c.k, opts).apply(null, x), naivePool(x, 'avg', c.k, c.s, c.p), 1e-12, 1e-12);
    }
    expect(maxPool2d(2).apply(null, np.zeros([8, 32, 28, 28])).shape).toEqual([8, 32, 14, 14]);
    expect(maxPool2d(2).init(random.key(0))).toBeNull();
  });

  it('rejects padding of more than half the kernel, as torch (it gave -inf or NaN)', () => {
    expect(() => maxPool2d(2, { padding: 2 })).toThrow(
      "maxPool2d: padding [[2, 2], [2, 2]] is more than half the kernel [2, 2]: at most 1 (H) and 1 (W) on each side, as torch; more padding can make windows that hold only padding (-inf for max pooling, NaN for average pooling without countIncludePad). Use a smaller padding or 'SAME'",
    );
    expect(() =>
      avgPool2d([3, 5], {
        padding: [
          [0, 1],
          [0, 3],
        ],
        countIncludePad: false,
      }),
    ).toThrow('avgPool2d: padding [[0, 1], [0, 3]] is more than half the kernel [3, 5]: at most 1 (H) and 2 (W) on each side');
    // exactly half is allowed, and every window holds a real element
    expect(vals(maxPool2d(2, { padding: 1 }).apply(null, np.full([1, 1, 2, 2], -3)))).toEqual(new globalThis.Array(4).fill(-3));
    expect(
      vals(
        avgPool2d(3, {
          stride: 1,
          padding: [
            [1, 1],
            [0, 0],
          ],
          countIncludePad: false,
        }).apply(null, np.ones([1, 1, 2, 3])),
      ),
    ).toEqual([1, 1]);
  });

  it('rejects a window larger than the padded input (lax would give a zero-size output)', () => {
    const x = np.arange(16).reshape([1, 1, 4, 4]);
    expect(() => maxPool2d(5).apply(null, x)).toThrow(
      'maxPool2d: the window does not fit the input [1,1,4,4]: kernel [5, 5] spans 5×5, but the input padded by [[0, 0], [0, 0]] is 4×4 (the output would be empty); use a smaller kernel, more padding or a larger input',
    );
    expect(() => avgPool2d([2, 5]).apply(null, x.index(0))).toThrow('avgPool2d: the window does not fit the input [1,4,4]: kernel [2, 5] spans 2×5');
    expect(() => maxPool2d(2).apply(null, np.ones([3, 0, 4]))).toThrow('the input padded by [[0, 0], [0, 0]] is 0×4');
    expect(vals(maxPool2d(4).apply(null, x))).toEqual([15]);
    expect(
      vals(
        maxPool2d(5, {
          padding: [
            [1, 0],
            [0, 1],
          ],
        }).apply(null, x),
      ),
    ).toEqual([15]);
    expect(maxPool2d(5, { padding: 'SAME' }).apply(null, x).shape).toEqual([1, 1, 1, 1]);
  });

  it('avgPool2d without counting padding divides by the real elements', () => {
    const y = avgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }).apply(null, np.ones([1, 1, 2, 2]));
    expectClose(y, np.ones([1, 1, 3, 3]));
  });
});

describe('flatten and activations', () => {
  it('flatten keeps the batch dim; other ranges', () => {
    expect(flatten().apply(null, np.zeros([8, 1, 28, 28])).shape).toEqual([8, 784]);
    expect(flatten(0).apply(null, np.zeros([2, 3])).shape).toEqual([6]);
    expect(flatten(1, 2).apply(null, np.zeros([2, 3, 4, 5])).shape).toEqual([2, 12, 5]);
    const x = rand([2, 3, 2], 1);
    expect(vals(flatten().apply(null, x))).toEqual(vals(x));
  });

  it('activations compute their functions and have null params', () => {
    const x = np.array([[-2, -0.5, 0, 1.5]], { dtype: 'float64' });
    expect(relu().apply(null, x).tolist()).toEqual([[0, 0, 0, 1.5]]);
    expectClose(leakyRelu(0.1).apply(null, x), [-0.2, -0.05, 0, 1.5], 1e-12);
    expectClose(tanh().apply(null, x), vals(x).map(Math.tanh), 1e-12);
    expectClose(
      sigmoid().apply(null, x),
      vals(x).map((v) => 1 / (1 + Math.exp(-v))),
      1e-12,
    );
    const lse = Math.log(vals(x).reduce((s, v) => s + Math.exp(v), 0));
    expectClose(
      logSoftmax().apply(null, x),
      vals(x).map((v) => v - lse),
      1e-12,
    );
    expectClose(
      softmax().apply(null, x),
      vals(x).map((v) => Math.exp(v - lse)),
      1e-12,
    );
    expectClose(
      activation('double', (v) => np.multiply(v, 2)).apply(null, x),
      vals(x).map((v) => 2 * v),
      1e-12,
    );
    expect(relu().init(random.key(0))).toBeNull();
  });
});

describe('dropout', () => {
  const x = np.ones([200, 500]);
  const n = x.size;

  it('is the identity when not training, and needs a key when training', () => {
    const d = dropout(0.5);
    // the same values in a new array (on the same storage): disposing it leaves x usable
    const y = d.apply(null, x);
    expect(y).not.toBe(x);
    expect(vals(y)).toEqual(vals(x));
    y.dispose();
    expect(vals(x).length).toBe(n);
    expect(vals(d.apply(null, x, { train: false, key: random.key(0) }))).toEqual(vals(x));
    expect(vals(dropout(0).apply(null, x, { train: true, key: random.key(0) }))).toEqual(vals(x));
    expect(() => d.apply(null, x, { train: true })).toThrow(/needs a PRNG key/);
    expect(() => dropout(1.5)).toThrow(/rate/);
  });

  it('zeroes a fraction ≈ rate and keeps the expectation (inverted scaling)', () => {
    for (const rate of [0.1, 0.5, 0.8]) {
      const y = dropout(rate).apply(null, x, { train: true, key: random.key(3) });
      const v = vals(y);
      const zeros = v.filter((a) => a === 0).length / n;
      // the fraction of zeros: binomial, SE = √(p(1−p)/n)
      expect(Math.abs(zeros - rate)).toBeLessThan(5 * Math.sqrt((rate * (1 - rate)) / n));
      // survivors are scaled by 1/(1 − rate)
      const scale = 1 / (1 - rate);
      expect(v.filter((a) => a !== 0 && Math.abs(a - scale) > 1e-6 * scale).length).toBe(0);
      // each output is 0 or 1/(1−p): mean 1, variance p/(1−p)
      const mean = v.reduce((s, a) => s + a, 0) / n;
      expect(Math.abs(mean - 1)).toBeLessThan(5 * Math.sqrt(rate / (1 - rate) / n));
    }
  });

  it('same key → same mask; other key → other mask; rates 0 and 1', () => {
    const d = dropout(0.5);
    const a = vals(d.apply(null, x, { train: true, key: random.key(9) }));
    const b = vals(d.apply(null, x, { train: true, key: random.key(9) }));
    const c = vals(d.apply(null, x, { train: true, key: random.key(10) }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(vals(dropout(0).apply(null, x, { train: true, key: random.key(0) }))).toEqual(vals(x));
    expect(vals(dropout(1).apply(null, x, { train: true, key: random.key(0) })).every((v) => v === 0)).toBe(true);
  });
});

describe('layerNorm', () => {
  it('initializes weight 1, bias 0 and normalizes the trailing dims', () => {
    const ln = layerNorm(4);
    const p0 = ln.init(random.key(0), { dtype: 'float64' });
    expect(vals(p0.weight)).toEqual([1, 1, 1, 1]);
    expect(vals(p0.bias)).toEqual([0, 0, 0, 0]);
    const params = { weight: np.array([1, 2, 0.5, -1], { dtype: 'float64' }), bias: np.array([0, 0.1, 0.2, 0.3], { dtype: 'float64' }) };
    const x = rand([3, 4], 2);
    const y = ln.apply(params, x);
    const xs = vals(x);
    const w = vals(params.weight);
    const b = vals(params.bias);
    const ref: number[] = [];
    for (let r = 0; r < 3; r++) {
      const row = xs.slice(4 * r, 4 * r + 4);
      const mu = row.reduce((s, v) => s + v, 0) / 4;
      const variance = row.reduce((s, v) => s + (v - mu) ** 2, 0) / 4;
      row.forEach((v, i) => {
        ref.push(((v - mu) / Math.sqrt(variance + 1e-5)) * (w[i] as number) + (b[i] as number));
      });
    }
    expectClose(y, ref, 1e-12, 1e-10);
    const ln2 = layerNorm([2, 3], { eps: 1e-6 });
    expect(ln2.apply(ln2.init(random.key(0)), np.zeros([5, 2, 3])).shape).toEqual([5, 2, 3]);
    expect(() => ln.apply(p0, np.zeros([2, 3]))).toThrow(/\[\.\.\., 4\]/);
  });

  it('rejects a weight or bias not of the normalized shape (they would broadcast)', () => {
    const ln = layerNorm(4);
    const x = np.ones([2, 4]);
    expect(() => ln.apply({ weight: np.ones([1]), bias: np.zeros([4]) }, x)).toThrow(
      'layerNorm: the weight of layerNorm(4) must have shape [4] (the normalized shape), got [1]',
    );
    expect(() => ln.apply({ weight: np.ones([4]), bias: np.zeros([2, 4]) }, x)).toThrow(
      'layerNorm: the bias of layerNorm(4) must have shape [4] (the normalized shape), got [2,4]',
    );
    expect(() => layerNorm([2, 3]).apply({ weight: np.ones([3]), bias: np.zeros([2, 3]) }, np.ones([5, 2, 3]))).toThrow(
      'the weight of layerNorm([2,3]) must have shape [2,3] (the normalized shape), got [3]',
    );
  });

  it('rejects an eps that is negative or not finite; eps 0 normalizes exactly', () => {
    for (const eps of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => layerNorm(4, { eps })).toThrow(`layerNorm: eps must be a finite number >= 0 (added to the variance; torch's default is 1e-5), got ${eps}`);
    }
    // [1, 3]: mean 2, variance 1, so (x − 2)/√(1 + 0) is exactly [−1, 1] (the default eps gives ±0.999995)
    const ln = layerNorm(2, { eps: 0 });
    expect(vals(ln.apply(ln.init(random.key(0), { dtype: 'float64' }), np.array([1, 3], { dtype: 'float64' })))).toEqual([-1, 1]);
  });
});

describe('sequential', () => {
  const model = sequential(dense(784, 200), relu(), dense(200, 10));

  it('has a tuple of each layer’s params, with a precise type that tree.map keeps', () => {
    const params = model.init(random.key(0));
    expectTypeOf(params).toEqualTypeOf<[DenseParams, null, DenseParams]>();
    expectTypeOf<ParamsOf<typeof model>>().toEqualTypeOf<[DenseParams, null, DenseParams]>();
    const scaled = tree.map((p) => np.multiply(p, 2), params);
    expectTypeOf(scaled).toEqualTypeOf<[DenseParams, null, DenseParams]>();
    const again: ParamsOf<typeof model> = scaled;
    void again;
    expect(String(tree.structure(params))).toBe("PyTreeDef([{'bias': *, 'weight': *}, null, {'bias': *, 'weight': *}])");
    expect(params[0].weight.shape).toEqual([200, 784]);
    expect(params[2].weight.shape).toEqual([10, 200]);
    expect(model.name).toBe('sequential(dense(784, 200), relu(), dense(200, 10))');
    expect(model.layers.length).toBe(3);
  });

  it('splits the key across layers (identical layers get different params) and chains apply', () => {
    const m = sequential(dense(3, 3), dense(3, 3));
    const [p1, p2] = m.init(random.key(5));
    expect(vals(p1.weight)).not.toEqual(vals(p2.weight));
    const [k1] = random.split(random.key(5), 2);
    expect(vals(p1.weight)).toEqual(vals(dense(3, 3).init(k1 as Array).weight));
    const params = model.init(random.key(1));
    const x = rand([4, 784], 3).astype('float32');
    const [l0, l1, l2] = model.layers;
    const manual = l2.apply(params[2], l1.apply(params[1], l0.apply(params[0], x)));
    expectClose(model.apply(params, x), manual);
  });

  it('threads train and a per-layer key through, and nests', () => {
    const m = sequential(dense(10, 10), dropout(0.5), sequential(dropout(0.5), dense(10, 2)));
    const params = m.init(random.key(0));
    const x = np.ones([3, 10]);
    expect(() => m.apply(params, x, { train: true })).toThrow(/needs a PRNG key/);
    const a = m.apply(params, x, { train: true, key: random.key(1) });
    const b = m.apply(params, x, { train: true, key: random.key(1) });
    const c = m.apply(params, x, { train: true, key: random.key(2) });
    expect(vals(a)).toEqual(vals(b));
    expect(vals(a)).not.toEqual(vals(c));
    // evaluation ignores the key
    expect(vals(m.apply(params, x, { key: random.key(1) }))).toEqual(vals(m.apply(params, x)));
    expect(() => m.apply([params[0]] as never, x)).toThrow(/list of 3/);
  });

  it('an empty sequential is the identity', () => {
    const m = sequential();
    const x = np.ones([2]);
    expect(m.apply(m.init(random.key(0)), x)).toBe(x);
  });

  it('accepts any Layer value, typed through its params', () => {
    const custom: Layer<{ scale: Array }> = {
      name: 'scale',
      init: () => ({ scale: np.array(2) }),
      apply: (p, x) => np.multiply(x, p.scale),
    };
    const m = sequential(custom, relu());
    const params = m.init(random.key(0));
    expectTypeOf(params).toEqualTypeOf<[{ scale: Array }, null]>();
    expect(m.apply(params, np.array([-1, 3])).tolist()).toEqual([0, 6]);
  });
});

describe('gradients flow (central differences in float64)', () => {
  it('through a small MLP', () => {
    const model = sequential(dense(4, 5), tanh(), dense(5, 3), logSoftmax());
    const params = model.init(random.key(0), { dtype: 'float64' });
    const x = rand([2, 4], 7);
    checkGrads((p: typeof params) => np.sum(model.apply(p, x)), [params], { order: 1 });
    // and with respect to the input
    checkGrads((xx: Array) => np.sum(np.square(model.apply(params, xx))), [x], { order: 1 });
  });

  it('through a small CNN (conv, relu, max pool, flatten, layer norm, dense)', () => {
    const model = sequential(
      conv2d(2, 3, 3, { padding: 1 }),
      relu(),
      maxPool2d(2),
      conv2d(3, 2, 2, { stride: 1, groups: 1 }),
      avgPool2d(1),
      flatten(),
      layerNorm(2 * 2 * 2),
      dense(8, 3),
    );
    const params = model.init(random.key(1), { dtype: 'float64' });
    const x = rand([2, 2, 6, 6], 8);
    expect(model.apply(params, x).shape).toEqual([2, 3]);
    checkGrads((p: typeof params) => np.sum(np.square(model.apply(p, x))), [params], { order: 1, modes: ['rev'] });
  });
});
