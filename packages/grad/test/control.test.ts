// Control flow (lax.cond, switch, whileLoop, foriLoop, scan): eagerly, under jit, and under every
// transform — gradients against finite differences in float64, vmap with batched and unbatched
// predicates, scan against a JS loop.
import { type Array, lax, np, random, TenfoldError } from '@tenfold/core';
import { grad, jit, jvp, makeJaxpr, vmap } from '@tenfold/grad';
import { checkGrads } from '@tenfold/grad/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const f64 = (v: number[], shape?: number[]) => np.array(v, { dtype: 'float64', ...(shape ? { shape } : {}) });
const close = (a: Array, b: Array) => {
  const x = globalThis.Array.from(a.dataSync());
  expect(x).toEqual(globalThis.Array.from(b.dataSync()).map((v) => expect.closeTo(v, 10)));
};

describe('cond and switch', () => {
  const f = (x: Array) =>
    lax.cond(
      np.greater(np.sum(x), 0),
      (v: Array) => np.sum(np.sin(v)),
      (v: Array) => np.sum(np.multiply(v, v)),
      x,
    );

  it('runs the branch the predicate picks, eagerly and under jit', () => {
    const jf = jit(f);
    for (const x of [f64([1, 2]), f64([-1, -2])]) expect(jf(x).item()).toBeCloseTo(f(x).item() as number, 12);
    expect(f(f64([1, 2])).item()).toBeCloseTo(Math.sin(1) + Math.sin(2), 12);
    expect(f(f64([-1, -2])).item()).toBeCloseTo(5, 12);
    expect(jf.stats.traces).toBe(1);
  });

  it('switch clamps its index and runs one of many branches', () => {
    const branches = [(v: Array) => np.add(v, 1), (v: Array) => np.multiply(v, 10), (v: Array) => np.negative(v)];
    const x = np.array([1, 2], { dtype: 'float32' });
    expect(lax.switch(np.array(1), branches, x).tolist()).toEqual([10, 20]);
    expect(lax.switch(np.array(7), branches, x).tolist()).toEqual([-1, -2]);
    expect(lax.switch(np.array(-3), branches, x).tolist()).toEqual([2, 3]);
  });

  it('gradients of both branches agree with finite differences (forward and reverse, order 2)', () => {
    checkGrads(f, [f64([0.3, 0.9])], { order: 2 });
    checkGrads(f, [f64([-0.3, -0.9])], { order: 2 });
    const s = (x: Array) => lax.switch(np.array(2), [(v: Array) => v, (v: Array) => np.exp(v), (v: Array) => np.tanh(np.multiply(v, v))], x);
    checkGrads(s, [f64([0.4, -0.2])], { order: 2 });
  });

  it('differentiates through closed-over values', () => {
    const g = (w: Array, x: Array) =>
      lax.cond(
        np.greater(x, 0),
        () => np.multiply(w, x),
        () => np.multiply(w, w),
      );
    expect(grad(g)(f64([3]).reshape([]), f64([2]).reshape([])).item()).toBe(2);
    expect(grad(g)(f64([3]).reshape([]), f64([-2]).reshape([])).item()).toBe(6);
    expect(jit(grad(g, { argnums: 1 }))(f64([3]).reshape([]), f64([2]).reshape([])).item()).toBe(3);
  });

  it('vmap with an unbatched predicate keeps one cond; a batched one runs both branches and selects', () => {
    const xs = f64([1, 2, -3, -4], [2, 2]);
    expect(vmap(f)(xs).tolist()).toEqual([expect.closeTo(Math.sin(1) + Math.sin(2), 12), 25]);
    const h = (x: Array, p: Array) =>
      lax.cond(
        p,
        (v: Array) => np.multiply(v, 2),
        (v: Array) => np.negative(v),
        x,
      );
    expect(vmap(h, { inAxes: [0, null] })(xs, np.array(true)).tolist()).toEqual([
      [2, 4],
      [-6, -8],
    ]);
    const jaxpr = makeJaxpr((v: Array, p: Array) => vmap(h, { inAxes: [0, null] })(v, p))(xs, np.array(true)).toString();
    expect(jaxpr).toContain('cond[');
    expect(vmap(h)(xs, np.array([true, false])).tolist()).toEqual([
      [2, 4],
      [3, 4],
    ]);
  });

  it('branches that disagree, or a non-scalar predicate, are clear errors', () => {
    const x = np.ones([2]);
    expect(() =>
      lax.cond(
        np.array(true),
        (v: Array) => v,
        (v: Array) => np.sum(v),
        x,
      ),
    ).toThrow(/^cond: trueFn returns \(float32\[2\]\), but falseFn returns \(float32\[\]\)/);
    expect(() =>
      lax.cond(
        np.array([true, false]),
        (v: Array) => v,
        (v: Array) => v,
        x,
      ),
    ).toThrow(/predicate must be a scalar, got bool\[2\]; use np.where/);
    expect(() => lax.switch(np.array(0.5), [(v: Array) => v], x)).toThrow(TenfoldError);
  });
});

describe('scan', () => {
  it('equals a JS loop over the leading axis (random data, both directions)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 0, maxLength: 7 }), fc.boolean(), (values, reverse) => {
        const xs = f64(values.length === 0 ? [] : values, [values.length]);
        const [c, ys] = lax.scan((acc: Array, x: Array): [Array, Array] => [np.add(np.multiply(acc, 0.5), x), np.multiply(acc, x)], f64([1]).reshape([]), xs, {
          reverse,
        });
        let acc = 1;
        const want: number[] = new globalThis.Array(values.length);
        for (let k = 0; k < values.length; k++) {
          const i = reverse ? values.length - 1 - k : k;
          want[i] = acc * (values[i] as number);
          acc = acc * 0.5 + (values[i] as number);
        }
        expect(c.item()).toBeCloseTo(acc, 12);
        expect(ys.tolist()).toEqual(want.map((w) => expect.closeTo(w, 12)));
      }),
      { seed: 42, numRuns: 25 },
    );
  });

  it('takes pytrees as carry and xs, and length without xs', () => {
    const [c, ys] = lax.scan(
      (s: { a: Array; b: Array }, x: { u: Array }): [{ a: Array; b: Array }, Array] => [{ a: np.add(s.a, x.u), b: np.multiply(s.b, 2) }, np.add(s.a, s.b)],
      { a: np.array(0), b: np.array(1) },
      { u: np.arange(4) },
    );
    expect([c.a.item(), c.b.item()]).toEqual([6, 16]);
    expect(ys.tolist()).toEqual([1, 2, 5, 11]);
    const [n] = lax.scan((k: Array): [Array, null] => [np.add(k, 1), null], np.array(0), null, { length: 5 });
    expect(n.item()).toBe(5);
  });

  it('gradients agree with finite differences; jit(grad) and grad(jit) too', () => {
    const f = (w: Array, xs: Array) =>
      lax.scan((h: Array, x: Array): [Array, Array] => [np.tanh(np.add(np.multiply(h, w), x)), np.multiply(h, h)], f64([0.1]).reshape([]), xs)[0];
    const w = f64([0.7]).reshape([]);
    const xs = f64([0.3, -0.2, 0.5, 0.1]);
    checkGrads(f, [w, xs], { order: 2 });
    close(jit(grad(f))(w, xs), grad(f)(w, xs));
    close(grad(jit(f))(w, xs), grad(f)(w, xs));
  });

  it('vmap over the xs, the carry, or both', () => {
    const f = (c0: Array, xs: Array) => lax.scan((c: Array, x: Array): [Array, Array] => [np.add(c, x), np.multiply(c, x)], c0, xs);
    const c0 = f64([1, 2]);
    const xs = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const [cb, ysb] = vmap(f)(c0, xs);
    const [c1, ys1] = f(f64([1]).reshape([]), f64([1, 2, 3]));
    const [c2, ys2] = f(f64([2]).reshape([]), f64([4, 5, 6]));
    expect(cb.tolist()).toEqual([c1.item(), c2.item()]);
    expect(ysb.tolist()).toEqual([ys1.tolist(), ys2.tolist()]);
    const [cu] = vmap(f, { inAxes: [null, 0] })(f64([1]).reshape([]), xs);
    expect(cu.tolist()).toEqual([7, 16]);
  });

  it('an optimizer fold over many batches is one jitted scan', () => {
    const k = random.split(random.key(0), 2);
    const xs = random.normal(k[0] as Array, [20, 16, 3], { dtype: 'float64' });
    const wTrue = f64([1, -2, 0.5]);
    const ys = np.matmul(xs, wTrue);
    const step = (w: Array, batch: [Array, Array]): [Array, Array] => {
      const loss = (v: Array) => np.mean(np.square(np.subtract(np.matmul(batch[0], v), batch[1])));
      return [np.subtract(w, np.multiply(grad(loss)(w), 0.3)), loss(w)];
    };
    const train = jit((w: Array, data: [Array, Array]) => lax.scan(step, w, data));
    const [w, losses] = train(np.zeros([3], { dtype: 'float64' }), [xs, ys]);
    expect((losses.tolist() as number[]).at(-1) as number).toBeLessThan(((losses.tolist() as number[])[0] as number) / 100);
    expect(w.tolist()).toEqual([expect.closeTo(1, 2), expect.closeTo(-2, 2), expect.closeTo(0.5, 2)]);
    expect(train.stats.traces).toBe(1);
  });

  it('a carry the body changes, or xs of different lengths, are clear errors', () => {
    expect(() => lax.scan((c: Array, x: Array): [Array, Array] => [np.stack([c, c]), x], np.array(0), np.arange(3))).toThrow(
      /f's new carry returns \(int32\[2\]\), but the state is \(int32\[\]\)/,
    );
    expect(() => lax.scan((c: Array, x: Array[]): [Array, Array] => [c, x[0] as Array], np.array(0), [np.arange(3), np.arange(4)])).toThrow(
      /different lengths/,
    );
  });
});

describe('foriLoop and whileLoop', () => {
  it('foriLoop with JS bounds is a scan: reverse-mode differentiable', () => {
    const f = (x: Array) => lax.foriLoop(0, 3, (_i: Array, v: Array) => np.multiply(v, np.sin(v)), x);
    checkGrads(f, [f64([0.8])], { order: 1 });
    expect(lax.foriLoop(1, 6, (i: Array, acc: Array) => np.multiply(acc, i), np.array(1)).item()).toBe(120);
    expect(lax.foriLoop(3, 1, (i: Array, acc: Array) => np.multiply(acc, i), np.array(7)).item()).toBe(7);
  });

  it('foriLoop with array bounds and whileLoop run eagerly, under jit and vmap, and forward mode', () => {
    expect(lax.foriLoop(np.array(0), np.array(4), (i: Array, acc: Array) => np.add(acc, i), np.array(0)).item()).toBe(6);
    const f = (x: Array) =>
      lax.whileLoop(
        (s: [Array, Array]) => np.less(s[0], 3),
        (s: [Array, Array]): [Array, Array] => [np.add(s[0], 1), np.multiply(s[1], s[1])],
        [np.array(0), x] as [Array, Array],
      )[1];
    expect(f(f64([1.5])).item()).toBeCloseTo(1.5 ** 8, 10);
    expect(jit(f)(f64([1.5])).item()).toBeCloseTo(1.5 ** 8, 10);
    expect(jvp(f, [f64([1.5])], [f64([1])])[1].item()).toBeCloseTo(8 * 1.5 ** 7, 9);
    checkGrads(f, [f64([0.9])], { order: 1, modes: ['fwd'] });
    // a batched predicate: each example stops at its own count
    const g = (n: Array) =>
      lax.whileLoop(
        (s: [Array, Array]) => np.less(s[0], n),
        (s: [Array, Array]): [Array, Array] => [np.add(s[0], 1), np.multiply(s[1], 2)],
        [np.array(0), np.array(1)] as [Array, Array],
      )[1];
    expect(vmap(g)(np.array([1, 3, 5])).tolist()).toEqual([2, 8, 32]);
  });

  it('reverse mode through a whileLoop is a clear error naming the alternatives', () => {
    const f = (x: Array) =>
      lax.whileLoop(
        (s: [Array, Array]) => np.less(s[0], 2),
        (s: [Array, Array]): [Array, Array] => [np.add(s[0], 1), np.sin(s[1])],
        [np.array(0), x] as [Array, Array],
      )[1];
    expect(() => grad(f)(f64([1]).reshape([]))).toThrow(/whileLoop: reverse-mode differentiation .* use lax.foriLoop with JS-number bounds or lax.scan/);
  });

  it('a body that changes the state, or a condition that is not a bool scalar, is a clear error', () => {
    expect(() =>
      lax.whileLoop(
        (s: Array) => np.less(s, 3),
        (s: Array) => s.astype('float32'),
        np.array(0),
      ),
    ).toThrow(/bodyFn returns \(float32\[\]\), but the state is \(int32\[\]\)/);
    expect(() =>
      lax.whileLoop(
        (s: Array) => s,
        (s: Array) => s,
        np.array(0),
      ),
    ).toThrow(/condFn must return a bool scalar, got \(int32\[\]\)/);
  });
});
