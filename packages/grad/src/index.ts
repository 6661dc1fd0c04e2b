/**
 * @tenfold/grad: composable transforms over @tenfold/core's primitives.
 *
 * @example
 * import { type Array, np } from '@tenfold/core';
 * import { grad } from '@tenfold/grad';
 * grad((x: Array) => np.sum(np.square(x)))(np.array([1, 2, 3], { dtype: 'float32' })); // [2, 4, 6]
 */

// the rules of control flow (lax.cond, scan, whileLoop) and of jitted calls, registered on import
import './control-rules.js';
import './jit-rules.js';

/** makeJaxpr lives in @tenfold/core beside the jaxpr IR; re-exported so grad's API is unchanged. */
export { makeJaxpr } from '@tenfold/core';
export {
  type GradOptions,
  grad,
  jvp,
  linearize,
  stopGradient,
  type ValueAndGradOptions,
  valueAndGrad,
  vjp,
} from './api.js';
export { type CotangentOf, customJvp, customVjp } from './custom.js';
export { type ArgsAt, hessian, type JacobianOf, type JacobianOptions, jacfwd, jacrev } from './jacobian.js';
export { type JitOptions, type JitStats, type Jitted, jit, type Lowered } from './jit.js';
export { JVPTrace, JVPTracer } from './jvp.js';
export type { GradOf } from './types.js';
export { type AxisSpec, BatchTrace, BatchTracer, type VmapOptions, vmap } from './vmap.js';
export { Zero } from './zero.js';
