// tanh(1.5x+0.5)*x-1 on float32 [N]: jitted where the library has jit (tenfold, jax-js), eager
// in TensorFlow.js (no jit; its WebGPU backend runs one kernel per op). A sample computes it and
// waits for the device; the result stays there.
import * as jax from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs-core';
import { type Array, np } from '../../packages/core/src/index.js';
import { jit } from '../../packages/grad/src/index.js';
import { randomFloat32 } from '../util.js';
import { type Case, JAXJS, TENFOLD, TFJS } from './case.js';
import type { Libs } from './libs.js';

export function elementwiseCases(libs: Libs, size: number): Case[] {
  const data = randomFloat32(size, 21);
  const x = np.array(data);
  const f = jit((v: Array) => np.subtract(np.multiply(np.tanh(np.add(np.multiply(v, 1.5), 0.5)), v), 1));
  const cases: Case[] = [
    {
      who: `${TENFOLD} (jit)`,
      op: async () => {
        f(x).dispose();
        await libs.tenfold.sync();
      },
      dispose: () => x.dispose(),
    },
  ];
  if (!libs.missing.has(TFJS)) {
    const tx = tf.tensor1d(data);
    cases.push({
      who: `${TFJS} (eager)`,
      op: async () => {
        const y = tf.tidy(() => tf.sub(tf.mul(tf.tanh(tf.add(tf.mul(tx, 1.5), 0.5)), tx), 1));
        await libs.tfDrain();
        y.dispose();
      },
      dispose: () => tx.dispose(),
    });
  }
  if (!libs.missing.has(JAXJS)) {
    const jx = jax.numpy.array(data);
    const g = jax.jit((v: jax.Array) => jax.numpy.tanh(v.ref.mul(1.5).add(0.5)).mul(v).sub(1));
    cases.push({
      who: `${JAXJS} (jit)`,
      op: async () => {
        const y = g(jx.ref);
        await y.blockUntilReady();
        y.dispose();
      },
      dispose: () => jx.dispose(),
    });
  }
  return cases;
}
