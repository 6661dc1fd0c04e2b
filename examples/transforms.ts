import { type Array, np, random } from '@tenfold/core';
import { grad, hessian, jvp, valueAndGrad, vmap } from '@tenfold/grad';

const x = np.array([0.5, -1, 2], { dtype: 'float32' });
const f = (v: Array) => np.sum(np.tanh(v));
console.log(grad(f)(x).toString()); // 1 - tanh², same shape and type as x
console.log(grad(grad((v: Array) => np.sum(np.power(v, 3))))(np.array(2, { dtype: 'float32' })).toString()); // 6·2
const [y, dy] = jvp(f, [x], [np.onesLike(x)]); // f(x) and its derivative along [1, 1, 1]
console.log(y.toString(), dy.toString());
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
