// The transforms' API contract: argnums, hasAux, pytrees (values and TypeScript types), nesting,
// stopGradient, symbolic zeros, non-differentiable outputs, errors, and memory.
import v8 from 'node:v8';
import vm from 'node:vm';
import { type Array, getBackend, np, tree } from '@tenfold/core';
import { grad, hessian, jacfwd, jacrev, jvp, linearize, stopGradient, valueAndGrad, vjp, vmap } from '@tenfold/grad';
import { arrays, broadcastShapes, checkGrads, f64, GradCheckError, numericalJvp, numericalVjp, seededUniform, shapes } from '@tenfold/grad/testing';
import fc from 'fast-check';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';

/** Asserts two arrays hold the same values to `tol` (absolute + relative). */
function close(actual: Array, expected: Array | readonly unknown[] | number, tol = 1e-10): void {
  const e =
    typeof expected === 'number' ? [expected] : globalThis.Array.isArray(expected) ? (expected.flat(4) as number[]) : [...(expected as Array).dataSync()];
  if (!globalThis.Array.isArray(expected) && typeof expected !== 'number') expect(actual.shape).toEqual((expected as Array).shape);
  const a = [...actual.dataSync()];
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => {
    const w = e[i] as number;
    expect(Math.abs(v - w), `element ${i}: ${v} vs ${w}`).toBeLessThanOrEqual(tol * (1 + Math.abs(w)));
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------
// grad and valueAndGrad
// ---------------------------------------------------------------------------------------------

describe('grad / valueAndGrad: argnums, hasAux, pytrees', () => {
  const f = (x: Array, y: Array, z: Array) => np.sum(np.multiply(np.multiply(x, y), np.exp(z)));
  const x = f64([1, 2]);
  const y = f64([3, -1]);
  const z = f64([0, 0.5]);

  it('argnums as a number (default 0, negative counts from the end)', () => {
    close(grad(f)(x, y, z), np.multiply(y, np.exp(z)));
    close(grad(f, { argnums: 1 })(x, y, z), np.multiply(x, np.exp(z)));
    close(grad(f, { argnums: -1 })(x, y, z), np.multiply(np.multiply(x, y), np.exp(z)));
    expectTypeOf(grad(f, { argnums: 1 })(x, y, z)).toEqualTypeOf<Array>();
  });

  it('argnums as a tuple: one gradient per listed argument, in that order', () => {
    const [gz, gx] = grad(f, { argnums: [2, 0] as const })(x, y, z);
    close(gz, np.multiply(np.multiply(x, y), np.exp(z)));
    close(gx, np.multiply(y, np.exp(z)));
    const [v, [gy]] = valueAndGrad(f, { argnums: [1] as const })(x, y, z) as [Array, [Array]];
    close(v, f(x, y, z));
    close(gy, np.multiply(x, np.exp(z)));
  });

  it('argnums out of range is an error naming it', () => {
    expect(() => grad(f, { argnums: 3 })(x, y, z)).toThrow(/argnums 3 is out of range/);
    expect(() => grad(f, { argnums: [0, -4] as const })(x, y, z)).toThrow(/argnums -4/);
  });

  it('hasAux: [[value, aux], grad], aux passed through undifferentiated (and concrete)', () => {
    const loss = (w: Array) => {
      const pred = np.tanh(w);
      return [np.sum(np.square(pred)), { pred, n: 2 }] as [Array, { pred: Array; n: number }];
    };
    const [[value, aux], g] = valueAndGrad(loss, { hasAux: true })(x) as [[Array, { pred: Array; n: number }], Array];
    close(value, np.sum(np.square(np.tanh(x))));
    close(aux.pred, np.tanh(x));
    expect(aux.n).toBe(2);
    // aux values are plain arrays: they can be read after the transform
    expect(aux.pred.dataSync().length).toBe(2);
    const t = np.tanh(x);
    close(g, np.multiply(np.multiply(t, 2), np.subtract(1, np.square(t))));
    expect(() => valueAndGrad((w: Array) => np.sum(w) as unknown as [Array, unknown], { hasAux: true })(x)).toThrow(/hasAux/);
  });

  it('hasAux under an outer transform: the aux stays differentiable by the outer grad, jvp and jacfwd', () => {
    const F = (v: number | number[] | number[][]) => np.array(v, { dtype: 'float64' });
    // inner: d/dx (x·y) with aux y²; outer: d/dy of the aux is 2y, of the inner gradient (y) is 1
    const inner = (y: Array) => grad((w: Array) => [np.multiply(w, y), np.multiply(y, y)] as [Array, Array], { hasAux: true })(F(2));
    close(grad((y: Array) => inner(y)[1])(F(3)), F(6));
    close(grad((y: Array) => inner(y)[0])(F(3)), F(1));
    close(jvp((y: Array) => inner(y)[1], [F(3)], [F(1)])[1], F(6));
    const vgAux = (y: Array) =>
      (valueAndGrad((w: Array) => [np.multiply(w, y), np.square(y)] as [Array, Array], { hasAux: true })(F(3)) as [[Array, Array], Array])[0][1];
    close(grad(vgAux)(F(4)), F(8));
    const jac = jacfwd((y: Array) => grad((w: Array) => [np.sum(np.multiply(w, y)), np.multiply(y, y)] as [Array, Array], { hasAux: true })(F([2, 2]))[1])(
      F([3, 4]),
    );
    close(
      jac,
      F([
        [6, 0],
        [0, 8],
      ]),
    );
    // an aux computed from the inner argument is a constant for the outer transform (x = 2)
    close(grad((y: Array) => grad((w: Array) => [np.multiply(w, y), np.multiply(w, y)] as [Array, Array], { hasAux: true })(F(2))[1])(F(3)), F(2));
  });

  it("no transform returns its argument object: disposing an identity function's result leaves the argument usable", () => {
    const F = (v: number[]) => np.array(v, { dtype: 'float64' });
    const x = F([1, 2]);
    const t = F([3, 4]);
    const outs: Array[] = [];
    const [y, dy] = jvp((a: Array) => a, [x], [t]);
    outs.push(y, dy as Array);
    const [y2, back] = vjp((a: Array) => a, x);
    outs.push(y2, back(t)[0] as Array);
    const [y3, lin] = linearize((a: Array) => a, x);
    outs.push(y3, lin(t) as Array);
    outs.push(vmap((a: Array) => a)(x));
    const s = np.array(2, { dtype: 'float64' });
    const [v] = valueAndGrad((a: Array) => a)(s);
    // the aux is the argument itself (lowered from its tracer)
    const arg = F([5]);
    const [, aux] = grad((a: Array) => [np.sum(a), a] as [Array, Array], { hasAux: true })(arg);
    outs.push(v, aux);
    for (const o of outs) {
      expect(o === x || o === t || o === s || o === arg).toBe(false);
      o.dispose();
    }
    expect(x.tolist()).toEqual([1, 2]);
    expect(t.tolist()).toEqual([3, 4]);
    expect(s.item()).toBe(2);
    expect(arg.tolist()).toEqual([5]);
  });

  it('pytree parameters: object, tuple and nested; same structure and TypeScript type', () => {
    interface Params {
      layers: [{ w: Array; b: Array }, { w: Array; b: Array }];
      scale: Array;
    }
    const params: Params = {
      layers: [
        {
          w: f64([
            [1, 2],
            [3, 4],
          ]),
          b: f64([0.1, -0.2]),
        },
        { w: f64([[0.5], [-1]]), b: f64([0.3]) },
      ],
      scale: f64(2),
    };
    const input = f64([
      [1, -1],
      [0.5, 2],
    ]);
    const model = (p: Params, inp: Array) => {
      const h = np.tanh(np.add(np.matmul(inp, p.layers[0].w), p.layers[0].b));
      const out = np.add(np.matmul(h, p.layers[1].w), p.layers[1].b);
      return np.multiply(p.scale, np.sum(np.square(out)));
    };
    const g = grad(model)(params, input);
    expectTypeOf(g).toEqualTypeOf<{ layers: [{ w: Array; b: Array }, { w: Array; b: Array }]; scale: Array }>();
    expect(tree.structure(g).equals(tree.structure(params))).toBe(true);
    const leavesOf = (u: unknown): Array[] => tree.leaves(u as never) as unknown as Array[];
    const pl = leavesOf(params);
    leavesOf(g).forEach((gl, k) => {
      expect(gl.shape).toEqual(pl[k]?.shape);
      expect(gl.dtype).toBe(pl[k]?.dtype);
    });
    // against finite differences, leaf by leaf
    const [num] = numericalVjp(model, [params, input], f64(1)) as [Params];
    const nl = leavesOf(num);
    leavesOf(g).forEach((gl, k) => {
      close(gl, nl[k] as Array, 1e-6);
    });
    checkGrads(model, [params, input], { order: 1 });

    // tuple argument and a number leaf
    const h = (p: [Array, { k: Array }], c: number) => np.sum(np.multiply(np.multiply(p[0], p[1].k), c));
    const gt = grad(h)([f64([1, 2]), { k: f64([3, 4]) }], 2);
    expectTypeOf(gt).toEqualTypeOf<[Array, { k: Array }]>();
    close(gt[0], [6, 8]);
    close(gt[1].k, [2, 4]);

    // argnums tuple over pytrees
    const [gp, gi] = grad(model, { argnums: [0, 1] as const })(params, input);
    expectTypeOf(gp).toEqualTypeOf<{ layers: [{ w: Array; b: Array }, { w: Array; b: Array }]; scale: Array }>();
    expectTypeOf(gi).toEqualTypeOf<Array>();
    close(gp.scale, g.scale);
    expect(gi.shape).toEqual([2, 2]);
  });

  it('float32 inputs give float32 gradients; numbers are accepted as arguments', () => {
    const g = grad((a: Array) => np.sum(np.square(a)))(np.array([1, 2], { dtype: 'float32' }));
    expect(g.dtype).toBe('float32');
    close(g, [2, 4]);
    close(grad((a: number) => np.multiply(a, a))(3.5), 7);
    // as in JAX, an integer-valued JS number is an int32 input: no gradient
    expect(() => grad((a: number) => np.multiply(a, a))(3)).toThrow(/int32/);
  });
});

// ---------------------------------------------------------------------------------------------
// jvp, linearize, vjp on pytrees
// ---------------------------------------------------------------------------------------------

describe('jvp / linearize / vjp on pytrees', () => {
  const f = (p: { a: Array; b: [Array] }) => ({ s: np.sum(np.multiply(p.a, p.b[0])), d: np.subtract(p.a, np.sin(p.b[0])) });
  const p = { a: f64([1, 2, 3]), b: [f64([0.5, -1, 2])] as [Array] };
  const t = { a: f64([1, 0, -1]), b: [f64([0, 2, 1])] as [Array] };
  const expectedTs = (): { s: number; d: number[] } => {
    const a = [1, 2, 3];
    const b = [0.5, -1, 2];
    const ta = [1, 0, -1];
    const tb = [0, 2, 1];
    return {
      s: a.reduce((acc, ai, i) => acc + (ta[i] as number) * (b[i] as number) + ai * (tb[i] as number), 0),
      d: a.map((_, i) => (ta[i] as number) - Math.cos(b[i] as number) * (tb[i] as number)),
    };
  };

  it('jvp: outputs and tangents with the output structure', () => {
    const [out, tout] = jvp(f, [p], [t]);
    expect(Object.keys(out).sort()).toEqual(['d', 's']);
    expectTypeOf(tout).toEqualTypeOf<{ s: Array; d: Array }>();
    const e = expectedTs();
    close(tout.s, e.s);
    close(tout.d, e.d);
  });

  it('linearize: the same tangents, for several tangent inputs, without re-running f', () => {
    let calls = 0;
    const counted = (q: typeof p) => {
      calls++;
      return f(q);
    };
    const [out, fJvp] = linearize(counted, p);
    close(out.s, f(p).s);
    const e = expectedTs();
    const t1 = fJvp(t);
    close(t1.s, e.s);
    close(t1.d, e.d);
    const t2 = fJvp(tree.map((l) => np.multiply(l as Array, 2), t) as typeof t);
    close(t2.s, 2 * e.s);
    expect(calls).toBe(1);
  });

  it('vjp: cotangents with the arguments structure, the transpose of the jvp', () => {
    const [, back] = vjp(f, p);
    const ct = { s: f64(2), d: f64([1, -1, 0.5]) };
    const [g] = back(ct);
    expect(tree.structure(g).equals(tree.structure(p))).toBe(true);
    // ⟨back(ct), t⟩ = ⟨ct, jvp(t)⟩
    const [, tout] = jvp(f, [p], [t]);
    const leavesOf = (u: unknown): Array[] => tree.leaves(u as never) as unknown as Array[];
    const dotTree = (u: unknown, v: unknown) =>
      leavesOf(u).reduce((acc, l, i) => {
        const a = globalThis.Array.from(l.dataSync());
        const b = (leavesOf(v)[i] as Array).dataSync();
        return acc + a.reduce((s, ai, k) => s + ai * (b[k] as number), 0);
      }, 0);
    expect(dotTree(g, t)).toBeCloseTo(dotTree(ct, tout), 12);
    checkGrads(f, [p]);
  });

  it('vjp with several arguments returns one cotangent tree per argument', () => {
    const [y, back] = vjp((a: Array, b: { c: Array }) => np.multiply(a, b.c), f64([1, 2]), { c: f64([3, 4]) });
    const [ga, gb] = back(np.onesLike(y));
    close(ga, [3, 4]);
    close(gb.c, [1, 2]);
  });
});

// ---------------------------------------------------------------------------------------------
// Nesting
// ---------------------------------------------------------------------------------------------

describe('nesting transforms', () => {
  it('grad(grad(f)) and grad of grad of grad', () => {
    const f = (x: Array) => np.multiply(np.power(x, 3), np.sin(x));
    const x0 = 0.7;
    const d1 = (x: number) => 3 * x ** 2 * Math.sin(x) + x ** 3 * Math.cos(x);
    const d2 = (x: number) => 6 * x * Math.sin(x) + 6 * x ** 2 * Math.cos(x) - x ** 3 * Math.sin(x);
    const d3 = (x: number) => 6 * Math.sin(x) + 18 * x * Math.cos(x) - 9 * x ** 2 * Math.sin(x) - x ** 3 * Math.cos(x);
    close(grad(f)(f64(x0)), d1(x0));
    close(grad(grad(f))(f64(x0)), d2(x0));
    close(grad(grad(grad(f)))(f64(x0)), d3(x0));
  });

  // a non-diagonal Hessian: the product couples the entries
  const f = (x: Array) => np.add(np.sum(np.multiply(np.exp(np.multiply(x, 0.5)), x)), np.prod(x));
  const x = f64([0.3, -0.2, 0.9]);

  it('jvp of grad is the Hessian-vector product', () => {
    const v = f64([1, -2, 0.5]);
    const h = hessian(f)(x);
    const [, hv] = jvp(grad(f), [x], [v]);
    close(hv, np.matmul(h, v));
    checkGrads(grad(f), [x], { order: 1 });
  });

  it('jacfwd(jacrev(f)) = hessian(f) = jacrev(jacfwd(f)), symmetric, and matches finite differences', () => {
    const h1 = jacfwd(jacrev(f))(x);
    const h2 = hessian(f)(x);
    const h3 = jacrev(jacfwd(f))(x);
    expect(h1.shape).toEqual([3, 3]);
    close(h1, h2);
    close(h3, h2);
    close(h1, np.transpose(h1));
    const [num] = numericalVjp(grad(f), [x], f64([1, 0, 0])) as [Array];
    close(h1.index(0), num, 1e-6);
  });

  it('jacfwd and jacrev agree on a non-square function (R^3 → R^2), with shape out + in', () => {
    const g = (v: Array) => np.stack([np.sum(np.sin(v)), np.prod(v)]);
    const jf = jacfwd(g)(x);
    const jr = jacrev(g)(x);
    expect(jf.shape).toEqual([2, 3]);
    expect(jr.shape).toEqual([2, 3]);
    close(jf, jr);
    const xs = [0.3, -0.2, 0.9];
    close(jf, [xs.map(Math.cos), [xs[1]! * xs[2]!, xs[0]! * xs[2]!, xs[0]! * xs[1]!]]);
    // and R^2 → R^[2,3]
    const k = (v: Array) => np.outer(v, f64([1, 2, 3]));
    const jk = jacfwd(k)(f64([1, 2]));
    expect(jk.shape).toEqual([2, 3, 2]);
    close(jk, jacrev(k)(f64([1, 2])));
  });
});

// ---------------------------------------------------------------------------------------------
// stopGradient, symbolic zeros, non-differentiable outputs
// ---------------------------------------------------------------------------------------------

describe('stopGradient', () => {
  it('blocks the gradient through its argument only, at every order', () => {
    const f = (x: Array) => np.sum(np.multiply(x, stopGradient(np.square(x))));
    const x = f64([1, -2, 3]);
    close(grad(f)(x), [1, 4, 9]);
    close(hessian(f)(x), [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    // pytrees
    const s = stopGradient({ a: x, b: [x] });
    close(s.b[0] as Array, x);
    close(grad((v: Array) => np.sum(stopGradient({ a: v }).a))(x), [0, 0, 0]);
  });
});

describe('symbolic zeros: what is not differentiated costs nothing', () => {
  const w = np.array(
    Float64Array.from({ length: 64 }, (_, i) => Math.sin(i)),
    { shape: [8, 8], dtype: 'float64' },
  );
  const x = np.array(
    Float64Array.from({ length: 8 }, (_, i) => i / 8),
    { shape: [8], dtype: 'float64' },
  );
  const f = (a: Array, m: Array) => np.sum(np.multiply(a, np.matmul(np.matmul(m, m), a)));

  function countDots(run: () => unknown): number {
    const backend = getBackend('cpu');
    const spy = vi.spyOn(backend, 'routine');
    run();
    const n = spy.mock.calls.filter((c) => c[0] === 'dot_general').length;
    spy.mockRestore();
    return n;
  }

  it('grad w.r.t. x runs no matmul for m beyond the primal ones and the one x needs', () => {
    const primal = countDots(() => f(x, w));
    expect(primal).toBe(2);
    // m @ m is primal-only work (its tangent is a symbolic zero): only the matvec with x is
    // differentiated: 2 primal dots, 1 linearized (tangent of the matvec), 1 transposed
    const gx = countDots(() => grad(f)(x, w));
    const gm = countDots(() => grad(f, { argnums: 1 })(x, w));
    expect(gx).toBeLessThanOrEqual(primal + 2);
    expect(gm).toBeGreaterThan(gx);
  });

  it('a jvp with respect to an int32 argument and a zero-tangent output do no derivative work', () => {
    const g = (a: Array, idx: Array) => np.take(np.matmul(w, a), idx);
    const idx = np.array([0, 3], { dtype: 'int32' });
    const n = countDots(() => jvp(g, [x, idx], [np.onesLike(x), np.zerosLike(idx)]));
    expect(n).toBe(2);
    // an output independent of the differentiated input: its tangent is zero, no dots for it
    const m = countDots(() => jvp((a: Array) => [np.sum(a), np.matmul(w, w)], [x], [np.onesLike(x)]));
    expect(m).toBe(1);
  });
});

describe('non-differentiable outputs give zero gradients', () => {
  const x = f64([0.5, -2.25, 3.75, 1.5]);
  it('argmax, comparisons, floor and integer results', () => {
    const f = (v: Array): [Array, Array, Array, Array] => [np.argmax(v), np.greater(v, 0), np.floor(v), np.sum(np.astype(v, 'int32'))];
    const [outs, touts] = jvp(f, [x], [np.onesLike(x)]);
    expect(outs[0].dtype).toBe('int32');
    for (const t of touts as Array[]) expect([...t.dataSync()].every((e) => e === 0)).toBe(true);
    expect(touts[0].dtype).toBe('int32');
    expect(touts[1].dtype).toBe('bool');
    const [, back] = vjp(f, x);
    const [g] = back([np.array(1, { dtype: 'int32' }), np.onesLike(outs[1]), np.onesLike(outs[2]), np.array(1, { dtype: 'int32' })]);
    close(g, [0, 0, 0, 0]);
    // a float loss computed from integer results only
    close(grad((v: Array) => np.sum(np.astype(np.argsort(v), 'float64')))(x), [0, 0, 0, 0]);
    close(grad((v: Array) => np.sum(np.where(np.greater(v, 0), 1, 0).astype('float64')))(x), [0, 0, 0, 0]);
    checkGrads(f, [x], { order: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

describe('errors', () => {
  const x = f64([1, 2, 3]);

  it('grad of a non-scalar output names the shape and suggests vjp / jacrev', () => {
    let err: unknown;
    try {
      grad((v: Array) => np.multiply(v, 2))(x);
    } catch (e) {
      err = e;
    }
    expect(String(err)).toMatch(/\[3\]/);
    expect(String(err)).toMatch(/vjp/);
    expect(String(err)).toMatch(/jacrev/);
    expect(() => grad((v: Array) => np.sum(v, 0, { keepdims: true }))(x)).toThrow(/float64\[1\]/);
  });

  it('differentiating with respect to int32 or bool inputs', () => {
    expect(() => grad((v: Array) => np.sum(v))(np.array([1, 2], { dtype: 'int32' }))).toThrow(/argument 0.*int32/);
    expect(() => grad((a: Array, b: Array) => np.sum(np.where(b, a, 0)), { argnums: 1 })(x, np.array([true, false, true]))).toThrow(/argument 1.*bool/);
    expect(() => jacfwd((v: Array) => v)(np.array([1], { dtype: 'int32' }))).toThrow(/int32/);
    expect(() => jacrev((v: Array) => v)(np.array([true]))).toThrow(/bool/);
    // but holding an int32 argument fixed while differentiating another is fine
    close(grad((a: Array, i: Array) => np.sum(np.take(a, i)))(x, np.array([2, 2], { dtype: 'int32' })), [0, 0, 2]);
  });

  it('a tracer that escaped its transform cannot be used later', () => {
    let leaked: Array | undefined;
    grad((v: Array) => {
      leaked = v;
      return np.sum(v);
    })(x);
    expect(leaked).toBeDefined();
    const l = leaked as Array;
    expect(() => np.add(l, 1)).toThrow(/escaped/);
    expect(() => grad((v: Array) => np.sum(np.multiply(v, l)))(x)).toThrow(/escaped/);
    expect(() => jvp((v: Array) => np.multiply(v, l), [x], [x])).toThrow(/escaped/);
    expect(() => l.dataSync()).toThrow(/traced/);
  });

  it('mismatched tangent structure, shape or dtype in jvp and linearize; cotangent shape in vjp', () => {
    const f = (p: { a: Array; b: Array }) => np.multiply(p.a, p.b);
    const p = { a: x, b: x };
    expect(() => jvp(f, [p], [{ a: x } as never])).toThrow(/structure/);
    expect(() => jvp(f, [p], [{ a: x, b: f64([1, 2]) }])).toThrow(/tangent 1 has float64\[2\].*primal has float64\[3\]/);
    expect(() => jvp(f, [p], [{ a: x, b: np.array([1, 2, 3], { dtype: 'float32' }) }])).toThrow(/dtype/);
    expect(() => jvp(f, [p, p] as never, [p])).toThrow(/2 primals but 1 tangents/);
    const [, fJvp] = linearize(f, p);
    expect(() => fJvp({ a: x, b: f64([[1, 2, 3]]) })).toThrow(/tangent 1/);
    // an integer input has no tangent space: a nonzero tangent is an error (it was dropped), zeros are fine
    const scale = (x: Array, k: Array) => np.multiply(x, k);
    expect(() => jvp(scale, [f64([2]), np.array([3])], [f64([1]), np.array([1])])).toThrow(
      /^jvp: primal 1 is int32\[1\]: integer and bool inputs have no derivative, so its tangent must be zeros/,
    );
    expect((jvp(scale, [f64([2]), np.array([3])], [f64([1]), np.array([0])])[1] as Array).tolist()).toEqual([3]);
    const [, lin] = linearize((k: Array) => np.multiply(k, 2), np.array([3]));
    expect(() => lin(np.array([1]))).toThrow(/^linearize: primal 0 is int32\[1\]/);
    const [, back] = vjp(f, p);
    expect(() => back(f64([1, 2]))).toThrow(/cotangent 0 has shape \[2\] but the output has \[3\]/);
    // an integer cotangent for a float output is a mistake (JAX raises too); JS numbers are fine
    expect(() => back(np.array([1, 1, 1], { dtype: 'int32' }))).toThrow(/cotangent 0 is int32\[3\] but the output is float64\[3\]; pass a float cotangent/);
    expect(() => back([x] as never)).toThrow(/structure/);
  });
});

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

/** Node's gc: exposed by --expose-gc, or enabled at run time through V8 flags. */
function getGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

describe('memory', () => {
  it('the CPU backend live buffers return to the baseline after many disposed gradient evaluations', async () => {
    const gc = getGc();
    const backend = getBackend('cpu');
    const params = {
      w: f64([
        [0.5, -1],
        [2, 0.25],
      ]),
      b: f64([0.1, -0.3]),
    };
    const input = f64([
      [1, 2],
      [-1, 0.5],
      [0.3, 0.3],
    ]);
    const loss = (p: typeof params) => np.mean(np.square(np.tanh(np.add(np.matmul(input, p.w), p.b))));
    const step = (): void => {
      const [v, g] = valueAndGrad(loss)(params) as [Array, typeof params];
      v.dispose();
      for (const l of tree.leaves(g)) (l as Array).dispose();
    };
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        gc?.();
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    // warm up: the shared scalar constants (pinned, cached by value) are created once
    for (let i = 0; i < 5; i++) step();
    await settle();
    const baseline = backend.stats().liveBuffers;
    for (let i = 0; i < 200; i++) step();
    await settle();
    const after = backend.stats().liveBuffers;
    if (gc === null) {
      // Without a collector to call, the intermediates (owned by unreachable Array objects, freed
      // by their FinalizationRegistry) stay until V8 collects them: only bound the growth.
      expect(after - baseline).toBeLessThan(200 * 200);
      return;
    }
    // What remains is owned by the pinned scalar-constant cache (values seen for the first time)
    // and by arrays V8 has not finalized yet; 200 steps allocate thousands of buffers.
    expect(after - baseline).toBeLessThanOrEqual(16);
  });
});

// ---------------------------------------------------------------------------------------------
// The testing helpers themselves
// ---------------------------------------------------------------------------------------------

describe('@tenfold/grad/testing', () => {
  it('checkGrads reports a wrong derivative with the mode, order, output and element', () => {
    // autodiff sees x·stop(x) as having derivative x; finite differences see 2x
    const wrong = (v: Array) => np.multiply(v, stopGradient(v));
    let err: unknown;
    try {
      checkGrads(wrong, [f64([1, 2])], { order: 1, modes: ['fwd'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GradCheckError);
    const e = err as GradCheckError;
    expect(e.check).toBe('JVP');
    expect(e.order).toBe(1);
    expect(e.maxError).toBeGreaterThan(0.5);
    expect(e.message).toMatch(/JVP \(order 1 of 1, forward mode\) tangent .*mismatch.*at index \[\d\]: autodiff .* vs expected/);
    expect(() => checkGrads(wrong, [f64([1, 2])], { order: 1, modes: ['rev'] })).toThrow(
      /VJP \(order 1 of 1, reverse mode\) cotangent projection mismatch \(against central differences\)/,
    );
    // right first derivative, wrong second: g(x) = stop(x)·x - stop(x)²/2 has the value x²/2 and
    // autodiff derivative stop(x) = x (right), but the derivative of that is 0 (not 1)
    const secondWrong = (v: Array) => np.subtract(np.multiply(stopGradient(v), v), np.multiply(0.5, np.square(stopGradient(v))));
    checkGrads(secondWrong, [f64([1, 2])], { order: 1 });
    expect(() => checkGrads(secondWrong, [f64([1, 2])], { order: 2 })).toThrow(/order 2 of 2/);
  });

  it('numericalJvp and numericalVjp agree with autodiff on a pytree function', () => {
    const f = (p: { a: Array; b: Array }) => np.sum(np.multiply(np.sin(p.a), p.b));
    const p = { a: f64([0.1, 0.4]), b: f64([2, -1]) };
    const [nv] = numericalVjp(f, [p], f64(1)) as [{ a: Array; b: Array }];
    const g = grad(f)(p);
    close(nv.a, g.a, 1e-8);
    close(nv.b, g.b, 1e-8);
    const t = { a: f64([1, 0]), b: f64([0, 1]) };
    const [, exact] = jvp(f, [p], [t]);
    close(numericalJvp(f, [p], [t]) as Array, exact, 1e-8);
  });

  it('arbitraries: shapes, broadcast-compatible pairs, and domains', () => {
    fc.assert(
      fc.property(shapes({ maxRank: 2, maxDim: 3 }), (s) => s.length <= 2 && s.every((d) => d >= 1 && d <= 3)),
      { seed: 42, numRuns: 50 },
    );
    fc.assert(
      fc.property(broadcastShapes({ maxRank: 3 }), ([a, b]) => {
        const out = np.add(np.zeros(a), np.zeros(b));
        expect(out.ndim).toBe(Math.max(a.length, b.length));
      }),
      { seed: 42, numRuns: 50 },
    );
    fc.assert(
      fc.property(
        arrays([3, 4], { domain: 'awayFromKinks' }),
        arrays([5], { domain: 'positive' }),
        arrays([4], { domain: 'unit', dtype: 'float32' }),
        (k, p, u) => {
          expect(k.dtype).toBe('float64');
          const ks = [...k.dataSync()].sort((a, b) => a - b);
          for (let i = 1; i < ks.length; i++) expect((ks[i] as number) - (ks[i - 1] as number)).toBeGreaterThanOrEqual(0.07);
          for (const v of ks) expect(Math.abs(v * 10 - Math.round(v * 10))).toBeGreaterThanOrEqual(0.3);
          expect([...p.dataSync()].every((v) => v >= 0.25 && v <= 4)).toBe(true);
          expect(u.dtype).toBe('float32');
          expect([...u.dataSync()].every((v) => v > 0 && v < 1)).toBe(true);
        },
      ),
      { seed: 42, numRuns: 20 },
    );
  });
});

describe('seededUniform (test data from a seed)', () => {
  it('is deterministic per seed, in [0, 1), and uniform (mean and variance within 6 standard errors over 100k draws)', () => {
    const n = 100_000;
    const a = seededUniform(7);
    const b = seededUniform(7);
    const c = seededUniform(8);
    let sum = 0;
    let sq = 0;
    let same = 0;
    for (let i = 0; i < n; i++) {
      const x = a();
      expect(x).toBe(b());
      if (x === c()) same++;
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
      sq += x * x;
    }
    expect(same).toBeLessThan(5);
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    // a uniform on [0, 1): mean 1/2 (standard error sqrt(1/12/n)), variance 1/12 (standard error sqrt(1/180/n))
    expect(Math.abs(mean - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(6 * Math.sqrt(1 / 180 / n));
  });
});
