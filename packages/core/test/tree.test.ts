import fc from 'fast-check';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { TenfoldError } from '../src/errors.js';
import { Array } from '../src/index.js';
import * as tree from '../src/tree.js';

// The tree module only needs `Array` as a class for `instanceof`. Use the real one when the rest
// of the package loads; otherwise (while it is being written) a stand-in class, so these tests
// exercise the tree logic on their own.
vi.mock('../src/array.js', async (importOriginal) => {
  try {
    return await importOriginal();
  } catch {
    return { Array: class StandInArray {} };
  }
});

/** A minimal Array leaf: never read, only carried around (identity is what the tests check). */
class FakeArray extends Array {
  constructor(readonly id: number) {
    super();
  }
  get aval(): never {
    throw new Error('FakeArray has no aval');
  }
  data(): Promise<never> {
    return Promise.reject(new Error('FakeArray has no data'));
  }
  dataSync(): never {
    throw new Error('FakeArray has no data');
  }
}

const run = { seed: 42, numRuns: 100 };

const leafArb = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.double({ noNaN: true }),
  fc.nat().map((i) => new FakeArray(i)),
);

/** Random trees of leaves in plain objects, arrays, null and undefined. */
function treeArb(nullProto: boolean) {
  return fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leafArb,
      fc.constantFrom(null, undefined),
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), { maxKeys: 4, noNullPrototype: !nullProto }),
    ),
  })).node;
}

describe('flatten / unflatten', () => {
  it('round-trips random trees', () => {
    fc.assert(
      fc.property(treeArb(false), (t) => {
        const [leaves, def] = tree.flatten(t);
        expect(def.numLeaves).toBe(leaves.length);
        const back = tree.unflatten(def, leaves);
        expect(back).toStrictEqual(t);
        const [leaves2, def2] = tree.flatten(back);
        expect(def2.equals(def)).toBe(true);
        for (const [i, x] of leaves2.entries()) expect(x).toBe(leaves[i]);
      }),
      run,
    );
  });

  it('treats null-prototype objects as plain objects', () => {
    fc.assert(
      fc.property(treeArb(true), (t) => {
        const [leaves, def] = tree.flatten(t);
        expect(tree.structure(tree.unflatten(def, leaves)).equals(def)).toBe(true);
      }),
      run,
    );
    const o = Object.create(null) as Record<string, unknown>;
    o.x = 1;
    expect(tree.structure(o).equals(tree.structure({ x: 2 }))).toBe(true);
  });

  it('handles leaves at the root, empty containers and sparse arrays', () => {
    const a = new FakeArray(1);
    expect(tree.flatten(a)[0]).toEqual([a]);
    expect(tree.unflatten(tree.structure(a), [7])).toBe(7);
    expect(tree.leaves({ a: [], b: {}, c: null, d: undefined })).toEqual([]);
    // biome-ignore lint/suspicious/noSparseArray: a hole reads as undefined, an empty node
    const sparse = [, 1];
    expect(tree.structure(sparse).toString()).toBe('PyTreeDef([undefined, *])');
  });

  it('keeps a key named __proto__ an ordinary key', () => {
    const t = JSON.parse('{"__proto__": 1, "a": 2}') as unknown;
    const [leaves, def] = tree.flatten(t);
    expect(leaves).toEqual([1, 2]);
    const back = tree.unflatten(def, [10, 20]) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
  });

  it('allows the same object twice side by side', () => {
    const shared = { w: 1 };
    expect(tree.leaves([shared, shared])).toEqual([1, 1]);
  });

  it('unflatten checks the leaf count', () => {
    const def = tree.structure({ a: 1, b: [2, 3] });
    expect(() => tree.unflatten(def, [1, 2])).toThrow(TenfoldError);
    expect(() => tree.unflatten(def, [1, 2])).toThrow(/^tree\.unflatten: .*expects 3 leaves, got 2/);
  });
});

describe('key order', () => {
  it('visits object keys sorted, as JAX does for dicts', () => {
    const [leaves, def] = tree.flatten({ b: 1, a: 2, c: [3] });
    expect(leaves).toEqual([2, 1, 3]);
    expect(def.toString()).toBe("PyTreeDef({'a': *, 'b': *, 'c': [*]})");
    expect(Object.keys(tree.unflatten(def, leaves) as object)).toEqual(['a', 'b', 'c']);
    expect(tree.structure({ b: 1, a: 2 }).equals(tree.structure({ a: 0, b: 0 }))).toBe(true);
  });

  it('sorts keys as strings, so "10" comes before "2"', () => {
    expect(tree.leaves({ 2: 1, 10: 0 })).toEqual([0, 1]);
  });
});

describe('structure', () => {
  it('is equal for trees that differ only in leaves', () => {
    fc.assert(
      fc.property(treeArb(false), (t) => {
        const mapped = tree.map(() => new FakeArray(0), t);
        expect(tree.structure(mapped).equals(tree.structure(t))).toBe(true);
      }),
      run,
    );
  });

  it.each([
    [[1, 2], [1]],
    [{ a: 1 }, { b: 1 }],
    [{ a: 1 }, { a: 1, b: 2 }],
    [null, undefined],
    [1, []],
    [{ a: [1] }, { a: { 0: 1 } }],
    [
      [1, [2]],
      [1, [2, 3]],
    ],
  ])('differs: %j vs %j', (x, y) => {
    expect(tree.structure(x).equals(tree.structure(y))).toBe(false);
    expect(tree.structure(y).equals(tree.structure(x))).toBe(false);
  });

  it('prints like JAX', () => {
    expect(String(tree.structure({ a: 1, b: [2, 3] }))).toBe("PyTreeDef({'a': *, 'b': [*, *]})");
    expect(String(tree.structure([1, { x: null, 'my key': true }]))).toBe("PyTreeDef([*, {'my key': *, 'x': null}])");
    expect(String(tree.structure(3))).toBe('PyTreeDef(*)');
  });
});

describe('flattenWithPath', () => {
  it('gives each leaf its path', () => {
    const a = new FakeArray(0);
    const [pairs, def] = tree.flattenWithPath({ w: [1, { x: a }], b: 3, 'my key': [true] });
    expect(pairs).toEqual([
      ['b', 3],
      ["['my key'][0]", true],
      ['w[0]', 1],
      ['w[1].x', a],
    ]);
    expect(def.numLeaves).toBe(4);
    expect(tree.flattenWithPath(5)[0]).toEqual([['', 5]]);
  });
});

describe('map', () => {
  it('with the identity returns an equal tree', () => {
    fc.assert(
      fc.property(treeArb(false), (t) => {
        expect(tree.map((x) => x, t)).toStrictEqual(t);
      }),
      run,
    );
  });

  it('maps several trees leaf by leaf', () => {
    fc.assert(
      fc.property(treeArb(false), (t) => {
        const ids = tree.map((_x) => 1, t);
        const tagged = tree.map((x, one) => [x, one], t, ids);
        expect(tree.leaves(tagged)).toEqual(tree.leaves(t).flatMap((x) => [x, 1]));
      }),
      run,
    );
    const sum = tree.map((x, y, z) => x + y + z, { a: 1, b: [2, 3] }, { a: 10, b: [20, 30] }, { b: [200, 300], a: 100 });
    expect(sum).toEqual({ a: 111, b: [222, 333] });
  });

  it('names the first structural difference by path', () => {
    const p = {
      layers: [
        { w: 1, b: 2 },
        { w: 3, b: 4 },
      ],
    };
    const g = {
      layers: [
        { w: 1, b: 2 },
        { w: 3, b: [4] },
      ],
    };
    expect(() => tree.map((x: unknown) => x, p, g)).toThrow(TenfoldError);
    expect(() => tree.map((x: unknown) => x, p, g)).toThrow(
      'tree.map: every tree must have the structure of the first; tree 2 differs at layers[1].b: expected a leaf, got a list of length 1',
    );
    expect(() => tree.map((x: unknown) => x, { a: 1 }, { a: 1 }, { b: 1 })).toThrow(
      "tree 3 differs at the root: expected an object with keys ['a'], got an object with keys ['b']",
    );
  });
});

describe('reduce', () => {
  it('folds the leaves in order', () => {
    expect(tree.reduce((acc, x) => acc + x, { a: 1, b: [2, 3] }, 0)).toBe(6);
    expect(tree.reduce((acc: string, x) => acc + String(x), { b: 1, a: [2, 3] }, '')).toBe('231');
  });
});

describe('errors', () => {
  const cases: [string, unknown, string][] = [
    ['a string', { params: { layers: [{ w: 1 }, { w: 'x' }] } }, 'params.layers[1].w'],
    ['a function', [() => 0], '[0]'],
    ['an instance of Map', { m: new Map() }, 'm'],
    ['an instance of Date', { 'a b': [new Date()] }, "['a b'][0]"],
    ['an instance of Float32Array', new Float32Array(2), 'the root'],
    ['a bigint', { n: 1n }, 'n'],
  ];
  it.each(cases)('rejects %s, naming the op and the path', (what, t, path) => {
    expect(() => tree.flatten(t)).toThrow(TenfoldError);
    let message = '';
    try {
      tree.flatten(t);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^tree\.flatten: /);
    expect(message).toContain(`at ${path}: ${what}`);
    expect(message).toContain('plain objects, JS arrays, null and undefined');
  });

  it('rejects class instances other than Array', () => {
    class Params {
      w = 1;
    }
    expect(() => tree.leaves({ p: new Params() })).toThrow('tree.leaves: unsupported value at p: an instance of Params');
  });

  it('names the calling function', () => {
    expect(() => tree.map((x: unknown) => x, { a: 'x' })).toThrow(/^tree\.map: unsupported value at a/);
    expect(() => tree.structure(['x'])).toThrow(/^tree\.structure: /);
  });

  it('rejects cycles', () => {
    const t: { a: unknown[] } = { a: [] };
    t.a.push(t);
    expect(() => tree.flatten(t)).toThrow('tree.flatten: the tree contains itself at a[0] (a cycle)');
  });
});

describe('types', () => {
  it('map keeps keys and tuples', () => {
    const p: { w: number; b: number[] } = { w: 1, b: [2, 3] };
    const toArray = (x: tree.Leaf): Array => (x instanceof Array ? x : new FakeArray(Number(x)));
    expectTypeOf(tree.map(toArray, p)).toEqualTypeOf<{ w: Array; b: Array[] }>();
    expectTypeOf(tree.map((x) => x * 2, p)).toEqualTypeOf<{ w: number; b: number[] }>();
    const pair: [Array, number] = [new FakeArray(0), 1];
    expectTypeOf(tree.map(toArray, pair)).toEqualTypeOf<[Array, Array]>();
    expectTypeOf(tree.map((x) => String(x), { a: null, b: [true] as const })).toEqualTypeOf<{ a: null; b: [string] }>();
  });

  it('map infers leaf types, for every tree', () => {
    const params = { w: new FakeArray(0), b: new FakeArray(1) };
    const grads = { w: 1, b: 2 };
    tree.map(
      (p, g) => {
        expectTypeOf(p).toEqualTypeOf<FakeArray>();
        expectTypeOf(g).toEqualTypeOf<number>();
        return p;
      },
      params,
      grads,
    );
    interface Layer {
      w: number;
      flags: boolean[];
    }
    const layer: Layer = { w: 1, flags: [true] };
    expectTypeOf(tree.leaves(layer)).toEqualTypeOf<(number | boolean)[]>();
    expectTypeOf(tree.map((x) => x, layer as unknown)).toEqualTypeOf<unknown>();
    expectTypeOf(tree.leaves(layer as unknown)).toEqualTypeOf<tree.Leaf[]>();
  });

  it('unflatten and reduce', () => {
    const def = tree.structure({ a: 1 });
    const back = tree.unflatten(def, [1]);
    expectTypeOf(back).toEqualTypeOf<tree.Tree<number>>();
    // Tree is recursive, so LeafOf stops at its depth limit and answers the general Leaf.
    expectTypeOf(tree.leaves(back)).toEqualTypeOf<tree.Leaf[]>();
    expectTypeOf(tree.reduce((n, x) => n + x, [1, 2], 0)).toEqualTypeOf<number>();
  });
});
