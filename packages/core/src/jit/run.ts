// Runs a kernel program on a backend: its kernels compiled once (through the kernel cache), then
// every call is a loop over the steps with no tracing, shape rules or lowering per op.

import type { ShapedArray } from '../aval.js';
import type { Backend, DataHandle, Executable } from '../backend/backend.js';
import { cachedKernel } from '../kernel/cache.js';
import type { RoutineName } from '../kernel/routines.js';
import type { PrimitiveName } from '../primitives/params.js';
import type { Program } from './program.js';

const prepared = new WeakMap<Program, WeakMap<Backend, (Executable | null)[]>>();

/** The executable of each kernel step of `program` on `backend`, and of each epilogue it does not fuse (null for other steps). */
function executables(program: Program, backend: Backend): (Executable | null)[] {
  let perBackend = prepared.get(program);
  if (perBackend === undefined) {
    perBackend = new WeakMap();
    prepared.set(program, perBackend);
  }
  let exes = perBackend.get(backend);
  if (exes === undefined) {
    exes = program.steps.map((s) => {
      if (s.kind === 'kernel') return cachedKernel(backend, s.key, () => s.kernel);
      // an epilogue the backend does not fuse runs as a kernel of its own
      const e = s.kind === 'routine' ? s.epilogue : undefined;
      if (e === undefined || backend.fusesEpilogue?.((s as { name: RoutineName }).name, e.kernel) === true) return null;
      return cachedKernel(backend, e.key, () => e.kernel);
    });
    perBackend.set(backend, exes);
  }
  return exes;
}

/** Runs a host step (control flow) on buffers, returning new references for its outputs. */
export type HostStep = (prim: PrimitiveName, params: unknown, inputs: readonly DataHandle[], inAvals: readonly ShapedArray[], backend: Backend) => DataHandle[];

function noHost(prim: PrimitiveName): never {
  throw new Error(`internal: a program with a ${prim} step was run without a host`);
}

/**
 * Runs `program` on `backend` with `inputs` and `consts`, returning one new reference per output.
 * The program does not consume its inputs, except those flagged in `given` (donated arguments):
 * it takes over their reference, may write a result into their buffer, and releases them by the
 * time it returns, also when it fails. `host` runs its control-flow steps.
 */
export function runProgram(
  backend: Backend,
  program: Program,
  inputs: readonly DataHandle[],
  consts: readonly DataHandle[],
  host: HostStep = noHost,
  given?: readonly boolean[],
): DataHandle[] {
  const exes = executables(program, backend);
  const slots: (DataHandle | undefined)[] = new Array(program.slotCount);
  const nIn = inputs.length;
  const owned = nIn + consts.length;
  const isOwned = (k: number) => k >= owned || (k < nIn && given?.[k] === true);
  for (let i = 0; i < nIn; i++) slots[i] = inputs[i];
  for (let i = 0; i < consts.length; i++) slots[nIn + i] = consts[i];
  const steps = program.steps;
  try {
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i] as (typeof steps)[number];
      if (s.kind === 'kernel') {
        const ins = s.inputs.map((k) => slots[k] as DataHandle);
        // a buffer read for the last time, only at the element written: the result may go there
        let target = -1;
        for (const k of s.into) {
          if (isOwned(k)) {
            target = k;
            break;
          }
        }
        const into = target >= 0 ? slots[target] : undefined;
        const out = backend.run(exes[i] as Executable, ins, s.vars, s.outAval, into);
        slots[s.out] = out;
        if (out === into) slots[target] = undefined; // its reference is the result's now
      } else if (s.kind === 'routine') {
        const ins = s.inputs.map((k, j) => ({ handle: slots[k] as DataHandle, aval: s.inAvals[j] as (typeof s.inAvals)[number] }));
        const e = s.epilogue;
        if (e === undefined) {
          const outs = backend.routine(s.name, s.params, ins, s.outAvals);
          s.outs.forEach((o, j) => {
            slots[o] = outs[j];
          });
        } else if (exes[i] === null) {
          // the backend applies the epilogue inside the routine
          const epilogue = { kernel: e.kernel, key: e.key, result: e.result, inputs: e.inputs.map((k) => (k === e.raw ? null : (slots[k] as DataHandle))) };
          slots[s.outs[0] as number] = (backend.routine(s.name, s.params, ins, s.outAvals, epilogue) as DataHandle[])[0];
        } else {
          // the routine, then its epilogue kernel into the routine's result
          const raw = (backend.routine(s.name, s.params, ins, [e.rawAval]) as DataHandle[])[0] as DataHandle;
          slots[e.raw] = raw;
          const out = backend.run(
            exes[i] as Executable,
            e.inputs.map((k) => slots[k] as DataHandle),
            [],
            s.outAvals[0] as ShapedArray,
            raw,
          );
          slots[s.outs[0] as number] = out;
          if (out === raw) slots[e.raw] = undefined;
          else release(backend, slots, e.raw);
        }
      } else if (s.kind === 'host') {
        const outs = host(
          s.prim,
          s.params,
          s.inputs.map((k) => slots[k] as DataHandle),
          s.inAvals,
          backend,
        );
        s.outs.forEach((o, j) => {
          slots[o] = outs[j];
        });
      } else {
        const h = slots[s.input] as DataHandle;
        backend.retain(h);
        slots[s.out] = h;
      }
      for (const f of s.frees) release(backend, slots, f);
      if (given !== undefined) for (const f of s.inputFrees) if (given[f]) release(backend, slots, f);
    }
  } catch (e) {
    // a failing step leaves no buffer of the program behind
    for (let k = 0; k < slots.length; k++) if (isOwned(k)) release(backend, slots, k);
    throw e;
  }
  // outputs that are inputs, constants or another output's buffer get a reference of their own
  // (a given input's reference passes to its first output)
  const seen = new Set<number>();
  const outs = program.outs.map((k) => {
    const h = slots[k] as DataHandle;
    if ((k < owned && !isOwned(k)) || seen.has(k)) backend.retain(h);
    seen.add(k);
    return h;
  });
  // given inputs the program never read
  for (let k = 0; k < nIn; k++) if (given?.[k] === true && !seen.has(k)) release(backend, slots, k);
  return outs;
}

function release(backend: Backend, slots: (DataHandle | undefined)[], k: number): void {
  const h = slots[k];
  if (h === undefined) return;
  backend.release(h);
  slots[k] = undefined;
}
