// Random programs: fast-check draws 2-6 steps; each step picks one of the ops that fit the current
// shape (matmul, sum/mean/max over an axis, reshape, transpose, slicing, where with a fixed mask,
// exp, log of a positive value, tanh, logSoftmax), with shapes tracked so they compose. Their
// gradients are checked against finite differences with checkGrads, with respect to the input
// and every parameter the program introduced (matmul weights, where's other branch).
import { type Array, np } from '@tenfold/core';
import { grad, jit } from '@tenfold/grad';
import { checkGrads } from '@tenfold/grad/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Shape = readonly number[];

/** One drawn step: which op (modulo the ops that fit) and free integers for its choices. */
interface Step {
  readonly op: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

interface Program {
  readonly inShape: Shape;
  /** Human-readable steps, for failure messages. */
  readonly steps: string[];
  /** Extra differentiable inputs (weights, where's other branch), in order. */
  readonly params: Array[];
  readonly masks: Array[];
  readonly fn: (x: Array, ...params: Array[]) => Array;
}

const sizeOf = (s: Shape): number => s.reduce((p, d) => p * d, 1);

/** Deterministic pseudo-random float64 values in (-scale, scale). */
function lcg(shape: Shape, seed: number, scale = 1): Array {
  let s = (seed * 2654435761) % 2147483648;
  const v = new Float64Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = (s / 2147483648 - 0.5) * 2 * scale;
  }
  return np.array(v, { shape: [...shape], dtype: 'float64' });
}

function lcgMask(shape: Shape, seed: number): Array {
  let s = (seed * 40503 + 7) % 2147483648;
  const v = new Uint8Array(sizeOf(shape));
  for (let i = 0; i < v.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = s % 3 === 0 ? 0 : 1;
  }
  return np.array(v, { shape: [...shape], dtype: 'bool' });
}

type Apply = (x: Array, params: readonly Array[]) => Array;
interface Candidate {
  readonly name: string;
  readonly fits: (s: Shape) => boolean;
  /** Given the step's integers and the shape: a description, the new shape and the op. */
  readonly make: (st: Step, s: Shape, newParam: (p: Array) => number, newMask: (m: Array) => Array) => [string, Shape, Apply];
}

/** Shapes stay small (rank ≤ 3, axes ≤ 4 or a flattened 16) to keep finite differences cheap. */
const CANDIDATES: readonly Candidate[] = [
  {
    name: 'matmul',
    fits: (s) => s.length >= 1 && s.length <= 2,
    make: (st, s, newParam) => {
      const k = 1 + (st.a % 4);
      const n = s[s.length - 1] as number;
      const w = newParam(lcg([n, k], st.c, 1 / Math.sqrt(n)));
      return [`matmul(W[${n},${k}])`, [...s.slice(0, -1), k], (x, p) => np.matmul(x, p[w] as Array)];
    },
  },
  {
    name: 'sum',
    fits: (s) => s.length >= 1,
    make: (st, s) => {
      const ax = st.a % s.length;
      return [`sum(axis=${ax})`, s.filter((_, i) => i !== ax), (x) => np.sum(x, ax)];
    },
  },
  {
    name: 'mean',
    fits: (s) => s.length >= 1,
    make: (st, s) => {
      const ax = st.a % s.length;
      const keep = st.b % 2 === 0;
      return [
        `mean(axis=${ax}${keep ? ', keepdims' : ''})`,
        keep ? s.map((d, i) => (i === ax ? 1 : d)) : s.filter((_, i) => i !== ax),
        (x) => np.mean(x, ax, { keepdims: keep }),
      ];
    },
  },
  {
    name: 'max',
    fits: (s) => s.length >= 1,
    make: (st, s) => {
      const ax = st.a % s.length;
      return [`max(axis=${ax})`, s.filter((_, i) => i !== ax), (x) => np.max(x, ax)];
    },
  },
  {
    name: 'reshape',
    fits: () => true,
    make: (st, s) => {
      const n = sizeOf(s);
      // flatten, reversed axis lengths, or a new unit axis
      const options: Shape[] = [[n], [...s].reverse(), [1, ...s]];
      if (s.length === 2 && n % 2 === 0 && n > 2) options.push([2, n / 2]);
      const target = options.filter((o) => o.length <= 3)[st.a % options.filter((o) => o.length <= 3).length] as Shape;
      return [`reshape([${target.join(',')}])`, target, (x) => np.reshape(x, target)];
    },
  },
  {
    name: 'transpose',
    fits: (s) => s.length >= 2,
    make: (st, s) => {
      const perms =
        s.length === 2
          ? [[1, 0]]
          : [
              [1, 0, 2],
              [2, 0, 1],
              [0, 2, 1],
              [1, 2, 0],
              [2, 1, 0],
            ];
      const perm = perms[st.a % perms.length] as number[];
      return [`transpose([${perm.join(',')}])`, perm.map((p) => s[p] as number), (x) => np.transpose(x, perm)];
    },
  },
  {
    name: 'slice',
    fits: (s) => s.some((d) => d >= 2),
    make: (st, s) => {
      const axes = s.map((d, i) => [d, i] as const).filter(([d]) => d >= 2);
      const ax = (axes[st.a % axes.length] as readonly [number, number])[1];
      const n = s[ax] as number;
      const start = st.b % (n - 1);
      const step = 1 + (st.c % 2);
      const reverse = st.c % 3 === 0;
      const len = Math.ceil((n - start) / step);
      const idx = s.map((_, i) => (i === ax ? (reverse ? np.slice(n - 1 - start, null, -step) : np.slice(start, null, step)) : np.slice()));
      const desc = `x[${s.map((_, i) => (i === ax ? (reverse ? `${n - 1 - start}::-${step}` : `${start}::${step}`) : ':')).join(', ')}]`;
      return [desc, s.map((d, i) => (i === ax ? len : d)), (x) => x.index(...idx)];
    },
  },
  {
    name: 'where',
    fits: () => true,
    make: (st, s, newParam, newMask) => {
      const mask = newMask(lcgMask(s, st.a));
      const y = newParam(lcg(s, st.b + 1));
      return [`where(mask, x, Y[${s.join(',')}])`, s, (x, p) => np.where(mask, x, p[y] as Array)];
    },
  },
  { name: 'exp', fits: () => true, make: (_st, s) => ['exp(0.5·x)', s, (x) => np.exp(np.multiply(x, 0.5))] },
  { name: 'log', fits: () => true, make: (_st, s) => ['log(x² + 0.5)', s, (x) => np.log(np.add(np.square(x), 0.5))] },
  { name: 'tanh', fits: () => true, make: (_st, s) => ['tanh', s, (x) => np.tanh(x)] },
  {
    name: 'logSoftmax',
    fits: (s) => s.length >= 1,
    make: (st, s) => {
      const ax = st.a % s.length;
      return [`logSoftmax(axis=${ax})`, s, (x) => np.logSoftmax(x, ax)];
    },
  },
];

function buildProgram(inShape: Shape, steps: readonly Step[]): Program {
  let shape = inShape;
  const names: string[] = [];
  const params: Array[] = [];
  const masks: Array[] = [];
  const ops: Apply[] = [];
  for (const st of steps) {
    const fits = CANDIDATES.filter((c) => c.fits(shape));
    const cand = fits[st.op % fits.length] as Candidate;
    const [desc, next, apply] = cand.make(
      st,
      shape,
      (p) => params.push(p) - 1,
      (m) => {
        masks.push(m);
        return m;
      },
    );
    names.push(desc);
    ops.push(apply);
    shape = next;
  }
  return {
    inShape,
    steps: names,
    params,
    masks,
    fn: (x, ...ps) => ops.reduce((v, op) => op(v, ps), x),
  };
}

const stepArb: fc.Arbitrary<Step> = fc.record({ op: fc.nat(1000), a: fc.nat(1000), b: fc.nat(1000), c: fc.nat(1000) });
const programArb = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.array(stepArb, { minLength: 2, maxLength: 6 }), fc.nat(1000))
  .map(([inShape, steps, seed]) => ({ program: buildProgram(inShape, steps), x: lcg(inShape, seed + 11, 1.5) }));

function describeProgram(p: Program): string {
  return `x[${p.inShape.join(',')}] → ${p.steps.join(' → ')}`;
}

function check(p: Program, x: Array, order: number): void {
  try {
    checkGrads(p.fn, [x, ...p.params], { order });
  } catch (e) {
    throw new Error(`program ${describeProgram(p)}: ${(e as Error).message}`);
  }
}

describe('random programs of 2-6 ops', () => {
  it('build programs whose shapes compose', () => {
    fc.assert(
      fc.property(programArb, ({ program, x }) => {
        const out = program.fn(x, ...program.params);
        expect(out.dtype).toBe('float64');
        expect(program.steps.length).toBeGreaterThanOrEqual(2);
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  it('first-order gradients (forward and reverse) match finite differences', () => {
    fc.assert(
      fc.property(programArb, ({ program, x }) => check(program, x, 1)),
      { seed: 42, numRuns: 150, endOnFailure: true },
    );
  });

  it('second-order gradients match finite differences (a subset)', () => {
    fc.assert(
      fc.property(programArb, ({ program, x }) => check(program, x, 2)),
      { seed: 7, numRuns: 40, endOnFailure: true },
    );
  });

  it('jit(f) equals f in value and gradient, and grad(jit(f)) equals grad(f)', () => {
    fc.assert(
      fc.property(programArb, ({ program, x }) => {
        const args = [x, ...program.params];
        const loss = (...a: Array[]) => np.sum(program.fn(a[0] as Array, ...a.slice(1)));
        const values = (a: Array) => globalThis.Array.from(a.dataSync());
        const close = (got: Array, want: Array, what: string) => {
          const w = values(want);
          values(got).forEach((v, i) => {
            const e = w[i] as number;
            if (!(Math.abs(v - e) <= 1e-9 + 1e-9 * Math.abs(e))) throw new Error(`${describeProgram(program)}: ${what} element ${i}: ${v} vs ${e}`);
          });
        };
        close(jit(program.fn)(x, ...program.params), program.fn(x, ...program.params), 'jit value');
        close(jit(grad(loss))(...args), grad(loss)(...args), 'jit(grad)');
        close(grad(jit(loss))(...args), grad(loss)(...args), 'grad(jit)');
      }),
      { seed: 42, numRuns: 60, endOnFailure: true },
    );
  });

  it('every op appears in the drawn programs', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(programArb, ({ program }) => {
        for (const s of program.steps) seen.add(s.replace(/[([].*$/, '').replace(/^x$/, 'slice'));
      }),
      { seed: 42, numRuns: 40 },
    );
    for (const name of ['matmul', 'sum', 'mean', 'max', 'reshape', 'transpose', 'slice', 'where', 'exp', 'log', 'tanh', 'logSoftmax']) {
      expect(seen.has(name), `${name} in ${[...seen].join(', ')}`).toBe(true);
    }
  });
});
