/**
 * @tenfold/core: immutable n-d arrays on one primitive layer.
 *
 * @example
 * import { np } from '@tenfold/core';
 * const x = np.array([[1, 2], [3, 4]], { dtype: 'float32' });
 * console.log(np.matmul(x, x).toString());
 */

import { registerBackend } from './backend/backend.js';
import { CpuBackend } from './backend/cpu/index.js';
import { installControlPartialEval } from './control/partial-eval.js';
import { EvalTrace } from './eval.js';
import { installArrayMethods } from './ops/methods.js';
import { installEvalTrace } from './trace.js';

// Wiring the layers, bottom to top: eager evaluation under the trace stack, the CPU backend in
// the registry, the ops' methods on Array and control flow's partial-evaluation rules (no lower
// module imports a higher one).
installEvalTrace(EvalTrace);
registerBackend('cpu', () => new CpuBackend());
// the pure JavaScript reference: plain typed arrays, no WebAssembly
registerBackend('js', () => new CpuBackend({ name: 'js', webAssembly: false }));
installArrayMethods();
installControlPartialEval();

export { Array, type ArrayLike } from './array.js';
export { ShapedArray } from './aval.js';
export {
  type Backend,
  type BackendInput,
  type BackendStats,
  type DataHandle,
  defaultBackendName,
  type Executable,
  getBackend,
  type RoutineEpilogue,
  registerBackend,
  setDefaultBackend,
  type WhileLoopSteps,
  withBackend,
} from './backend/backend.js';
export { CpuBackend, type CpuBackendOptions } from './backend/cpu/index.js';
export { type CpuThreadsInfo, cpuThreadsInfo, type WorkerHost } from './backend/cpu/workers.js';
export { ConcreteArray, fromTyped, isConcrete } from './concrete.js';
export { type Staged, stageFunction } from './control/stage.js';
export { devicePut, devicePutAsync } from './device.js';
export { DTYPES, type DType, isFloatDType, promoteTypes, type TypedArray } from './dtype.js';
export { customVjpForwardModeError, TenfoldError } from './errors.js';
export { compiledGraph, evalPrimitive, runCompiled } from './eval.js';
export * from './ir/index.js';
export { type CompiledGraph, compileJaxpr } from './jit/compile.js';
export { optimizeJaxpr } from './jit/passes.js';
export { Program, type Step } from './jit/program.js';
export { runProgram } from './jit/run.js';
export { clearKernelCache, type KernelCacheStats, kernelCacheStats } from './kernel/cache.js';
export { Exp } from './kernel/exp.js';
export * as kernelIR from './kernel/index.js';
export { Kernel, type Loop, type ReduceOp } from './kernel/kernel.js';
export { ROUTINES, type RoutineName } from './kernel/routines.js';
export * as lax from './lax.js';
export * as np from './np.js';
export type { ArrayMethods } from './ops/methods.js';
export { clearBackendConstants } from './ops/scalar.js';
export { isWeak, markWeak } from './ops/weak.js';
export * from './primitives/index.js';
export * as random from './random.js';
export type { Shape } from './shape.js';
export { bind, bind1, isTraced, MainTrace, Trace, type Traced, Tracer, type TraceType, traceDepth, withDynamicTrace, withMainTrace } from './trace.js';
export * as tree from './tree.js';
export { version } from './version.js';
