// A routine's epilogue (core's RoutineEpilogue) as a WGSL function, for the matmul shaders to apply
// to each output element in registers before they store it: `fn epilogue(o: u32, acc: T) -> T`,
// where `o` is the element's flat row-major index in the output and `acc` the product there. The
// kernel is elementwise over the output's shape (its loops row-major over it, no reduction) and
// reads the routine's result (its input `result`) only at the element it writes: those loads
// become `acc`. Its other inputs are bound as read-only storage buffers from `binding` on, named
// `in<j>` by their input number, and its float constants are uniform slots from `slotBase` on; the
// shader's uniform starts with exp.ts's header, which the helpers read.
import { type DType, type Kernel, kernelIR } from '@tenfold/core';
import { ExpRenderer, FloatConstants, splitIndex, storageType, valueType } from './exp.js';
import { helperSource } from './lib.js';

type Exp = kernelIR.Exp;

export interface RenderedEpilogue {
  /** The bindings of the epilogue's inputs other than the result. */
  readonly decl: string;
  /** The helpers the epilogue calls and the function itself. */
  readonly code: string;
  /** The float constants, for the uniform slots from `slotBase` on. */
  readonly constants: readonly number[];
  /** The kernel inputs bound from `binding` on, in order (all but `result`). */
  readonly inputs: readonly number[];
}

/** Whether the renderer can apply `kernel` as an epilogue (elementwise, no runtime vars, numeric output). */
export function isEpilogueKernel(kernel: Kernel): boolean {
  const numeric = (d: DType) => d === 'float32' || d === 'int32';
  return (
    kernel.reduction === null &&
    kernel.vars === 0 &&
    numeric(kernel.outDType) &&
    kernel.loops.every((l) => !l.reduce) &&
    kernel.inputs.every((d) => d === 'float32' || d === 'int32' || d === 'bool')
  );
}

/** The WGSL of `kernel` as the epilogue of a routine whose result is its input `result`. */
export function renderEpilogue(kernel: Kernel, result: number, binding: number, slotBase: number): RenderedEpilogue {
  const op = kernel.name;
  if (!isEpilogueKernel(kernel)) throw new Error(`internal: ${op} cannot be rendered as an epilogue`);
  const accType = valueType(kernel.inputs[result] as DType, op);
  const outType = valueType(kernel.outDType, op);
  const floats = new FloatConstants(slotBase);
  const r = new ExpRenderer(kernel.inputs, floats);
  const inputs = kernel.inputs.flatMap((_, j) => (j === result ? [] : [j]));
  const decl = inputs.map((j, b) => `@group(0) @binding(${binding + b}) var<storage, read> in${j}: array<${storageType(kernel.inputs[j] as DType, op)}>;`);
  const L: string[] = [`fn epilogue(o: u32, acc: ${accType}) -> ${outType} {`];
  const sizes = new Map<string, string>();
  kernel.loops.forEach((l, k) => {
    const { lines, value } = r.render(l.size, '  ', sizes);
    L.push(...lines, `  let n${k} = ${value};`);
  });
  L.push(...splitIndex('i32(o)', [...kernel.loops.keys()], '  ', 'q'));
  const { lines, value } = r.render(
    kernelIR.substituteLoads(kernel.body, result, (load) => kernelIR.accumulator(load.dtype)),
    '  ',
  );
  L.push(...lines, `  return ${value};`, '}');
  return { decl: decl.join('\n'), code: [helperSource(r.use), ...L].join('\n'), constants: floats.values, inputs };
}
