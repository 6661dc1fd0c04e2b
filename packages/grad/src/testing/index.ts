/**
 * @tenfold/grad/testing: gradient checking against finite differences, as `jax.test_util`, and
 * fast-check arbitraries for shapes and arrays. fast-check is an optional peer dependency, needed
 * only for the arbitraries.
 *
 * @example
 * import { np } from '@tenfold/core';
 * import { arrays, checkGrads } from '@tenfold/grad/testing';
 * import fc from 'fast-check';
 *
 * checkGrads((x) => np.sum(np.tanh(x)), [np.array([0.5, -1])]);
 * fc.assert(fc.property(arrays([2, 3], { domain: 'positive' }), (x) => checkGrads(np.log, [x])), { seed: 42, numRuns: 5 });
 */
export {
  type ArrayOptions,
  arrays,
  broadcastShapes,
  f64,
  jointArrays,
  type Shape,
  type ShapeOptions,
  shapes,
  uniform,
  type ValueDomain,
  values,
} from './arbitraries.js';
export {
  CHECK_GRADS_DEFAULTS,
  type CheckGradsOptions,
  checkGrads,
  checkJvp,
  checkVjp,
  GradCheckError,
  type GradMode,
  numericalJvp,
  numericalVjp,
} from './check-grads.js';
export { seededUniform } from './seeded.js';
