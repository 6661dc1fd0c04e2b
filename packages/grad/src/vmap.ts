import {
  type Array,
  Array as ArrayClass,
  abstractEval,
  bind,
  np,
  type PrimitiveName,
  type PrimitiveParams,
  ShapedArray,
  TenfoldError,
  Trace,
  Tracer,
  tree,
  withMainTrace,
} from '@tenfold/core';
import { distinctFrom } from './outputs.js';
import { type BatchDim, type BatchRule, batchRules } from './rules/batch.js';

/** A value under vmap: the batched array and where its batch dimension is (null: same for all examples). */
export class BatchTracer extends Tracer {
  readonly trace: BatchTrace;
  readonly val: Array;
  readonly batchDim: BatchDim;
  constructor(trace: BatchTrace, val: Array, batchDim: BatchDim) {
    super();
    this.trace = trace;
    this.val = val;
    this.batchDim = batchDim;
  }
  /** What one example sees: the batched shape without the batch dimension. */
  get aval(): ShapedArray {
    const { shape, dtype } = this.val.aval;
    if (this.batchDim === null) return this.val.aval;
    return new ShapedArray(
      shape.filter((_, i) => i !== this.batchDim),
      dtype,
    );
  }
  override fullLower(): Array {
    return this.batchDim === null ? this.val : this;
  }
}

export class BatchTrace extends Trace {
  get axisSize(): number {
    return this.main.globalData as number;
  }
  pure(x: Array): Array {
    return new BatchTracer(this, x, null);
  }
  lift(x: Array): Array {
    return new BatchTracer(this, x, null);
  }
  processPrimitive<P extends PrimitiveName>(prim: P, tracers: readonly Array[], params: PrimitiveParams[P]): Array[] {
    const ts = tracers as readonly BatchTracer[];
    const vals = ts.map((t) => t.val);
    const dims = ts.map((t) => t.batchDim);
    if (dims.every((d) => d === null)) return bind(prim, vals, params);
    const rule = batchRules[prim] as BatchRule<P> | undefined;
    if (!rule) throw new TenfoldError('vmap', `primitive ${prim} has no batching rule`);
    // the shape rule on what one example sees, so that a user's mistake is reported with the
    // user's shapes and parameters, not the batched ones the rule would pass on
    try {
      abstractEval(
        prim,
        ts.map((t) => t.aval),
        params,
      );
    } catch (e) {
      if (!(e instanceof TenfoldError)) throw e;
      throw new TenfoldError(
        e.op,
        `${e.message.slice(e.op.length + 2)} (inside vmap: shapes are per example; the mapped axis of size ${this.axisSize} is not shown)`,
      );
    }
    const [outs, outDims] = rule(vals, dims, params, this.axisSize);
    return outs.map((o, i) => new BatchTracer(this, o, outDims[i] ?? null));
  }
}

/** An axis spec: one per argument (or output), a single one for all, null for unbatched; may be a pytree prefix. */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

export interface VmapOptions {
  /** Which axis of each argument is mapped (default 0); null for an argument that is not batched. */
  inAxes?: AxisSpec;
  /** Where the mapped axis goes in each output (default 0). */
  outAxes?: AxisSpec;
  /** The batch size, needed only when no argument is batched. */
  axisSize?: number;
}

/** How a value looks to an axis-spec message. */
function describeValue(value: unknown): string {
  if (value instanceof ArrayClass) return `an array ${value.aval}`;
  if (globalThis.Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The axis spec of every leaf of `value`, given a spec that is a prefix of its structure; `path`
 * names the value in messages ("argument 1", "output"), whose structure the specs must match.
 */
export function leafAxes(op: string, spec: AxisSpec, value: unknown, path: string): BatchDim[] {
  const where = path || 'the top';
  const of = path.startsWith('output') ? 'the outputs' : 'the arguments';
  if (spec === undefined) {
    throw new TenfoldError(op, `axis spec at ${where} is undefined; use a number for the mapped axis or null for an unmapped value`);
  }
  if (spec === null || typeof spec === 'number') return tree.leaves(value).map(() => spec);
  if (globalThis.Array.isArray(spec)) {
    if (!globalThis.Array.isArray(value) || value.length !== spec.length) {
      throw new TenfoldError(
        op,
        `axis spec at ${where} is a list of ${spec.length} but the value there is ${describeValue(value)}; specs must match the structure of ${of}`,
      );
    }
    return spec.flatMap((s, i) => leafAxes(op, s, value[i], `${path}[${i}]`));
  }
  if (typeof value !== 'object' || value === null || globalThis.Array.isArray(value) || value instanceof ArrayClass) {
    throw new TenfoldError(op, `axis spec at ${where} is an object but the value there is ${describeValue(value)}; specs must match the structure of ${of}`);
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  const specKeys = Object.keys(spec).sort();
  if (keys.join() !== specKeys.join())
    throw new TenfoldError(op, `axis spec at ${where} has keys {${specKeys.join(', ')}} but the value has {${keys.join(', ')}}`);
  const sp = spec as { readonly [key: string]: AxisSpec };
  return keys.flatMap((k) => leafAxes(op, sp[k] as AxisSpec, obj[k], path ? `${path}.${k}` : k));
}

function asArray(x: unknown): Array {
  return x instanceof ArrayClass ? x : np.asArray(x as number);
}

function moveAxis(x: Array, from: number, to: number): Array {
  return from === to ? x : np.moveaxis(x, from, to);
}

/**
 * Vectorizes `f` over a batch axis: `vmap(f)(xs)` equals stacking `f` applied to each slice, but
 * runs one batched primitive per operation (no loop over examples).
 *
 * @example
 * const dot = (a: Array, b: Array) => np.sum(np.multiply(a, b));
 * vmap(dot)(np.ones([8, 3]), np.ones([8, 3])).shape;            // [8]
 * vmap(dot, { inAxes: [0, null] })(np.ones([8, 3]), np.ones([3])); // b shared
 */
export function vmap<A extends unknown[], R>(f: (...args: A) => R, opts: VmapOptions = {}): (...args: A) => R {
  const op = 'vmap';
  return (...args: A): R => {
    // null is a spec (nothing mapped), not a missing option: only undefined defaults to 0
    const inSpec: AxisSpec = opts.inAxes === undefined ? 0 : opts.inAxes;
    const specs: AxisSpec[] =
      inSpec === null || typeof inSpec === 'number'
        ? args.map(() => inSpec)
        : globalThis.Array.isArray(inSpec)
          ? (inSpec as AxisSpec[])
          : (() => {
              throw new TenfoldError(op, 'inAxes must be a number, null, or a list with one entry per argument');
            })();
    if (specs.length !== args.length)
      throw new TenfoldError(op, `inAxes has ${specs.length} entries but the function was called with ${args.length} arguments`);
    if (opts.axisSize !== undefined && !(Number.isInteger(opts.axisSize) && opts.axisSize >= 0)) {
      throw new TenfoldError(op, `axisSize must be a non-negative integer, got ${opts.axisSize}`);
    }
    const [leaves, def] = tree.flatten(args);
    const arrays = leaves.map(asArray);
    const axes = args.flatMap((a, i) => leafAxes(op, specs[i] as AxisSpec, a, `argument ${i}`));
    const [paths] = tree.flattenWithPath(args);
    let size = opts.axisSize;
    let sizeFrom = '';
    const dims = arrays.map((x, i) => {
      const ax = axes[i] ?? null;
      if (ax === null) return null;
      if (!Number.isInteger(ax) || ax < -x.ndim || ax >= x.ndim) {
        throw new TenfoldError(op, `in axis ${ax} is out of range for argument ${paths[i]?.[0] ?? i} of shape [${x.shape.join(',')}] (rank ${x.ndim})`);
      }
      const d = ax < 0 ? ax + x.ndim : ax;
      const n = x.shape[d] as number;
      const name = `argument ${paths[i]?.[0] ?? i}`;
      if (size === undefined) {
        size = n;
        sizeFrom = name;
      } else if (n !== size) {
        throw new TenfoldError(
          op,
          `mapped axes have different sizes: ${sizeFrom || 'axisSize'} has ${size} but ${name} has ${n} along axis ${d} (shape [${x.shape.join(',')}])`,
        );
      }
      return d;
    });
    if (size === undefined) throw new TenfoldError(op, 'no argument is mapped (all inAxes are null): pass axisSize');
    const axisSize = size;
    return withMainTrace(BatchTrace, axisSize, (main) => {
      const trace = main.trace as BatchTrace;
      const ins = arrays.map((x, i) => (dims[i] === null ? x : new BatchTracer(trace, x, dims[i] ?? null)));
      const out = f(...(tree.unflatten(def, ins) as A));
      const [outLeaves, outDef] = tree.flatten(out);
      const outSpec: AxisSpec = opts.outAxes === undefined ? 0 : opts.outAxes;
      const outAxes = leafAxes(op, outSpec, out, 'output');
      const results = outLeaves.map((l, i) => {
        const o = asArray(l);
        const want = outAxes[i] ?? null;
        let val: Array;
        let d: BatchDim;
        if (o instanceof BatchTracer && o.trace.main === main) {
          val = o.val;
          d = o.batchDim;
        } else {
          val = o;
          d = null;
        }
        if (want === null) {
          if (d !== null) throw new TenfoldError(op, `outAxes is null for output ${i}, but it depends on the mapped arguments`);
          return val;
        }
        const rank = (d === null ? val.ndim : val.ndim - 1) + 1;
        if (!Number.isInteger(want) || want < -rank || want >= rank)
          throw new TenfoldError(op, `out axis ${want} is out of range for output ${i} of rank ${rank}`);
        const target = want < 0 ? want + rank : want;
        // unbatched outputs are broadcast along the new axis, as in JAX
        if (d === null) return np.broadcastTo(np.expandDims(val, target), [...val.shape.slice(0, target), axisSize, ...val.shape.slice(target)]);
        return moveAxis(val, d, target);
      });
      // f may return its argument: a result is never that object (see distinctFrom)
      return tree.unflatten(outDef, distinctFrom(arrays, results)) as R;
    });
  };
}
