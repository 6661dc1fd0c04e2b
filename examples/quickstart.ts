import { np, random, tree } from '@tenfold/core';

// Arrays are immutable; every op returns a new one. JS numbers are weakly typed.
const x = np.array([1, 2, 3, 4], { dtype: 'float32' }).reshape(2, 2);
const y = np.add(np.matmul(x, x), 1);
console.log(await y.toStringAsync()); // reads are async: the form that works on every backend (WebGPU too)

// Explicit PRNG keys (JAX's threefry): the same key always gives the same numbers.
const [kW, kX] = random.split(random.key(0));
const w = random.normal(kW, [3, 2]);
const batch = random.uniform(kX, [4, 3]);
const logProbs = np.logSoftmax(np.matmul(batch, w), -1);
console.log(logProbs.shape, await np.exp(logProbs).sum(-1).toStringAsync());

// NumPy indexing and functional updates.
console.log(await x.index(np.slice(null, null, -1), 0).toStringAsync());
console.log(await x.at(0, 1).set(9).toStringAsync());

// Pytrees: nested params keep their structure (and their TypeScript type) under tree.map.
const params = { w, b: np.zeros([2]) };
const halved = tree.map((p) => np.multiply(p, 0.5), params);
console.log(tree.structure(halved).toString());
