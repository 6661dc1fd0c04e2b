// Kernels with more inputs than one shader can bind run in several dispatches (src/split.ts):
// sub-expressions materialised into temporaries, or inputs of one dtype packed into one buffer when
// no sub-expression has inputs of its own. The plans are checked on the CPU backend (any plan, any
// limit, exactly: int32 arithmetic), then jitted functions summing more arrays than the adapter's
// limit run on webgpu and equal the CPU backend.
import {
  type Array,
  clearBackendConstants,
  type DataHandle,
  type DType,
  type Executable,
  getBackend,
  kernelIR as K,
  Kernel,
  np,
  ShapedArray,
  withBackend,
} from '@tenfold/core';
import { webgpuBackend } from '@tenfold/gpu';
import { jit } from '@tenfold/grad';
import { describe, expect, it } from 'vitest';
import { runSplit, splitKernel } from '../src/split.js';
import { adapter } from './gpu-env.js';
import { settle } from './settle.js';

type Exp = K.Exp;

/** A CPU buffer as runSplit sees one. */
interface CpuBuf {
  readonly handle: DataHandle;
  readonly size: number;
}

const cpu = () => getBackend('cpu');

/** Runs `kernel` over `inputs` on the CPU: as one kernel, and through a split plan for `maxInputs`. */
function both(kernel: Kernel, inputs: Int32Array[], vars: number[], outSize: number, maxInputs: number) {
  const b = cpu();
  const bufs: CpuBuf[] = inputs.map((d) => ({ handle: b.write('int32', d), size: d.length }));
  const out = new ShapedArray([outSize], kernel.outDType);
  const whole = b.readSync(
    b.run(
      b.compile(kernel),
      bufs.map((x) => x.handle),
      vars,
      out,
    ),
  );
  const plan = splitKernel(kernel, maxInputs);
  const exes: Executable[] = [...plan.steps.map((s) => s.kernel), plan.kernel].map((k) => b.compile(k));
  let live = 0;
  const host = {
    runKernel(exe: Executable, ins: readonly CpuBuf[], vs: readonly number[], dtype: DType, size: number): CpuBuf {
      expect(ins.length).toBeLessThanOrEqual(maxInputs);
      live++;
      return {
        handle: b.run(
          exe,
          ins.map((x) => x.handle),
          vs,
          new ShapedArray([size], dtype),
        ),
        size,
      };
    },
    releaseBuffer(x: CpuBuf) {
      live--;
      b.release(x.handle);
    },
  };
  const res = runSplit(host, { plan, exes }, bufs, vars, kernel.outDType, outSize);
  const split = b.readSync(res.handle);
  host.releaseBuffer(res);
  for (const x of bufs) b.release(x.handle);
  return { whole, split, plan, live };
}

/** Deterministic int32 data, wrapping products included. */
const data = (n: number, seed: number) => Int32Array.from({ length: n }, (_, i) => Math.imul(i * 7919 + seed * 104729, 2654435761) >> 7);

const load = (j: number, idx: Exp) => K.load(j, 'int32', idx);

describe('split plans (on the CPU backend)', () => {
  it('a sum of 11 broadcast inputs under limits of 3 to 10 inputs: sub-expressions, same values', () => {
    // out[i0, i1] = in0[i0, i1] + in1[i1] + in2[i0, i1] + ... over [v0, v1]
    const loops = [0, 1].map((k) => ({ size: K.variable(k), reduce: false }));
    const [i0, i1] = [K.loopIndex(0), K.loopIndex(1)];
    const full = K.add(K.mul(i0, K.variable(1)), i1);
    let body: Exp = load(0, full);
    for (let j = 1; j < 11; j++) body = K.add(body, j % 2 ? load(j, i1) : K.mul(load(j, full), K.int(j)));
    const kernel = new Kernel({ name: 'sum11', inputs: new globalThis.Array<DType>(11).fill('int32'), outDType: 'int32', loops, body, vars: 2 });
    const [M, N] = [5, 7];
    const inputs = globalThis.Array.from({ length: 11 }, (_, j) => data(j % 2 ? N : M * N, j));
    for (let max = 3; max <= 10; max++) {
      const r = both(kernel, inputs, [M, N], M * N, max);
      expect(r.plan.steps.every((s) => s.kind === 'expr')).toBe(true);
      expect(r.plan.steps.length).toBeGreaterThan(0);
      expect(r.split).toEqual(r.whole);
      expect(r.live).toBe(0);
    }
  });

  it('a reduction whose prologue reads 9 inputs', () => {
    // out[i0] = sum over i1 of (in0[i0,i1] * in1[i1] - in2[i0,i1] ^ ... ) with an epilogue
    const loops = [
      { size: K.variable(0), reduce: false },
      { size: K.variable(1), reduce: true },
    ];
    const [i0, i1] = [K.loopIndex(0), K.loopIndex(1)];
    const full = K.add(K.mul(i0, K.variable(1)), i1);
    let body: Exp = load(0, full);
    for (let j = 1; j < 9; j++) body = K.binary((['mul', 'sub', 'xor', 'add'] as const)[j % 4] as 'mul', body, load(j, j % 3 ? full : i1));
    const epilogue = K.binary('mul', K.accumulator('int32'), K.int(3));
    const kernel = new Kernel({
      name: 'red9',
      inputs: new globalThis.Array<DType>(9).fill('int32'),
      outDType: 'int32',
      loops,
      body,
      reduction: { op: 'sum', epilogue },
      vars: 2,
    });
    const [M, N] = [4, 6];
    const inputs = globalThis.Array.from({ length: 9 }, (_, j) => data(j % 3 ? M * N : N, j + 20));
    for (const max of [3, 5, 8]) {
      const r = both(kernel, inputs, [M, N], M, max);
      expect(r.split).toEqual(r.whole);
    }
  });

  it('inputs each read by two sub-expressions are packed (guarded loads, a bool input, mixed dtypes)', () => {
    // out[i] = where(c[i], (a+b+c'+d+e)[i], (a*b*d*e*f)[i] ^ f[rev i]) with every input in both branches
    const loops = [{ size: K.variable(0), reduce: false }];
    const i = K.loopIndex(0);
    const ints = [0, 1, 2, 3, 4, 5];
    const rev = K.sub(K.sub(K.variable(0), K.int(1)), i);
    const sum = ints.reduce<Exp>((acc, j) => K.add(acc, load(j, i)), K.int(0));
    const prod = ints.reduce<Exp>((acc, j) => K.mul(acc, load(j, rev)), K.int(1));
    // a guarded load reading past the end where it is invalid
    const past = K.load(2, 'int32', K.add(i, K.int(1)), K.lt(K.add(i, K.int(1)), K.variable(0)));
    const flag = K.load(6, 'bool', i);
    const body = K.where(flag, K.add(sum, past), K.binary('xor', prod, K.cast(K.load(7, 'float32', i), 'int32')));
    const dtypes: DType[] = [...ints.map((): DType => 'int32'), 'bool', 'float32'];
    const kernel = new Kernel({ name: 'pack', inputs: dtypes, outDType: 'int32', loops, body, vars: 1 });
    const n = 13;
    const b = cpu();
    for (const max of [3, 4, 6]) {
      const plan = splitKernel(kernel, max);
      expect(plan.steps.some((s) => s.kind === 'pack')).toBe(true);
      // (the bool and float inputs are written with their own dtypes)
      const typed = dtypes.map((d, j) =>
        d === 'bool' ? Uint8Array.from(data(n, j), (v) => v & 1) : d === 'float32' ? Float32Array.from(data(n, j), (v) => v / 1024) : data(n, j),
      );
      const bufs = typed.map((t, j) => ({ handle: b.write(dtypes[j] as DType, t), size: n }));
      const whole = b.readSync(
        b.run(
          b.compile(kernel),
          bufs.map((x) => x.handle),
          [n],
          new ShapedArray([n], 'int32'),
        ),
      );
      const exes = [...plan.steps.map((s) => s.kernel), plan.kernel].map((k) => b.compile(k));
      const host = {
        runKernel: (exe: Executable, ins: readonly CpuBuf[], vs: readonly number[], dtype: DType, size: number): CpuBuf => {
          expect(ins.length).toBeLessThanOrEqual(max);
          return {
            handle: b.run(
              exe,
              ins.map((x) => x.handle),
              vs,
              new ShapedArray([size], dtype),
            ),
            size,
          };
        },
        releaseBuffer: (x: CpuBuf) => b.release(x.handle),
      };
      const res = runSplit(host, { plan, exes }, bufs, [n], 'int32', n);
      expect(b.readSync(res.handle)).toEqual(whole);
    }
  });
});

describe.skipIf(!adapter)('kernels over the storage-buffer limit on webgpu', () => {
  const limit = adapter?.limits.maxStorageBuffersPerShaderStage ?? 8;
  const count = limit + 5;
  const arrays = (b: 'cpu' | 'webgpu', dtype: DType) =>
    globalThis.Array.from({ length: count }, (_, j) => {
      const shape = j % 3 === 1 ? [9] : [6, 9];
      return np.array(
        Int32Array.from({ length: shape.length === 1 ? 9 : 54 }, (_, i) => ((i * 37 + j * 11) % 19) - 9),
        { shape, dtype, backend: b },
      );
    });

  it(`a jitted sum of ${count} arrays (more than the limit): several dispatches, equal to the CPU, no buffers left`, async () => {
    const sum = (...xs: Array[]) => xs.reduce((acc, x) => np.add(acc, x));
    // a reduction of the sum, and each array read twice (a sum and a product): no sub-expression
    // reads arrays of its own, so they are packed
    const rowSums = (...xs: Array[]) => np.sum(sum(...xs), 1);
    const twice = (...xs: Array[]) =>
      np.subtract(
        sum(...xs),
        xs.reduce((acc, x) => np.multiply(acc, np.minimum(np.maximum(x, 1), 2)), np.ones([6, 9], { dtype: xs[0]?.dtype })),
      );
    const backend = webgpuBackend();
    await settle();
    const before = getBackend('webgpu').stats();
    // (one dtype each: compiling shaders with this many loads takes lavapipe seconds)
    for (const [f, dtype, kind] of [
      [sum, 'float32', 'expr'],
      [rowSums, 'float32', 'expr'],
      [twice, 'int32', 'pack'],
    ] as const) {
      const want = withBackend('cpu', () => jit(f)(...arrays('cpu', dtype)));
      const xs = arrays('webgpu', dtype);
      const g = jit(f);
      const program = g.lower(...xs).program;
      const kernels = program.steps.flatMap((s) => (s.kind === 'kernel' ? [s.kernel] : []));
      // one fused kernel reads them all (and the constants, which stay buffers on webgpu)
      const widest = kernels.reduce((a, k) => (k.inputs.length > a.inputs.length ? k : a));
      expect(widest.inputs.length).toBeGreaterThanOrEqual(count);
      expect(splitKernel(widest, limit - 1).steps.some((st) => st.kind === kind)).toBe(true);
      const q0 = backend.queueStats().dispatches;
      const got = withBackend('webgpu', () => g(...xs));
      expect(backend.queueStats().dispatches - q0).toBeGreaterThan(kernels.length);
      // small integers: every partial sum and product (at most 2^21) is exact
      expect(globalThis.Array.from(await got.data()), `${f.name} ${dtype}`).toEqual(globalThis.Array.from(want.dataSync()));
      for (const x of [...xs, got]) x.dispose();
    }
    // (core's shared scalar constants, made here, stay alive by design: forget them, so they are collected)
    clearBackendConstants('webgpu');
    await settle();
    expect(getBackend('webgpu').stats()).toEqual(before);
  });
});
