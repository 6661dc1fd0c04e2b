// float32 [n,n]·[n,n] in each library; a sample is `reps` products, then waiting for the device.
import * as jax from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs-core';
import { np } from '../../packages/core/src/index.js';
import { randomFloat32 } from '../util.js';
import { type Case, JAXJS, TENFOLD, TFJS } from './case.js';
import type { Libs } from './libs.js';

export function matmulCases(libs: Libs, n: number, reps: number): Case[] {
  const da = randomFloat32(n * n, 11);
  const db = randomFloat32(n * n, 12);
  const a = np.array(da, { shape: [n, n] });
  const b = np.array(db, { shape: [n, n] });
  const cases: Case[] = [
    {
      who: TENFOLD,
      op: async () => {
        for (let r = 0; r < reps; r++) np.matmul(a, b).dispose();
        await libs.tenfold.sync();
      },
      dispose: () => {
        a.dispose();
        b.dispose();
      },
    },
  ];
  if (!libs.missing.has(TFJS)) {
    const ta = tf.tensor2d(da, [n, n]);
    const tb = tf.tensor2d(db, [n, n]);
    cases.push({
      who: TFJS,
      op: async () => {
        const cs = Array.from({ length: reps }, () => tf.matMul(ta, tb));
        await libs.tfDrain();
        for (const c of cs) c.dispose();
      },
      dispose: () => {
        ta.dispose();
        tb.dispose();
      },
    });
  }
  if (!libs.missing.has(JAXJS)) {
    const ja = jax.numpy.array(da).reshape([n, n]);
    const jb = jax.numpy.array(db).reshape([n, n]);
    cases.push({
      who: JAXJS,
      op: async () => {
        // jax-js records lazily: each product must be asked for, or it never runs
        const cs = Array.from({ length: reps }, () => jax.numpy.matmul(ja.ref, jb.ref));
        await Promise.all(cs.map((c) => c.blockUntilReady()));
        for (const c of cs) c.dispose();
      },
      dispose: () => {
        ja.dispose();
        jb.dispose();
      },
    });
  }
  return cases;
}
