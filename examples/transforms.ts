import { type Array, lax, np, random } from '@tenfold/core';
import { grad, hessian, jit, jvp, valueAndGrad, vmap } from '@tenfold/grad';

const x = np.array([0.5, -1, 2], { dtype: 'float32' });
const f = (v: Array) => np.sum(np.tanh(v));
console.log(await grad(f)(x).toStringAsync()); // 1 - tanh², same shape and type as x (async reads: every backend)
console.log(await grad(grad((v: Array) => np.sum(np.power(v, 3))))(np.array(2, { dtype: 'float32' })).toStringAsync()); // 6·2
const [y, dy] = jvp(f, [x], [np.onesLike(x)]); // f(x) and its derivative along [1, 1, 1]
console.log(await y.toStringAsync(), await dy.toStringAsync());
console.log(hessian(f)(x).shape); // jacfwd(jacrev(f)): [3, 3]

// Pytrees: the gradient has the params' structure (and TypeScript type).
const [kw, kx] = random.split(random.key(0));
const params = { w: random.normal(kw, [3, 2]), b: np.zeros([2]) };
const loss = (p: typeof params, xb: Array) => np.mean(np.square(np.add(np.matmul(xb, p.w), p.b)));
const batch = random.normal(kx, [8, 3]);
const [value, grads] = valueAndGrad(loss)(params, batch);
console.log(value.shape, grads.w.shape, grads.b.shape);

// Per-example gradients: one batched graph, no loop over examples.
const perExample = vmap(grad(loss), { inAxes: [null, 0] })(params, np.expandDims(batch, 1));
console.log(perExample.w.shape, perExample.b.shape);

// jit: traced once per signature into a graph, compiled to fused kernels, run without per-op
// dispatch. Loops and branches are lax.foriLoop/scan/whileLoop/cond: one primitive each.
const step = jit((p: typeof params, xb: Array) => {
  const g = grad(loss)(p, xb);
  return { w: np.subtract(p.w, np.multiply(g.w, 0.1)), b: np.subtract(p.b, np.multiply(g.b, 0.1)) };
});
const trained = lax.foriLoop(0, 100, (_i, p: typeof params) => step(p, batch), params);
console.log((await loss(trained, batch).itemAsync()) < (await value.itemAsync()), step.stats.traces);
const [total, running] = lax.scan((c: Array, v: Array): [Array, Array] => [np.add(c, v), np.add(c, v)], np.array(0), np.arange(5));
console.log(await total.itemAsync(), await running.tolistAsync());
