// Control flow run eagerly: the branch or body graphs run compiled (through `host.call`), the
// loop itself on the host, reading the predicate or index of each step (or, on a backend that
// runs loops itself, by the backend: backend-loop.ts).
import type { ShapedArray } from '../aval.js';
import type { Backend } from '../backend/backend.js';
import { type ConcreteArray, fresh, fromTyped } from '../concrete.js';
import { allocTyped } from '../dtype.js';
import { fail } from '../errors.js';
import type { Jaxpr } from '../ir/jaxpr.js';
import type { PrimitiveName, PrimitiveParams } from '../primitives/params.js';
import { backendWhile, runsLoops } from './backend-loop.js';
import type { Host } from './host.js';

export type { Host } from './host.js';

export const CONTROL: ReadonlySet<PrimitiveName> = new Set(['cond', 'while_loop', 'scan']);

function scalarOf(op: string, x: ConcreteArray): number {
  if (!x.backend.supportsSyncRead)
    fail(
      op,
      `its predicate lives on the ${x.backend.name} backend, which reads asynchronously and does not run loops itself (Backend.whileLoop), and the loop must read it to go on; use lax.scan or lax.foriLoop with JS-number bounds there, or run the loop on the cpu backend (lax.cond and lax.switch work: they run every branch and select)`,
    );
  return x.backend.readSync(x.liveHandle(op))[0] as number;
}

/**
 * A cond on a backend that reads asynchronously (WebGPU), where the host cannot see the index:
 * every branch runs, and each output is picked by the index on the device (clamped, as the taken
 * branch is: branch k where index ≥ k for the largest such k), as JAX does for a batched
 * predicate. Branches are pure, so the result is the taken branch's; the cost is running them all.
 */
function selectBranches(index: ConcreteArray, operands: readonly ConcreteArray[], branches: readonly Jaxpr[], host: Host): ConcreteArray[] {
  const outs = branches.map((b) => host.call(b, operands));
  let result = outs[0] as ConcreteArray[];
  for (let k = 1; k < outs.length; k++) {
    const kth = fromTyped(Int32Array.of(k), [], 'int32', index.backend);
    const [pick] = host.prim('ge', [index, kth], {}) as [ConcreteArray];
    kth.dispose();
    const next = result.map((r, j) => {
      const o = (outs[k] as ConcreteArray[])[j] as ConcreteArray;
      const [mask] = host.prim('broadcast_in_dim', [pick], { shape: [...o.shape], broadcastDimensions: [] }) as [ConcreteArray];
      const [picked] = host.prim('select', [mask, o, r], {}) as [ConcreteArray];
      mask.dispose();
      return picked;
    });
    pick.dispose();
    if (k > 1) disposeAll(result);
    result = next;
  }
  for (const o of outs) disposeAll(o);
  return result;
}

function disposeAll(xs: readonly ConcreteArray[]): void {
  for (const x of xs) x.dispose();
}

/** Runs a control-flow primitive on concrete arrays. */
export function runControl<P extends PrimitiveName>(prim: P, args: readonly ConcreteArray[], params: PrimitiveParams[P], host: Host): ConcreteArray[] {
  switch (prim) {
    case 'cond': {
      const { branches } = params as PrimitiveParams['cond'];
      const [index, ...operands] = args as [ConcreteArray, ...ConcreteArray[]];
      if (branches.length === 1) return host.call(branches[0] as Jaxpr, operands);
      if (!index.backend.supportsSyncRead) return selectBranches(index, operands, branches as Jaxpr[], host);
      const i = Math.min(Math.max(scalarOf('cond', index), 0), branches.length - 1);
      return host.call(branches[i] as Jaxpr, operands);
    }
    case 'while_loop': {
      const { cond, body, condConsts, bodyConsts } = params as PrimitiveParams['while_loop'];
      const cConsts = args.slice(0, condConsts);
      const bConsts = args.slice(condConsts, condConsts + bodyConsts);
      let carry = args.slice(condConsts + bodyConsts);
      const backend = args[0]?.backend;
      if (backend !== undefined && runsLoops(backend)) return backendWhile(backend, cond as Jaxpr, body as Jaxpr, cConsts, bConsts, carry, host);
      let owned = false;
      for (;;) {
        const [c] = host.call(cond as Jaxpr, [...cConsts, ...carry]) as [ConcreteArray];
        const go = scalarOf('whileLoop', c) !== 0;
        c.dispose();
        if (!go) break;
        const next = host.call(body as Jaxpr, [...bConsts, ...carry]);
        if (owned) disposeAll(carry);
        carry = next;
        owned = true;
      }
      // results are new arrays even when the body never ran
      return owned ? carry : carry.map((x) => fresh(x, 'whileLoop') as ConcreteArray);
    }
    case 'scan': {
      const { body, length, reverse, consts, carry: nc } = params as PrimitiveParams['scan'];
      const cs = args.slice(0, consts);
      let carry = args.slice(consts, consts + nc);
      const xs = args.slice(consts + nc);
      const yAvals = (body as Jaxpr).outs.slice(nc).map((o) => o.aval);
      const ys: ConcreteArray[][] = yAvals.map(() => new globalThis.Array(length));
      let owned = false;
      for (let k = 0; k < length; k++) {
        const t = reverse ? length - 1 - k : k;
        const slices = xs.map((x) => sliceAt(host, x, t));
        const outs = host.call(body as Jaxpr, [...cs, ...carry, ...slices]);
        disposeAll(slices);
        if (owned) disposeAll(carry);
        carry = outs.slice(0, nc);
        owned = true;
        outs.slice(nc).forEach((y, j) => {
          (ys[j] as ConcreteArray[])[t] = y;
        });
      }
      const backend = args[0]?.backend;
      const stacked = ys.map((list, j) => stack(host, list, yAvals[j] as ShapedArray, length, backend));
      const finalCarry = owned ? carry : carry.map((x) => fresh(x, 'scan') as ConcreteArray);
      return [...finalCarry, ...stacked];
    }
    default:
      return fail(prim, 'is not a control-flow primitive');
  }
}

/** Slice `t` of `x` along its leading axis, without that axis. */
function sliceAt(host: Host, x: ConcreteArray, t: number): ConcreteArray {
  const rest = x.shape.slice(1);
  const [s] = host.prim('slice', [x], { start: [t, ...rest.map(() => 0)], limit: [t + 1, ...rest], strides: x.shape.map(() => 1) }) as [ConcreteArray];
  const [r] = host.prim('reshape', [s], { newShape: rest }) as [ConcreteArray];
  s.dispose();
  return r;
}

/** The ys of every step along a new leading axis. */
function stack(host: Host, list: readonly ConcreteArray[], aval: ShapedArray, length: number, backend: Backend | undefined): ConcreteArray {
  if (length === 0) return fromTyped(allocTyped(aval.dtype, 0), [0, ...aval.shape], aval.dtype, backend);
  const rows = list.map((y) => host.prim('reshape', [y], { newShape: [1, ...aval.shape] })[0] as ConcreteArray);
  disposeAll(list);
  const [out] = host.prim('concatenate', rows, { axis: 0 }) as [ConcreteArray];
  disposeAll(rows);
  return out;
}
