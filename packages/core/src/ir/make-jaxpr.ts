import { type Array, Array as ArrayClass } from '../array.js';
import { ShapedArray } from '../aval.js';
import { TenfoldError } from '../errors.js';
import { asArray } from '../ops/scalar.js';
import { withMainTrace } from '../trace.js';
import * as tree from '../tree.js';
import type { Jaxpr } from './jaxpr.js';
import { PartialEvalTrace, PartialTracer, tracersToJaxpr } from './partial-eval.js';

/**
 * Traces `f` on abstract values of the arguments' shapes and dtypes into a jaxpr (the graph of
 * primitives it runs), as jax.make_jaxpr. Operations on constants are folded while tracing.
 *
 * @example
 * makeJaxpr((x: Array) => np.sin(np.multiply(x, 2)))(np.ones([3])).toString();
 * // { lambda ; a:f32[3]. let b:f32[3] = mul a <const f32[3]>; c:f32[3] = sin b in (c,) }
 */
export function makeJaxpr<A extends unknown[]>(f: (...args: A) => unknown): (...args: A) => Jaxpr {
  return (...args: A): Jaxpr =>
    withMainTrace(PartialEvalTrace, null, (main) => {
      const pe = main.trace as PartialEvalTrace;
      const [leaves, def] = tree.flatten(args);
      const ins = leaves.map((l) => {
        const a = l instanceof ArrayClass ? l : asArray(l as number);
        return pe.newArg(new ShapedArray(a.shape, a.dtype));
      });
      const out = f(...(tree.unflatten(def, ins) as A));
      const outs = tree.leaves(out).map((o): PartialTracer => {
        if (!(o instanceof ArrayClass) && typeof o !== 'number' && typeof o !== 'boolean')
          throw new TenfoldError('makeJaxpr', 'outputs must be arrays or numbers');
        const a: Array = o instanceof ArrayClass ? o : asArray(o);
        const t = a instanceof PartialTracer && a.trace.main === main ? a : (pe.pure(a) as PartialTracer);
        return pe.instantiate(t);
      });
      return tracersToJaxpr(ins, outs);
    });
}
