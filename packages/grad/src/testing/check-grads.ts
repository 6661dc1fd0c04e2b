import { type Array, devicePut, isConcrete, isFloatDType, np, type TypedArray, tree, withBackend } from '@tenfold/core';
import { jvp, vjp } from '../api.js';
import { seededUniform } from './seeded.js';

/** Which derivative maps {@link checkGrads} checks: forward mode (JVP) and/or reverse mode (VJP). */
export type GradMode = 'fwd' | 'rev';

export interface CheckGradsOptions {
  /** Derivatives up to this order are checked (default 2). */
  order?: number;
  /** Modes to check at every order (default both). */
  modes?: readonly GradMode[];
  /**
   * Finite-difference step (default 1e-6). JAX's `check_grads` uses 1e-4, a compromise for
   * float32; for float64 central differences the truncation error ε²·f'''/6 and the rounding
   * error 2⁻⁵³·|f|/ε balance near 1e-5 to 1e-6, so 1e-6 keeps both below 1e-9 relative.
   */
  eps?: number;
  /** Absolute tolerance (default 1e-5: JAX's `default_gradient_tolerance` for float64). */
  atol?: number;
  /** Relative tolerance (default 1e-5, as atol). */
  rtol?: number;
  /** Seed of the random tangent and cotangent directions (default 0). */
  seed?: number;
  /** The backend the check runs on (default 'cpu': arguments are moved there as float64). */
  backend?: string;
}

interface Resolved {
  readonly order: number;
  readonly modes: readonly GradMode[];
  readonly eps: number;
  readonly atol: number;
  readonly rtol: number;
  readonly backend: string;
  readonly rng: Rng;
}

/** Defaults: float64 finite differences as described on {@link CheckGradsOptions}. */
export const CHECK_GRADS_DEFAULTS = { order: 2, eps: 1e-6, atol: 1e-5, rtol: 1e-5, seed: 0, backend: 'cpu' } as const;

/**
 * Thrown when a derivative disagrees with finite differences (or a JVP with its VJP). The message
 * names the check (`'VJP of JVP'`: the reverse-mode derivative of the forward-mode derivative
 * map), its order, the output leaf and element, both values and the tolerance. In checks of
 * derivative maps, the outputs are those of the map: for `JVP of ...`, output [0] is the primal
 * and output [1] the tangent of the function below; for `... of VJP`, output [i] is the cotangent
 * of argument i.
 */
export class GradCheckError extends Error {
  /** e.g. `'JVP'`, `'VJP of JVP'`. */
  readonly check: string;
  /** 1 for first derivatives, 2 for the derivatives of the derivative maps... */
  readonly order: number;
  /** The largest |autodiff - expected| seen in the failing comparison. */
  readonly maxError: number;
  constructor(check: string, order: number, maxError: number, message: string) {
    super(message);
    this.name = 'GradCheckError';
    this.check = check;
    this.order = order;
    this.maxError = maxError;
  }
}

// ---------------------------------------------------------------------------------------------
// Randomness: a small seeded generator, so checks are reproducible
// ---------------------------------------------------------------------------------------------

class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = seededUniform(seed ^ 0x9e3779b9);
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return this.#next();
  }
  /** Standard normal (Box-Muller), as JAX's `rand_like` draws `randn`. */
  normal(): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

// ---------------------------------------------------------------------------------------------
// Leaves as plain float64 data: the checker's own arithmetic never goes through the library
// ---------------------------------------------------------------------------------------------

function isDiff(x: Array): boolean {
  return isFloatDType(x.dtype);
}

function read(x: Array): TypedArray {
  if (!isConcrete(x)) throw new Error('checkGrads: internal: expected a concrete array');
  return x.dataSync();
}

function float64(values: ArrayLike<number>, shape: readonly number[], backend: string): Array {
  return np.array(Float64Array.from(values), { shape: [...shape], dtype: 'float64', backend });
}

/** An argument leaf on `backend`, floats as float64; numbers become float64 and booleans bool arrays. */
function prepareLeaf(x: unknown, backend: string): Array {
  if (typeof x === 'number') return np.array(Float64Array.of(x), { shape: [], dtype: 'float64', backend });
  if (typeof x === 'boolean') return np.array(Uint8Array.of(x ? 1 : 0), { shape: [], dtype: 'bool', backend });
  const a = x as Array;
  if (!isConcrete(a)) throw new TypeError('checkGrads: arguments must be concrete arrays, numbers or booleans (not values traced by an outer transform)');
  const moved = devicePut(a, backend);
  return isFloatDType(moved.dtype) && moved.dtype !== 'float64' ? float64(read(moved), moved.shape, backend) : moved;
}

/** Zeros of the leaf's dtype (tangents and cotangents of integer and bool values). */
function zerosOf(x: Array, backend: string): Array {
  return np.zeros(x.shape, { dtype: x.dtype, backend });
}

/** A random normal direction for float leaves, zeros for the others. */
function randomLike(x: Array, rng: Rng, backend: string): Array {
  if (!isDiff(x)) return zerosOf(x, backend);
  const v = new Float64Array(x.size);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  return np.array(v, { shape: [...x.shape], dtype: x.dtype === 'float32' ? 'float32' : 'float64', backend });
}

/** x + s·v for float leaves (the others unchanged), computed in float64 outside the library. */
function axpy(x: Array, v: Array, s: number, backend: string): Array {
  if (!isDiff(x)) return x;
  const xs = read(x);
  const vs = read(v);
  const out = new Float64Array(xs.length);
  for (let i = 0; i < out.length; i++) out[i] = (xs[i] as number) + s * (vs[i] as number);
  return float64(out, x.shape, backend);
}

/** Leaves of an output tree, as arrays (numbers and booleans are allowed as outputs too). */
function outLeaves(t: unknown, backend: string): [Array[], tree.TreeDef] {
  const [ls, def] = tree.flatten(t);
  return [ls.map((l) => (typeof l === 'number' || typeof l === 'boolean' ? prepareLeaf(l, backend) : (l as Array))), def];
}

/** Central difference of one leaf: (pos - neg) / 2ε, with inf - inf = 0 (as JAX's safe_sub). */
function centralDifference(pos: Array, neg: Array, eps: number, backend: string): Array {
  if (!isDiff(pos)) return zerosOf(pos, backend);
  const p = read(pos);
  const n = read(neg);
  const out = new Float64Array(p.length);
  for (let i = 0; i < out.length; i++) {
    const a = p[i] as number;
    const b = n[i] as number;
    out[i] = (a === b ? 0 : a - b) / (2 * eps);
  }
  return float64(out, pos.shape, backend);
}

function pathName(path: string): string {
  return path === '' ? 'the output' : `output ${path}`;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new globalThis.Array<number>(shape.length).fill(0);
  let r = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    idx[d] = n === 0 ? 0 : r % n;
    r = n === 0 ? 0 : Math.floor(r / n);
  }
  return idx;
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toPrecision(6) : String(v));

interface Mismatch {
  bad: number;
  maxDiff: number;
  first: string;
}

/** Elementwise |actual - expected| ≤ atol + rtol·|expected|; NaN matches NaN, equal infinities match. */
function compareData(actual: ArrayLike<number>, expected: ArrayLike<number>, shape: readonly number[], atol: number, rtol: number): Mismatch | null {
  let bad = 0;
  let maxDiff = 0;
  let maxAt = 0;
  let first = '';
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    const diff = Math.abs(a - b);
    const bound = atol + rtol * Math.abs(b);
    const ok = Number.isFinite(diff) && diff <= bound;
    if (!(diff <= maxDiff) || Number.isNaN(diff)) {
      maxDiff = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
      maxAt = i;
    }
    if (ok) continue;
    if (bad++ === 0) {
      const at = shape.length > 0 ? ` at index [${unravel(i, shape).join(', ')}]` : '';
      first = `${at}: autodiff ${fmt(a)} vs expected ${fmt(b)}, |diff| ${fmt(diff)} > tolerance ${fmt(bound)} (atol ${atol} + rtol ${rtol} × ${fmt(Math.abs(b))})`;
    }
  }
  if (bad === 0) return null;
  const where = shape.length > 0 ? ` at index [${unravel(maxAt, shape).join(', ')}]` : '';
  return { bad, maxDiff, first: `${first}; max |diff| ${fmt(maxDiff)}${where}; ${bad} of ${expected.length} elements differ` };
}

interface CheckContext {
  readonly check: string;
  readonly order: number;
  readonly maxOrder: number;
  readonly mode: GradMode;
}

function fail(ctx: CheckContext, what: string, maxError: number, detail: string): never {
  const head = `checkGrads: ${ctx.check} (order ${ctx.order} of ${ctx.maxOrder}, ${ctx.mode === 'fwd' ? 'forward' : 'reverse'} mode) ${what}`;
  throw new GradCheckError(ctx.check, ctx.order, maxError, `${head}${detail}`);
}

/** Checks two output trees leaf by leaf (same structure, shapes, and values within tolerance). */
function compareTrees(ctx: CheckContext, what: string, actual: unknown, expected: unknown, atol: number, rtol: number, backend: string): void {
  const [aLeaves, aDef] = outLeaves(actual, backend);
  const [eLeaves, eDef] = outLeaves(expected, backend);
  if (!aDef.equals(eDef)) fail(ctx, `${what}: structure ${aDef} differs from the expected ${eDef}`, Number.POSITIVE_INFINITY, '');
  const [paths] = tree.flattenWithPath(expected);
  eLeaves.forEach((e, k) => {
    const a = aLeaves[k] as Array;
    const name = pathName(paths[k]?.[0] ?? '');
    if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) {
      fail(ctx, `${what}: ${name} has shape [${a.shape.join(', ')}], expected [${e.shape.join(', ')}]`, Number.POSITIVE_INFINITY, '');
    }
    if (isDiff(e) !== isDiff(a)) fail(ctx, `${what}: ${name} has dtype ${a.dtype}, expected ${e.dtype}`, Number.POSITIVE_INFINITY, '');
    const m = compareData(read(a), read(e), e.shape, isDiff(e) ? atol : 0, isDiff(e) ? rtol : 0);
    if (m) fail(ctx, `${what} mismatch in ${name} (shape [${e.shape.join(', ')}])`, m.maxDiff, m.first);
  });
}

// ---------------------------------------------------------------------------------------------
// Public helpers
// ---------------------------------------------------------------------------------------------

type Fn = (...args: never[]) => unknown;

function call(f: Fn, args: readonly unknown[], backend: string): unknown {
  return withBackend(backend, () => (f as (...a: unknown[]) => unknown)(...args));
}

function prepareArgs(args: readonly unknown[], backend: string): unknown[] {
  return args.map((a) => tree.map((l: unknown) => prepareLeaf(l, backend), a as never));
}

function mapArgs(args: readonly unknown[], dirs: readonly unknown[], fn: (x: Array, v: Array) => Array): unknown[] {
  return args.map((a, i) => tree.map((x: unknown, v: unknown) => fn(x as Array, v as Array), a as never, dirs[i] as never));
}

/**
 * The directional derivative of `f` at `primals` along `tangents` by central differences,
 * (f(x + ε·v) - f(x - ε·v)) / 2ε, leaf by leaf (integer and bool outputs give zeros). Arguments
 * and directions are lists with one pytree per argument; they should be float64 for accuracy.
 *
 * @example
 * numericalJvp((x) => np.sin(x), [np.array(0, { dtype: 'float64' })], [np.array(1, { dtype: 'float64' })]); // ≈ cos(0) = 1
 */
export function numericalJvp(
  f: Fn,
  primals: readonly unknown[],
  tangents: readonly unknown[],
  eps: number = CHECK_GRADS_DEFAULTS.eps,
  backend = 'cpu',
): unknown {
  const xs = prepareArgs(primals, backend);
  const vs = prepareArgs(tangents, backend);
  const pos = call(
    f,
    mapArgs(xs, vs, (x, v) => axpy(x, v, eps, backend)),
    backend,
  );
  const neg = call(
    f,
    mapArgs(xs, vs, (x, v) => axpy(x, v, -eps, backend)),
    backend,
  );
  const [pl, def] = outLeaves(pos, backend);
  const [nl] = outLeaves(neg, backend);
  return tree.unflatten(
    def,
    pl.map((p, i) => centralDifference(p, nl[i] as Array, eps, backend)),
  );
}

/**
 * The cotangents of every argument for the output cotangent `cotangent` by central differences:
 * the gradient of ⟨cotangent, f(x)⟩, one pair of evaluations per float input element (so only
 * for small inputs). Same structure as the arguments (a list, one pytree per argument); integer
 * and bool leaves get zeros.
 *
 * @example
 * const [g] = numericalVjp((x) => np.sum(np.square(x)), [x], np.array(1, { dtype: 'float64' })); // ≈ 2x
 */
export function numericalVjp(f: Fn, primals: readonly unknown[], cotangent: unknown, eps: number = CHECK_GRADS_DEFAULTS.eps, backend = 'cpu'): unknown[] {
  const xs = prepareArgs(primals, backend);
  const [us, uDef] = outLeaves(
    tree.map((l: unknown) => prepareLeaf(l, backend), cotangent as never),
    backend,
  );
  const project = (out: unknown): number => {
    const [ls, def] = outLeaves(out, backend);
    if (!def.equals(uDef)) throw new Error(`numericalVjp: the output has structure ${def} but the cotangent has ${uDef}`);
    let s = 0;
    ls.forEach((l, k) => {
      if (!isDiff(l)) return;
      const a = read(l);
      const u = read(us[k] as Array);
      for (let i = 0; i < a.length; i++) s += (a[i] as number) * (u[i] as number);
    });
    return s;
  };
  // flat list of (argument, leaf) positions
  const flat = xs.map((a) => tree.flatten(a as never));
  const grads = flat.map(([ls]) => (ls as Array[]).map((l) => (isDiff(l) ? new Float64Array(l.size) : null)));
  flat.forEach(([ls], ai) => {
    (ls as Array[]).forEach((leaf, li) => {
      const g = grads[ai]?.[li];
      if (!g) return;
      const base = Float64Array.from(read(leaf));
      for (let i = 0; i < base.length; i++) {
        const shifted = (s: number): unknown[] => {
          const d = Float64Array.from(base);
          d[i] = (d[i] as number) + s;
          return xs.map((a, aj) => {
            if (aj !== ai) return a;
            const [ls2, def2] = flat[aj] as [Array[], tree.TreeDef];
            return tree.unflatten(
              def2,
              ls2.map((l, lj) => (lj === li ? float64(d, l.shape, backend) : l)),
            );
          });
        };
        g[i] = (project(call(f, shifted(eps), backend)) - project(call(f, shifted(-eps), backend))) / (2 * eps);
      }
    });
  });
  return flat.map(([ls, def], ai) =>
    tree.unflatten(
      def,
      (ls as Array[]).map((l, li) => {
        const g = grads[ai]?.[li];
        return g ? float64(g, l.shape, backend) : zerosOf(l, backend);
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// JVP and VJP checks
// ---------------------------------------------------------------------------------------------

function randomArgs(args: readonly unknown[], rng: Rng, backend: string): unknown[] {
  return args.map((a) => tree.map((x: unknown) => randomLike(x as Array, rng, backend), a as never));
}

/** Σ over float leaves of Σ_i a_i·b_i, and Σ |a_i·b_i| (the scale rounding errors live at). */
function innerProduct(a: readonly Array[], b: readonly Array[]): [number, number] {
  let s = 0;
  let m = 0;
  a.forEach((x, k) => {
    if (!isDiff(x)) return;
    const xs = read(x);
    const ys = read(b[k] as Array);
    for (let i = 0; i < xs.length; i++) {
      const t = (xs[i] as number) * (ys[i] as number);
      s += t;
      m += Math.abs(t);
    }
  });
  return [s, m];
}

function argLeaves(args: readonly unknown[]): Array[] {
  return args.flatMap((a) => tree.leaves(a as never) as Array[]);
}

function checkArgStructure(ctx: CheckContext, what: string, got: unknown, args: readonly unknown[]): void {
  if (!globalThis.Array.isArray(got) || got.length !== args.length) {
    fail(ctx, `${what}: expected a list of ${args.length} cotangent trees, one per argument`, Number.POSITIVE_INFINITY, '');
  }
  (got as unknown[]).forEach((g, i) => {
    const d = tree.structure(g);
    const e = tree.structure(args[i]);
    if (!d.equals(e)) fail(ctx, `${what}: the cotangent of argument ${i} has structure ${d}, expected ${e}`, Number.POSITIVE_INFINITY, '');
    const gl = tree.leaves(g as never) as Array[];
    (tree.leaves(args[i] as never) as Array[]).forEach((x, k) => {
      const c = gl[k] as Array;
      if (c.shape.length !== x.shape.length || c.shape.some((n, j) => n !== x.shape[j]) || c.dtype !== x.dtype) {
        fail(
          ctx,
          `${what}: the cotangent of argument ${i}, leaf ${k} is ${c.dtype}[${c.shape.join(',')}], expected ${x.dtype}[${x.shape.join(',')}]`,
          Number.POSITIVE_INFINITY,
          '',
        );
      }
      if (!isDiff(x) && read(c).some((v) => v !== 0))
        fail(ctx, `${what}: the cotangent of the ${x.dtype} argument ${i}, leaf ${k} must be zero`, Number.POSITIVE_INFINITY, '');
    });
  });
}

/** Forward mode at one order: primal and JVP (along a random direction) against f and central differences. */
function checkJvpOnce(f: Fn, args: readonly unknown[], o: Resolved, ctx: CheckContext): unknown[] {
  const tangents = randomArgs(args, o.rng, o.backend);
  const [y, t] = withBackend(o.backend, () => jvp(f as (...a: unknown[]) => unknown, [...args], tangents as never));
  const yExpected = call(f, args, o.backend);
  compareTrees(ctx, 'primal output', y, yExpected, o.atol, o.rtol, o.backend);
  const tExpected = numericalJvp(f, args, tangents, o.eps, o.backend);
  compareTrees({ ...ctx }, 'tangent (autodiff JVP vs central differences)', t, tExpected, o.atol, o.rtol, o.backend);
  return tangents;
}

/**
 * Reverse mode at one order: the VJP of a random cotangent u, paired with a random direction v,
 * must satisfy ⟨vjp(u), v⟩ = ⟨u, jvp(v)⟩ (autodiff on both sides: a tight test of the transpose
 * rules) and match ⟨u, (f(x + εv) - f(x - εv)) / 2ε⟩ (as JAX's check_vjp).
 */
function checkVjpOnce(f: Fn, args: readonly unknown[], o: Resolved, ctx: CheckContext): void {
  const [y, back] = withBackend(o.backend, () => vjp(f as (...a: unknown[]) => unknown, ...args));
  const yExpected = call(f, args, o.backend);
  compareTrees(ctx, 'primal output', y, yExpected, o.atol, o.rtol, o.backend);
  const [yLeaves, yDef] = outLeaves(y, o.backend);
  const u = yLeaves.map((l) => randomLike(l, o.rng, o.backend));
  const cts = withBackend(o.backend, () => back(tree.unflatten(yDef, u) as never)) as unknown;
  checkArgStructure(ctx, 'cotangents', cts, args);
  const v = randomArgs(args, o.rng, o.backend);
  const [ipVjp] = innerProduct(argLeaves(cts as unknown[]), argLeaves(v));
  // ⟨u, J v⟩ by autodiff and by finite differences
  const [, jv] = withBackend(o.backend, () => jvp(f as (...a: unknown[]) => unknown, [...args], v as never));
  const [ipJvp, magJvp] = innerProduct(u, outLeaves(jv, o.backend)[0]);
  const [ipFd, magFd] = innerProduct(u, outLeaves(numericalJvp(f, args, v, o.eps, o.backend), o.backend)[0]);
  const checkIp = (what: string, expected: number, magnitude: number): void => {
    const diff = Math.abs(ipVjp - expected);
    const bound = o.atol + o.rtol * Math.max(Math.abs(expected), magnitude);
    if (diff <= bound || (Number.isNaN(ipVjp) && Number.isNaN(expected))) return;
    fail(
      ctx,
      `cotangent projection mismatch (${what})`,
      Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff,
      `: ⟨vjp(u), v⟩ = ${fmt(ipVjp)} vs ⟨u, ${what === 'against the JVP' ? 'jvp(v)' : 'central difference along v'}⟩ = ${fmt(expected)}, |diff| ${fmt(diff)} > tolerance ${fmt(bound)} (atol ${o.atol} + rtol ${o.rtol} × ${fmt(Math.max(Math.abs(expected), magnitude))}, the sum of |terms|)`,
    );
  };
  checkIp('against the JVP', ipJvp, magJvp);
  checkIp('against central differences', ipFd, magFd);
}

function resolve(opts: CheckGradsOptions): Resolved {
  return {
    order: opts.order ?? CHECK_GRADS_DEFAULTS.order,
    modes: opts.modes ?? ['fwd', 'rev'],
    eps: opts.eps ?? CHECK_GRADS_DEFAULTS.eps,
    atol: opts.atol ?? CHECK_GRADS_DEFAULTS.atol,
    rtol: opts.rtol ?? CHECK_GRADS_DEFAULTS.rtol,
    backend: opts.backend ?? CHECK_GRADS_DEFAULTS.backend,
    rng: new Rng(opts.seed ?? CHECK_GRADS_DEFAULTS.seed),
  };
}

/**
 * Checks the JVP of `f` at `args` against central differences along a random direction (as JAX's
 * `check_jvp`). Arguments are moved to the CPU backend as float64 first.
 *
 * @example
 * checkJvp((x) => np.tanh(x), [np.array([0.5, -1])]);
 */
export function checkJvp(f: Fn, args: readonly unknown[], opts: Omit<CheckGradsOptions, 'order' | 'modes'> = {}): void {
  const o = resolve(opts);
  checkJvpOnce(f, prepareArgs(args, o.backend), o, { check: 'JVP', order: 1, maxOrder: 1, mode: 'fwd' });
}

/**
 * Checks the VJP of `f` at `args` (as JAX's `check_vjp`, plus the exact identity
 * ⟨vjp(u), v⟩ = ⟨u, jvp(v)⟩). Arguments are moved to the CPU backend as float64 first.
 *
 * @example
 * checkVjp((a, b) => np.matmul(a, b), [a, b]);
 */
export function checkVjp(f: Fn, args: readonly unknown[], opts: Omit<CheckGradsOptions, 'order' | 'modes'> = {}): void {
  const o = resolve(opts);
  checkVjpOnce(f, prepareArgs(args, o.backend), o, { check: 'VJP', order: 1, maxOrder: 1, mode: 'rev' });
}

/**
 * Checks the derivatives of `f` at `args` against finite differences, as JAX's
 * `jax.test_util.check_grads`: for order 1, the JVP along a random direction against central
 * differences ('fwd'), and the VJP of a random cotangent through the inner-product identity
 * ⟨vjp(u), v⟩ = ⟨u, jvp(v)⟩ and against central differences of ⟨u, f⟩ ('rev'); for order k > 1,
 * the same checks recursively on the derivative maps (x, v) ↦ jvp(f, x, v) and
 * x ↦ vjp(f, x)(f(x)), which covers forward-over-forward, reverse-over-forward,
 * forward-over-reverse and reverse-over-reverse.
 *
 * `args` is the argument list (one pytree per argument). Float leaves are converted to float64 on
 * the CPU backend (numbers too); int32 and bool leaves are held fixed (zero tangents, and their
 * cotangents must be zero). Outputs may be any pytree; integer and bool outputs must have zero
 * tangents. Throws a {@link GradCheckError} naming the check, order, output and element.
 *
 * @example
 * import { type Array, np } from '@tenfold/core';
 * import { checkGrads } from '@tenfold/grad/testing';
 * const f64 = (v: number[]) => np.array(v, { dtype: 'float64' }); // float64: finite differences need it
 * checkGrads((x: Array, y: Array) => np.sum(np.multiply(np.sin(x), y)), [f64([0.1, 0.2]), f64([1, 2])]);
 * checkGrads((p: { w: Array; x: Array }) => np.tanh(np.matmul(p.w, p.x)), [{ w, x }], { order: 1, modes: ['rev'] });
 */
export function checkGrads(f: Fn, args: readonly unknown[], opts: CheckGradsOptions = {}): void {
  const o = resolve(opts);
  const recurse = (g: Fn, xs: readonly unknown[], order: number, label: string): void => {
    const level = o.order - order + 1;
    if (o.modes.includes('fwd')) {
      const check = label ? `JVP of ${label}` : 'JVP';
      const tangents = checkJvpOnce(g, xs, o, { check, order: level, maxOrder: o.order, mode: 'fwd' });
      if (order > 1) {
        const n = xs.length;
        const gJvp = (...pt: unknown[]) => jvp(g as (...a: unknown[]) => unknown, pt.slice(0, n), pt.slice(n) as never);
        recurse(gJvp, [...xs, ...tangents], order - 1, check);
      }
    }
    if (o.modes.includes('rev')) {
      const check = label ? `VJP of ${label}` : 'VJP';
      checkVjpOnce(g, xs, o, { check, order: level, maxOrder: o.order, mode: 'rev' });
      if (order > 1) {
        // as JAX: the VJP map with the primal output as the cotangent
        const gVjp = (...ys: unknown[]) => {
          const [out, back] = vjp(g as (...a: unknown[]) => unknown, ...ys);
          return back(out as never);
        };
        recurse(gVjp, xs, order - 1, check);
      }
    }
  };
  if (!Number.isInteger(o.order) || o.order < 1) throw new RangeError(`checkGrads: order must be an integer >= 1, got ${o.order}`);
  recurse(f, prepareArgs(args, o.backend), o.order, '');
}
