// lax.whileLoop on webgpu, where the predicate can only be read asynchronously: the backend runs
// the loop itself (Backend.whileLoop) and orders later work after it. Results equal the CPU
// backend's eagerly, under jit, vmap and jvp; work issued while a loop is pending sees its result;
// a failing step surfaces at the next read; nothing leaks.
import { type Array, getBackend, lax, np, withBackend } from '@tenfold/core';
import { destroyWebGPU, initWebGPU, webgpuBackend } from '@tenfold/gpu';
import { grad, jit, jvp, vmap } from '@tenfold/grad';
import { describe, expect, it } from 'vitest';
import { type Backend, close, param } from './compare.js';
import { adapter } from './gpu-env.js';
import { settle } from './settle.js';

const stats = () => getBackend('webgpu').stats();

/** Newton's iterations for sqrt(a), elementwise, until every residual is small; and the count. */
const newton = (a: Array): [Array, Array] => {
  const [x, n] = lax.whileLoop(
    ([x]: [Array, Array]) => np.greater(np.max(np.abs(np.subtract(np.multiply(x, x), a))), 1e-4),
    ([x, n]: [Array, Array]): [Array, Array] => [np.multiply(np.add(x, np.divide(a, x)), 0.5), np.add(n, 1)],
    [np.onesLike(a), np.array(0, { dtype: 'int32' })],
  );
  return [x, n];
};

/** Counts up to a bound computed from data, carrying an int32, a bool and a float32 array. */
const counter = (v: Array): Array[] => {
  const bound = np.astype(np.floor(np.multiply(np.sum(np.abs(v)), 3)), 'int32');
  const [i, odd, acc] = lax.whileLoop(
    ([i]: [Array, Array, Array]) => np.less(i, bound),
    ([i, odd, acc]: [Array, Array, Array]): [Array, Array, Array] => [np.add(i, 1), np.logicalNot(odd), np.add(np.multiply(acc, 0.9), v)],
    [np.array(0, { dtype: 'int32' }), np.array(false), np.zerosLike(v)],
  );
  return [i, odd, acc, bound];
};

/** An inner loop per outer step: the inner trip count depends on the outer counter. */
const nested = (v: Array): Array[] => {
  const [i, acc] = lax.whileLoop(
    ([i]: [Array, Array]) => np.less(i, 4),
    ([i, acc]: [Array, Array]): [Array, Array] => {
      const [, inner] = lax.whileLoop(
        ([j]: [Array, Array]) => np.less(j, i),
        ([j, a]: [Array, Array]): [Array, Array] => [np.add(j, 1), np.add(np.multiply(a, 1.1), np.astype(j, 'float32'))],
        [np.array(0, { dtype: 'int32' }), acc],
      );
      return [np.add(i, 1), np.sin(inner)];
    },
    [np.array(0, { dtype: 'int32' }), v],
  );
  return [i, acc];
};

async function same(f: (b: Backend) => Array[], rtol = 1e-5, atol = 1e-6): Promise<void> {
  const want = withBackend('cpu', () => f('cpu'));
  const got = withBackend('webgpu', () => f('webgpu'));
  for (let i = 0; i < want.length; i++) await close(got[i] as Array, want[i] as Array, rtol, atol);
  for (const x of [...want, ...got]) x.dispose();
}

/** Runs `body` twice (the first run compiles and makes the shared constants) and checks that the second leaves no buffer behind. */
const noLeaks = (body: () => Promise<void>) => async () => {
  await body();
  await webgpuBackend().sync();
  await settle();
  const before = stats();
  await body();
  await webgpuBackend().sync();
  await settle();
  expect(stats()).toEqual(before);
};

describe.skipIf(!adapter)('whileLoop on webgpu', () => {
  it(
    'Newton iterations, a data-dependent counter (int32, bool and float32 carry), eagerly and under jit',
    noLeaks(async () => {
      const a = (b: Backend) => np.add(np.abs(param([5], 1, b)), 0.5);
      await same((b) => newton(a(b)));
      await same((b) => jit(newton)(a(b)));
      for (const seed of [2, 3]) {
        await same((b) => counter(param([6], seed, b)));
        await same((b) => jit(counter)(param([6], seed, b)));
      }
      const [n] = withBackend('webgpu', () => counter(param([6], 2, 'webgpu')));
      expect((await (n as Array).data())[0]).toBeGreaterThan(1);
    }),
  );

  it(
    'a loop that runs zero times returns new arrays equal to the initial state',
    noLeaks(async () => {
      await withBackend('webgpu', async () => {
        const x = param([3], 4, 'webgpu');
        const f = (v: Array) =>
          lax.whileLoop(
            (s: Array) => np.greater(np.sum(s), 100),
            (s: Array) => np.multiply(s, 2),
            v,
          );
        for (const y of [f(x), jit(f)(x)]) {
          expect(y).not.toBe(x);
          await close(y, x, 0, 0);
          y.dispose();
        }
        x.dispose();
      });
    }),
  );

  it(
    'nested loops (the inner bound is the outer counter), eagerly and under jit',
    noLeaks(async () => {
      await same((b) => nested(param([4], 5, b)), 1e-4);
      await same((b) => jit(nested)(param([4], 5, b)), 1e-4);
    }),
  );

  it(
    'later ops use the result before any read, and work issued while the loop is pending keeps program order',
    noLeaks(async () => {
      await same((b) => {
        const v = param([8], 6, b);
        const [i, , acc] = counter(v) as [Array, Array, Array];
        // issued while the loop is pending: uploads, kernels, a matmul, releases of their inputs
        const w = np.array(
          Float32Array.from({ length: 8 }, (_, k) => k / 8),
          { backend: b },
        );
        const y = np.add(np.multiply(acc, 2), w);
        const z = np.matmul(np.reshape(y, [2, 4]), np.reshape(w, [4, 2]));
        const j = np.add(i, 10);
        // a second loop issued behind the first reads its result
        const [k] = lax.whileLoop(
          ([k]: [Array, Array]) => np.less(k, j),
          ([k, s]: [Array, Array]): [Array, Array] => [np.add(k, 1), np.add(s, 1)],
          [i, np.zerosLike(z)],
        );
        const tail = np.sum(np.multiply(z, 3));
        v.dispose();
        w.dispose();
        y.dispose();
        return [acc, z, j, k as Array, tail];
      });
    }),
  );

  it(
    'reads issued while a loop is pending wait for it; the input may be disposed before the loop ends',
    noLeaks(async () => {
      await withBackend('webgpu', async () => {
        const v = param([6], 2, 'webgpu');
        const [i, odd, acc, bound] = counter(v) as Array[];
        v.dispose(); // the loop keeps its own references
        const reads = Promise.all([i, odd, acc, bound].map((x) => (x as Array).data()));
        const [ri, rodd, , rb] = await reads;
        expect(ri).toEqual(rb);
        expect([...(rodd as Uint8Array)]).toEqual([(rb as Int32Array)[0]! % 2]);
        for (const x of [i, odd, acc, bound]) (x as Array).dispose();
      });
    }),
  );

  it(
    'vmap with a batched predicate runs until every lane is done and keeps each lane its own state',
    noLeaks(async () => {
      const f = (x: Array) => counter(x).slice(0, 3) as Array[];
      await same((b) => vmap(f)(param([3, 6], 7, b)));
      await same((b) => jit(vmap(f))(param([3, 6], 7, b)));
      await same((b) => vmap((a: Array) => newton(a))(np.add(np.abs(param([4, 3], 8, b)), 0.2)));
    }),
  );

  it(
    'jvp through whileLoop equals the CPU backend; grad is the same error as on the CPU',
    noLeaks(async () => {
      const f = (a: Array) => newton(a)[0];
      await same((b) => {
        const a = np.add(np.abs(param([4], 9, b)), 0.5);
        const [y, t] = jvp(f, [a], [np.onesLike(a)]) as [Array, Array];
        return [y, t];
      }, 1e-4);
      const g = (b: Backend) => withBackend(b, () => grad((a: Array) => np.sum(f(a)))(np.ones([3])));
      expect(() => g('cpu')).toThrow(/whileLoop/);
      expect(() => g('webgpu')).toThrow(/whileLoop/);
    }),
  );

  it(
    'a step that fails surfaces at the next read, naming whileLoop; the loops around it stop; later work runs',
    noLeaks(async () => {
      const limit = webgpuBackend().report?.limits.maxStorageBufferBindingSize as number;
      const n = Math.ceil(Math.sqrt(limit / 4)) + 1;
      await withBackend('webgpu', async () => {
        // the body's outer product needs a buffer larger than the device binds
        const x = np.ones([n, 1]);
        const bad = (s: Array) =>
          lax.whileLoop(
            ([i]: [Array, Array]) => np.less(i, 3),
            ([i, t]: [Array, Array]): [Array, Array] => [np.add(i, 1), np.add(t, np.sum(np.matmul(x, np.transpose(x))))],
            [np.array(0, { dtype: 'int32' }), s],
          )[1] as Array;
        const y = bad(np.zeros([]));
        const after = np.add(np.array(2), 3);
        await expect(y.data()).rejects.toThrow(/whileLoop: a step of the loop failed: .*maxStorageBufferBindingSize/);
        expect((await after.data())[0]).toBe(5);
        // inside an outer loop, which stops instead of running on a meaningless state
        const outer = withBackend('webgpu', () =>
          lax.whileLoop(
            (s: Array) => np.less(s, 1e9),
            (s: Array) => np.add(bad(s), 1),
            np.zeros([]),
          ),
        );
        await expect(outer.data()).rejects.toThrow(/whileLoop/);
        const z = withBackend('webgpu', () => jit((s: Array) => np.multiply(s, 2))(np.array(4)));
        expect((await z.data())[0]).toBe(8);
        for (const a of [x, y, after, outer, z]) a.dispose();
      });
    }),
  );

  it(
    'many loops in flight, some zero-trip, with releases in between, leave no buffers behind',
    noLeaks(async () => {
      await withBackend('webgpu', async () => {
        const outs: Array[] = [];
        let v = param([16], 3, 'webgpu');
        for (let k = 0; k < 6; k++) {
          const next = lax.whileLoop(
            (s: Array) => np.less(np.sum(s), k * 2),
            (s: Array) => np.add(s, 0.25),
            v,
          );
          v.dispose();
          v = next;
          outs.push(np.sum(v));
        }
        const sums = await Promise.all(outs.map((o) => o.data()));
        // each loop ran until the sum reached 2k (or not at all)
        sums.forEach((s, k) => {
          expect(s[0] as number).toBeGreaterThanOrEqual(k * 2 - 1e-3);
        });
        for (const o of [...outs, v]) o.dispose();
      });
    }),
  );
});

describe.skipIf(!adapter)('whileLoop and the device', () => {
  it('destroyWebGPU while a loop is pending: reads waiting behind it reject; a new device works', async () => {
    const x = withBackend('webgpu', () => param([4], 1, 'webgpu'));
    const y = withBackend('webgpu', () =>
      lax.whileLoop(
        (s: Array) => np.less(np.sum(s), 1e6),
        (s: Array) => np.add(s, 1),
        x,
      ),
    );
    const read = y.data();
    destroyWebGPU();
    await expect(read).rejects.toThrow(/destroyed/);
    await initWebGPU();
    const z = withBackend('webgpu', () =>
      lax.whileLoop(
        (s: Array) => np.less(s, 3),
        (s: Array) => np.add(s, 1),
        np.array(0),
      ),
    );
    expect((await z.data())[0]).toBe(3);
    z.dispose();
  });

  it('a device lost while a loop is pending: reads waiting behind it reject, naming the loss', async () => {
    // a device we can lose: Dawn's, with requestDevice observed
    destroyWebGPU();
    const specifier = 'webgpu';
    const { create } = (await import(/* @vite-ignore */ specifier)) as { create: (flags: string[]) => GPU };
    const real = create([]);
    let device: GPUDevice | null = null;
    const gpu = {
      requestAdapter: async (o?: GPURequestAdapterOptions) => {
        const a = (await real.requestAdapter(o)) as GPUAdapter;
        return new Proxy(a, {
          get(t, k) {
            if (k === 'requestDevice')
              return async (d?: GPUDeviceDescriptor) => {
                device = await t.requestDevice(d);
                return device;
              };
            const v = Reflect.get(t, k);
            return typeof v === 'function' ? v.bind(t) : v;
          },
        });
      },
    } as unknown as GPU;
    await initWebGPU({ gpu });
    const x = withBackend('webgpu', () => param([4], 1, 'webgpu'));
    const y = withBackend('webgpu', () =>
      lax.whileLoop(
        (s: Array) => np.less(np.sum(s), 1e6),
        (s: Array) => np.add(s, 1),
        x,
      ),
    );
    const read = y.data();
    (device as GPUDevice | null)?.destroy();
    await expect(read).rejects.toThrow(/^data: the WebGPU device was lost/);
    destroyWebGPU();
    await initWebGPU();
  });
});
