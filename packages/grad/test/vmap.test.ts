// The vmap API contract: in and out axes per argument or per pytree leaf (prefixes, null,
// negative), axisSize, nesting and closures over outer batched values, clear errors, and a staged
// graph whose size does not depend on the batch size.
import { type Array, evalJaxpr, lax, np, random, tree } from '@tenfold/core';
import { makeJaxpr, vmap } from '@tenfold/grad';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const range = (n: number): number[] => globalThis.Array.from({ length: n }, (_, i) => i);

/** Deterministic values in [-2, 2) of `shape` (float32 unless told). */
function data(shape: readonly number[], seed = 1, dtype: 'float32' | 'float64' = 'float32'): Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const vals = range(n).map((i) => (((Math.sin(seed * 1000 + i * 12.9898) * 43758.5453) % 1) + 1) % 1);
  return np.array(
    vals.map((v) => 4 * v - 2),
    { shape, dtype },
  );
}

/** Same shape and dtype, values equal to a float tolerance. */
function close(actual: Array, expected: Array, what = 'value', tol = 1e-5): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  expect(actual.dtype, `${what}: dtype`).toBe(expected.dtype);
  const a = actual.dataSync();
  const e = expected.dataSync();
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs((a[i] as number) - (e[i] as number));
    if (!(d <= tol * (1 + Math.abs(e[i] as number)))) throw new Error(`${what}: element ${i} is ${a[i]}, expected ${e[i]}`);
  }
}

/** Slice `b` of `x` along `axis` (concrete). */
function at(x: Array, axis: number, b: number): Array {
  const ax = axis < 0 ? axis + x.ndim : axis;
  return lax.reshape(
    lax.slice(
      x,
      x.shape.map((_, i) => (i === ax ? b : 0)),
      x.shape.map((d, i) => (i === ax ? b + 1 : d)),
    ),
    x.shape.filter((_, i) => i !== ax),
  );
}

// ---------------------------------------------------------------------------------------------
// in and out axes
// ---------------------------------------------------------------------------------------------

describe('vmap: in axes', () => {
  const dot = (a: Array, b: Array) => np.sum(np.multiply(a, b));

  it('defaults to axis 0 of every argument', () => {
    const a = data([4, 3], 1);
    const b = data([4, 3], 2);
    close(vmap(dot)(a, b), np.stack(range(4).map((i) => dot(at(a, 0, i), at(b, 0, i)))));
  });

  it('one axis per argument; null for an unbatched (shared) argument', () => {
    const a = data([3, 5], 1);
    const b = data([3], 2);
    close(vmap(dot, { inAxes: [1, null] })(a, b), np.stack(range(5).map((i) => dot(at(a, 1, i), b))));
    close(vmap(dot, { inAxes: [null, 0] })(b, np.transpose(a)), np.stack(range(5).map((i) => dot(b, at(a, 1, i)))));
  });

  it('a single number applies to every argument and every leaf; negative axes count from the end', () => {
    const a = data([3, 4], 1);
    const b = data([3, 4], 2);
    close(vmap(dot, { inAxes: -1 })(a, b), np.stack(range(4).map((i) => dot(at(a, 1, i), at(b, 1, i)))));
    const f = (p: { u: Array; v: Array[] }) => np.add(p.u, np.multiply(p.v[0]!, p.v[1]!));
    const u = data([2, 5], 3);
    const v = [data([2, 5], 4), data([2, 5], 5)];
    close(vmap(f, { inAxes: -1 })({ u, v }), np.stack(range(5).map((i) => f({ u: at(u, 1, i), v: v.map((x) => at(x, 1, i)) }))));
    close(vmap(f, { inAxes: -2 })({ u, v }), np.stack(range(2).map((i) => f({ u: at(u, 0, i), v: v.map((x) => at(x, 0, i)) }))));
  });

  it('per-leaf axes over pytrees: an axis spec is a prefix of the argument structure', () => {
    const layer = (p: { w: Array; b: Array }, x: Array) => np.add(np.matmul(x, p.w), p.b);
    const w = data([3, 2], 1);
    const bs = data([2, 4], 2); // a bias per example, batched on axis 1
    const xs = data([4, 3], 3);
    const want = np.stack(range(4).map((i) => layer({ w, b: at(bs, 1, i) }, at(xs, 0, i))));
    close(vmap(layer, { inAxes: [{ w: null, b: 1 }, 0] })({ w, b: bs }, xs), want);
    // a whole subtree unbatched with one null
    const b = data([2], 4);
    close(vmap(layer, { inAxes: [null, 0] })({ w, b }, xs), np.stack(range(4).map((i) => layer({ w, b }, at(xs, 0, i)))));
    // lists: [[batched, shared], batched]
    const g = (pair: Array[], z: Array) => np.multiply(np.add(pair[0]!, pair[1]!), z);
    const p0 = data([4, 2], 5);
    const p1 = data([2], 6);
    const z = data([2, 4], 7);
    close(vmap(g, { inAxes: [[0, null], -1] })([p0, p1], z), np.stack(range(4).map((i) => g([at(p0, 0, i), p1], at(z, 1, i)))));
  });

  it('JS numbers and unbatched arrays pass through; axisSize when nothing is mapped', () => {
    const xs = data([3, 2], 1);
    close(vmap((x: Array, s: number) => np.multiply(x, s), { inAxes: [0, null] })(xs, 2.5), np.multiply(xs, 2.5));
    const c = data([2], 2);
    const out = vmap((x: Array) => np.exp(x), { inAxes: null, axisSize: 4 })(c);
    close(out, np.broadcastTo(np.exp(c), [4, 2]));
    // an axisSize that agrees with the mapped arguments is accepted
    close(vmap((x: Array) => np.sum(x), { axisSize: 3 })(xs), np.sum(xs, 1));
  });

  it('drawn in axes and out axes at every position agree with stacking slices', () => {
    const f = (x: Array, y: Array) => np.tanh(np.add(np.matmul(x, y), 1));
    fc.assert(
      fc.property(fc.integer({ min: -3, max: 2 }), fc.integer({ min: -3, max: 2 }), fc.integer({ min: -3, max: 2 }), (ax, ay, ao) => {
        const x1 = data([2, 3], 1);
        const n = 4;
        const xs = np.stack(
          range(n).map((i) => np.multiply(x1, i + 1)),
          ax,
        );
        const ys = np.stack(
          range(n).map((i) => data([3, 2], i + 10)),
          ay,
        );
        const want = np.stack(
          range(n).map((i) => f(at(xs, ax, i), at(ys, ay, i))),
          ao,
        );
        close(vmap(f, { inAxes: [ax, ay], outAxes: ao })(xs, ys), want);
      }),
      { seed: 42, numRuns: 12 },
    );
  });
});

describe('vmap: out axes', () => {
  const xs = data([3, 2, 4], 1);
  const f = (x: Array) => ({ row: np.sum(x, 0), same: x, total: np.sum(x) });

  it('one out axis for every output, or one per output leaf (a prefix), negative included', () => {
    const per = range(3).map((i) => f(at(xs, 0, i)));
    const stack = (k: 'row' | 'same' | 'total', ax: number) =>
      np.stack(
        per.map((o) => o[k]),
        ax,
      );
    const all = vmap(f, { outAxes: -1 })(xs);
    close(all.row, stack('row', -1));
    close(all.same, stack('same', -1));
    close(all.total, stack('total', 0));
    const each = vmap(f, { outAxes: { row: 1, same: 1, total: 0 } })(xs);
    close(each.row, stack('row', 1));
    close(each.same, stack('same', 1));
    close(each.total, stack('total', 0));
    const pair = vmap((x: Array) => [np.exp(x), [np.sum(x, 1), x]], { outAxes: [2, [0, -2]] })(xs) as [Array, [Array, Array]];
    close(pair[0], np.moveaxis(np.exp(xs), 0, 2));
    close(pair[1][0], np.sum(xs, 2));
    close(pair[1][1], np.moveaxis(xs, 0, 1));
  });

  it('an unbatched output is broadcast along the out axis, or returned as is with outAxes null', () => {
    const c = data([2], 9);
    const [b, same] = vmap((x: Array) => [np.add(c, 1), np.sum(x)], { outAxes: [1, 0] })(data([5, 3], 2)) as [Array, Array];
    close(b, np.broadcastTo(np.expandDims(np.add(c, 1), 1), [2, 5]));
    expect(same.shape).toEqual([5]);
    const [u, v] = vmap((x: Array) => [np.multiply(c, 2), np.sum(x)], { outAxes: [null, 0] })(data([5, 3], 2)) as [Array, Array];
    close(u, np.multiply(c, 2));
    expect(v.shape).toEqual([5]);
    // a constant JS number output is broadcast too
    close(vmap(() => 3, { inAxes: null, axisSize: 4 })() as unknown as Array, np.broadcastTo(np.asArray(3), [4]));
  });
});

// ---------------------------------------------------------------------------------------------
// nesting
// ---------------------------------------------------------------------------------------------

describe('vmap: nesting', () => {
  it('vmap(vmap(f)) over two batch axes, with in axes at different positions', () => {
    const f = (x: Array, y: Array) => np.sum(np.multiply(np.sin(x), y));
    const xs = data([2, 4, 3], 1); // outer axis 0, inner axis 1
    const ys = data([3, 4, 2], 2); // outer axis -1, inner axis 1
    const got = vmap(vmap(f, { inAxes: [0, 1] }), { inAxes: [0, -1] })(xs, ys);
    const want = np.stack(range(2).map((i) => np.stack(range(4).map((j) => f(at(at(xs, 0, i), 0, j), at(at(ys, 2, i), 1, j))))));
    close(got, want);
  });

  it('pairwise distances: inner maps one argument, outer the other', () => {
    const dist = (a: Array, b: Array) => np.sqrt(np.sum(np.square(np.subtract(a, b))));
    const as = data([4, 3], 1);
    const bs = data([5, 3], 2);
    const got = vmap(vmap(dist, { inAxes: [null, 0] }), { inAxes: [0, null] })(as, bs);
    expect(got.shape).toEqual([4, 5]);
    close(got, np.stack(range(4).map((i) => np.stack(range(5).map((j) => dist(at(as, 0, i), at(bs, 0, j)))))));
  });

  it('the inner function closes over values batched by the outer vmap', () => {
    const xs = data([3, 2], 1);
    const ys = data([4, 2], 2);
    const got = vmap((x: Array) => vmap((y: Array) => np.multiply(np.exp(x), y))(ys))(xs);
    expect(got.shape).toEqual([3, 4, 2]);
    close(got, np.stack(range(3).map((i) => np.stack(range(4).map((j) => np.multiply(np.exp(at(xs, 0, i)), at(ys, 0, j)))))));
    // the inner output does not depend on the inner batch: broadcast along it
    const onlyOuter = vmap((x: Array) => vmap((_y: Array) => np.sum(x))(ys))(xs);
    close(onlyOuter, np.broadcastTo(np.expandDims(np.sum(xs, 1), 1), [3, 4]));
  });

  it('three levels with out axes moved at each level', () => {
    const g = (x: Array) => np.multiply(x, np.sum(x));
    const x = data([2, 3, 4, 5], 3);
    const got = vmap(vmap(vmap(g, { outAxes: -1 }), { inAxes: 1, outAxes: 0 }), { inAxes: 0, outAxes: 1 })(x);
    // outer maps axis 0 (2), middle axis 1 of the rest (4), inner axis 0 of the rest (3)
    const want = np.stack(
      range(2).map((i) => {
        const xi = at(x, 0, i); // [3, 4, 5]: middle level maps axis 1 (4)
        return np.stack(
          range(4).map((j) => {
            const xij = at(xi, 1, j); // [3, 5]: innermost maps axis 0 (3)
            return np.stack(
              range(3).map((k) => g(at(xij, 0, k))),
              -1,
            ); // [5, 3]
          }),
          0,
        ); // [4, 5, 3]
      }),
      1,
    ); // [4, 2, 5, 3]
    close(got, want);
  });
});

describe('vmap: edge cases', () => {
  it('the identity moves the batch axis from the in axis to the out axis', () => {
    const x = data([2, 3, 4], 1);
    close(vmap((v: Array) => v, { inAxes: 1 })(x), np.moveaxis(x, 1, 0));
    close(vmap((v: Array) => v, { inAxes: 0, outAxes: -1 })(x), np.moveaxis(x, 0, -1));
  });

  it('an inner outAxes null for an output batched only by the outer vmap', () => {
    const xs = data([3, 2], 1);
    const got = vmap((x: Array) => vmap((_y: Array) => np.sum(x), { outAxes: null })(np.zeros([4])))(xs);
    close(got, np.sum(xs, 1));
  });

  it('an empty batch (size 0) gives empty results of the right shape', () => {
    const z = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => np.zeros(shape, { dtype });
    expect(vmap((x: Array) => np.sum(x))(z([0, 3])).shape).toEqual([0]);
    expect(vmap((x: Array) => np.matmul(x, np.ones([3, 2])))(z([0, 3])).shape).toEqual([0, 2]);
    expect(vmap((x: Array, i: Array) => lax.gather(x, i, 0))(z([0, 3]), z([0, 2], 'int32')).shape).toEqual([0, 2]);
    expect(vmap((x: Array, i: Array, u: Array) => lax.scatterAdd(x, i, u, 0))(z([0, 3]), z([0, 2], 'int32'), z([0, 2])).shape).toEqual([0, 3]);
    expect(vmap((x: Array, w: Array) => lax.conv(x, w))(z([0, 1, 2, 4]), z([0, 3, 2, 2])).shape).toEqual([0, 1, 3, 3]);
    expect(vmap((x: Array, w: Array) => lax.conv(x, w, { batchGroupCount: 2 }))(z([0, 2, 2, 4]), z([0, 4, 2, 2])).shape).toEqual([0, 1, 4, 3]);
    expect(vmap((x: Array, w: Array) => lax.conv(x, w), { inAxes: [null, 0] })(z([1, 2, 4]), z([0, 3, 2, 2])).shape).toEqual([0, 1, 3, 3]);
    expect(vmap((x: Array) => np.exp(x), { inAxes: null, axisSize: 0 })(z([2])).shape).toEqual([0, 2]);
  });
});

// ---------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------

describe('vmap: errors', () => {
  const f = (a: Array, b: Array) => np.add(a, b);

  it('mapped axes of different sizes: names both arguments and their sizes', () => {
    expect(() => vmap(f)(np.zeros([3, 2]), np.zeros([4, 2]))).toThrow(/different sizes.*\[0\].*3.*\[1\].*4/);
    expect(() => vmap(f, { inAxes: [0, 1] })(np.zeros([3, 2]), np.zeros([3, 2]))).toThrow(/\[0\] has 3 but argument \[1\] has 2/);
    expect(() => vmap((p: { a: Array; b: Array }) => np.add(p.a, p.b))({ a: np.zeros([2]), b: np.zeros([5]) })).toThrow(/different sizes.*a.*2.*b.*5/);
    expect(() => vmap((x: Array) => x, { axisSize: 2 })(np.zeros([3]))).toThrow(/axisSize has 2 but .* has 3/);
  });

  it('an in axis out of range names the axis and the shape', () => {
    expect(() => vmap(f, { inAxes: [0, 2] })(np.zeros([3, 2]), np.zeros([3, 2]))).toThrow(/in axis 2 is out of range.*\[3,2\]/);
    expect(() => vmap(f, { inAxes: -3 })(np.zeros([3, 2]), np.zeros([3, 2]))).toThrow(/in axis -3 is out of range/);
    expect(() => vmap((x: Array) => x)(np.zeros([]))).toThrow(/in axis 0 is out of range.*rank 0/);
    expect(() => vmap((x: Array) => x, { inAxes: 0.5 })(np.zeros([3]))).toThrow(/in axis 0.5/);
  });

  it('an out axis out of range names the axis and the output rank', () => {
    expect(() => vmap((x: Array) => np.exp(x), { outAxes: 2 })(np.zeros([3, 2]))).toThrow(/out axis 2 is out of range for output 0 of rank 2/);
    expect(() => vmap((x: Array) => [x, np.sum(x)], { outAxes: [0, 1] })(np.zeros([3, 2]))).toThrow(/out axis 1 is out of range for output 1 of rank 1/);
    expect(() => vmap((x: Array) => x, { outAxes: -4 })(np.zeros([3, 2, 2]))).toThrow(/out axis -4 is out of range/);
  });

  it('in axes that do not match the argument structure', () => {
    expect(() => vmap(f, { inAxes: [0] })(np.zeros([3]), np.zeros([3]))).toThrow(/inAxes has 1 entries but the function was called with 2 arguments/);
    expect(() => vmap(f, { inAxes: { a: 0 } as never })(np.zeros([3]), np.zeros([3]))).toThrow(/inAxes must be a number, null, or a list/);
    const g = (p: { w: Array; b: Array }) => np.add(p.w, p.b);
    expect(() => vmap(g, { inAxes: [{ w: 0 }] })({ w: np.zeros([3]), b: np.zeros([3]) })).toThrow(/keys \{w\} but the value has \{b, w\}/);
    expect(() => vmap(g, { inAxes: [[0, 0]] })({ w: np.zeros([3]), b: np.zeros([3]) })).toThrow(/list of 2 but the value there is an object/);
    expect(() => vmap((x: Array) => x, { inAxes: [{ a: 0 }] })(np.zeros([3]))).toThrow(/is an object but the value there is an array float32\[3\]/);
    expect(() => vmap((x: Array) => x, { inAxes: [[0]] })(np.zeros([3]))).toThrow(
      /is a list of 1 but the value there is an array float32\[3\]; specs must match the structure of the arguments/,
    );
    expect(() => vmap(f, { inAxes: [0, undefined] as never })(np.zeros([3]), np.zeros([3]))).toThrow(
      /axis spec at argument 1 is undefined; use a number for the mapped axis or null/,
    );
    expect(() => vmap((xs: Array[]) => xs[0]!, { inAxes: [[0, null, 0]] })([np.zeros([3]), np.zeros([3])])).toThrow(
      /list of 3 but the value there is a list of 2/,
    );
  });

  it('out axes that do not match the output structure', () => {
    expect(() => vmap((x: Array) => [x, x], { outAxes: [0] })(np.zeros([3]))).toThrow(
      /list of 1 but the value there is a list of 2; specs must match the structure of the outputs/,
    );
    // the output as one example sees it
    expect(() => vmap((x: Array) => x, { outAxes: [0] })(np.zeros([3, 2]))).toThrow(
      /list of 1 but the value there is an array float32\[2\]; specs must match the structure of the outputs/,
    );
  });

  it('axisSize must be a non-negative integer', () => {
    for (const bad of [-1, 2.5, Number.NaN]) {
      expect(() => vmap((x: Array) => x, { inAxes: null, axisSize: bad })(np.zeros([3]))).toThrow(`vmap: axisSize must be a non-negative integer, got ${bad}`);
    }
  });

  it('a mistake inside the function is reported with the shapes and parameters of one example', () => {
    const inside = /\(inside vmap: shapes are per example; the mapped axis of size 8 is not shown\)$/;
    const transpose = () => vmap((a: Array) => lax.transpose(a, [1, 0]))(np.ones([8, 2, 3, 4]));
    expect(transpose).toThrow(/^transpose: \[1,0\] is not a permutation of the 3 axes of float32\[2,3,4\]/);
    expect(transpose).toThrow(inside);
    expect(() => vmap((a: Array) => lax.reshape(a, [5]))(np.ones([8, 2, 3]))).toThrow(/^reshape: cannot reshape float32\[2,3\] \(6 elements\) into \[5\]/);
    expect(() => vmap((a: Array, b: Array) => lax.add(a, b))(np.ones([8, 2, 3]), np.ones([8, 3, 2]))).toThrow(/float32\[2,3\] and float32\[3,2\]/);
    expect(() => vmap((a: Array, b: Array) => lax.conv(a, b))(np.ones([8, 1, 3, 5, 5]), np.ones([8, 4, 2, 3, 3]))).toThrow(
      /^conv: input channels 3 of float32\[1,3,5,5\] must equal featureGroupCount \(1\)/,
    );
    // an argument that is not mapped keeps its shape in the message
    expect(() => vmap((a: Array, b: Array) => lax.add(a, b), { inAxes: [0, null] })(np.ones([8, 2]), np.ones([3]))).toThrow(/float32\[2\] and float32\[3\]/);
  });

  it('no mapped argument without axisSize', () => {
    expect(() => vmap(f, { inAxes: null })(np.zeros([3]), np.zeros([3]))).toThrow(/no argument is mapped.*axisSize/);
    expect(() => vmap(f, { inAxes: [null, null] })(np.zeros([3]), np.zeros([3]))).toThrow(/no argument is mapped/);
  });

  it('outAxes null for an output that depends on the mapped arguments', () => {
    expect(() => vmap((x: Array) => [np.sum(x), np.zeros([2])], { outAxes: [0, null] })(np.zeros([3]))).not.toThrow();
    expect(() => vmap((x: Array) => [np.zeros([2]), np.exp(x)], { outAxes: [0, null] })(np.zeros([3]))).toThrow(
      /outAxes is null for output 1.*depends on the mapped arguments/,
    );
    expect(() => vmap((x: Array) => np.exp(x), { outAxes: null })(np.zeros([3]))).toThrow(/outAxes is null for output 0/);
    // a top-level null applies to every output
    expect(vmap((_x: Array) => np.zeros([2]), { outAxes: null })(np.zeros([3])).shape).toEqual([2]);
  });
});

// ---------------------------------------------------------------------------------------------
// the traced graph does not grow with the batch size
// ---------------------------------------------------------------------------------------------

const SIZES = [2, 7, 50];

/** Equation counts of makeJaxpr(g(size)) at each batch size, and the primitive counts at the first. */
function graphs(build: (size: number) => { f: (...xs: never[]) => unknown; args: unknown[] }): { counts: number[]; prims: Map<string, number> } {
  const js = SIZES.map((n) => {
    const { f, args } = build(n);
    return makeJaxpr(f as (...xs: unknown[]) => unknown)(...args);
  });
  const prims = new Map<string, number>();
  for (const e of js[0]!.eqns) prims.set(e.prim, (prims.get(e.prim) ?? 0) + 1);
  return { counts: js.map((j) => j.eqns.length), prims };
}

function primCounts(f: (...xs: never[]) => unknown, args: unknown[]): Map<string, number> {
  const prims = new Map<string, number>();
  for (const e of makeJaxpr(f as (...xs: unknown[]) => unknown)(...args).eqns) prims.set(e.prim, (prims.get(e.prim) ?? 0) + 1);
  return prims;
}

describe('the traced graph of vmap(f) has the same number of equations whatever the batch size', () => {
  const params = { w1: data([20, 16], 1), b1: data([16], 2), w2: data([16, 16], 3), b2: data([16], 4), w3: data([16, 10], 5), b3: data([10], 6) };
  type Params = typeof params;
  const mlpLoss = (p: Params, x: Array, y: Array) => {
    const h1 = np.relu(np.add(np.matmul(x, p.w1), p.b1));
    const h2 = np.relu(np.add(np.matmul(h1, p.w2), p.b2));
    const logits = np.add(np.matmul(h2, p.w3), p.b3);
    return np.negative(np.sum(np.multiply(np.logSoftmax(logits), np.oneHot(y, 10))));
  };

  it('MLP loss per example (inAxes [null, 0, 0])', () => {
    const { counts, prims } = graphs((n) => ({
      f: vmap(mlpLoss, { inAxes: [null, 0, 0] }) as never,
      args: [params, data([n, 20], 7), np.zeros([n], { dtype: 'int32' })],
    }));
    expect(counts[0]).toBeGreaterThan(10);
    expect(new Set(counts).size, `equations at batch sizes ${SIZES.join(', ')}: ${counts.join(', ')}`).toBe(1);
    // one matmul per layer for the whole batch, as for a single example
    expect(prims.get('dot_general')).toBe(primCounts(mlpLoss as never, [params, data([20], 7), np.zeros([], { dtype: 'int32' })]).get('dot_general'));
  });

  it('conv net per example', () => {
    const w = data([4, 1, 3, 3], 8);
    const dense = data([4 * 3 * 3, 5], 9);
    const net = (x: Array) => {
      const h = np.relu(lax.conv(np.expandDims(x, 0), w, { padding: 'SAME' })); // [1, 4, 6, 6]
      const pooled = lax.reduceWindow(h, 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] }); // [1, 4, 3, 3]
      return np.logsumexp(np.matmul(np.reshape(pooled, [-1]), dense));
    };
    const { counts, prims } = graphs((n) => ({ f: vmap(net) as never, args: [data([n, 1, 6, 6], 10)] }));
    expect(new Set(counts).size, `equations at batch sizes ${SIZES.join(', ')}: ${counts.join(', ')}`).toBe(1);
    expect(prims.get('conv')).toBe(1);
    expect(prims.get('reduce_window_max')).toBe(1);
  });

  it('indexing: gather and scatter with batched tables and batched indices', () => {
    const f = (table: Array, ids: Array, v: Array) => {
      const rows = np.take(table, ids, 0); // [3, 4]
      const updated = lax.scatterAdd(table, ids, np.multiply(rows, v), 0);
      return np.sum(np.multiply(updated, 2));
    };
    for (const inAxes of [
      [0, 0, 0],
      [null, 0, null],
      [0, null, 0],
    ] as const) {
      const { counts, prims } = graphs((n) => ({
        f: vmap(f, { inAxes: [...inAxes] }) as never,
        args: [
          inAxes[0] === null ? data([6, 4], 11) : data([n, 6, 4], 11),
          inAxes[1] === null ? np.array([0, 2, 5], { dtype: 'int32' }) : np.zeros([n, 3], { dtype: 'int32' }),
          inAxes[2] === null ? data([], 12) : data([n], 12),
        ],
      }));
      expect(new Set(counts).size, `inAxes [${inAxes.join(',')}]: ${counts.join(', ')}`).toBe(1);
      expect(prims.get('gather')).toBe(1);
      expect(prims.get('scatter_add')).toBe(1);
    }
  });

  it('random numbers over keys, and nested vmap', () => {
    const { counts } = graphs((n) => ({ f: vmap((k: Array) => random.normal(k, [3])) as never, args: [random.splitKeys(random.key(0), n)] }));
    expect(new Set(counts).size).toBe(1);
    const g = (x: Array, y: Array) => np.sum(np.tanh(np.multiply(x, y)));
    const nested = graphs((n) => ({ f: vmap(vmap(g, { inAxes: [0, null] }), { inAxes: [null, 0] }) as never, args: [data([n, 4], 1), data([n + 3, 4], 2)] }));
    expect(new Set(nested.counts).size).toBe(1);
  });

  it('vmap(f) evaluates to the same values as its staged graph', () => {
    const xs = data([7, 20], 13);
    const ys = np.array([1, 0, 9, 3, 3, 2, 7], { dtype: 'int32' });
    const batched = vmap(mlpLoss, { inAxes: [null, 0, 0] });
    close(batched(params, xs, ys), np.stack(range(7).map((i) => mlpLoss(params, at(xs, 0, i), at(ys, 0, i)))), 'per-example losses', 1e-4);
    const staged = makeJaxpr(batched)(params, xs, ys);
    expect(staged.outs.length).toBe(1);
    close(evalJaxpr(staged, tree.leaves([params, xs, ys]) as Array[])[0]!, batched(params, xs, ys), 'staged graph', 1e-5);
  });
});
