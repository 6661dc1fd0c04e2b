// Gives TensorFlow.js and jax-js what their WebGPU backends expect from a browser, from one Dawn
// instance (npm `webgpu`). Node 20 has no `navigator` at all (21+ has one without `gpu`), and both
// peers also read the WebGPU enums (`GPUBufferUsage`, `GPUMapMode`...) as globals, which Dawn's
// module exports as `globals`. tenfold's initWebGPU takes navigator.gpu when it is set, so all
// three libraries request their adapters from the same GPU object.
/// <reference types="@webgpu/types" preserve="true" />
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create, globals } from 'webgpu';

/** Installs navigator.gpu (and the enums) once; returns the shared GPU object. */
export function installNavigatorGpu(dawnFlags: readonly string[] = []): GPU {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu !== undefined) return g.navigator.gpu;
  // Mesa's Vulkan drivers warn and may fail without it (packages/gpu/scripts/setup-lavapipe.sh)
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'xdg-'));
  Object.assign(globalThis, globals);
  const gpu = create([...dawnFlags]);
  // jax-js's kernel tuner also reads navigator.userAgent (to tell phones apart)
  const nav = { ...(g.navigator ?? {}), gpu, userAgent: `Node.js/${process.version.slice(1)}` };
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  return gpu;
}
