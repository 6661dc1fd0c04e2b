// The kernel IR: kernels print readably, one-op kernels compile once per (op, dtypes, shape
// class), and the CPU renderer runs reductions with a prologue and an epilogue.
import { describe, expect, it } from 'vitest';
import { CpuBackend, clearKernelCache, kernelIR as K, Kernel, kernelCacheStats, lax, np, ShapedArray } from '../src/index.js';

/** How many kernels `fn` compiles (with a cold cache). */
function compilesOf(fn: () => void): number {
  clearKernelCache();
  fn();
  return kernelCacheStats().compiles;
}

describe('the kernel cache', () => {
  it('compiles a one-op kernel once per (op, dtypes) for elementwise ops, whatever the shape', () => {
    const a = np.ones([3]);
    const b = np.ones([2, 5]);
    const c = np.ones([7, 1, 2]);
    expect(
      compilesOf(() => {
        np.exp(a);
        np.exp(b);
        np.exp(c);
      }),
    ).toBe(1);
    expect(kernelCacheStats().hits).toBe(2);
    // a new dtype is a new kernel
    expect(
      compilesOf(() => {
        np.exp(a);
        np.exp(a.astype('float64'));
      }),
    ).toBe(3); // exp f32, the cast f32 -> f64, exp f64
  });

  it('compiles movement ops once per shape class: sizes and strides are runtime vars', () => {
    const x = np.arange(24).reshape(2, 3, 4);
    const y = np.arange(60).reshape(3, 4, 5);
    // the class is the merged rank and which strides are 0, 1 or other: all three transposes merge
    // into a 2-d view [contiguous, strided]
    expect(
      compilesOf(() => {
        np.transpose(x, [2, 0, 1]);
        np.transpose(y, [2, 0, 1]);
        np.transpose(y, [1, 2, 0]);
      }),
    ).toBe(1);
    // a true 3-d transpose is another class
    expect(compilesOf(() => np.transpose(x, [1, 0, 2]))).toBe(1);
    // broadcasting rows onto matrices of any size: one kernel
    const [r3, r5] = [np.arange(3), np.arange(5)];
    expect(
      compilesOf(() => {
        np.broadcastTo(r3, [2, 3]);
        np.broadcastTo(r5, [7, 5]);
      }),
    ).toBe(1);
    // reductions: one kernel per (op, dtype, kept/reduced pattern)
    expect(
      compilesOf(() => {
        np.sum(x, 0);
        np.sum(y, 0);
        np.sum(y, 2);
      }),
    ).toBe(2); // 'rk' for axis 0, 'kr' for axis 2
  });

  it('runs the cached kernel with each call’s own sizes', () => {
    const x = np.arange(6).reshape(2, 3);
    const y = np.arange(12).reshape(3, 4);
    clearKernelCache();
    expect(np.transpose(x).tolist()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(np.transpose(y).tolist()).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
    expect(kernelCacheStats()).toEqual({ compiles: 1, hits: 1 });
  });

  it('reshape and stop_gradient compile nothing: they share their input’s buffer', () => {
    const x = np.arange(6);
    expect(
      compilesOf(() => {
        x.reshape(2, 3);
        lax.stopGradient(x);
      }),
    ).toBe(0);
  });
});

describe('lowering and printing', () => {
  it('prints an eager add as one flat loop over a runtime element count', () => {
    const plan = K.lowerEager('add', [new ShapedArray([2, 3], 'float32'), new ShapedArray([2, 3], 'float32')], [new ShapedArray([2, 3], 'float32')], {});
    expect(plan.kind).toBe('kernel');
    if (plan.kind !== 'kernel') return;
    expect(plan.vars).toEqual([6]);
    expect(plan.build().toString()).toBe(['kernel add(in0: f32, in1: f32) -> f32, vars v0', '  for i0 < v0', '    out[i0] = (in0[i0] + in1[i0])'].join('\n'));
  });

  it('prints a transpose as index arithmetic over runtime sizes and strides', () => {
    const plan = K.lowerEager('transpose', [new ShapedArray([2, 3], 'int32')], [new ShapedArray([3, 2], 'int32')], { permutation: [1, 0] });
    if (plan.kind !== 'kernel') throw new Error('expected a kernel');
    expect(plan.vars).toEqual([3, 2, 1, 3, 0]);
    expect(plan.build().toString()).toBe(
      ['kernel transpose(in0: i32) -> i32, vars v0 v1 v2 v3 v4', '  for i0 < v0, i1 < v1', '    out[i0, i1] = in0[((v4 + i0) + (i1 * v3))]'].join('\n'),
    );
  });

  it('lowers matmul to a routine and a whole-array transpose of a vector to an alias', () => {
    const m = new ShapedArray([2, 2], 'float32');
    expect(K.lowerEager('dot_general', [m, m], [m], { contracting: [[1], [0]], batch: [[], []] })).toEqual({ kind: 'routine', name: 'dot_general' });
    const v = new ShapedArray([1, 4], 'float32');
    expect(K.lowerEager('transpose', [v], [new ShapedArray([4, 1], 'float32')], { permutation: [1, 0] })).toEqual({ kind: 'alias' });
  });

  it('names the structure in the key, so different kernels never share one', () => {
    const a = K.add(K.load(0, 'float32', K.loopIndex(0)), K.constant(1, 'float32'));
    const b = K.add(K.load(0, 'float32', K.loopIndex(0)), K.constant(2, 'float32'));
    expect(a.key).not.toBe(b.key);
    expect(K.add(K.load(0, 'float32', K.loopIndex(0)), K.constant(1, 'float32')).key).toBe(a.key);
    expect(K.constant(-0, 'float32').key).not.toBe(K.constant(0, 'float32').key);
  });
});

describe('the JavaScript renderer', () => {
  const cpu = new CpuBackend();

  it('runs a reduction with a prologue and an epilogue: the mean of squares of each row', () => {
    // for each row i0 of a [v0, v1] input: acc = Σ_j x[i0, j]², out = acc / v1
    const i0 = K.loopIndex(0);
    const i1 = K.loopIndex(1);
    const x = K.load(0, 'float32', K.add(K.mul(i0, K.variable(1)), i1));
    const kernel = new Kernel({
      name: 'mean_sq',
      inputs: ['float32'],
      outDType: 'float32',
      loops: [
        { size: K.variable(0), reduce: false },
        { size: K.variable(1), reduce: true },
      ],
      body: K.mul(x, x),
      reduction: { op: 'sum', epilogue: K.div(K.accumulator('float32'), K.cast(K.variable(1), 'float32')) },
      vars: 2,
    });
    expect(kernel.toString()).toBe(
      [
        'kernel mean_sq(in0: f32) -> f32, vars v0 v1',
        '  for i0 < v0, i1 < v1 (reduce)',
        '    acc[i0] = sum(acc, (in0[((i0 * v1) + i1)] * in0[((i0 * v1) + i1)]))',
        '  out[i0] = (acc / cast<f32>(v1))',
      ].join('\n'),
    );
    const input = cpu.write('float32', new Float32Array([1, 2, 3, 4, 5, 6]));
    const out = cpu.run(cpu.compile(kernel), [input], [2, 3], new ShapedArray([2], 'float32'));
    expect(Array.from(cpu.readSync(out))).toEqual([14 / 3, 77 / 3].map(Math.fround));
    cpu.release(input);
    cpu.release(out);
  });

  it('computes a shared subexpression once', () => {
    const x = K.load(0, 'float64', K.loopIndex(0));
    const e = K.unary('exp', x);
    const source = (cpu.compile(K.flatKernel('twice', ['float64'], K.add(e, e))) as unknown as { source: string }).source;
    expect(source.match(/Math\.exp/g)).toHaveLength(1);
  });

  it('gives an empty reduction its identity and reduces size-0 outputs to nothing', () => {
    expect(np.sum(np.zeros([0, 3]), 0).tolist()).toEqual([0, 0, 0]);
    expect(np.max(np.zeros([3, 0]), 0).tolist()).toEqual([]);
    expect(np.prod(np.zeros([2, 0]), 1).tolist()).toEqual([1, 1]);
  });
});
