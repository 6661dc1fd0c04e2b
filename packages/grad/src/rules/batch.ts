import {
  type Array,
  abstractEval,
  BINARY_PRIMITIVES,
  bind,
  COMPARISON_PRIMITIVES,
  customVjpForwardModeError,
  type DotGeneralParams,
  lax,
  np,
  type PrimitiveName,
  type PrimitiveParams,
  ShapedArray,
  UNARY_PRIMITIVES,
} from '@tenfold/core';

/** A batch dimension, or null for a value that is the same for every example. */
export type BatchDim = number | null;

/**
 * A batching rule: the primitive applied to batched operands (each with its batch dimension),
 * giving the outputs and their batch dimensions — one primitive call for the whole batch.
 */
export type BatchRule<P extends PrimitiveName> = (
  vals: readonly Array[],
  dims: readonly BatchDim[],
  params: PrimitiveParams[P],
  axisSize: number,
) => [Array[], BatchDim[]];
export type BatchRules = Partial<{ [P in PrimitiveName]: BatchRule<P> }>;

/** Moves the batch dimension to the front (or adds one of `size` for an unbatched value). */
export function moveToFront(x: Array, dim: BatchDim, size: number): Array {
  if (dim === null)
    return lax.broadcastInDim(
      x,
      [size, ...x.shape],
      x.shape.map((_, i) => i + 1),
    );
  if (dim === 0) return x;
  const perm = [dim, ...x.shape.map((_, i) => i).filter((i) => i !== dim)];
  return lax.transpose(x, perm);
}

function range(n: number): number[] {
  return globalThis.Array.from({ length: n }, (_, i) => i);
}

/** Elementwise primitives (any arity): batch dims to the front, unbatched operands broadcast. */
function elementwise(prim: PrimitiveName): BatchRule<PrimitiveName> {
  return (vals, dims, params, size) => {
    const first = dims.find((d) => d !== null) ?? null;
    // all operands batched on the same dim: apply directly
    if (dims.every((d) => d === first)) {
      const outs = bind(prim, vals, params as never);
      return [outs, outs.map(() => first)];
    }
    const xs = vals.map((v, i) => moveToFront(v, dims[i] ?? null, size));
    const outs = bind(prim, xs, params as never);
    return [outs, outs.map(() => 0)];
  };
}

/** Rules that only need the operand's batch dim at the front and their axis params shifted by one. */
function frontThen<P extends PrimitiveName>(apply: (x: Array, params: PrimitiveParams[P]) => Array): BatchRule<P> {
  return ([x], [d], params, size) => [[apply(moveToFront(x!, d ?? null, size), params)], [0]];
}

const shift = (axes: readonly number[]) => axes.map((a) => a + 1);

/** dot_general: a batch dimension on both sides becomes one more dot batch dimension; on one side, a free dimension. */
const dotGeneral: BatchRule<'dot_general'> = ([l, r], [ld, rd], params, size) => {
  const { contracting, batch } = params;
  let lhs = l!;
  let rhs = r!;
  if (ld !== null && rd !== null) {
    lhs = moveToFront(lhs, ld ?? null, size);
    rhs = moveToFront(rhs, rd ?? null, size);
    const p: DotGeneralParams = {
      contracting: [shift(contracting[0]), shift(contracting[1])],
      batch: [
        [0, ...shift(batch[0])],
        [0, ...shift(batch[1])],
      ],
    };
    return [[lax.dotGeneral(lhs, rhs, p)], [0]];
  }
  // one side batched at d: remap that side's dims around d; the batch dim is then a free dim
  const remap = (dims: readonly number[], d: number) => dims.map((x) => (x >= d ? x + 1 : x));
  if (ld !== null && ld !== undefined) {
    const p: DotGeneralParams = { contracting: [remap(contracting[0], ld), contracting[1]], batch: [remap(batch[0], ld), batch[1]] };
    const used = new Set([...p.contracting[0], ...p.batch[0]]);
    const freeBefore = range(ld).filter((i) => !used.has(i)).length;
    return [[lax.dotGeneral(lhs, rhs, p)], [batch[0].length + freeBefore]];
  }
  const d = rd as number;
  const p: DotGeneralParams = { contracting: [contracting[0], remap(contracting[1], d)], batch: [batch[0], remap(batch[1], d)] };
  const lhsFree = lhs.ndim - contracting[0].length - batch[0].length;
  const used = new Set([...p.contracting[1], ...p.batch[1]]);
  const freeBefore = range(d).filter((i) => !used.has(i)).length;
  return [[lax.dotGeneral(lhs, rhs, p)], [batch[0].length + lhsFree + freeBefore]];
};

/**
 * gather/scatter along `axis`: with the operand batched, the batch joins the indexed axis
 * (index + b·n addresses example b's slice), so one gather serves every example.
 */
function mergeBatchIntoAxis(x: Array, axis: number, size: number): Array {
  // x has its batch dim at 0: [B, pre..., n, post...] → [pre..., B·n, post...]
  const pre = x.shape.slice(1, axis + 1);
  const n = x.shape[axis + 1] as number;
  const post = x.shape.slice(axis + 2);
  const perm = [...range(pre.length).map((i) => i + 1), 0, ...range(1 + post.length).map((i) => i + pre.length + 1)];
  return lax.reshape(lax.transpose(x, perm), [...pre, size * n, ...post]);
}

/**
 * idx batched at 0: [B, ...]; adds b·n to example b's indices. Out-of-range indices must keep
 * their per-example meaning rather than address a neighbour's slice: gathers clamp them to
 * [0, n) first, scatters send them to -1 (dropped).
 */
function offsetIndices(idx: Array, n: number, outOfRange: 'clamp' | 'drop'): Array {
  const full = (v: number): Array => np.full(idx.shape, v, { dtype: 'int32' });
  const offset = lax.mul(lax.iota('int32', idx.shape, 0), full(n));
  if (outOfRange === 'clamp') return lax.add(lax.max(lax.min(idx, full(n - 1)), full(0)), offset);
  const inRange = lax.bitwiseAnd(lax.ge(idx, full(0)), lax.lt(idx, full(n)));
  return lax.select(inRange, lax.add(idx, offset), full(-1));
}

const gather: BatchRule<'gather'> = ([x, idx], [xd, id], { axis }, size) => {
  if (id === null) return [[lax.gather(moveToFront(x!, xd ?? null, size), idx!, axis + 1)], [0]];
  if (xd === null) return [[lax.gather(x!, moveToFront(idx!, id ?? null, size), axis)], [axis]];
  const xs = moveToFront(x!, xd ?? null, size);
  const n = xs.shape[axis + 1] as number;
  const ix = offsetIndices(moveToFront(idx!, id ?? null, size), n, 'clamp');
  return [[lax.gather(mergeBatchIntoAxis(xs, axis, size), ix, axis)], [axis]];
};

function scatterRule(prim: 'scatter' | 'scatter_add'): BatchRule<typeof prim> {
  return ([x, idx, u], [xd, id, ud], { axis }, size) => {
    const xs = moveToFront(x!, xd ?? null, size);
    const us0 = moveToFront(u!, ud ?? null, size);
    // the same indices for every example: scatter along axis + 1 of the batched operand
    if (id === null) return [[bind(prim, [xs, idx!, us0], { axis: axis + 1 })[0] as Array], [0]];
    const n = xs.shape[axis + 1] as number;
    const ix = offsetIndices(moveToFront(idx!, id ?? null, size), n, 'drop');
    // updates as [pre..., B, I..., post...]: the batch dim moved to position `axis`
    const perm = [...range(axis).map((i) => i + 1), 0, ...range(us0.ndim - 1 - axis).map((i) => i + axis + 1)];
    const out = bind(prim, [mergeBatchIntoAxis(xs, axis, size), ix, lax.transpose(us0, perm)], { axis })[0] as Array;
    // [pre..., B·n, post...] → [pre..., B, n, post...]
    return [[lax.reshape(out, [...out.shape.slice(0, axis), size, n, ...out.shape.slice(axis + 1)])], [axis]];
  };
}

/**
 * conv: a batched input folds into the image batch; a batched kernel folds into the output
 * channels, keeping each feature (or batch) group's channels together; both batched, every
 * example becomes its own set of groups.
 */
const conv: BatchRule<'conv'> = ([l, r], [ld, rd], p, size) => {
  const BG = p.batchGroupCount;
  const groups = Math.max(p.featureGroupCount, BG);
  const rest = (n: number, from: number) => range(n).map((i) => i + from);
  if (rd === null) {
    const lhs = moveToFront(l!, ld ?? null, size); // [B, N, C, ...]
    const [N, ...inner] = lhs.shape.slice(1) as number[];
    const n = (N as number) / BG;
    // batch groups are group-major in N: order images [BG, B, N/BG] so each group stays together
    const ordered = BG > 1 ? lax.transpose(lax.reshape(lhs, [size, BG, n, ...inner]), [1, 0, 2, ...rest(inner.length, 3)]) : lhs;
    const out = bind('conv', [lax.reshape(ordered, [size * (N as number), ...inner]), r!], p)[0] as Array; // [B·n, O, ...]
    return [[lax.reshape(out, [size, n, ...out.shape.slice(1)])], [0]];
  }
  const rhs = moveToFront(r!, rd ?? null, size); // [B, O, I, ...]
  const [O, ...kinner] = rhs.shape.slice(1) as number[];
  if (ld === null) {
    const og = (O as number) / groups;
    // [B, groups, O/groups, I, ...] → [groups, B, O/groups, I, ...]
    const k = lax.reshape(lax.transpose(lax.reshape(rhs, [size, groups, og, ...kinner]), [1, 0, 2, ...rest(kinner.length, 3)]), [
      size * (O as number),
      ...kinner,
    ]);
    const out = bind('conv', [l!, k], p)[0] as Array; // [N, groups·B·og, ...]
    const [N, , ...sp] = out.shape as number[];
    const back = lax.transpose(lax.reshape(out, [N as number, groups, size, og, ...sp]), [0, 2, 1, 3, ...rest(sp.length, 4)]);
    return [[lax.reshape(back, [N as number, size, O as number, ...sp])], [1]];
  }
  const lhs = moveToFront(l!, ld ?? null, size); // [B, N, C, ...]
  if (size === 0) {
    // an empty batch: B·groups would be 0 groups, which conv rejects; the result is empty anyway
    const [out] = abstractEval('conv', [new ShapedArray(lhs.shape.slice(1), lhs.dtype), new ShapedArray(rhs.shape.slice(1), rhs.dtype)], p);
    return [[np.zeros([0, ...out!.shape], { dtype: out!.dtype })], [0]];
  }
  const [N, C, ...sp] = lhs.shape.slice(1) as number[];
  const kernels = lax.reshape(rhs, [size * (O as number), ...kinner]); // [B·O, I, ...]: example-major groups
  if (BG > 1) {
    // images [B, BG, n] and kernels [B, BG, O/BG] are both example-major: B·BG batch groups
    const out = bind('conv', [lax.reshape(lhs, [size * (N as number), C as number, ...sp]), kernels], { ...p, batchGroupCount: size * BG })[0] as Array;
    return [[lax.reshape(out, [out.shape[0] as number, size, O as number, ...out.shape.slice(2)])], [1]];
  }
  // channels [B, C] per image: B·featureGroupCount feature groups
  const images = lax.reshape(lax.transpose(lhs, [1, 0, ...rest(sp.length + 1, 2)]), [N as number, size * (C as number), ...sp]);
  const out = bind('conv', [images, kernels], { ...p, featureGroupCount: size * p.featureGroupCount })[0] as Array; // [N, B·O, ...]
  return [[lax.reshape(out, [N as number, size, O as number, ...out.shape.slice(2)])], [1]];
};

function windowRule(prim: 'reduce_window_sum' | 'reduce_window_max'): BatchRule<typeof prim> {
  return ([x], [d], p) => {
    const b = d as number;
    const ins = <T>(list: readonly T[], v: T): T[] => [...list.slice(0, b), v, ...list.slice(b)];
    const params = {
      windowDimensions: ins(p.windowDimensions, 1),
      windowStrides: ins(p.windowStrides, 1),
      padding: ins(p.padding, [0, 0] as const),
      baseDilation: ins(p.baseDilation, 1),
      windowDilation: ins(p.windowDilation, 1),
    };
    return [[bind(prim, [x!], params)[0] as Array], [b]];
  };
}

/** Elementwise primitives of every arity batch the same way. */
const ELEMENTWISE: readonly PrimitiveName[] = [
  ...BINARY_PRIMITIVES,
  ...COMPARISON_PRIMITIVES,
  ...UNARY_PRIMITIVES,
  'select',
  'convert_element_type',
  'bitcast_convert_type',
  'stop_gradient',
  'threefry2x32',
];

const rules: Record<string, BatchRule<never>> = {};
for (const p of ELEMENTWISE) rules[p] = elementwise(p) as BatchRule<never>;

/** Every primitive's batching rule, by family. */
export const batchRules: BatchRules = {
  ...(rules as BatchRules),
  // forward mode met a custom VJP (vmap of jvp, jacfwd): the same error as without vmap
  custom_lin: (_vals, _dims, { name }) => {
    throw customVjpForwardModeError(name);
  },
  reduce_sum: frontThen<'reduce_sum'>((x, { axes }) => lax.reduceSum(x, shift(axes))),
  reduce_max: frontThen<'reduce_max'>((x, { axes }) => lax.reduceMax(x, shift(axes))),
  reduce_min: frontThen<'reduce_min'>((x, { axes }) => lax.reduceMin(x, shift(axes))),
  reduce_prod: frontThen<'reduce_prod'>((x, { axes }) => lax.reduceProd(x, shift(axes))),
  argmax: frontThen<'argmax'>((x, { axis }) => lax.argmax(x, axis + 1)),
  argmin: frontThen<'argmin'>((x, { axis }) => lax.argmin(x, axis + 1)),
  argsort: frontThen<'argsort'>((x, { axis, descending }) => lax.argsort(x, axis + 1, descending)),
  broadcast_in_dim: frontThen<'broadcast_in_dim'>((x, { shape, broadcastDimensions }) =>
    lax.broadcastInDim(x, [x.shape[0] as number, ...shape], [0, ...shift(broadcastDimensions)]),
  ),
  reshape: frontThen<'reshape'>((x, { newShape }) => lax.reshape(x, [x.shape[0] as number, ...newShape])),
  transpose: frontThen<'transpose'>((x, { permutation }) => lax.transpose(x, [0, ...shift(permutation)])),
  slice: frontThen<'slice'>((x, { start, limit, strides }) => lax.slice(x, [0, ...start], [x.shape[0] as number, ...limit], [1, ...strides])),
  pad: frontThen<'pad'>(
    (x, { lo, hi, interior, value }) => bind('pad', [x], { lo: [0, ...lo], hi: [0, ...hi], interior: [0, ...interior], value })[0] as Array,
  ),
  rev: frontThen<'rev'>((x, { axes }) => lax.rev(x, shift(axes))),
  concatenate: (vals, dims, { axis }, size) => [
    [
      lax.concatenate(
        vals.map((v, i) => moveToFront(v, dims[i] ?? null, size)),
        axis + 1,
      ),
    ],
    [0],
  ],
  dot_general: dotGeneral,
  gather,
  scatter_add: scatterRule('scatter_add'),
  scatter: scatterRule('scatter'),
  conv,
  reduce_window_sum: windowRule('reduce_window_sum'),
  reduce_window_max: windowRule('reduce_window_max'),
};
