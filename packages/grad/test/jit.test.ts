// jit: the compiled program equals eager evaluation over the whole op table, traces once per
// signature, fuses elementwise chains, frees its intermediates, and composes with grad and vmap.
import { type Array, ConcreteArray, getBackend, lax, np, random, TenfoldError } from '@tenfold/core';
import { grad, hessian, jit, jvp, makeJaxpr, valueAndGrad, vmap } from '@tenfold/grad';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseArbitrary, checkCase, OP_TABLE } from '../../core/test/op-table.js';

const RUNS = { seed: 42, numRuns: 6 };

describe('jit(f)(x) equals f(x) over the op table', () => {
  for (const rec of OP_TABLE) {
    it(rec.name, () => {
      // one jitted function per record: new shapes and dtypes are new signatures of it
      const jf = jit((...xs: Array[]) => rec.fn(...xs));
      for (const dtype of rec.dtypes) {
        fc.assert(
          fc.property(caseArbitrary(rec, dtype), (c) => {
            checkCase(rec, dtype, c, jf);
          }),
          RUNS,
        );
      }
    });
  }
});

describe('tracing and the cache', () => {
  it('traces once per signature: same shapes hit the cache, a new shape or dtype traces again', () => {
    let bodyRuns = 0;
    const f = jit((x: Array) => {
      bodyRuns++;
      return np.multiply(x, 2);
    });
    const a = np.ones([3]);
    f(a);
    f(np.zeros([3]));
    expect(bodyRuns).toBe(1);
    expect(f.stats).toEqual({ traces: 1, hits: 1, size: 1 });
    f(np.ones([4]));
    f(np.ones([3], { dtype: 'int32' }));
    expect(bodyRuns).toBe(3);
    expect(f.stats.size).toBe(3);
  });

  it('hashes static arguments by value and rejects unhashable ones', () => {
    let bodyRuns = 0;
    const f = jit(
      (x: Array, opts: { scale: number }) => {
        bodyRuns++;
        return np.multiply(x, opts.scale);
      },
      { staticArgnums: 1 },
    );
    const x = np.array([1, 2], { dtype: 'float32' });
    expect(f(x, { scale: 3 }).tolist()).toEqual([3, 6]);
    expect(f(x, { scale: 3 }).tolist()).toEqual([3, 6]);
    expect(f(x, { scale: 4 }).tolist()).toEqual([4, 8]);
    expect(bodyRuns).toBe(2);
    const g = jit((x: Array, _y: Array) => x, { staticArgnums: [1] });
    expect(() => g(x, x)).toThrow(/argument 1 is an Array, which cannot be static/);
    class Config {}
    const h = jit((x: Array, _c: Config) => x, { staticArgnums: 1 });
    expect(() => h(x, new Config())).toThrow(/argument 1 is a Config, which cannot be hashed/);
    expect(() => jit((x: Array) => x, { staticArgnums: 3 })(x)).toThrow(/staticArgnums 3 is out of range/);
  });

  it('evicts the least recently used signature when the cache is full, and can be cleared', () => {
    const f = jit((x: Array) => np.add(x, 1), { cacheSize: 2 });
    const [a, b, c] = [np.ones([1]), np.ones([2]), np.ones([3])];
    f(a);
    f(b);
    f(a); // a is now the most recent
    f(c); // evicts b
    expect(f.stats).toEqual({ traces: 3, hits: 1, size: 2 });
    f(a);
    expect(f.stats.traces).toBe(3);
    f(b);
    expect(f.stats.traces).toBe(4);
    f.clearCache();
    expect(f.stats).toEqual({ traces: 0, hits: 0, size: 0 });
  });

  it('takes and returns pytrees', () => {
    const f = jit((p: { w: Array; b: Array }, xs: Array[]) => ({ y: np.add(np.multiply(p.w, xs[0] as Array), p.b), n: [np.sum(xs[1] as Array)] }));
    const out = f({ w: np.array([2, 3], { dtype: 'float32' }), b: np.array([1, 1], { dtype: 'float32' }) }, [
      np.array([1, 2], { dtype: 'float32' }),
      np.ones([4]),
    ]);
    expect(out.y.tolist()).toEqual([3, 7]);
    expect((out.n[0] as Array).item()).toBe(4);
  });

  it('a traced value used as a JS value is a clear error naming the fix', () => {
    const f = jit((x: Array) => (Number(x.item()) > 0 ? x : np.negative(x)));
    expect(() => f(np.ones([1]))).toThrow(TenfoldError);
    expect(() => f(np.ones([1]))).toThrow(/cannot read the values of a traced/);
    // Number(x) and JS comparisons too, pointing to static arguments
    const g = jit((x: Array, n: Array) => np.multiply(x, Number(n) > 2 ? 2 : 3));
    expect(() => g(np.ones([2]), np.array(3))).toThrow(/^Number\(x\): cannot read the values of a traced int32\[\] array.*staticArgnums/);
    const h = jit((x: Array, n: number) => np.multiply(x, n > 2 ? 2 : 3), { staticArgnums: 1 });
    expect(h(np.ones([2]), 3).tolist()).toEqual([2, 2]);
  });

  it('a tracer that escapes its jit is a clear error when used later, never a value', () => {
    let leaked: Array | null = null;
    const f = jit((x: Array) => {
      leaked = np.sin(x);
      return x;
    });
    f(np.ones([2]));
    expect(() => np.add(leaked as unknown as Array, 1)).toThrow(/a traced value escaped the transform that created it/);
  });

  it('Number(x) of a concrete one-element array is its value; other sizes are an error', () => {
    expect(Number(np.array(2.5, { dtype: 'float32' }))).toBe(2.5);
    expect(np.array([4]) > np.array(3)).toBe(true);
    expect(() => Number(np.ones([2]))).toThrow(/can only convert an array of size 1 to a scalar/);
  });
});

describe('the compiled program', () => {
  it('fuses an elementwise chain with its scalar constants into one kernel', () => {
    const f = jit((x: Array) => np.add(np.multiply(np.subtract(np.multiply(np.add(np.multiply(x, 1.5), 0.5), x), 1), 0.5), x));
    const { program } = f.lower(np.ones([8]));
    expect(program.kernelCount).toBe(1);
    expect(program.toString()).toMatchInlineSnapshot(`
      "program (in0:f32[8]) {
        s1:f32[8] = kernel[broadcast_in_dim, mul, add, sub] (in0)  into in0
        -> (s1)
      }"
    `);
    const x = np.array([1, -2, 0.25], { dtype: 'float32' });
    const eager = np.add(np.multiply(np.subtract(np.multiply(np.add(np.multiply(x, 1.5), 0.5), x), 1), 0.5), x);
    expect(f(x).tolist()).toEqual(eager.tolist());
  });

  it('prints the traced graph jaxpr-style', () => {
    const f = jit((x: Array, y: Array) => np.sum(np.exp(np.subtract(x, y)), 1));
    expect(f.lower(np.ones([2, 3]), np.ones([2, 3])).jaxpr.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2,3] b:f32[2,3]. let
          c:f32[2,3] = sub a b
          d:f32[2,3] = exp c
          e:f32[2] = reduce_sum[axes=(1,)] d
        in (e,) }"
    `);
    // the reduction takes the chain as its prologue: one kernel
    expect(f.lower(np.ones([2, 3]), np.ones([2, 3])).program.kernelCount).toBe(1);
  });

  it("a reduction takes its consumer of the reduced value alone as its epilogue (a mean's division, a norm's root)", () => {
    const f = (x: Array) => [np.negative(np.mean(x, 1)), np.sqrt(np.sum(np.square(x), 0))];
    const x = random.normal(random.key(5), [3, 7]);
    const program = jit(f).lower(x).program;
    expect(program.steps.map((st) => (st.kind === 'kernel' ? st.fused.join(' ') : st.kind))).toEqual([
      'reduce_sum broadcast_in_dim div neg',
      'mul reduce_sum sqrt',
    ]);
    const [a, b] = jit(f)(x) as [Array, Array];
    const [ea, eb] = f(x) as [Array, Array];
    expect(a.tolist()).toEqual(ea.tolist());
    expect(b.tolist()).toEqual(eb.tolist());
  });

  it('computes a value used twice once, and frees every intermediate', () => {
    const f = jit((x: Array) => {
      const y = np.exp(x);
      return np.add(np.sum(y), np.max(y));
    });
    const { program } = f.lower(np.ones([5]));
    expect(program.toString()).toMatchInlineSnapshot(`
      "program (in0:f32[5]) {
        s1:f32[5] = kernel[exp] (in0)  into in0
        s2:f32[] = kernel[reduce_sum] (s1)
        s3:f32[] = kernel[reduce_max] (s1)  free s1
        s4:f32[] = kernel[add] (s2, s3)  into s2|s3  free s2 s3
        -> (s4)
      }"
    `);
    const x = np.array([0, 1, 2, 3, 4], { dtype: 'float32' });
    expect(f(x).item()).toBeCloseTo(Math.exp(4) + [0, 1, 2, 3, 4].reduce((s, v) => s + Math.exp(v), 0), 2);
  });

  it('compiles an MLP train step into a handful of fused kernels around its matmuls', () => {
    type P = { w1: Array; b1: Array; w2: Array; b2: Array };
    const loss = (p: P, x: Array, y: Array) =>
      np.negative(
        np.mean(np.takeAlongAxis(np.logSoftmax(np.add(np.matmul(np.relu(np.add(np.matmul(x, p.w1), p.b1)), p.w2), p.b2), -1), np.expandDims(y, 1), 1)),
      );
    const step = jit((p: P, x: Array, y: Array) => {
      const [l, g] = valueAndGrad(loss)(p, x, y) as [Array, P];
      return {
        loss: l,
        params: {
          w1: np.subtract(p.w1, np.multiply(g.w1, 0.1)),
          b1: np.subtract(p.b1, np.multiply(g.b1, 0.1)),
          w2: np.subtract(p.w2, np.multiply(g.w2, 0.1)),
          b2: np.subtract(p.b2, np.multiply(g.b2, 0.1)),
        },
      };
    });
    const p = { w1: np.ones([6, 5]), b1: np.zeros([5]), w2: np.ones([5, 3]), b2: np.zeros([3]) };
    const program = step.lower(p, np.ones([4, 6]), np.array([0, 1, 2, 0])).program;
    expect(program.toString()).toMatchInlineSnapshot(`
      "program (in0:f32[5] in1:f32[3] in2:f32[6,5] in3:f32[5,3] in4:f32[4,6] in5:i32[4]) {
        s7:f32[4,5] = dot_general (in4, in2) -> kernel[broadcast_in_dim, add] (·, in0)
        s8:f32[4,5] = kernel[broadcast_in_dim, le, select] (s7)
        s10:f32[4,3] = dot_general (s8, in3) -> kernel[broadcast_in_dim, add] (·, in1)
        s11:f32[4] = kernel[reduce_max] (s10)
        s12:f32[4,3] = kernel[reshape, is_finite, broadcast_in_dim, select, sub, exp] (s10, s11)
        s13:f32[4] = kernel[reduce_sum] (s12)
        s14:f32[12] = kernel[reshape, log, is_finite, broadcast_in_dim, select, add, sub] (s10, s13, s11)
        s15:i32[4,1] = kernel[reshape, broadcast_in_dim, lt, add, select, iota, mul] (in5)  into in5
        s16:f32[4,1] = gather (s14, s15)  free s14
        s18:f32[] = kernel[reduce_sum, div, neg] (s16)  free s16
        s19:f32[12] = kernel[broadcast_in_dim] ()
        s20:i32[4,1] = kernel[broadcast_in_dim, max, min] (s15)  into s15  free s15
        s21:f32[4,1] = kernel[broadcast_in_dim] ()
        s22:f32[12] = scatter_add (s19, s20, s21)  free s19 s20 s21
        s23:f32[4] = kernel[reshape, neg, reduce_sum] (s22)
        s24:f32[4,3] = kernel[reshape, broadcast_in_dim, div, mul] (s23, s13, s12)  into s12  free s12 s13
        s25:f32[4] = kernel[neg, reduce_sum] (s24)
        s26:f32[4] = kernel[broadcast_in_dim, eq, convert_element_type, reduce_sum] (s10, s11)
        s27:f32[4,3] = kernel[reshape, add, is_finite, broadcast_in_dim, select, div, eq, convert_element_type, mul] (s22, s24, s11, s23, s25, s26, s10)  into s24|s10  free s10 s11 s22 s23 s24 s25 s26
        s29:f32[4,5] = dot_general (s27, in3) -> kernel[broadcast_in_dim, le, select] (s7, ·)  free s7
        s30:f32[5] = kernel[reduce_sum] (s29)
        s31:f32[5] = kernel[broadcast_in_dim, mul, sub] (in0, s30)  into in0|s30  free s30
        s32:f32[3] = kernel[reduce_sum] (s27)
        s33:f32[3] = kernel[broadcast_in_dim, mul, sub] (in1, s32)  into in1|s32  free s32
        s35:f32[6,5] = dot_general (in4, s29) -> kernel[broadcast_in_dim, mul, sub] (in2, ·)  free s29
        s37:f32[5,3] = dot_general (s8, s27) -> kernel[broadcast_in_dim, mul, sub] (in3, ·)  free s8 s27
        -> (s18, s31, s33, s35, s37)
      }"
    `);
  });

  it('keeps live buffers flat over repeated calls (only the outputs stay)', async () => {
    const f = jit((x: Array, w: Array) => np.tanh(np.add(np.matmul(x, w), 1)));
    const x = random.normal(random.key(0), [16, 8]);
    const w = random.normal(random.key(1), [8, 4]);
    f(x, w).dispose();
    const before = getBackend().stats();
    for (let i = 0; i < 50; i++) f(x, w).dispose();
    expect(getBackend().stats()).toEqual(before);
  });

  it('a JS number argument that changes every call (a learning rate) leaves no buffer behind', () => {
    const f = jit((x: Array, lr: number) => np.multiply(x, lr));
    const x = np.ones([4]);
    f(x, 0.5).dispose();
    const before = getBackend().stats();
    for (let i = 0; i < 100; i++) f(x, 0.001 * (i + 1)).dispose();
    expect(getBackend().stats()).toEqual(before);
    expect(f.stats.traces).toBe(1);
  });

  it('JS numbers are weakly typed: jit(f)(x, s) has the dtype and values of f(x, s) for every dtype and kind of number', () => {
    const ops: [string, (x: Array, s: Array | number) => Array][] = [
      ['add', (x, s) => np.add(x, s)],
      ['subtract', (x, s) => np.subtract(s, x)],
      ['multiply', (x, s) => np.multiply(x, s)],
      ['maximum', (x, s) => np.maximum(x, s)],
      ['where', (x, s) => np.where(np.greater(x, 0), x, s)],
      ['scalar only', (_x, s) => np.multiply(s, 3)],
    ];
    const jitted = ops.map(([, f]) => jit(f));
    const number = fc.oneof(
      fc.integer({ min: -1000, max: 1000 }),
      fc.double({ min: -1e3, max: 1e3, noNaN: true }).filter((v) => !Number.isInteger(v)),
    );
    const dtype = fc.constantFrom('float32' as const, 'float64' as const, 'int32' as const, 'bool' as const);
    fc.assert(
      fc.property(dtype, number, fc.integer({ min: 0, max: ops.length - 1 }), (d, s, k) => {
        const [name, f] = ops[k] as [string, (x: Array, s: Array | number) => Array];
        const x = np.array([-2, 0, 3], { dtype: d });
        const want = f(x, s);
        const got = (jitted[k] as (x: Array, s: number) => Array)(x, s);
        expect([name, got.dtype]).toEqual([name, want.dtype]);
        expect(got.tolist()).toEqual(want.tolist());
      }),
      { seed: 7, numRuns: 120 },
    );
  });

  it('an integer and a fraction are different signatures; new values of one kind reuse the program', () => {
    let bodyRuns = 0;
    const f = jit((x: Array, s: number) => {
      bodyRuns++;
      return np.multiply(x, s);
    });
    const x = np.array([1, 2], { dtype: 'int32' });
    expect(f(x, 2).dtype).toBe('int32');
    expect(f(x, 3).tolist()).toEqual([3, 6]);
    expect(bodyRuns).toBe(1);
    expect(f(x, 0.5).dtype).toBe('float32');
    expect(f(x, 1.5).tolist()).toEqual([1.5, 3]);
    expect(bodyRuns).toBe(2);
    // a float64 array meets the number exactly, also through a nested jit
    const x64 = np.array([1, 3], { dtype: 'float64' });
    const inner = jit((a: Array, t: Array) => np.multiply(a, t));
    const outer = jit((a: Array, t: number) => inner(a, t as unknown as Array));
    expect(f(x64, 0.1).tolist()).toEqual([0.1, 3 * 0.1]);
    expect(outer(x64, 0.1).dtype).toBe('float64');
    expect((outer(x64, 0.1).tolist() as number[])[1]).toBeCloseTo(0.3, 7);
  });

  it('returns a fresh array when an output is an input (disposing it leaves the input)', () => {
    const f = jit((x: Array) => [x, x]);
    const x = np.array([1, 2], { dtype: 'float32' });
    const [a, b] = f(x) as [Array, Array];
    a.dispose();
    b.dispose();
    expect(x.tolist()).toEqual([1, 2]);
  });
});

describe('donation', () => {
  it('takes over a donated argument: the result is right, the array is then unusable with an error naming the donation', () => {
    const f = jit((x: Array, y: Array) => np.add(np.multiply(x, 2), y), { donateArgnums: 0 });
    const x = np.array([1, 2], { dtype: 'float32' });
    const y = np.array([10, 20], { dtype: 'float32' });
    f(np.ones([2]), y).dispose(); // traces and compiles (its constants stay)
    const before = getBackend().stats().liveBuffers;
    const out = f(x, y);
    expect(out.tolist()).toEqual([12, 24]);
    expect(getBackend().stats().liveBuffers).toBe(before); // x's buffer went, out's came
    expect(() => x.tolist()).toThrow(/array was donated to jit\(\w*\) \(donateArgnums\)/);
    expect(() => f(x, y)).toThrow(/donated/);
    expect(y.tolist()).toEqual([10, 20]);
  });

  it('writes the result into the donated buffer when the kernel reads it element by element', () => {
    const f = jit((p: Array, g: Array) => np.subtract(p, np.multiply(g, 0.5)), { donateArgnums: 0 });
    const g = np.array([2, 4, 6], { dtype: 'float32' });
    expect(f.lower(np.ones([3]), g).program.toString()).toMatch(/kernel\[broadcast_in_dim, mul, sub\] \(in0, in1\)\s+into in0\|in1/);
    const p = np.array([1, 1, 1], { dtype: 'float32' });
    const handle = (p as ConcreteArray).handle;
    const out = f(p, g);
    expect(out).toBeInstanceOf(ConcreteArray);
    expect((out as ConcreteArray).handle).toBe(handle); // the same buffer, overwritten
    expect(out.tolist()).toEqual([0, -1, -2]);
    expect(g.tolist()).toEqual([2, 4, 6]);
  });

  it('does not overwrite a donated buffer another array still views, nor read it transposed', () => {
    const f = jit((p: Array) => np.add(p, 1), { donateArgnums: 0 });
    const p = np.array([1, 2, 3, 4], { dtype: 'float32' });
    const view = p.reshape([2, 2]); // shares p's buffer
    const out = f(p);
    expect(out.tolist()).toEqual([2, 3, 4, 5]);
    expect(view.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // out[i, j] reads p[j, i]: writing in place would clobber elements still to be read
    const t = jit((q: Array) => np.add(q, np.transpose(q)), { donateArgnums: 0 });
    expect(t.lower(np.ones([2, 2])).program.toString()).not.toMatch(/into/);
    expect(
      t(
        np.array(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: 'float32' },
        ),
      ).tolist(),
    ).toEqual([
      [2, 5],
      [5, 8],
    ]);
  });

  it("fuses a matmul's elementwise consumer as its epilogue, run in place on the product", () => {
    const f = jit((x: Array, w: Array) => np.tanh(np.matmul(x, w)));
    const x = np.array(
      [
        [1, 0],
        [0, 1],
      ],
      { dtype: 'float32' },
    );
    const w = np.array(
      [
        [0.5, -1],
        [2, 0],
      ],
      { dtype: 'float32' },
    );
    expect(f.lower(x, w).program.toString()).toMatch(/s\d+:f32\[2,2\] = dot_general \(in0, in1\) -> kernel\[tanh\] \(·\)\n/);
    const before = getBackend().stats().liveBuffers;
    const out = f(x, w);
    expect(getBackend().stats().liveBuffers).toBe(before + 1);
    const want = [
      [Math.tanh(0.5), Math.tanh(-1)],
      [Math.tanh(2), 0],
    ];
    (out.tolist() as number[][]).forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(want[i]?.[j] as number, 6);
      });
    });
  });

  it('a conv with bias and relu is one routine step with its epilogue, equal to eager', () => {
    const f = (x: Array, k: Array, b: Array) => np.relu(np.add(lax.conv(x, k, { padding: 'SAME' }), np.reshape(b, [1, 3, 1, 1])));
    const ks = random.split(random.key(11), 3);
    const x = random.normal(ks[0] as Array, [2, 2, 5, 5]);
    const k = random.normal(ks[1] as Array, [3, 2, 3, 3]);
    const b = random.normal(ks[2] as Array, [3]);
    const program = jit(f).lower(x, k, b).program;
    expect(program.steps.map((st) => st.kind)).toEqual(['routine']);
    expect(program.toString()).toMatch(/= conv \(in0, in1\) -> kernel\[reshape, broadcast_in_dim, add, le, select\] \(·, in2\)/);
    expect(jit(f)(x, k, b).tolist()).toEqual(f(x, k, b).tolist());
  });

  it('writes a shared intermediate in place at its last use', () => {
    const f = jit((x: Array) => {
      const a = np.exp(x); // read by the sum and by the add
      return np.add(a, np.sum(a));
    });
    expect(f.lower(np.ones([3])).program.toString()).toMatch(/kernel\[broadcast_in_dim, add\] \((s\d+), (s\d+)\)\s+into \1/);
    const x = np.array([0, 1, 2], { dtype: 'float32' });
    const sum = Math.fround(Math.fround(Math.fround(1 + Math.fround(Math.E)) + Math.fround(Math.exp(2))));
    expect(f(x).tolist()).toEqual([1, Math.E, Math.exp(2)].map((v) => Math.fround(Math.fround(v) + sum)));
  });

  it('an output that is the donated input itself survives', () => {
    const f = jit((x: Array) => x, { donateArgnums: 0 });
    const x = np.array([1, 2], { dtype: 'float32' });
    const out = f(x);
    expect(out.tolist()).toEqual([1, 2]);
  });

  it('refuses to donate an array passed twice or a static argument', () => {
    const f = jit((a: Array, b: Array) => np.add(a, b), { donateArgnums: 0 });
    const x = np.ones([2]);
    expect(() => f(x, x)).toThrow(/passed more than once/);
    expect(x.tolist()).toEqual([1, 1]);
    expect(() => jit((a: Array) => a, { donateArgnums: 0, staticArgnums: 0 })(x)).toThrow(/both static and donated/);
  });

  it('a loop of 1000 jitted MLP train steps donating their state keeps live buffers and bytes flat', () => {
    type P = { w1: Array; b1: Array; w2: Array; b2: Array };
    const loss = (p: P, x: Array, y: Array) => np.mean(np.square(np.subtract(np.add(np.matmul(np.relu(np.add(np.matmul(x, p.w1), p.b1)), p.w2), p.b2), y)));
    const step = jit(
      (p: P, x: Array, y: Array) => {
        const [l, g] = valueAndGrad(loss)(p, x, y) as [Array, P];
        const next = {
          w1: np.subtract(p.w1, np.multiply(g.w1, 0.01)),
          b1: np.subtract(p.b1, np.multiply(g.b1, 0.01)),
          w2: np.subtract(p.w2, np.multiply(g.w2, 0.01)),
          b2: np.subtract(p.b2, np.multiply(g.b2, 0.01)),
        };
        return { params: next, loss: l };
      },
      { donateArgnums: 0 },
    );
    const k = random.split(random.key(7), 4);
    let params: P = { w1: random.normal(k[0] as Array, [8, 16]), b1: np.zeros([16]), w2: random.normal(k[1] as Array, [16, 1]), b2: np.zeros([1]) };
    const x = random.normal(k[2] as Array, [32, 8]);
    const y = np.sum(x, 1, { keepdims: true });
    const losses: number[] = [];
    let live = 0;
    let bytes = 0;
    for (let i = 0; i < 1000; i++) {
      const r = step(params, x, y);
      params = r.params;
      if (i % 100 === 0) losses.push(r.loss.item() as number);
      r.loss.dispose();
      if (i === 10) ({ liveBuffers: live, liveBytes: bytes } = getBackend().stats());
    }
    expect(getBackend().stats()).toEqual({ liveBuffers: live, liveBytes: bytes });
    expect(step.stats.traces).toBe(1);
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) / 10);
  });
});

describe('graph passes', () => {
  it('merges common subexpressions and drops dead code', () => {
    const f = jit((x: Array) => {
      np.sin(x); // unused
      return np.add(np.exp(x), np.exp(x));
    });
    expect(f.lower(np.ones([3])).jaxpr.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[3]. let
          b:f32[3] = exp a
          c:f32[3] = add b b
        in (c,) }"
    `);
  });

  it('simplifies identities: x*1, x/1, x-0, same-dtype casts, reshape of reshape, transpose of transpose', () => {
    const f = jit((x: Array) => {
      const a = np.subtract(np.divide(np.multiply(x, 1), 1), 0);
      const b = np.transpose(np.transpose(a.astype('float32'), [1, 0]), [1, 0]);
      return np.reshape(np.reshape(b, [6]), [3, 2]);
    });
    expect(f.lower(np.ones([2, 3])).jaxpr.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2,3]. let
          b:f32[3,2] = reshape[newShape=(3, 2)] a
        in (b,) }"
    `);
    const x = np.arange(6).reshape(2, 3).astype('float32');
    expect(f(x).tolist()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });

  it('keeps x + 0 for floats (it turns -0 into +0) but folds it for integers', () => {
    const f = jit((x: Array) => np.add(x, 0));
    expect(f.lower(np.ones([2])).jaxpr.eqns.length).toBe(2); // the broadcast 0 and the add
    expect(Object.is((f(np.array([-0], { dtype: 'float32' })).tolist() as number[])[0], 0)).toBe(true);
    expect(f.lower(np.ones([2], { dtype: 'int32' })).jaxpr.eqns.length).toBe(0);
  });

  it('folds small constant computations and never grows a constant', () => {
    const c = np.array([1, 2, 3], { dtype: 'float32' });
    const f = jit((x: Array) => np.multiply(x, np.add(np.multiply(c, 2), 1)));
    const jaxpr = f.lower(np.ones([3])).jaxpr;
    expect(jaxpr.eqns.map((e) => e.prim)).toEqual(['mul']);
    expect(f(np.ones([3])).tolist()).toEqual([3, 5, 7]);
  });
});

describe('jit composes with the other transforms', () => {
  const loss = (w: Array, x: Array) => np.sum(np.square(np.tanh(np.matmul(x, w))));
  const w = random.normal(random.key(2), [3, 2], { dtype: 'float64' });
  const x = random.normal(random.key(3), [4, 3], { dtype: 'float64' });

  it('jit(grad(f)) equals grad(f)', () => {
    const g = grad(loss)(w, x);
    const jg = jit(grad(loss));
    expect(globalThis.Array.from(jg(w, x).dataSync())).toEqual(globalThis.Array.from(g.dataSync()).map((v) => expect.closeTo(v, 12)));
  });

  it('grad(jit(f)) equals grad(f) and traces f once over many calls', () => {
    let bodyRuns = 0;
    const jl = jit((w: Array, x: Array) => {
      bodyRuns++;
      return loss(w, x);
    });
    const g = grad(loss)(w, x);
    for (let i = 0; i < 3; i++)
      expect(globalThis.Array.from(grad(jl)(w, x).dataSync())).toEqual(globalThis.Array.from(g.dataSync()).map((v) => expect.closeTo(v, 12)));
    expect(bodyRuns).toBe(1);
  });

  it('a jitted call inside another transform is one jit_call primitive', () => {
    const jf = jit(function scale(v: Array) {
      return np.multiply(np.sin(v), 2);
    });
    expect(makeJaxpr((v: Array) => np.add(jf(v), 1))(np.ones([2])).toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2]. let
          b:f32[2] = jit_call[jaxpr={ { lambda ; a:f32[2]. let
            b:f32[2] = sin a
            c:f32[2] = broadcast_in_dim[shape=(2,) broadcastDimensions=()] 2.0:f32[]
            d:f32[2] = mul b c
          in (d,) } } name=scale] a
          c:f32[2] = add b <const f32[2]>
        in (c,) }"
    `);
  });

  it('jvp(jit(f)) equals jvp(f), through a compiled JVP graph', () => {
    let bodyRuns = 0;
    const f = (v: Array) => {
      bodyRuns++;
      return np.sum(np.multiply(np.tanh(v), v));
    };
    const v = np.array([0.5, -1, 2], { dtype: 'float64' });
    const t = np.array([1, 2, 3], { dtype: 'float64' });
    const [y0, ty0] = jvp(f, [v], [t]);
    bodyRuns = 0;
    const jf = jit(f);
    for (let i = 0; i < 3; i++) {
      const [y, ty] = jvp(jf, [v], [t]);
      expect(y.item()).toBeCloseTo(y0.item() as number, 12);
      expect(ty.item()).toBeCloseTo(ty0.item() as number, 12);
    }
    expect(bodyRuns).toBe(1);
  });

  it('second order through jit: hessian(jit(f)) and grad(grad(jit(g))) equal the eager ones', () => {
    const f = (v: Array) => np.sum(np.multiply(np.exp(v), np.sin(v)));
    const v = np.array([0.3, -0.7], { dtype: 'float64' });
    const h0 = hessian(f)(v).tolist() as number[][];
    const h = hessian(jit(f))(v).tolist() as number[][];
    h.forEach((row, i) => {
      row.forEach((x, j) => {
        expect(x).toBeCloseTo((h0[i] as number[])[j] as number, 10);
      });
    });
    const g = (x: Array) => np.sum(np.multiply(np.multiply(x, x), x));
    const x = np.array([2], { dtype: 'float64' });
    expect(grad((y: Array) => np.sum(grad(jit(g))(y)))(x).tolist()).toEqual([12]);
  });

  it('differentiates through values a jitted function closes over (they become operands of its call)', () => {
    const xs = np.array([1, 2, 3], { dtype: 'float64' });
    const f = (s: Array) => np.sum(jit((v: Array) => np.multiply(np.sin(v), s))(xs));
    const s0 = np.array(0.5, { dtype: 'float64' });
    expect(grad(f)(s0).item()).toBeCloseTo(Math.sin(1) + Math.sin(2) + Math.sin(3), 12);
    let scale = np.array(2, { dtype: 'float64' });
    const g = jit((v: Array) => np.multiply(v, scale));
    const h = (s: Array) => {
      scale = s;
      return np.sum(g(xs));
    };
    expect(grad(h)(s0).item()).toBe(6);
    expect(grad(h)(np.array(3, { dtype: 'float64' })).item()).toBe(6);
  });

  it('vmap(jit(f)) and jit(vmap(f)) equal vmap(f)', () => {
    const f = (v: Array) => np.sum(np.multiply(v, v));
    const xs = np.array(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { dtype: 'float32' },
    );
    expect(vmap(jit(f))(xs).tolist()).toEqual([5, 25, 61]);
    expect(jit(vmap(f))(xs).tolist()).toEqual([5, 25, 61]);
  });

  it('nested jit and valueAndGrad inside jit', () => {
    const inner = jit((a: Array) => np.multiply(a, 3));
    const outer = jit((a: Array) => np.add(inner(a), 1));
    expect(outer(np.array([1, 2], { dtype: 'float32' })).tolist()).toEqual([4, 7]);
    const step = jit((w: Array, x: Array) => valueAndGrad(loss)(w, x));
    const [v, g] = step(w, x);
    const [v0, g0] = valueAndGrad(loss)(w, x);
    expect(v.item()).toBeCloseTo(v0.item() as number, 12);
    expect(globalThis.Array.from(g.dataSync())).toEqual(globalThis.Array.from(g0.dataSync()).map((t) => expect.closeTo(t, 12)));
  });
});
