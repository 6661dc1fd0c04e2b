import type { Array } from './array.js';
import type { ShapedArray } from './aval.js';
import { getBackend } from './backend/backend.js';
import { ConcreteArray } from './concrete.js';
import { fail } from './errors.js';
import type { PrimitiveName, PrimitiveParams } from './primitives/params.js';
import { abstractEval } from './primitives/registry.js';
import { Trace } from './trace.js';

/** Eager evaluation: the bottom of the trace stack. Runs each primitive on its backend. */
export class EvalTrace extends Trace {
  pure(x: Array): Array {
    return x;
  }
  lift(x: Array): Array {
    return x;
  }
  processPrimitive<P extends PrimitiveName>(prim: P, args: readonly Array[], params: PrimitiveParams[P]): Array[] {
    return evalPrimitive(prim, args as readonly ConcreteArray[], params);
  }
}

/** Evaluates one primitive on concrete arrays. */
export function evalPrimitive<P extends PrimitiveName>(prim: P, args: readonly ConcreteArray[], params: PrimitiveParams[P]): ConcreteArray[] {
  const avals = args.map((a) => a.aval);
  const outAvals = abstractEval(prim, avals, params);
  const backend = args.length > 0 ? (args[0] as ConcreteArray).backend : getBackend();
  if (args.some((a) => a.backend !== backend)) {
    const where = args.map((a) => `${a.aval} on ${a.backend.name}`).join(', ');
    fail(prim, `inputs live on different backends (${where}); move them to one with devicePut(x, '${backend.name}') first`);
  }
  const handles = backend.execute(
    prim,
    params,
    args.map((a) => ({ handle: a.liveHandle(prim), aval: a.aval })),
    outAvals,
  );
  return handles.map((h, i) => new ConcreteArray(outAvals[i] as ShapedArray, backend, h));
}
