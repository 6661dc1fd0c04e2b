// Optimizers against hand-computed values of torch.optim's formulas (SGD with momentum, nesterov,
// dampening and weight decay; Adam and AdamW), on scalars, arrays and pytrees; schedules.
import { type Array, np, tree } from '@tenfold/core';
import {
  type AdamState,
  adam,
  adamw,
  constantSchedule,
  cosineDecay,
  exponentialDecay,
  joinSchedules,
  linearSchedule,
  type Moments,
  type Optimizer,
  type OptimizerKind,
  type OptState,
  type SgdState,
  sgd,
  stepDecay,
} from '@tenfold/nn';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';

const FC = { seed: 42, numRuns: 10 } as const;

const f64 = (v: number | number[], shape?: number[]): Array =>
  np.array(Float64Array.from(typeof v === 'number' ? [v] : v), { shape: shape ?? (typeof v === 'number' ? [] : [v.length]), dtype: 'float64' });
const vals = (x: Array): number[] => globalThis.Array.from(x.dataSync() as ArrayLike<number>);
const num = (x: Array): number => x.item() as number;

/** Runs `steps` updates of `opt` on a scalar parameter p0 with the given gradient sequence. */
function runScalar(
  opt: { init: (p: Array) => unknown; update: (g: Array, s: never, p: Array) => { params: Array; state: unknown } },
  p0: number,
  grads: number[],
): number[] {
  let p = f64(p0);
  let s = opt.init(p);
  return grads.map((g) => {
    const r = opt.update(f64(g), s as never, p);
    p = r.params;
    s = r.state;
    return num(p);
  });
}

describe('sgd (torch.optim.SGD)', () => {
  it('plain SGD: p − lr·g', () => {
    const got = runScalar(sgd({ lr: 0.1 }), 1, [1, 2, -1]);
    [0.9, 0.7, 0.8].forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 14);
    });
  });

  it('momentum 0.9: buf = g on the first step, then 0.9·buf + g', () => {
    // buf: 1, 1.9, 2.71; p: 1 − 0.1, − 0.19, − 0.271
    const got = runScalar(sgd({ lr: 0.1, momentum: 0.9 }), 1, [1, 1, 1]);
    [0.9, 0.71, 0.439].forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 14);
    });
  });

  it('nesterov: direction g + momentum·buf', () => {
    // buf: 1, 1.9, 2.71; direction: 1.9, 2.71, 3.439
    const got = runScalar(sgd({ lr: 0.1, momentum: 0.9, nesterov: true }), 1, [1, 1, 1]);
    [0.81, 0.539, 0.1951].forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 14);
    });
  });

  it('dampening applies from the second step on', () => {
    // buf: 1 (undampened), 0.9 + 0.5 = 1.4, 1.26 + 0.5 = 1.76
    const got = runScalar(sgd({ lr: 0.1, momentum: 0.9, dampening: 0.5 }), 1, [1, 1, 1]);
    [0.9, 0.76, 0.584].forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 14);
    });
  });

  it('weight decay adds weightDecay·p to the gradient (before momentum)', () => {
    // g' = 1 + 0.1·p: 1.1, 1.089, 1.07811
    const got = runScalar(sgd({ lr: 0.1, weightDecay: 0.1 }), 1, [1, 1, 1]);
    [0.89, 0.7811, 0.673289].forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 14);
    });
    // with momentum 0.9: g' = 1.1, buf = 1.1, p = 0.89; g' = 1.089, buf = 0.99 + 1.089 = 2.079, p = 0.6821
    const withMomentum = runScalar(sgd({ lr: 0.1, weightDecay: 0.1, momentum: 0.9 }), 1, [1, 1]);
    [0.89, 0.6821].forEach((v, i) => {
      expect(withMomentum[i]).toBeCloseTo(v, 14);
    });
  });

  it('matches an elementwise reference of torch’s loop on pytrees, for random settings', () => {
    fc.assert(
      fc.property(
        fc.record({
          lr: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
          momentum: fc.constantFrom(0, 0.5, 0.9),
          nesterov: fc.boolean(),
          dampening: fc.constantFrom(0, 0.1),
          weightDecay: fc.constantFrom(0, 0.01),
        }),
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 6 * 4, maxLength: 6 * 4 }),
        (o, gs) => {
          const opts = o.nesterov && (o.momentum === 0 || o.dampening !== 0) ? { ...o, nesterov: false } : o;
          const params0 = { w: f64([0.5, -1, 2, 0.25], [2, 2]), b: f64([1, -0.5]), none: null };
          const opt = sgd(opts);
          let params = params0;
          let state = opt.init(params);
          // reference: torch's loop on each of the 6 scalars
          const ref = [...vals(params0.b), ...vals(params0.w)];
          const bufs = ref.map(() => 0);
          for (let step = 0; step < 4; step++) {
            const g = gs.slice(6 * step, 6 * step + 6);
            const grads = { w: f64(g.slice(2), [2, 2]), b: f64(g.slice(0, 2)), none: null };
            ({ params, state } = opt.update(grads, state, params));
            ref.forEach((p, i) => {
              let d = (g[i] as number) + opts.weightDecay * p;
              if (opts.momentum !== 0) {
                bufs[i] = step === 0 ? d : opts.momentum * (bufs[i] as number) + (1 - opts.dampening) * d;
                d = opts.nesterov ? d + opts.momentum * (bufs[i] as number) : (bufs[i] as number);
              }
              ref[i] = p - opts.lr * d;
            });
          }
          const got = [...vals(params.b), ...vals(params.w)];
          got.forEach((v, i) => {
            expect(v).toBeCloseTo(ref[i] as number, 12);
          });
          expect(params.none).toBeNull();
          expect(state.count).toBe(4);
        },
      ),
      FC,
    );
  });

  it('state types follow the params type; no buffer without momentum', () => {
    const params = { w: np.zeros([2]), layers: [{ b: np.zeros([1]) }, null] as [{ b: Array }, null] };
    const s = sgd({ lr: 0.1, momentum: 0.9 }).init(params);
    expectTypeOf(s).toEqualTypeOf<SgdState<typeof params>>();
    expectTypeOf(s.momentum).toEqualTypeOf<{ w: Array; layers: [{ b: Array }, null] } | null>();
    expect(String(tree.structure(s.momentum))).toBe(String(tree.structure(params)));
    expect(sgd({ lr: 0.1 }).init(params).momentum).toBeNull();
  });

  it('rejects invalid options and mismatched trees', () => {
    expect(() => sgd({ lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => sgd({ lr: -1 })).toThrow(/lr/);
    const opt = sgd({ lr: 0.1 });
    const params = { a: np.zeros([2]), b: np.zeros([2]) };
    expect(() => opt.update({ a: np.zeros([2]) } as never, opt.init(params), params)).toThrow(/structure/);
  });
});

describe('optimizers check gradients and state against the parameters', () => {
  const params = { w: np.ones([2]), b: np.zeros([1]) };
  const optimizers: Optimizer<OptimizerKind>[] = [sgd({ lr: 0.1 }), sgd({ lr: 0.1, momentum: 0.9 }), adam(), adamw()];
  for (const opt of optimizers) {
    it(`${opt.kind}: a gradient of another shape or dtype is an error naming the leaf, not a broadcast`, () => {
      const state = opt.init(params);
      expect(() => opt.update({ w: np.ones([3, 2]), b: np.ones([1]) }, state, params)).toThrow(
        new RegExp(`^${opt.kind}: the gradients at w is float32\\[3,2\\] but the parameter is float32\\[2\\]; they must match in shape and dtype$`),
      );
      expect(() => opt.update({ w: np.ones([]), b: np.ones([1]) }, state, params)).toThrow(/gradients at w is float32\[\]/);
      expect(() => opt.update({ w: np.ones([2], { dtype: 'float64' }), b: np.ones([1]) }, state, params)).toThrow(/gradients at w is float64\[2\]/);
      expect(() => opt.update({ w: np.ones([2]) } as never, state, params)).toThrow(/the gradients must have the parameters' structure/);
    });
  }

  it('state made for other parameters is an error (adam moments, sgd momentum buffers)', () => {
    const other = { w: np.ones([5, 2]), b: np.ones([1]) };
    const grads = { w: np.ones([2]), b: np.ones([1]) };
    expect(() => adam().update(grads, adam().init(other), params)).toThrow(/first moments \(mu\) at w is float32\[5,2\]/);
    const m = sgd({ lr: 0.1, momentum: 0.9 });
    const { state } = m.update({ w: np.ones([5, 2]), b: np.ones([1]) }, m.init(other), other);
    expect(() => m.update(grads, state, params)).toThrow(/momentum buffers at w is float32\[5,2\]/);
  });
});

describe('optimizer state shares no objects with the gradients', () => {
  it("sgd momentum: disposing the first step's gradients leaves the momentum buffers usable", () => {
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    const p0 = { w: np.ones([3]) };
    const g = { w: np.full([3], 0.5, { dtype: 'float32' }) };
    const r = opt.update(g, opt.init(p0), p0);
    expect(r.state.momentum?.w).not.toBe(g.w);
    g.w.dispose();
    const r2 = opt.update({ w: np.full([3], 0.5, { dtype: 'float32' }) }, r.state, r.params);
    // p = 1 − 0.1·0.5 = 0.95, then buf = 0.9·0.5 + 0.5 = 0.95, p = 0.95 − 0.095
    expect(globalThis.Array.from(r2.params.w.dataSync(), (v) => Math.round(v * 1e6) / 1e6)).toEqual([0.855, 0.855, 0.855]);
  });
});

describe('adam (torch.optim.Adam)', () => {
  it('matches hand-computed steps of torch’s formula (with weight decay in the gradient)', () => {
    // g = grad + 0.1·p; m ← m + (g − m)(1 − b1); v ← b2·v + (1 − b2)g²;
    // p ← p − lr/(1 − b1ᵗ) · m / (√v/√(1 − b2ᵗ) + eps); step 1: g = 0.6, m̂ = 0.6, √v̂ = 0.6, p = 0.9
    const got = runScalar(adam({ lr: 0.1, weightDecay: 0.1 }), 1, [0.5, -0.2, 0.1]);
    [0.9000000016666666, 0.8475190629593703, 0.7901621834311943].forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 13);
    });
  });

  it('with a constant gradient every step moves by lr·g/(|g| + eps)', () => {
    const got = runScalar(adam({ lr: 0.01 }), 0, [2, 2, 2]);
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(-0.01 * (i + 1) * (2 / (2 + 1e-8)), 13);
    });
  });

  it('matches an elementwise reference on a pytree for 3 steps', () => {
    const lr = 0.05;
    const [b1, b2, eps] = [0.8, 0.99, 1e-6];
    const opt = adam({ lr, b1, b2, eps });
    let params: { w: Array; inner: { v: Array } } = { w: f64([1, -2, 0.5]), inner: { v: f64([3]) } };
    let state = opt.init(params);
    expectTypeOf(state).toEqualTypeOf<AdamState<typeof params>>();
    expectTypeOf(state.mu).toEqualTypeOf<Moments<typeof params>>();
    const gs = [
      [0.1, -0.3, 2, 1],
      [0.2, 0.1, -1, 0.5],
      [-0.4, 0.2, 0.3, -0.1],
    ];
    const ref = [3, 1, -2, 0.5]; // leaf order: inner.v, then w
    const m = [0, 0, 0, 0];
    const v = [0, 0, 0, 0];
    gs.forEach((g, s) => {
      const t = s + 1;
      ({ params, state } = opt.update({ inner: { v: f64([g[0] as number]) }, w: f64(g.slice(1)) }, state, params));
      ref.forEach((p, i) => {
        const gi = g[i] as number;
        m[i] = (m[i] as number) + (gi - (m[i] as number)) * (1 - b1);
        v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi;
        ref[i] = p - (lr / (1 - b1 ** t)) * ((m[i] as number) / (Math.sqrt(v[i] as number) / Math.sqrt(1 - b2 ** t) + eps));
      });
    });
    const got = [...vals(params.inner.v), ...vals(params.w)];
    got.forEach((x, i) => {
      expect(x).toBeCloseTo(ref[i] as number, 13);
    });
    expect(state.count).toBe(3);
  });

  it('adamw decays the weights directly (torch.optim.AdamW)', () => {
    // p ← p·(1 − lr·wd) then the Adam step without weight decay in the gradient
    const got = runScalar(adamw({ lr: 0.1, weightDecay: 0.1 }), 1, [0.5, -0.2, 0.1]);
    [0.890000002, 0.8465394180965108, 0.8001348466347304].forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 13);
    });
  });

  it('keeps float32 params float32', () => {
    const opt = adam();
    const params = { w: np.ones([3]) };
    const { params: next } = opt.update({ w: np.ones([3]) }, opt.init(params), params);
    expect(next.w.dtype).toBe('float32');
    type S = OptState<typeof params, 'adam'>;
    expectTypeOf(opt.init(params)).toEqualTypeOf<S>();
  });
});

describe('schedules', () => {
  it('compute their formulas', () => {
    expect(constantSchedule(0.3)(1000)).toBe(0.3);
    const step = stepDecay(1, 10, 0.5);
    expect([0, 9, 10, 25].map(step)).toEqual([1, 1, 0.5, 0.25]);
    const exp = exponentialDecay(0.1, 0.5, { transitionSteps: 100 });
    expect(exp(100)).toBeCloseTo(0.05, 15);
    expect(exp(50)).toBeCloseTo(0.1 * Math.SQRT1_2, 15);
    expect(exponentialDecay(0.1, 0.5, { transitionSteps: 100, staircase: true })(150)).toBeCloseTo(0.05, 15);
    const cos = cosineDecay(0.1, 100);
    expect(cos(0)).toBeCloseTo(0.1, 15);
    expect(cos(50)).toBeCloseTo(0.05, 15);
    expect(cos(100)).toBeCloseTo(0, 15);
    expect(cos(1000)).toBeCloseTo(0, 15);
    expect(cosineDecay(1, 10, { alpha: 0.1 })(10)).toBeCloseTo(0.1, 15);
    const lin = linearSchedule(0, 0.1, 10);
    expect([0, 5, 10, 20].map(lin)).toEqual([0, 0.05, 0.1, 0.1]);
    const joined = joinSchedules([linearSchedule(0, 1, 10), cosineDecay(1, 10)], [10]);
    expect(joined(5)).toBeCloseTo(0.5, 15);
    expect(joined(10)).toBeCloseTo(1, 15);
    expect(joined(15)).toBeCloseTo(0.5, 15);
    expect(() => joinSchedules([constantSchedule(1)], [5])).toThrow(/boundary/);
  });

  it('optimizers call the schedule with the update count (0 for the first update)', () => {
    const seen: number[] = [];
    const lr = (t: number): number => {
      seen.push(t);
      return t === 0 ? 0.1 : 0.01;
    };
    const got = runScalar(sgd({ lr }), 1, [1, 1, 1]);
    expect(seen).toEqual([0, 1, 2]);
    [0.9, 0.89, 0.88].forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v, 14);
    });
    const adamGot = runScalar(adam({ lr: stepDecay(0.1, 1, 0) }), 0, [1, 1]);
    // the second update has lr 0: the parameter stays
    expect(adamGot[1]).toBeCloseTo(adamGot[0] as number, 15);
    expect(() => runScalar(sgd({ lr: () => Number.NaN }), 1, [1])).toThrow(/learning rate/);
  });
});

describe('the host scalars and the array math of an update (what a jitted step traces)', () => {
  it('sgd: the schedule and the first step are scalars computed from the count', () => {
    const opt = sgd({ lr: cosineDecay(0.1, 10), momentum: 0.9, dampening: 0.2 });
    expect(opt.scalars(0)).toEqual({ lr: 0.1, bufferScale: 0, gradScale: 1 });
    expect(opt.scalars(5).lr).toBeCloseTo(0.05, 15);
    expect(opt.scalars(5)).toMatchObject({ bufferScale: 0.9, gradScale: 0.8 });
    expect(sgd({ lr: 0.1 }).scalars(3)).toEqual({ lr: 0.1 });
    expect(() => opt.scalars(-1)).toThrow(/count must be an integer >= 0/);
    expect(() => opt.scalars(1.5)).toThrow(/count must be an integer >= 0/);
  });

  it('adam: bias corrections of step t = count + 1; adamw: the decay factor', () => {
    const s = adam({ lr: 0.1 }).scalars(1);
    expect(s.stepSize).toBeCloseTo(0.1 / (1 - 0.9 ** 2), 15);
    expect(s.bc2Sqrt).toBeCloseTo(Math.sqrt(1 - 0.999 ** 2), 15);
    expect(adamw({ lr: 0.1, weightDecay: 0.5 }).scalars(0).decay).toBeCloseTo(0.95, 15);
  });

  const optimizers: Optimizer<OptimizerKind>[] = [
    sgd({ lr: stepDecay(0.1, 2, 0.5), momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    sgd({ lr: 0.1, momentum: 0.5, dampening: 0.5 }),
    adam({ lr: cosineDecay(0.1, 5), weightDecay: 0.01 }),
    adamw({ lr: 0.05 }),
  ];
  for (const opt of optimizers) {
    it(`${opt.kind}: update is updateWith(scalars(count)), with the scalars as numbers or as scalar Arrays`, () => {
      let params = { w: f64([0.5, -1, 2]), b: f64([0.25]) };
      let state = opt.init(params);
      let withArrays = { params, arrays: (({ count: _, ...a }) => a)(state) as unknown };
      for (let count = 0; count < 4; count++) {
        const grads = { w: f64([1 - count, 0.5, -2]), b: f64([count]) };
        const host = opt.scalars(count);
        const asArrays = Object.fromEntries(Object.entries(host).map(([k, v]) => [k, f64(v)]));
        const r = opt.updateWith(grads, withArrays.arrays as never, withArrays.params, asArrays);
        withArrays = { params: r.params, arrays: r.state };
        ({ params, state } = opt.update(grads, state, params));
        expect(state.count).toBe(count + 1);
        expect([...vals(withArrays.params.w), ...vals(withArrays.params.b)]).toEqual([...vals(params.w), ...vals(params.b)]);
      }
      expect(() => opt.updateWith({ w: f64([1, 1, 1]), b: f64([1]) }, withArrays.arrays as never, params, {})).toThrow(/the update scalars have no/);
    });
  }
});
