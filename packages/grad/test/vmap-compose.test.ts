// vmap composed with the differentiation transforms in every order: per-example gradients
// (vmap of grad), gradients through a vmapped function (grad of vmap), jvp of vmap and vmap of jvp,
// Jacobians and Hessians under vmap, nested vmaps, and functions with a custom JVP or VJP.
import { type Array, lax, np, tree } from '@tenfold/core';
import { customJvp, customVjp, grad, hessian, jacfwd, jacrev, jvp, valueAndGrad, vjp, vmap } from '@tenfold/grad';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const range = (n: number): number[] => globalThis.Array.from({ length: n }, (_, i) => i);

/** Deterministic float64 values in [lo, hi) of `shape`. */
function data(shape: readonly number[], seed: number, lo = -1, hi = 1): Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const vals = range(n).map((i) => (((Math.sin(seed * 997 + i * 12.9898) * 43758.5453) % 1) + 1) % 1);
  return np.array(
    vals.map((v) => lo + (hi - lo) * v),
    { shape, dtype: 'float64' },
  );
}

/** Same shape and dtype; values equal to `tol` (relative with a floor of 1). */
function close(actual: Array, expected: Array, what: string, tol = 1e-10): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  expect(actual.dtype, `${what}: dtype`).toBe(expected.dtype);
  const a = actual.dataSync();
  const e = expected.dataSync();
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs((a[i] as number) - (e[i] as number));
    if (!(d <= tol * (1 + Math.abs(e[i] as number)))) throw new Error(`${what}: element ${i} is ${a[i]}, expected ${e[i]}`);
  }
}

/** Every leaf of two pytrees of the same structure is close. */
function closeTrees(actual: unknown, expected: unknown, what: string, tol = 1e-10): void {
  const [pa, da] = tree.flattenWithPath(actual);
  const [pe, de] = tree.flattenWithPath(expected);
  expect(da.equals(de), `${what}: structure ${da} vs ${de}`).toBe(true);
  pa.forEach(([path, leaf], i) => {
    close(leaf as Array, pe[i]![1] as Array, `${what} ${path}`, tol);
  });
}

/** Slice `b` of `x` along axis 0 (concrete). */
const row = (x: Array, b: number): Array => lax.reshape(lax.slice(x, [b, ...x.shape.slice(1).map(() => 0)], [b + 1, ...x.shape.slice(1)]), x.shape.slice(1));

/** Stacks the leaves of per-example pytrees along a new leading axis. */
function stackTrees<T>(ts: readonly T[]): T {
  const leaves = ts.map((t) => tree.leaves(t) as Array[]);
  const def = tree.structure(ts[0]);
  return tree.unflatten(
    def,
    (leaves[0] as Array[]).map((_, k) => np.stack(leaves.map((l) => l[k] as Array))),
  ) as T;
}

// ---------------------------------------------------------------------------------------------
// An MLP 20-16-16-10 with a softmax cross-entropy loss, batch of 8
// ---------------------------------------------------------------------------------------------

interface Params {
  w1: Array;
  b1: Array;
  w2: Array;
  b2: Array;
  w3: Array;
  b3: Array;
}

const params: Params = {
  w1: data([20, 16], 1, -0.4, 0.4),
  b1: data([16], 2, -0.1, 0.1),
  w2: data([16, 16], 3, -0.4, 0.4),
  b2: data([16], 4, -0.1, 0.1),
  w3: data([16, 10], 5, -0.4, 0.4),
  b3: data([10], 6, -0.1, 0.1),
};
const B = 8;
const xs = data([B, 20], 7);
const ys = np.array([3, 0, 9, 1, 1, 7, 4, 2], { dtype: 'int32' });

/** Loss of one example: x [20], y an int32 label. */
function loss(p: Params, x: Array, y: Array): Array {
  const h1 = np.tanh(np.add(np.matmul(x, p.w1), p.b1));
  const h2 = np.relu(np.add(np.matmul(h1, p.w2), p.b2));
  const logits = np.add(np.matmul(h2, p.w3), p.b3);
  return np.negative(np.sum(np.multiply(np.logSoftmax(logits), np.oneHot(y, 10, { dtype: 'float64' }))));
}

const perExample = <T>(f: (x: Array, y: Array, i: number) => T): T[] => range(B).map((i) => f(row(xs, i), row(ys, i), i));

describe('vmap of grad: per-example gradients', () => {
  it('vmap(grad(loss), { inAxes: [null, 0, 0] }) equals a loop of grad on single examples', () => {
    const got = vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys);
    const want = stackTrees(perExample((x, y) => grad(loss)(params, x, y)));
    expect(got.w1.shape).toEqual([B, 20, 16]);
    expect(got.b3.shape).toEqual([B, 10]);
    closeTrees(got, want, 'per-example gradient');
  });

  it('valueAndGrad and gradients with respect to the inputs (argnums 1) under vmap', () => {
    const [values, grads] = vmap(valueAndGrad(loss), { inAxes: [null, 0, 0] })(params, xs, ys) as [Array, Params];
    close(values, np.stack(perExample((x, y) => loss(params, x, y))), 'per-example losses');
    closeTrees(grads, stackTrees(perExample((x, y) => grad(loss)(params, x, y))), 'per-example valueAndGrad');
    const saliency = vmap(grad(loss, { argnums: 1 }), { inAxes: [null, 0, 0] })(params, xs, ys);
    close(saliency, np.stack(perExample((x, y) => grad(loss, { argnums: 1 })(params, x, y))), 'input gradients');
  });

  it('the mean of the per-example gradients is the gradient of the mean loss', () => {
    const per = vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys);
    const full = grad((p: Params) => np.mean(vmap(loss, { inAxes: [null, 0, 0] })(p, xs, ys)))(params);
    closeTrees(
      tree.map((g) => np.mean(g, 0), per),
      full,
      'mean of per-example gradients',
    );
  });

  it('per-example gradients with the batch on another axis and the gradients out on the last axis', () => {
    const xsT = np.transpose(xs);
    const got = vmap(grad(loss), { inAxes: [null, 1, 0], outAxes: -1 })(params, xsT, ys);
    const want = tree.map((g) => np.moveaxis(g, 0, -1), stackTrees(perExample((x, y) => grad(loss)(params, x, y))));
    closeTrees(got, want, 'per-example gradients at the last axis');
  });

  it('per-example gradients of a conv net (the weight gradient batches conv with both operands batched)', () => {
    const w = data([3, 2, 3, 3], 11, -0.5, 0.5);
    const imgs = data([4, 2, 5, 5], 12);
    const convLoss = (k: Array, img: Array) => {
      const h = np.tanh(lax.conv(np.expandDims(img, 0), k, { padding: 'SAME' }));
      return np.sum(np.square(lax.reduceWindow(h, 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] })));
    };
    const got = vmap(grad(convLoss), { inAxes: [null, 0] })(w, imgs);
    close(got, np.stack(range(4).map((i) => grad(convLoss)(w, row(imgs, i)))), 'per-example conv weight gradients', 1e-9);
    const gotImg = vmap(grad(convLoss, { argnums: 1 }), { inAxes: [null, 0] })(w, imgs);
    close(gotImg, np.stack(range(4).map((i) => grad(convLoss, { argnums: 1 })(w, row(imgs, i)))), 'per-example conv input gradients', 1e-9);
    // per-example kernels too (both operands batched, in the primal and in both gradients)
    const ws = np.stack(range(4).map((i) => np.multiply(w, 1 + 0.1 * i)));
    const both = vmap(grad(convLoss, { argnums: [0, 1] as const }))(ws, imgs);
    const loop = range(4).map((i) => grad(convLoss, { argnums: [0, 1] as const })(row(ws, i), row(imgs, i)));
    closeTrees(both, stackTrees(loop), 'both batched', 1e-9);
  });

  it('vmap(vmap(grad)) over a grid of examples', () => {
    const f = (a: Array, x: Array) => np.sum(np.sin(np.multiply(a, x)));
    const as = data([2, 3, 4], 13);
    const x = data([4], 14);
    const got = vmap(vmap(grad(f), { inAxes: [0, null] }), { inAxes: [0, null] })(as, x);
    close(got, np.stack(range(2).map((i) => np.stack(range(3).map((j) => grad(f)(row(row(as, i), j), x))))), 'nested per-example gradients');
  });
});

// ---------------------------------------------------------------------------------------------
// grad of vmap
// ---------------------------------------------------------------------------------------------

describe('grad of vmap', () => {
  const f = (x: Array) => np.sum(np.multiply(np.sin(x), np.exp(np.multiply(x, 0.3))));

  it('grad(x => sum(vmap(f)(x))) equals the gradient computed without vmap', () => {
    const x = data([5, 3], 21);
    const viaVmap = grad((z: Array) => np.sum(vmap(f)(z)))(x);
    const loop = grad((z: Array) => np.sum(np.stack(range(5).map((i) => f(row(z, i))))))(x);
    close(viaVmap, loop, 'grad of vmap');
    // separable: row i of the gradient is grad(f) at row i
    close(viaVmap, np.stack(range(5).map((i) => grad(f)(row(x, i)))), 'rows');
  });

  it('gradients with respect to a shared (unbatched) argument sum over the batch', () => {
    const g = (w: Array, x: Array) => np.tanh(np.sum(np.multiply(w, x)));
    const w = data([3], 22);
    const x = data([6, 3], 23);
    const viaVmap = grad((v: Array) => np.sum(vmap(g, { inAxes: [null, 0] })(v, x)))(w);
    const loop = grad((v: Array) => np.sum(np.stack(range(6).map((i) => g(v, row(x, i))))))(w);
    close(viaVmap, loop, 'shared gradient');
  });

  it('grad through a batch on axis 1 with the outputs at the last axis, and through nested vmaps', () => {
    const x = data([3, 4, 2], 24);
    const viaVmap = grad((z: Array) => np.sum(np.square(vmap((r: Array) => np.multiply(np.sin(r), np.sum(r)), { inAxes: 1, outAxes: -1 })(z))))(x);
    const direct = grad((z: Array) => np.sum(np.square(np.multiply(np.sin(z), np.sum(z, [0, 2], { keepdims: true })))))(x);
    close(viaVmap, direct, 'axis 1');
    const nested = grad((z: Array) => np.sum(vmap(vmap(f))(z)))(x);
    close(nested, grad((z: Array) => np.sum(np.stack(range(3).flatMap((i) => range(4).map((j) => f(row(row(z, i), j)))))))(x), 'nested');
  });

  it('out-of-range indices: gradients through vmapped gather and scatters equal the loop (a dropped update gets zero)', () => {
    const F = (v: number[][]) => np.array(v, { dtype: 'float64' });
    const I = (v: number[][]) => np.array(v, { dtype: 'int32' });
    // index 3 is padding for an axis of 3: scatters drop that update; -1 and 5 clamp in a gather
    const idx = I([
      [0, 1],
      [2, 3],
    ]);
    const w = F([
      [10, 20, 30],
      [40, 50, 60],
    ]);
    const x = np.zeros([2, 3], { dtype: 'float64' });
    const u = F([
      [1, 1],
      [1, 1],
    ]);
    for (const [name, f] of [
      ['scatterAdd', (a: Array, i: Array, b: Array) => lax.scatterAdd(a, i, b, 0)],
      ['scatter', (a: Array, i: Array, b: Array) => lax.scatter(a, i, b, 0)],
    ] as const) {
      const viaVmap = grad((b: Array) => np.sum(np.multiply(vmap(f)(x, idx, b), w)))(u);
      const loop = grad((b: Array) => np.sum(np.multiply(np.stack([0, 1].map((n) => f(row(x, n), row(idx, n), row(b, n)))), w)))(u);
      close(
        loop,
        F([
          [10, 20],
          [60, 0],
        ]),
        `${name}: loop`,
      );
      close(viaVmap, loop, `${name}: grad of vmap`);
    }
    const g = (a: Array, i: Array) => lax.gather(a, i, 0);
    const xs = F([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const gi = I([
      [-1, 5],
      [1, 7],
    ]);
    const viaVmap = grad((a: Array) => np.sum(vmap(g)(a, gi)))(xs);
    const loop = grad((a: Array) => np.sum(np.stack([0, 1].map((n) => g(row(a, n), row(gi, n))))))(xs);
    // each example read its first and last element (clamped), or its second and last
    close(
      loop,
      F([
        [1, 0, 1],
        [0, 1, 1],
      ]),
      'gather: loop',
    );
    close(viaVmap, loop, 'gather: grad of vmap');
  });

  it('second order: the Hessian of a vmapped sum is block diagonal with per-example Hessians', () => {
    const x = data([2, 3], 25);
    const h = hessian((z: Array) => np.sum(vmap(f)(z)))(x); // [2, 3, 2, 3]
    for (const i of [0, 1]) {
      for (const j of [0, 1]) {
        const block = np.index(h, [i, np.slice(null), j, np.slice(null)]);
        close(block, i === j ? hessian(f)(row(x, i)) : np.zeros([3, 3], { dtype: 'float64' }), `block ${i},${j}`, 1e-9);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// forward mode, Jacobians
// ---------------------------------------------------------------------------------------------

describe('jvp and Jacobians under vmap', () => {
  const f = (x: Array) => np.multiply(np.tanh(x), np.sum(np.square(x))); // [n] → [n]

  it('jvp of vmap equals vmap of jvp equals a loop of jvp', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
        const x = data([4, 3], seed);
        const t = data([4, 3], seed + 1);
        const [y1, t1] = jvp(vmap(f), [x], [t]) as [Array, Array];
        const [y2, t2] = vmap((a: Array, b: Array) => jvp(f, [a], [b]) as [Array, Array])(x, t);
        const loop = range(4).map((i) => jvp(f, [row(x, i)], [row(t, i)]) as [Array, Array]);
        const yl = np.stack(loop.map((l) => l[0]));
        const tl = np.stack(loop.map((l) => l[1]));
        close(y1, yl, 'jvp(vmap) primal');
        close(t1, tl, 'jvp(vmap) tangent');
        close(y2, yl, 'vmap(jvp) primal');
        close(t2, tl, 'vmap(jvp) tangent');
      }),
      { seed: 42, numRuns: 3 },
    );
  });

  it('vmap of jvp with a shared tangent, and vjp of vmap', () => {
    const x = data([4, 3], 31);
    const t = data([3], 32);
    const got = vmap((a: Array) => jvp(f, [a], [t])[1] as Array)(x);
    close(got, np.stack(range(4).map((i) => jvp(f, [row(x, i)], [t])[1] as Array)), 'shared tangent');
    const ct = data([4, 3], 33);
    const [, back] = vjp(vmap(f), x);
    const [g] = back(ct) as [Array];
    close(g, np.stack(range(4).map((i) => (vjp(f, row(x, i))[1](row(ct, i)) as [Array])[0])), 'vjp of vmap');
  });

  it('vmap(jacrev(f)) and vmap(jacfwd(f)) equal per-example Jacobians', () => {
    const x = data([5, 3], 34);
    const want = np.stack(range(5).map((i) => jacrev(f)(row(x, i))));
    close(vmap(jacrev(f))(x), want, 'vmap(jacrev)');
    close(vmap(jacfwd(f))(x), want, 'vmap(jacfwd)');
    close(vmap(jacfwd(f), { inAxes: 1, outAxes: -1 })(np.transpose(x)), np.moveaxis(want, 0, -1), 'vmap(jacfwd) axis 1');
    close(vmap(hessian((z: Array) => np.sum(f(z))))(x), np.stack(range(5).map((i) => hessian((z: Array) => np.sum(f(z)))(row(x, i)))), 'vmap(hessian)', 1e-9);
  });

  it('jacrev(vmap(f)) and jacfwd(vmap(f)) are block diagonal', () => {
    const x = data([3, 2], 35);
    for (const [name, jac] of [
      ['jacrev', jacrev],
      ['jacfwd', jacfwd],
    ] as const) {
      const j = jac(vmap(f))(x); // [3, 2, 3, 2]
      expect(j.shape).toEqual([3, 2, 3, 2]);
      for (const a of range(3)) {
        for (const b of range(3)) {
          const block = np.index(j, [a, np.slice(null), b, np.slice(null)]);
          close(block, a === b ? jac(f)(row(x, a)) : np.zeros([2, 2], { dtype: 'float64' }), `${name}(vmap(f)) block ${a},${b}`);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// custom rules
// ---------------------------------------------------------------------------------------------

describe('vmap of functions with custom derivative rules', () => {
  // x³ with a deliberately different derivative (10·t), so the tests see which rule ran
  const cube = customJvp(
    (x: Array) => np.power(x, 3),
    ([x], [t]) => [np.power(x, 3), np.multiply(t, 10)],
  );
  // 2x whose cotangent rule is g·7
  const doubled = customVjp(
    (x: Array) => np.multiply(x, 2),
    (x: Array) => [np.multiply(x, 2), null],
    (_res: null, g: Array) => [np.multiply(g, 7)],
  );
  const x = np.array([1, -2, 3], { dtype: 'float64' });

  it('vmap of a customJvp function: values, and vmap(grad) / vmap(jvp) use the custom rule', () => {
    close(vmap(cube)(x), np.power(x, 3), 'values');
    close(vmap(grad((z: Array) => cube(z)))(x), np.full([3], 10, { dtype: 'float64' }), 'vmap(grad)');
    close(vmap((z: Array) => jvp(cube, [z], [np.onesLike(z)])[1] as Array)(x), np.full([3], 10, { dtype: 'float64' }), 'vmap(jvp)');
    const m = data([3, 2], 41);
    close(vmap(grad((z: Array) => np.sum(cube(z))))(m), np.full([3, 2], 10, { dtype: 'float64' }), 'vmap(grad) of rows');
  });

  it('vmap of a customVjp function: values, and vmap(grad) uses the custom bwd', () => {
    close(vmap(doubled)(x), np.multiply(x, 2), 'values');
    close(vmap(grad((z: Array) => doubled(z)))(x), np.full([3], 7, { dtype: 'float64' }), 'vmap(grad)');
  });

  it('forward mode through a customVjp function under vmap fails as it does without vmap, naming the function', () => {
    const mySin = customVjp(
      function mySin(z: Array) {
        return np.sin(z);
      },
      (z: Array) => [np.sin(z), np.cos(z)] as [Array, Array],
      (c: Array, g: Array) => [np.multiply(g, c)] as [Array],
    );
    const X = data([2, 3], 42);
    const message = /^jvp: mySin has a custom VJP, which defines reverse mode only; forward mode \(jvp, jacfwd, hessian\) cannot run through it/;
    expect(() => jvp(mySin, [X], [np.onesLike(X)])).toThrow(message);
    expect(() => vmap((z: Array, t: Array) => jvp(mySin, [z], [t]))(X, np.onesLike(X))).toThrow(message);
    expect(() => vmap(jacfwd((z: Array) => mySin(z)))(X)).toThrow(message);
    expect(() => jvp(vmap(mySin), [X], [np.onesLike(X)])).toThrow(message);
  });

  it('grad(vmap(customJvp)) and jvp(vmap(customJvp)) use the custom rule (vmap batches the rule)', () => {
    const F = (v: number[] | number) => np.array(v, { dtype: 'float64' });
    // the rule claims d/dx x³ = 10, so a plain differentiation (3x²) would show
    const cube: (x: Array) => Array = customJvp(
      (x: Array) => np.power(x, 3),
      ([x], [t]) => [cube(x), np.multiply(t, 10)],
    );
    close(grad((x: Array) => np.sum(vmap(cube)(x)))(F([1, 2, 3])), F([10, 10, 10]), 'grad(vmap(customJvp))');
    close(jvp(vmap(cube), [F([1, 2])], [F([1, 1])])[1] as Array, F([10, 10]), 'jvp(vmap(customJvp))');
    close(vmap(cube)(F([1, 2])), F([1, 8]), 'values');
  });

  it('grad(vmap(customVjp)) uses bwd, summing the cotangent of an argument shared by the batch', () => {
    const F = (v: number[] | number) => np.array(v, { dtype: 'float64' });
    const scaled = customVjp(
      (x: Array, w: Array) => np.multiply(x, w),
      (x: Array, w: Array) => [np.multiply(x, w), [x, w]] as [Array, [Array, Array]],
      ([x, w]: [Array, Array], g: Array) => [np.multiply(np.multiply(g, w), 10), np.multiply(np.multiply(g, x), 10)] as [Array, Array],
    );
    const batched = (x: Array, w: Array) => np.sum(vmap(scaled, { inAxes: [0, null] })(x, w));
    close(grad(batched)(F([1, 2, 3]), F(2)), F([20, 20, 20]), 'batched argument');
    close(grad(batched, { argnums: 1 })(F([1, 2, 3]), F(2)), F(60), 'shared argument: the sum over examples');
  });
});
