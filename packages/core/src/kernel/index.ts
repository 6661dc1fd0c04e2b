// The kernel IR's public face: expressions, kernels, routines, eager lowering and the kernel cache.
export { clearKernelCache, type KernelCacheStats, kernelCacheStats } from './cache.js';
export * from './conformance.js';
export * from './exp.js';
export { Kernel, type Loop, REDUCE_IDENTITY, type ReduceOp, type Reduction } from './kernel.js';
export { flatKernel } from './lower/elementwise.js';
export { type EagerPlan, lowerEager } from './lower/index.js';
export { isRoutine, ROUTINES, type RoutineName } from './routines.js';
