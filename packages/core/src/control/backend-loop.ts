// A while loop run by its backend (Backend.whileLoop): for backends that read asynchronously, where
// the host cannot read each predicate. The steps wrap the compiled cond and body graphs; they may
// run after this call returned, so they keep their own references to the loop's constants.
import type { ShapedArray } from '../aval.js';
import { type Backend, type DataHandle, type WhileLoopSteps, withBackend } from '../backend/backend.js';
import { ConcreteArray, fresh } from '../concrete.js';
import { fail } from '../errors.js';
import type { Jaxpr } from '../ir/jaxpr.js';
import type { Host } from './host.js';

type LoopBackend = Backend & Required<Pick<Backend, 'whileLoop'>>;

/** Whether `backend` runs while loops itself. */
export function runsLoops(backend: Backend): backend is LoopBackend {
  return backend.whileLoop !== undefined;
}

/** `while (cond(cConsts, carry)) carry = body(bConsts, carry)` on `backend`, returning the final carry at once. */
export function backendWhile(
  backend: LoopBackend,
  cond: Jaxpr,
  body: Jaxpr,
  cConsts: readonly ConcreteArray[],
  bConsts: readonly ConcreteArray[],
  carry: readonly ConcreteArray[],
  host: Host,
): ConcreteArray[] {
  const op = 'whileLoop';
  const all = [...cConsts, ...bConsts, ...carry];
  if (all.some((a) => a.backend !== backend)) {
    const where = all.map((a) => `${a.aval} on ${a.backend.name}`).join(', ');
    fail(op, `its state and the arrays its functions use live on different backends (${where}); move them to one with devicePut(x, '${backend.name}') first`);
  }
  const avals = carry.map((c) => c.aval);
  // the caller may dispose the constants as soon as this returns
  const cc = cConsts.map((c) => fresh(c, op) as ConcreteArray);
  const bc = bConsts.map((c) => fresh(c, op) as ConcreteArray);
  const wrap = (hs: readonly DataHandle[]) =>
    hs.map((h, i) => {
      backend.retain(h);
      return new ConcreteArray(avals[i] as ShapedArray, backend, h);
    });
  const unwrap = (xs: readonly ConcreteArray[]) =>
    xs.map((x) => {
      const h = x.liveHandle(op);
      backend.retain(h);
      x.dispose();
      return h;
    });
  // a step may run later, under another default backend: constants it creates must land here
  const step = (graph: Jaxpr, consts: readonly ConcreteArray[], hs: readonly DataHandle[]) =>
    withBackend(backend.name, () => {
      const args = wrap(hs);
      try {
        return unwrap(host.call(graph, [...consts, ...args]));
      } finally {
        for (const a of args) a.dispose();
      }
    });
  const steps: WhileLoopSteps = {
    carry: carry.map((c) => ({ handle: c.liveHandle(op), aval: c.aval })),
    cond: (hs) => step(cond, cc, hs)[0] as DataHandle,
    body: (hs) => step(body, bc, hs),
    done: () => {
      for (const c of [...cc, ...bc]) c.dispose();
    },
  };
  return backend.whileLoop(steps).map((h, i) => new ConcreteArray(avals[i] as ShapedArray, backend, h));
}
