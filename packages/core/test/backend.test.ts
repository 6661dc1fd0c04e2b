// The Backend contract, checked on the CPU backend: reference-counted buffers and their stats,
// kernels that never write to their inputs, the backend registry, and a custom backend plugged in
// without touching any op.
import { describe, expect, it } from 'vitest';
import {
  type Array,
  abstractEval,
  type Backend,
  type BackendInput,
  type BackendStats,
  BINARY_PRIMITIVES,
  bind1,
  COMPARISON_PRIMITIVES,
  CpuBackend,
  type DataHandle,
  type DType,
  defaultBackendName,
  devicePut,
  devicePutAsync,
  type Executable,
  getBackend,
  type Kernel,
  kernelIR,
  lax,
  np,
  type PrimitiveName,
  type PrimitiveParams,
  type RoutineName,
  registerBackend,
  ShapedArray,
  setDefaultBackend,
  TenfoldError,
  type TypedArray,
  UNARY_PRIMITIVES,
  withBackend,
} from '../src/index.js';

function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/**
 * A backend that delegates everything to its own CpuBackend, counting kernel runs and routines per
 * primitive and recording any that changed one of its inputs (compared bit for bit): a new backend
 * implements buffers, compile/run and the routines, nothing per primitive.
 */
class DelegatingBackend implements Backend {
  readonly inner = new CpuBackend();
  readonly executed = new Map<string, number>();
  readonly inputWrites: string[] = [];
  readonly compiled: string[] = [];
  executions = 0;
  constructor(
    readonly name: string,
    readonly supportsSyncRead = true,
    private readonly dtypes: readonly DType[] = ['bool', 'int32', 'float32', 'float64'],
  ) {}
  supportsDType(dtype: DType): boolean {
    return this.dtypes.includes(dtype);
  }
  alloc(dtype: DType, size: number): DataHandle {
    return this.inner.alloc(dtype, size);
  }
  write(dtype: DType, data: TypedArray): DataHandle {
    return this.inner.write(dtype, data);
  }
  read(handle: DataHandle): Promise<TypedArray> {
    return this.inner.read(handle);
  }
  readSync(handle: DataHandle): TypedArray {
    if (!this.supportsSyncRead) throw new Error(`${this.name} reads asynchronously`);
    return this.inner.readSync(handle);
  }
  retain(handle: DataHandle): void {
    this.inner.retain(handle);
  }
  release(handle: DataHandle): void {
    this.inner.release(handle);
  }
  compile(kernel: Kernel): Executable {
    this.compiled.push(kernel.name);
    return { name: kernel.name, inner: this.inner.compile(kernel) } as unknown as Executable;
  }
  run(exe: Executable, inputs: readonly DataHandle[], vars: readonly number[], out: ShapedArray): DataHandle {
    const { name, inner } = exe as unknown as { name: string; inner: Executable };
    return this.#checked(name, inputs, () => this.inner.run(inner, inputs, vars, out));
  }
  routine<R extends RoutineName>(name: R, params: PrimitiveParams[R], inputs: readonly BackendInput[], outAvals: readonly ShapedArray[]): DataHandle[] {
    return this.#checked(
      name,
      inputs.map((i) => i.handle),
      () => this.inner.routine(name, params, inputs, outAvals),
    );
  }
  /** Runs `fn`, counting it under `name` and recording it if it changed one of `inputs`. */
  #checked<T>(name: string, inputs: readonly DataHandle[], fn: () => T): T {
    const before = inputs.map((h) => bytesOf(this.inner.readSync(h)));
    const out = fn();
    inputs.forEach((h, k) => {
      const after = bytesOf(this.inner.readSync(h));
      if (after.length !== before[k]?.length || after.some((b, j) => b !== before[k]?.[j])) this.inputWrites.push(name);
    });
    this.executions++;
    this.executed.set(name, (this.executed.get(name) ?? 0) + 1);
    return out;
  }
  stats(): BackendStats {
    return this.inner.stats();
  }
}

registerBackend('checking', () => new DelegatingBackend('checking'));
registerBackend('counting', () => new DelegatingBackend('counting'));
registerBackend('async', () => new DelegatingBackend('async', false));
registerBackend('no-f64', () => new DelegatingBackend('no-f64', true, ['bool', 'int32', 'float32']));
registerBackend('misnamed', () => new DelegatingBackend('something-else'));

const checking = () => getBackend('checking') as DelegatingBackend;
const counting = () => getBackend('counting') as DelegatingBackend;

describe('buffers on the CPU backend', () => {
  const cpu = () => new CpuBackend();

  it('alloc gives a zero-filled buffer of the dtype and counts it', () => {
    const b = cpu();
    expect(b.stats()).toEqual({ liveBuffers: 0, liveBytes: 0 });
    const h = b.alloc('float32', 5);
    expect(b.readSync(h)).toEqual(new Float32Array(5));
    expect(b.stats()).toEqual({ liveBuffers: 1, liveBytes: 20 });
    const sizes: [DType, TypedArray][] = [
      ['float64', new Float64Array(3)],
      ['int32', new Int32Array(3)],
      ['bool', new Uint8Array(3)],
    ];
    for (const [dtype, zeros] of sizes) expect(b.readSync(b.alloc(dtype, 3))).toEqual(zeros);
    expect(b.stats()).toEqual({ liveBuffers: 4, liveBytes: 20 + 24 + 12 + 3 });
  });

  it('write copies the data', () => {
    const b = cpu();
    const src = new Int32Array([1, 2, 3]);
    const h = b.write('int32', src);
    src[0] = 100;
    expect(b.readSync(h)).toEqual(new Int32Array([1, 2, 3]));
    expect(b.stats()).toEqual({ liveBuffers: 1, liveBytes: 12 });
  });

  it('read and readSync return fresh copies', async () => {
    const b = cpu();
    const h = b.write('float32', new Float32Array([1.5, -2]));
    const a = b.readSync(h);
    a[0] = 9;
    const c = await b.read(h);
    expect(c).toEqual(new Float32Array([1.5, -2]));
    expect(c).toBeInstanceOf(Float32Array);
    c[1] = 9;
    expect(b.readSync(h)).toEqual(new Float32Array([1.5, -2]));
  });

  it('retain and release count references; the buffer is freed at zero', () => {
    const b = cpu();
    const h = b.write('float64', new Float64Array([1, 2]));
    b.retain(h);
    b.retain(h);
    b.release(h);
    b.release(h);
    expect(b.stats()).toEqual({ liveBuffers: 1, liveBytes: 16 });
    expect(b.readSync(h)).toEqual(new Float64Array([1, 2]));
    b.release(h);
    expect(b.stats()).toEqual({ liveBuffers: 0, liveBytes: 0 });
    // a freed buffer can be neither read nor released again
    expect(() => b.readSync(h)).toThrow(/after release/);
    expect(() => b.release(h)).toThrow(/after release/);
    expect(() => b.retain(h)).toThrow(/after release/);
    expect(b.stats()).toEqual({ liveBuffers: 0, liveBytes: 0 });
  });

  it('run returns a new reference and leaves the inputs alone', () => {
    const b = cpu();
    const aval = new ShapedArray([2, 2], 'float32');
    const x = b.write('float32', new Float32Array([1, 2, 3, 4]));
    const i0 = kernelIR.loopIndex(0);
    const add = b.compile(kernelIR.flatKernel('add', ['float32', 'float32'], kernelIR.add(kernelIR.load(0, 'float32', i0), kernelIR.load(1, 'float32', i0))));
    const y = b.run(add, [x, x], [4], aval);
    expect(b.readSync(y)).toEqual(new Float32Array([2, 4, 6, 8]));
    expect(b.readSync(x)).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(b.stats()).toEqual({ liveBuffers: 2, liveBytes: 32 });
    b.release(y);
    expect(b.stats()).toEqual({ liveBuffers: 1, liveBytes: 16 });
  });

  it('a reshape result shares its input storage through a new reference', () => {
    const x = np.array([1, 2, 3, 4, 5, 6]);
    const before = getBackend().stats();
    const y = np.reshape(x, [3, 2]);
    expect(getBackend().stats()).toEqual(before);
    x.dispose(); // the reshape's reference keeps the storage alive
    expect(y.tolist()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    y.dispose();
    expect(getBackend().stats().liveBuffers).toBe(before.liveBuffers - 1);
  });

  it('a routine the backend lacks is a clear error', () => {
    const b = cpu();
    expect(() => b.routine('no_such_routine' as RoutineName, {} as never, [], [])).toThrow(/^no_such_routine: has no routine on the cpu backend/);
  });

  it('the default backend is a CpuBackend that reads synchronously and supports every dtype', () => {
    const b = getBackend('cpu');
    expect(b).toBeInstanceOf(CpuBackend);
    expect(b.name).toBe('cpu');
    expect(b.supportsSyncRead).toBe(true);
    for (const d of ['bool', 'int32', 'float32', 'float64'] as DType[]) expect(b.supportsDType(d)).toBe(true);
    expect(getBackend('cpu')).toBe(b);
  });
});

describe('kernels never write to their inputs', () => {
  const on = { backend: 'checking' } as const;
  const sample: Record<DType, () => Array> = {
    float32: () =>
      np.array(
        [
          [0.5, -1.25, 2],
          [3, -0.75, 0.1],
        ],
        { dtype: 'float32', ...on },
      ),
    float64: () =>
      np.array(
        [
          [0.5, -1.25, 2],
          [3, -0.75, 0.1],
        ],
        { dtype: 'float64', ...on },
      ),
    int32: () =>
      np.array(
        [
          [1, -2, 3],
          [4, 5, -6],
        ],
        { dtype: 'int32', ...on },
      ),
    bool: () =>
      np.array(
        [
          [true, false, true],
          [false, true, true],
        ],
        on,
      ),
  };
  /** The first dtype the primitive's shape rule accepts, so every elementwise primitive runs. */
  const dtypeFor = (prim: PrimitiveName, arity: number): DType => {
    for (const d of ['float32', 'int32', 'bool'] as DType[]) {
      try {
        abstractEval(
          prim,
          globalThis.Array.from({ length: arity }, () => new ShapedArray([2, 3], d)),
          {} as never,
        );
        return d;
      } catch {}
    }
    throw new Error(`no dtype for ${prim}`);
  };

  it('for every elementwise primitive', () => {
    const b = checking();
    for (const prim of UNARY_PRIMITIVES) bind1(prim, [sample[dtypeFor(prim, 1)]()], {} as never);
    for (const prim of [...BINARY_PRIMITIVES, ...COMPARISON_PRIMITIVES]) {
      const d = dtypeFor(prim, 2);
      bind1(prim, [sample[d](), sample[d]()], {} as never);
    }
    for (const prim of [...UNARY_PRIMITIVES, ...BINARY_PRIMITIVES, ...COMPARISON_PRIMITIVES]) expect(b.executed.get(prim), prim).toBeGreaterThan(0);
    expect(b.inputWrites).toEqual([]);
  });

  it('for every structural primitive', () => {
    const b = checking();
    const x = sample.float32();
    const i = sample.int32();
    const img = np.array(
      new Float32Array(2 * 2 * 5 * 5).map((_, k) => Math.sin(k)),
      { shape: [2, 2, 5, 5], ...on },
    );
    const k = np.array(
      new Float32Array(3 * 2 * 3 * 3).map((_, n) => Math.cos(n)),
      { shape: [3, 2, 3, 3], ...on },
    );
    const u = np.array([7, 8, 9, 10, 11, 12], { dtype: 'int32', ...on });
    lax.select(sample.bool(), x, sample.float32());
    lax.convertElementType(i, 'float64');
    lax.bitcastConvertType(x, 'int32');
    lax.reduceSum(x, [0]);
    lax.reduceMax(x, [0, 1]);
    lax.reduceMin(x, [1]);
    lax.reduceProd(i, [1]);
    lax.argmax(x, 1);
    lax.argmin(x, 0);
    lax.argsort(x, 1, true);
    lax.dotGeneral(x, x, { contracting: [[1], [1]], batch: [[], []] });
    lax.broadcastInDim(x, [4, 2, 3], [1, 2]);
    lax.reshape(x, [3, 2]);
    lax.transpose(x, [1, 0]);
    lax.slice(x, [0, 0], [2, 3], [1, 2]);
    lax.pad(x, -1, [
      [1, -1, 1],
      [0, 2, 0],
    ]);
    lax.concatenate([x, x], 1);
    lax.rev(x, [0, 1]);
    const idx = np.array([2, 0, 2], { dtype: 'int32', ...on });
    lax.gather(u, idx, 0);
    lax.scatterAdd(u, idx, np.array([1, 1, 1], { dtype: 'int32', ...on }), 0);
    lax.scatter(u, idx, np.array([0, 0, 0], { dtype: 'int32', ...on }), 0);
    withBackend('checking', () => lax.iota('int32', [4], 0));
    lax.conv(img, k, { padding: 'SAME', windowStrides: [2, 1] });
    lax.conv(img, np.array(new Float32Array(4 * 1 * 2 * 2).fill(0.5), { shape: [4, 1, 2, 2], ...on }), { featureGroupCount: 2, rhsDilation: [2, 1] });
    lax.reduceWindow(img, 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2], padding: 'SAME' });
    lax.reduceWindow(img, 'sum', [1, 2, 3, 3]);
    lax.threefry2x32(u, lax.neg(u), u, u);
    // reshape shares its input's storage: it runs nothing
    const structural: PrimitiveName[] = [
      'select',
      'convert_element_type',
      'bitcast_convert_type',
      'reduce_sum',
      'reduce_max',
      'reduce_min',
      'reduce_prod',
      'argmax',
      'argmin',
      'argsort',
      'dot_general',
      'broadcast_in_dim',
      'transpose',
      'slice',
      'pad',
      'concatenate',
      'rev',
      'gather',
      'scatter_add',
      'scatter',
      'iota',
      'conv',
      'reduce_window_max',
      'reduce_window_sum',
      'threefry2x32',
    ];
    for (const prim of structural) expect(b.executed.get(prim), prim).toBeGreaterThan(0);
    expect(b.inputWrites).toEqual([]);
  });

  it('for the np layer on top', () => {
    const b = checking();
    const x = sample.float32();
    const y = sample.float32();
    np.add(x, 1);
    np.matmul(x, y.T);
    np.softmax(x);
    np.sort(x);
    x.at(0).add(5);
    x.at(np.array([1, 1], { dtype: 'int32', ...on })).set(2);
    np.einsum('ij,kj->ik', x, y);
    np.where(np.greater(x, 0), x, y);
    np.concatenate([x, y], 1);
    np.pad(x, 2);
    np.tile(x, 2);
    expect(b.inputWrites).toEqual([]);
  });
});

describe('the backend registry', () => {
  it('an unknown name lists the registered backends', () => {
    expect(() => getBackend('tpu')).toThrow(TenfoldError);
    expect(() => getBackend('tpu')).toThrow(/^getBackend: no backend named 'tpu'; registered: cpu, js, checking, counting/);
    expect(() => np.zeros([2], { backend: 'webgpu' })).toThrow(/^getBackend: no backend named 'webgpu'; registered: .*cpu/);
    expect(() => np.array([1], { backend: 'webgpu' })).toThrow(/^getBackend: no backend named 'webgpu'/);
  });

  it('a backend must be registered under its own name', () => {
    expect(() => getBackend('misnamed')).toThrow(/^getBackend: the backend registered as 'misnamed' calls itself 'something-else'/);
  });

  it('getBackend returns one instance per name', () => {
    expect(getBackend('counting')).toBe(getBackend('counting'));
    expect(getBackend()).toBe(getBackend(defaultBackendName()));
  });

  it('setDefaultBackend moves where new arrays are created', () => {
    expect(defaultBackendName()).toBe('cpu');
    setDefaultBackend('counting');
    try {
      expect(defaultBackendName()).toBe('counting');
      const x = np.zeros([2]);
      const y = np.array([1, 2]);
      const z = np.arange(3);
      for (const a of [x, y, z]) expect((a as unknown as { backend: Backend }).backend.name).toBe('counting');
    } finally {
      setDefaultBackend('cpu');
    }
    expect(defaultBackendName()).toBe('cpu');
    expect((np.zeros([2]) as unknown as { backend: Backend }).backend.name).toBe('cpu');
  });

  it('setDefaultBackend with an unknown name fails and keeps the default', () => {
    expect(() => setDefaultBackend('nope')).toThrow(/^getBackend: no backend named 'nope'/);
    expect(defaultBackendName()).toBe('cpu');
  });

  it('withBackend applies inside the callback only, even when it throws', () => {
    const x = withBackend('counting', () => np.arange(4));
    expect((x as unknown as { backend: Backend }).backend.name).toBe('counting');
    expect(defaultBackendName()).toBe('cpu');
    expect(() =>
      withBackend('counting', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(defaultBackendName()).toBe('cpu');
    expect(withBackend(undefined, () => defaultBackendName())).toBe('cpu');
    expect(() => withBackend('nope', () => 1)).toThrow(/^getBackend: no backend named 'nope'/);
  });

  it('creation options name a backend', () => {
    const on = (a: Array) => (a as unknown as { backend: Backend }).backend.name;
    expect(on(np.zeros([2], { backend: 'counting' }))).toBe('counting');
    expect(on(np.eye(2, undefined, 0, { backend: 'counting' }))).toBe('counting');
    expect(on(np.linspace(0, 1, 3, { backend: 'counting' }))).toBe('counting');
    expect(on(np.arange(3, undefined, 1, { backend: 'counting' }))).toBe('counting');
    expect(on(np.zerosLike(np.ones([2], { backend: 'counting' })))).toBe('counting');
  });
});

describe('a custom backend plugs in without touching the ops', () => {
  /** A small model run entirely through the public API. */
  const model = (backend: string) => {
    const on = { backend } as const;
    const x = np.array(
      new Float32Array(4 * 6).map((_, i) => Math.sin(i)),
      { shape: [4, 6], ...on },
    );
    const w = np.array(
      new Float32Array(6 * 3).map((_, i) => Math.cos(i) / 2),
      { shape: [6, 3], ...on },
    );
    const labels = np.array([0, 2, 1, 2], { ...on });
    const h = np.add(np.matmul(x, w), 0.1);
    const logits = np.tanh(np.relu(h));
    const logp = np.logSoftmax(logits, -1);
    const loss = np.negative(np.mean(np.sum(np.multiply(logp, np.oneHot(labels, 3)), -1)));
    const pred = np.argmax(logits, -1);
    return {
      loss,
      pred,
      sorted: np.sort(logits, 0),
      picked: logits.index([3, 0], np.slice(1)),
      updated: x.at(0).set(1),
      masked: x.index(np.greater(x, 0.5)),
      trace: np.einsum('ii->', np.matmul(w.T, w)),
      stats: [np.mean(x), np.var(x, 0), np.max(x)],
    };
  };
  const flatten = (r: ReturnType<typeof model>): Array[] => [r.loss, r.pred, r.sorted, r.picked, r.updated, r.masked, r.trace, ...r.stats];

  it('np ops run on it and give the CPU results', () => {
    const c = counting();
    const startExecutions = c.executions;
    const cpuStats = getBackend('cpu').stats();
    const onCounting = flatten(model('counting'));
    // nothing ran on, or was allocated on, the CPU backend
    expect(getBackend('cpu').stats()).toEqual(cpuStats);
    expect(c.executions - startExecutions).toBeGreaterThan(20);
    expect(c.executed.get('dot_general')).toBeGreaterThan(0);
    for (const a of onCounting) expect((a as unknown as { backend: Backend }).backend.name).toBe('counting');
    const onCpu = flatten(model('cpu'));
    onCounting.forEach((a, i) => {
      expect(a.dtype).toBe(onCpu[i]?.dtype);
      expect(a.shape).toEqual(onCpu[i]?.shape);
      expect(a.dataSync()).toEqual(onCpu[i]?.dataSync());
    });
    expect(c.inputWrites).toEqual([]);
  });

  it('its arrays print and read like any other', async () => {
    const x = np.array(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32', backend: 'counting' },
    );
    expect(x.toString()).toBe('array([[1., 2.],\n       [3., 4.]], dtype=float32)');
    expect(await x.data()).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(x.sum().item()).toBe(10);
  });

  it('its memory is accounted on its own stats', () => {
    const c = counting();
    const before = c.stats();
    const x = np.array(new Float32Array(100), { backend: 'counting' });
    expect(c.stats()).toEqual({ liveBuffers: before.liveBuffers + 1, liveBytes: before.liveBytes + 400 });
    x.dispose();
    expect(c.stats()).toEqual(before);
  });

  it('a backend without a dtype refuses it by name', () => {
    expect(() => np.array([1], { dtype: 'float64', backend: 'no-f64' })).toThrow(/^array: the no-f64 backend does not support float64/);
    expect(np.array([1], { dtype: 'float32', backend: 'no-f64' }).dtype).toBe('float32');
  });

  it('a backend that reads only asynchronously', async () => {
    const x = np.array([1.5, 2.5], { dtype: 'float32', backend: 'async' });
    expect(() => x.dataSync()).toThrow(/^dataSync: the async backend reads asynchronously; use await x\.data\(\) instead/);
    expect(() => x.item()).toThrow(/^item: can only convert/);
    expect(() => np.sum(x).item()).toThrow(/^dataSync: the async backend reads asynchronously/);
    expect(await np.sum(x).data()).toEqual(new Float32Array([4]));
    expect(x.toString()).toBe('Array(shape=[2], dtype=float32)');
    expect(() => devicePut(x, 'cpu')).toThrow(
      /^devicePut: the async backend reads asynchronously, so its float32\[2\] array cannot move synchronously; use await devicePutAsync/,
    );
    const moved = await devicePutAsync(x, 'cpu');
    expect(moved.tolist()).toEqual([1.5, 2.5]);
  });
});

describe('arrays on two backends', () => {
  it('mixing them is an error naming the backends and arrays', () => {
    const a = np.array([1, 2], { dtype: 'float32' });
    const b = np.array([3, 4], { dtype: 'float32', backend: 'counting' });
    expect(() => np.add(a, b)).toThrow(
      /^add: inputs live on different backends \(float32\[2\] on cpu, float32\[2\] on counting\); move them to one with devicePut\(x, 'cpu'\) first/,
    );
    const m = np.ones([3, 2], { backend: 'counting' });
    expect(() => np.matmul(m, np.ones([2, 2]))).toThrow(
      /^dot_general: inputs live on different backends \(float32\[3,2\] on counting, float32\[2,2\] on cpu\)/,
    );
    expect(() => np.concatenate([a, b])).toThrow(/^concatenate: inputs live on different backends/);
    let err: unknown;
    try {
      np.subtract(b, a);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TenfoldError);
    expect((err as TenfoldError).op).toBe('sub');
  });

  it('devicePut moves an array; then they mix', () => {
    const a = np.array(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32' },
    );
    const b = np.array(
      [
        [10, 20],
        [30, 40],
      ],
      { dtype: 'float32', backend: 'counting' },
    );
    const moved = devicePut(a, 'counting');
    expect((moved as unknown as { backend: Backend }).backend.name).toBe('counting');
    expect(moved.shape).toEqual([2, 2]);
    expect(moved.dtype).toBe('float32');
    expect(moved.tolist()).toEqual(a.tolist());
    expect(np.add(moved, b).tolist()).toEqual([
      [11, 22],
      [33, 44],
    ]);
    // the original stays where it was, and is still usable
    expect((a as unknown as { backend: Backend }).backend.name).toBe('cpu');
    expect(a.sum().item()).toBe(10);
    // a copy, not a view: disposing one leaves the other
    a.dispose();
    expect(moved.sum().item()).toBe(10);
    // moving to where it already is returns the array itself
    expect(devicePut(moved, 'counting')).toBe(moved);
    const back = devicePut(moved, 'cpu');
    expect((back as unknown as { backend: Backend }).backend.name).toBe('cpu');
    expect(back.tolist()).toEqual(moved.tolist());
  });

  it('devicePutAsync moves an array and keeps bool and int dtypes', async () => {
    const m = np.array([true, false, true]);
    const i = np.array([1, -2, 3]);
    const m2 = await devicePutAsync(m, 'counting');
    const i2 = await devicePutAsync(i, 'counting');
    expect(m2.dtype).toBe('bool');
    expect(m2.tolist()).toEqual([true, false, true]);
    expect(i2.dtype).toBe('int32');
    expect(i2.tolist()).toEqual([1, -2, 3]);
    expect(await devicePutAsync(i2, 'counting')).toBe(i2);
  });

  it('devicePut of a disposed array or to an unknown backend is an error', () => {
    const a = np.array([1, 2]);
    expect(() => devicePut(a, 'nowhere')).toThrow(/^getBackend: no backend named 'nowhere'/);
    a.dispose();
    expect(() => devicePut(a, 'counting')).toThrow(/^devicePut: this int32\[2\] array was disposed/);
  });
});
