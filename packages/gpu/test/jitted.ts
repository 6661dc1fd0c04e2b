// Shared by the WebGPU tests that count what a jitted program runs: its steps, fused epilogues and dispatches.
import type { Array } from '@tenfold/core';
import { webgpuBackend } from '@tenfold/gpu';
import { jit } from '@tenfold/grad';

/** Runs `f` jitted on webgpu: its result, and the program's steps, epilogues and dispatches of one call after the first. */
export function onGpu<A extends Array[]>(f: (...a: A) => Array, args: A): { out: Array; steps: number; epilogues: number; dispatches: number } {
  const backend = webgpuBackend();
  const g = jit(f);
  g(...args).dispose(); // compiles
  const q0 = backend.queueStats().dispatches;
  const out = g(...args);
  const dispatches = backend.queueStats().dispatches - q0;
  const program = g.lower(...args).program;
  const epilogues = program.steps.filter((s) => s.kind === 'routine' && s.epilogue !== undefined).length;
  return { out, steps: program.steps.length, epilogues, dispatches };
}
