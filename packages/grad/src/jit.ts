import {
  type Array,
  Array as ArrayClass,
  type CompiledGraph,
  ConcreteArray,
  compileJaxpr,
  defaultBackendName,
  getBackend,
  isWeak,
  type Jaxpr,
  markWeak,
  np,
  optimizeJaxpr,
  type Program,
  runCompiled,
  ShapedArray,
  stageFunction,
  TenfoldError,
  tree,
  withBackend,
} from '@tenfold/core';
import { callGraph } from './jit-rules.js';

export interface JitOptions {
  /** Arguments (by position) passed as JS values and baked into the compiled program: one trace per distinct value. */
  readonly staticArgnums?: number | readonly number[];
  /**
   * Arguments (by position) whose arrays the call takes over: a kernel that reads a donated array
   * for the last time, element by element, writes its result into the donated buffer (a jitted
   * training step's new parameters overwrite the old ones, no new memory), and the rest are
   * released by the time the call returns. Using a donated array afterwards is an error naming
   * the donation. (Arrays that share the buffer, such as a reshape of it, keep their data: the
   * buffer is then not overwritten.)
   */
  readonly donateArgnums?: number | readonly number[];
  /** How many compiled signatures to keep (least recently used evicted first); default 64. */
  readonly cacheSize?: number;
}

/** What `jit(f).lower(...)` shows: the traced graph and the kernel program it compiles to. */
export interface Lowered {
  readonly jaxpr: Jaxpr;
  readonly program: Program;
  /** The graph, then the program. */
  toString(): string;
}

export interface JitStats {
  /** How many times the function body ran (once per new signature). */
  readonly traces: number;
  /** Calls that found their compiled program in the cache. */
  readonly hits: number;
  /** Compiled signatures held now. */
  readonly size: number;
}

/** A jitted function: call it as the original; `lower` shows what it compiles to. */
export type Jitted<A extends unknown[], R> = ((...args: A) => R) & {
  lower(...args: A): Lowered;
  clearCache(): void;
  readonly stats: JitStats;
};

interface Entry {
  readonly jaxpr: Jaxpr;
  /** Closed-over tracers of an enclosing transform: the graph's leading inputs (such an entry is not cached). */
  readonly consts: readonly Array[];
  readonly outDef: tree.TreeDef;
  compiled: CompiledGraph | null;
}

const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

/** A key for a static argument: by value for JS data, by identity for functions; an error otherwise. */
function staticKey(x: unknown, where: string): string {
  if (x === null || x === undefined || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') return `${typeof x}:${String(x)}`;
  if (typeof x === 'string') return `string:${JSON.stringify(x)}`;
  if (typeof x === 'function') {
    let id = functionIds.get(x);
    if (id === undefined) {
      id = nextFunctionId++;
      functionIds.set(x, id);
    }
    return `fn:${id}`;
  }
  if (x instanceof ArrayClass) {
    throw new TenfoldError('jit', `${where} is an Array, which cannot be static (it is not hashed by value); pass it as a dynamic argument instead`);
  }
  if (globalThis.Array.isArray(x)) return `[${x.map((v, i) => staticKey(v, `${where}[${i}]`)).join(',')}]`;
  const proto = Object.getPrototypeOf(x);
  if (proto === Object.prototype || proto === null) {
    return `{${Object.keys(x as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${staticKey((x as Record<string, unknown>)[k], `${where}.${k}`)}`)
      .join(',')}}`;
  }
  throw new TenfoldError(
    'jit',
    `${where} is a ${proto?.constructor?.name ?? 'object'}, which cannot be hashed as a static argument; pass numbers, strings, booleans, plain objects or arrays of them, or functions`,
  );
}

function normalizeArgnums(n: number | readonly number[] | undefined, arity: number, option = 'staticArgnums'): Set<number> {
  const list = n === undefined ? [] : typeof n === 'number' ? [n] : n;
  const out = new Set<number>();
  for (const i of list) {
    if (!Number.isInteger(i)) throw new TenfoldError('jit', `${option} must be integers, got ${String(i)}`);
    const k = i < 0 ? arity + i : i;
    if (k < 0 || k >= arity) throw new TenfoldError('jit', `${option} ${i} is out of range for a call with ${arity} arguments`);
    out.add(k);
  }
  return out;
}

/**
 * Arrays of the dynamic leaves: JS numbers and booleans become new arrays on `backend` (not core's
 * shared constants: a value per step, a learning rate, would pin one buffer per distinct value),
 * flagged in `made` so the call can dispose them. A float number is passed in float64 where the
 * backend has it (exact where it meets a float64 array) and traced as a weak float32.
 */
function leafArrays(leaves: readonly unknown[], backend: string): { arrays: Array[]; made: boolean[] } {
  const made: boolean[] = [];
  const arrays = leaves.map((l) => {
    made.push(!(l instanceof ArrayClass));
    if (l instanceof ArrayClass) return l;
    if (typeof l === 'boolean') return np.array(l, { backend });
    if (typeof l === 'number') {
      if (Number.isInteger(l) && l >= -2147483648 && l <= 2147483647) return np.array(l, { dtype: 'int32', backend });
      return np.array(l, { dtype: getBackend(backend).supportsDType('float64') ? 'float64' : 'float32', backend });
    }
    throw new TenfoldError('jit', `arguments must be Arrays, numbers, booleans or pytrees of them (or static), got ${l === null ? 'null' : typeof l}`);
  });
  return { arrays, made };
}

/**
 * The traced argument a dynamic leaf stands for: a JS number's becomes weakly typed (it promotes
 * as the number would: `x * lr` keeps x's dtype), a float64-passed float a weak float32 whose
 * float64 original serves ops computing in float64.
 */
function weakArgument(leaf: Array): Array {
  if (leaf.dtype !== 'float64') {
    markWeak(leaf);
    return leaf;
  }
  const narrow = leaf.astype('float32');
  markWeak(narrow, leaf);
  return narrow;
}

/**
 * Compiles `f` for each new signature of its arguments (pytree structure, shapes, dtypes, static
 * values, backend) and runs the compiled kernel program: elementwise chains fused into single
 * loops, reductions with their prologues, no per-op dispatch. The function body runs once per
 * signature (side effects in it happen while tracing only), so `f` must be pure; values it
 * closes over are constants of the compiled program. Under another transform the call is one
 * `jit_call` primitive: `jvp(jit(f))` and `vmap(jit(f))` compile the transformed graph, and
 * `grad(jit(f))` splits it into the part computed now and the part transposed, tracing `f` once.
 *
 * Inside `f` values are abstract: `x.item()`, `Number(x)`, `x > 0` and `dataSync()` throw a clear
 * error (a JS `if (x)` cannot: every object is truthy in JS, so branch with lax.cond or np.where).
 *
 * JS numbers and booleans among the dynamic arguments are traced as weakly typed scalars, as in
 * JAX: they take the dtype of the arrays they meet (`f(float64Array, 0.1)` computes with 0.1
 * exactly, `f(int32Array, 2)` stays int32) and an integer and a fraction are different signatures.
 * A new value of the same kind reuses the compiled program (a learning rate that changes every
 * step traces once); make the argument static to bake its value in instead.
 *
 * @example
 * const step = jit((x: Array) => np.sum(np.multiply(np.add(np.multiply(x, 1.5), 0.5), x)));
 * step(np.ones([1000])); // traces and compiles
 * step(np.ones([1000])); // runs the cached program
 * step.stats;            // { traces: 1, hits: 1, size: 1 }
 * console.log(step.lower(np.ones([4])).toString()); // the graph and its kernel program
 */
export function jit<A extends unknown[], R>(f: (...args: A) => R, opts: JitOptions = {}): Jitted<A, R> {
  const cacheSize = opts.cacheSize ?? 64;
  if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new TenfoldError('jit', `cacheSize must be a positive integer, got ${String(opts.cacheSize)}`);
  const cache = new Map<string, Entry>();
  let traces = 0;
  let hits = 0;
  const name = f.name || 'function';

  /** The cache entry for these arguments, tracing `f` on a miss; and the dynamic leaves. */
  const lookup = (args: A): { entry: Entry; leaves: Array[]; donated: boolean[]; made: boolean[] } => {
    const statics = normalizeArgnums(opts.staticArgnums, args.length);
    const donates = normalizeArgnums(opts.donateArgnums, args.length, 'donateArgnums');
    const dynamic: unknown[] = [];
    const staticParts: string[] = [];
    const donated: boolean[] = [];
    args.forEach((a, i) => {
      if (statics.has(i)) {
        if (donates.has(i)) throw new TenfoldError('jit', `argument ${i} cannot be both static and donated`);
        staticParts.push(`${i}=${staticKey(a, `argument ${i}`)}`);
      } else {
        dynamic.push(a);
        for (const l of tree.leaves(a)) donated.push(donates.has(i) && l instanceof ConcreteArray);
      }
    });
    const [rawLeaves, def] = tree.flatten(dynamic);
    const backend = backendOf(rawLeaves);
    const { arrays: leaves, made } = leafArrays(rawLeaves, backend);
    const weak = leaves.map((l, i) => made[i] === true || isWeak(l));
    const sig = leaves.map((l, i) => `${l.dtype}${weak[i] ? '~' : ''}[${l.shape.join(',')}]`).join(';');
    const key = `${backend}|${def.toString()}|${sig}|${staticParts.join(',')}`;
    let entry = cache.get(key);
    if (entry !== undefined) {
      hits++;
      cache.delete(key); // most recently used last
      cache.set(key, entry);
      return { entry, leaves, donated, made };
    }
    traces++;
    entry = withBackend(backend, () => trace(f, name, args, statics, def, leaves, weak));
    // a graph holding an enclosing transform's tracers is valid for this call only
    if (entry.consts.length === 0) cache.set(key, entry);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    return { entry, leaves, donated, made };
  };

  const jitted = ((...args: A): R => {
    const { entry, leaves, donated, made } = lookup(args);
    // under another transform: one jit_call primitive, whose rules transform the traced graph
    if (entry.consts.length > 0 || !leaves.every((l) => l instanceof ConcreteArray)) {
      return tree.unflatten(entry.outDef, callGraph(entry.jaxpr, name, [...entry.consts, ...leaves])) as R;
    }
    const concrete = leaves as ConcreteArray[];
    if (donated.some(Boolean)) checkDonation(concrete, donated);
    // the donated arrays' references pass to the program: it writes results into their buffers
    // where it can and releases the rest, also when it fails
    let outs: Array[];
    try {
      outs = runEntry(entry, concrete, donated);
    } finally {
      concrete.forEach((l, i) => {
        if (made[i]) l.dispose();
        else if (donated[i]) l.markDonated(`jit(${name})`);
      });
    }
    return tree.unflatten(entry.outDef, outs) as R;
  }) as Jitted<A, R>;
  jitted.lower = (...args: A): Lowered => {
    const { entry } = lookup(args);
    const { program } = compiled(entry);
    return { jaxpr: entry.jaxpr, program, toString: () => `${entry.jaxpr.toString()}\n${program.toString()}` };
  };
  jitted.clearCache = () => {
    cache.clear();
    traces = 0;
    hits = 0;
  };
  Object.defineProperty(jitted, 'stats', { get: (): JitStats => ({ traces, hits, size: cache.size }) });
  Object.defineProperty(jitted, 'name', { value: `jit(${name})` });
  return jitted;
}

/** A donated array must be the caller's own and passed once (the call takes its buffer over). */
function checkDonation(leaves: readonly ConcreteArray[], donated: readonly boolean[]): void {
  leaves.forEach((l, i) => {
    if (!donated[i]) return;
    l.liveHandle('jit'); // a donated array that is already disposed or donated says so
    if (l.isPinned) throw new TenfoldError('jit', `argument leaf ${i} (${l.aval}) is a shared constant and cannot be donated`);
    if (leaves.some((o, j) => j !== i && (o === l || o.handle === l.handle))) {
      throw new TenfoldError('jit', `a donated ${l.aval} array is passed more than once (or shares its buffer with another argument); donate it once`);
    }
  });
}

/** The backend the arguments live on (all on one), or the default one. */
function backendOf(leaves: readonly unknown[]): string {
  let name: string | null = null;
  for (const l of leaves) {
    if (!(l instanceof ConcreteArray)) continue;
    if (name === null) name = l.backend.name;
    else if (l.backend.name !== name)
      throw new TenfoldError('jit', `arguments live on different backends (${name} and ${l.backend.name}); move them to one with devicePut first`);
  }
  return name ?? defaultBackendName();
}

/**
 * Runs `f` on abstract values of the leaves' avals and records its graph. Values `f` closes over
 * that are tracers of an enclosing transform become leading inputs (`consts`), so that transform
 * differentiates or batches through them.
 */
function trace<A extends unknown[]>(
  f: (...args: A) => unknown,
  name: string,
  args: A,
  statics: ReadonlySet<number>,
  def: tree.TreeDef,
  leaves: readonly Array[],
  weak: readonly boolean[],
): Entry {
  const avals = leaves.map((l) => new ShapedArray(l.shape, l.dtype));
  const staged = stageFunction('jit', name, f as (...a: never[]) => unknown, avals, (ins) => {
    const dynamic = tree.unflatten(
      def,
      ins.map((t, i) => (weak[i] ? weakArgument(t) : t)),
    ) as unknown[];
    let k = 0;
    return args.map((a, i) => (statics.has(i) ? a : dynamic[k++]));
  });
  return { jaxpr: optimizeJaxpr(staged.jaxpr), consts: staged.consts, outDef: staged.outDef, compiled: null };
}

function compiled(entry: Entry): CompiledGraph {
  if (entry.compiled === null) entry.compiled = compileJaxpr(entry.jaxpr);
  return entry.compiled;
}

function runEntry(entry: Entry, leaves: readonly ConcreteArray[], donated: readonly boolean[]): Array[] {
  const c = compiled(entry);
  const backend = leaves.length > 0 ? (leaves[0] as ConcreteArray).backend : getBackend();
  const outs = runCompiled(
    backend,
    c,
    leaves.map((l) => l.liveHandle('jit')),
    donated,
  );
  return outs.map((h, i) => new ConcreteArray(c.program.outAvals[i] as ShapedArray, backend, h));
}
