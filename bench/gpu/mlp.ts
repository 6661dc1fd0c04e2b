// The MNIST MLP's train step (784-200-200-10, batch 200, softmax cross-entropy, SGD with momentum
// 0.9 and learning rate 0.01) in each library, awaiting the loss after every step as a training
// loop that logs it would. All three start from the same weights and see the same batch (random
// data of MNIST's shapes: the step's cost does not depend on the values). A sample is `steps`
// consecutive steps.
import * as jax from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs-core';
import { type Array, np } from '../../packages/core/src/index.js';
import { jit, valueAndGrad } from '../../packages/grad/src/index.js';
import { randomFloat32 } from '../util.js';
import { type Case, JAXJS, TENFOLD, TFJS } from './case.js';
import type { Libs } from './libs.js';

const SIZES = [784, 200, 200, 10] as const;
const BATCH = 200;
const LR = 0.01;
const MOMENTUM = 0.9;

interface Init {
  w: { data: Float32Array; shape: [number, number] }[];
  b: Float32Array[];
  x: Float32Array;
  y: Float32Array;
}

function initial(): Init {
  const w = SIZES.slice(0, -1).map((fanIn, i) => {
    const fanOut = SIZES[i + 1] as number;
    const bound = 1 / Math.sqrt(fanIn);
    return { data: randomFloat32(fanIn * fanOut, 31 + i, -bound, bound), shape: [fanIn, fanOut] as [number, number] };
  });
  const y = new Float32Array(BATCH * 10);
  for (let i = 0; i < BATCH; i++) y[i * 10 + ((i * 7) % 10)] = 1;
  return { w, b: SIZES.slice(1).map((n) => new Float32Array(n)), x: randomFloat32(BATCH * 784, 41), y };
}

function chunk(step: () => Promise<void>, steps: number): () => Promise<void> {
  return async () => {
    for (let i = 0; i < steps; i++) await step();
  };
}

function tenfoldCase(init: Init, steps: number): Case {
  type Layer = { w: Array; b: Array };
  let params: Layer[] = init.w.map((w, i) => ({ w: np.array(w.data, { shape: w.shape }), b: np.array(init.b[i] as Float32Array) }));
  let mom: Layer[] = params.map((l) => ({ w: np.zerosLike(l.w), b: np.zerosLike(l.b) }));
  const x = np.array(init.x, { shape: [BATCH, 784] });
  const y = np.array(init.y, { shape: [BATCH, 10] });
  const loss = (p: Layer[], xb: Array, yb: Array): Array => {
    let h = xb;
    p.forEach((l, i) => {
      h = np.add(np.matmul(h, l.w), l.b);
      if (i < p.length - 1) h = np.relu(h);
    });
    return np.multiply(np.sum(np.multiply(np.logSoftmax(h, -1), yb)), -1 / BATCH);
  };
  const jstep = jit(
    (p: Layer[], m: Layer[], xb: Array, yb: Array) => {
      const [l, g] = valueAndGrad(loss)(p, xb, yb) as [Array, Layer[]];
      const m2 = m.map((mi, i) => ({
        w: np.add(np.multiply(mi.w, MOMENTUM), (g[i] as Layer).w),
        b: np.add(np.multiply(mi.b, MOMENTUM), (g[i] as Layer).b),
      }));
      const p2 = p.map((pi, i) => ({
        w: np.subtract(pi.w, np.multiply((m2[i] as Layer).w, LR)),
        b: np.subtract(pi.b, np.multiply((m2[i] as Layer).b, LR)),
      }));
      return { l, p: p2, m: m2 };
    },
    { donateArgnums: [0, 1] },
  );
  const step = async () => {
    const r = jstep(params, mom, x, y);
    params = r.p;
    mom = r.m;
    await r.l.data();
    r.l.dispose();
  };
  return {
    who: `${TENFOLD} (jit)`,
    op: chunk(step, steps),
    dispose: () => {
      for (const l of [...params, ...mom]) {
        l.w.dispose();
        l.b.dispose();
      }
      x.dispose();
      y.dispose();
    },
  };
}

// tfjs-core's Node build registers no gradients (the @tensorflow/tfjs bundle does, from ES modules
// that Node cannot load from tfjs-core's dist), so the step's backward pass is written out: the
// same products and elementwise ops tf.variableGrads would record
function tfCase(init: Init, steps: number): Case {
  const ws = init.w.map((w) => tf.variable(tf.tensor2d(w.data, w.shape)));
  const bs = init.b.map((b) => tf.variable(tf.tensor1d(b)));
  const mw = ws.map((w) => tf.variable(tf.zerosLike(w)));
  const mb = bs.map((b) => tf.variable(tf.zerosLike(b)));
  const x = tf.tensor2d(init.x, [BATCH, 784]);
  const y = tf.tensor2d(init.y, [BATCH, 10]);
  const update = (p: tf.Variable, m: tf.Variable, g: tf.Tensor) => {
    const m2 = tf.add(tf.mul(m, MOMENTUM), g);
    m.assign(m2);
    p.assign(tf.sub(p, tf.mul(m2, LR)));
  };
  const step = async () => {
    const loss = tf.tidy(() => {
      // forward, keeping each layer's input and pre-activation
      const ins: tf.Tensor2D[] = [x];
      const pre: tf.Tensor2D[] = [];
      ws.forEach((w, i) => {
        const z = tf.add(tf.matMul(ins[i] as tf.Tensor2D, w), bs[i] as tf.Variable) as tf.Tensor2D;
        pre.push(z);
        if (i < ws.length - 1) ins.push(tf.relu(z));
      });
      const logp = tf.logSoftmax(pre[pre.length - 1] as tf.Tensor2D);
      const l = tf.mul(tf.sum(tf.mul(logp, y)), -1 / BATCH);
      // backward: d loss / d logits = (softmax - y) / batch
      let g: tf.Tensor2D = tf.div(tf.sub(tf.exp(logp), y), BATCH);
      for (let i = ws.length - 1; i >= 0; i--) {
        const w = ws[i] as tf.Variable;
        const dw = tf.matMul(ins[i] as tf.Tensor2D, g, true, false);
        const db = tf.sum(g, 0);
        if (i > 0) g = tf.mul(tf.matMul(g, w, false, true), tf.step(pre[i - 1] as tf.Tensor2D));
        update(w, mw[i] as tf.Variable, dw);
        update(bs[i] as tf.Variable, mb[i] as tf.Variable, db);
      }
      return l;
    });
    await loss.data();
    loss.dispose();
  };
  return {
    who: `${TFJS} (eager, gradients written out)`,
    op: chunk(step, steps),
    dispose: () => {
      for (const v of [...ws, ...bs, ...mw, ...mb, x, y]) v.dispose();
    },
  };
}

function jaxCase(init: Init, steps: number): Case {
  type JArray = jax.Array;
  type JLayer = { w: JArray; b: JArray };
  const jnp = jax.numpy;
  let params: JLayer[] = init.w.map((w, i) => ({ w: jnp.array(w.data).reshape(w.shape), b: jnp.array(init.b[i] as Float32Array) }));
  let mom: JLayer[] = params.map((l) => ({ w: jnp.zerosLike(l.w.ref), b: jnp.zerosLike(l.b.ref) }));
  const x = jnp.array(init.x).reshape([BATCH, 784]);
  const y = jnp.array(init.y).reshape([BATCH, 10]);
  const loss = (p: JLayer[], xb: JArray, yb: JArray): JArray => {
    let h = xb;
    p.forEach((l, i) => {
      h = jnp.matmul(h, l.w).add(l.b);
      if (i < p.length - 1) h = jax.nn.relu(h);
    });
    return jax.nn
      .logSoftmax(h, -1)
      .mul(yb)
      .sum()
      .mul(-1 / BATCH);
  };
  // jax-js moves arrays into the ops that take them: .ref keeps one alive for a second use
  const refs = <T>(t: T): T => jax.tree.map((v: JArray) => v.ref, t as never) as T;
  const jstep = jax.jit((p: JLayer[], m: JLayer[], xb: JArray, yb: JArray) => {
    const [l, g] = jax.valueAndGrad(loss)(refs(p), xb, yb) as [JArray, JLayer[]];
    const m2 = m.map((mi, i) => ({ w: mi.w.mul(MOMENTUM).add((g[i] as JLayer).w), b: mi.b.mul(MOMENTUM).add((g[i] as JLayer).b) }));
    const p2 = p.map((pi, i) => ({ w: pi.w.sub((m2[i] as JLayer).w.ref.mul(LR)), b: pi.b.sub((m2[i] as JLayer).b.ref.mul(LR)) }));
    return [l, p2, m2];
  });
  const step = async () => {
    const [l, p2, m2] = jstep(params, mom, x.ref, y.ref) as [JArray, JLayer[], JLayer[]];
    params = p2;
    mom = m2;
    await l.data(); // (reading consumes the array)
  };
  return {
    who: `${JAXJS} (jit)`,
    op: chunk(step, steps),
    dispose: () => {
      for (const l of [...params, ...mom]) {
        l.w.dispose();
        l.b.dispose();
      }
      x.dispose();
      y.dispose();
    },
  };
}

/** One case per library; a sample runs `steps` train steps. */
export function mlpCases(libs: Libs, steps: number): Case[] {
  const init = initial();
  const cases = [tenfoldCase(init, steps)];
  if (!libs.missing.has(TFJS)) cases.push(tfCase(init, steps));
  if (!libs.missing.has(JAXJS)) cases.push(jaxCase(init, steps));
  return cases;
}
