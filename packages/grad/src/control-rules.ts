// JVP and batching rules of the control-flow primitives (cond, while_loop, scan): each transforms
// the sub-graphs once (cached per graph, through jit-rules.ts) and binds the same primitive on the
// transformed graphs. Reverse mode needs no rule here: core's partial evaluator runs the taken
// branch (or every branch and selects) and unrolls a scan (its length is static).
import { type Array, bind, evalJaxpr, type Jaxpr, Jaxpr as JaxprClass, np, type PrimitiveParams, ShapedArray, Var } from '@tenfold/core';
import { whileLoopReverseError } from './api.js';
import { batchedGraph, jvpGraph, stageGraph } from './jit-rules.js';
import { batchRules } from './rules/batch.js';
import { jvpRules } from './rules/jvp.js';
import { transposeRules } from './rules/transpose.js';
import { isZero, type MaybeZero } from './zero.js';

/** `jaxpr` with its inputs in the order `order` (indices into its inputs) and outputs in `outOrder`. */
function permute(jaxpr: Jaxpr, order: readonly number[], outOrder?: readonly number[]): Jaxpr {
  return new JaxprClass(
    order.map((i) => jaxpr.inVars[i] as Var),
    jaxpr.eqns,
    outOrder === undefined ? jaxpr.outs : outOrder.map((i) => jaxpr.outs[i] as (typeof jaxpr.outs)[number]),
  );
}

/** `jaxpr` taking `extra` more (unused) inputs at the end. */
function withTrailingInputs(jaxpr: Jaxpr, extra: readonly ShapedArray[]): Jaxpr {
  return new JaxprClass([...jaxpr.inVars, ...extra.map((a) => new Var(a))], jaxpr.eqns, jaxpr.outs);
}

const range = (n: number, from = 0): number[] => globalThis.Array.from({ length: n }, (_, i) => from + i);

/** Tangents as arrays: symbolic zeros instantiated (loop state tangents must exist every step). */
function instantiate(t: MaybeZero, like: Array): Array {
  return isZero(t) ? np.zerosLike(like) : (t as Array);
}

jvpRules.cond = (primals, tangents, { branches }) => {
  const [index, ...ops] = primals as [Array, ...Array[]];
  const tops = tangents.slice(1);
  const nonzero = tops.map((t) => !isZero(t));
  const graphs = branches.map((b) => jvpGraph(b as Jaxpr, nonzero));
  const outs = bind('cond', [index, ...ops, ...(tops.filter((_, i) => nonzero[i]) as Array[])], { branches: graphs });
  const n = (branches[0] as Jaxpr).outs.length;
  return [outs.slice(0, n), outs.slice(n)];
};

jvpRules.scan = (primals, tangents, params) => {
  const { body, consts, carry: nc } = params;
  const g = body as Jaxpr;
  const nx = primals.length - consts - nc;
  // the carry's tangents are always carried; the consts' and xs' only where nonzero
  const constNz = tangents.slice(0, consts).map((t) => !isZero(t));
  const xNz = tangents.slice(consts + nc).map((t) => !isZero(t));
  const nonzero = [...constNz, ...range(nc).map(() => true), ...xNz];
  const jg = jvpGraph(g, nonzero);
  // jvpGraph's inputs: consts, carry, xs, then the nonzero tangents in that order; its outputs:
  // carry, ys, then their tangents. The scan wants consts+tconsts, carry+tcarry, xs+txs.
  const nTc = constNz.filter(Boolean).length;
  const nTx = xNz.filter(Boolean).length;
  const p0 = 0;
  const t0 = consts + nc + nx;
  const order = [
    ...range(consts, p0),
    ...range(nTc, t0),
    ...range(nc, consts),
    ...range(nc, t0 + nTc),
    ...range(nx, consts + nc),
    ...range(nTx, t0 + nTc + nc),
  ];
  const ny = g.outs.length - nc;
  const outOrder = [...range(nc), ...range(nc, nc + ny), ...range(ny, nc), ...range(ny, 2 * nc + ny)];
  const scanGraph = permute(jg, order, outOrder);
  const cs = primals.slice(0, consts);
  const tcs = tangents.slice(0, consts).filter((_, i) => constNz[i]) as Array[];
  const carry = primals.slice(consts, consts + nc);
  const tcarry = tangents.slice(consts, consts + nc).map((t, i) => instantiate(t, carry[i] as Array));
  const xs = primals.slice(consts + nc);
  const txs = tangents.slice(consts + nc).filter((_, i) => xNz[i]) as Array[];
  const outs = bind('scan', [...cs, ...tcs, ...carry, ...tcarry, ...xs, ...txs], { ...params, body: scanGraph, consts: consts + nTc, carry: 2 * nc });
  // outputs: carry, tcarry, ys, tys
  return [
    [...outs.slice(0, nc), ...outs.slice(2 * nc, 2 * nc + ny)],
    [...outs.slice(nc, 2 * nc), ...outs.slice(2 * nc + ny)],
  ];
};

jvpRules.while_loop = (primals, tangents, params) => {
  const { cond, body, condConsts, bodyConsts } = params;
  const nc = primals.length - condConsts - bodyConsts;
  const bConstNz = tangents.slice(condConsts, condConsts + bodyConsts).map((t) => !isZero(t));
  const jg = jvpGraph(body as Jaxpr, [...bConstNz, ...range(nc).map(() => true)]);
  const nTb = bConstNz.filter(Boolean).length;
  // jvpGraph inputs: bodyConsts, carry, tBodyConsts, tCarry -> wanted: bodyConsts, tBodyConsts, carry, tCarry
  const t0 = bodyConsts + nc;
  const bodyGraph = permute(jg, [...range(bodyConsts), ...range(nTb, t0), ...range(nc, bodyConsts), ...range(nc, t0 + nTb)]);
  const condGraph = withTrailingInputs(
    cond as Jaxpr,
    (cond as Jaxpr).inVars.slice(condConsts).map((v) => v.aval),
  );
  const cc = primals.slice(0, condConsts);
  const bc = primals.slice(condConsts, condConsts + bodyConsts);
  const tbc = tangents.slice(condConsts, condConsts + bodyConsts).filter((_, i) => bConstNz[i]) as Array[];
  const carry = primals.slice(condConsts + bodyConsts);
  const tcarry = tangents.slice(condConsts + bodyConsts).map((t, i) => instantiate(t, carry[i] as Array));
  const outs = bind('while_loop', [...cc, ...bc, ...tbc, ...carry, ...tcarry], {
    cond: condGraph,
    body: bodyGraph,
    condConsts,
    bodyConsts: bodyConsts + nTb,
  });
  return [outs.slice(0, nc), outs.slice(nc)];
};

/** Moves each batched value's batch axis to `to` (0 by default); unbatched ones stay. */
function moveTo(vals: readonly Array[], dims: readonly (number | null)[], to = 0): Array[] {
  return vals.map((v, i) => {
    const d = dims[i];
    return d === null || d === undefined || d === to ? v : np.moveaxis(v, d, to);
  });
}

/** An unbatched value broadcast along a new leading batch axis. */
function broadcastBatch(v: Array, size: number): Array {
  return np.broadcastTo(np.expandDims(v, 0), [size, ...v.shape]);
}

batchRules.cond = (vals, dims, { branches }, size) => {
  const [index, ...ops] = moveTo(vals, dims) as [Array, ...Array[]];
  const opBatched = dims.slice(1).map((d) => d !== null && d !== undefined);
  const graphs = branches.map((b) => batchedGraph(b as Jaxpr, opBatched, size));
  if (dims[0] === null || dims[0] === undefined) {
    const outs = bind('cond', [index, ...ops], { branches: graphs });
    return [outs, outs.map(() => 0)];
  }
  // a batched index: every branch runs on the whole batch and each example takes its own (JAX too)
  const outs = graphs.map((g) => evalJaxpr(g, ops));
  let result = outs[0] as Array[];
  for (let k = 1; k < outs.length; k++) {
    const pick = np.equal(index, k);
    result = result.map((r, j) => {
      const pickB = np.reshape(pick, [size, ...r.shape.slice(1).map(() => 1)]);
      return np.where(pickB, (outs[k] as Array[])[j] as Array, r);
    });
  }
  return [result, result.map(() => 0)];
};

batchRules.scan = (vals, dims, params, size) => {
  const { body, consts, carry: nc } = params;
  const batched = dims.map((d) => d !== null && d !== undefined);
  const cs = moveTo(vals.slice(0, consts), dims.slice(0, consts));
  // the carry is batched throughout (an unbatched initial carry can become batched in the body)
  const carry = vals.slice(consts, consts + nc).map((v, i) => {
    const d = dims[consts + i];
    return d === null || d === undefined ? broadcastBatch(v, size) : (moveTo([v], [d])[0] as Array);
  });
  // xs: the scan axis stays first, the batch axis goes second
  const xs = moveTo(vals.slice(consts + nc), dims.slice(consts + nc), 1);
  const g = batchedGraph(body as Jaxpr, [...batched.slice(0, consts), ...range(nc).map(() => true), ...batched.slice(consts + nc)], size);
  const outs = bind('scan', [...cs, ...carry, ...xs], { ...params, body: g });
  return [outs, outs.map((_, i) => (i < nc ? 0 : 1))];
};

batchRules.while_loop = (vals, dims, params, size) => {
  const { cond, body, condConsts, bodyConsts } = params;
  const nc = vals.length - condConsts - bodyConsts;
  const batched = dims.map((d) => d !== null && d !== undefined);
  const moved = moveTo(vals, dims);
  const cc = moved.slice(0, condConsts);
  const bc = moved.slice(condConsts, condConsts + bodyConsts);
  const carry = moved.slice(condConsts + bodyConsts).map((v, i) => (batched[condConsts + bodyConsts + i] ? v : broadcastBatch(v, size)));
  const cMask = [...batched.slice(0, condConsts), ...range(nc).map(() => true)];
  const bMask = [...batched.slice(condConsts, condConsts + bodyConsts), ...range(nc).map(() => true)];
  const condB = batchedGraph(cond as Jaxpr, cMask, size);
  const bodyB = batchedGraph(body as Jaxpr, bMask, size);
  const ccAvals = cc.map((c) => new ShapedArray(c.shape, c.dtype));
  const bcAvals = bc.map((c) => new ShapedArray(c.shape, c.dtype));
  const carryAvals = carry.map((c) => new ShapedArray(c.shape, c.dtype));
  // loop while any example's predicate holds; examples that are done keep their state
  const anyGraph = stageGraph([...ccAvals, ...carryAvals], (xs) => [np.any(evalJaxpr(condB, xs)[0] as Array)]);
  const stepGraph = stageGraph([...ccAvals, ...bcAvals, ...carryAvals], (xs) => {
    const c = xs.slice(0, condConsts);
    const b = xs.slice(condConsts, condConsts + bodyConsts);
    const state = xs.slice(condConsts + bodyConsts);
    const pred = evalJaxpr(condB, [...c, ...state])[0] as Array;
    const next = evalJaxpr(bodyB, [...b, ...state]);
    return next.map((n, i) => np.where(np.reshape(pred, [size, ...n.shape.slice(1).map(() => 1)]), n, state[i] as Array));
  });
  const outs = bind('while_loop', [...cc, ...cc, ...bc, ...carry], {
    cond: anyGraph,
    body: stepGraph,
    condConsts,
    bodyConsts: condConsts + bodyConsts,
  } satisfies PrimitiveParams['while_loop']);
  return [outs, outs.map(() => 0)];
};

transposeRules.while_loop = () => {
  throw whileLoopReverseError();
};
