/**
 * @tenfold/gpu: a WebGPU backend for tenfold. Kernels of core's IR are rendered to WGSL compute
 * shaders; matmul and threefry are hand-written shaders; reads are asynchronous.
 *
 * @example
 * import { np, setDefaultBackend } from '@tenfold/core';
 * import { initWebGPU, destroyWebGPU } from '@tenfold/gpu';
 * const info = await initWebGPU();
 * setDefaultBackend('webgpu');
 * console.log(info.name, await np.matmul(np.ones([2, 3]), np.ones([3, 2])).data());
 * destroyWebGPU();
 */
/// <reference types="@webgpu/types" preserve="true" />
import { getBackend, registerBackend } from '@tenfold/core';
import { WebGPUBackend } from './backend.js';
import { type AdapterReport, acquireDevice, type InitOptions } from './device.js';

export { WebGPUBackend } from './backend.js';
export { GpuBuffer } from './buffer.js';
export { type AdapterReport, type InitOptions, NO_ADAPTER_HELP } from './device.js';
export { BufferPool, sizeClass } from './pool.js';
export { GPU_ROUTINES } from './routines/index.js';
export type { MatmulMode } from './routines/matmul.js';
export { type RenderMode, renderWgsl } from './wgsl/render.js';

/** The one backend object registered as 'webgpu' (core's registry keeps the instance it first made). */
const backend = new WebGPUBackend();
let registered = false;
let pending: Promise<AdapterReport> | null = null;

/**
 * Gets a WebGPU adapter and device (Node: the npm package `webgpu`, Dawn; browser: navigator.gpu),
 * registers the backend as 'webgpu' and reports the adapter. Calling it again while a device is
 * held returns the same report. Select the backend with `setDefaultBackend('webgpu')`,
 * `withBackend('webgpu', fn)` or `{ backend: 'webgpu' }` in creation options.
 */
export async function initWebGPU(options: InitOptions = {}): Promise<AdapterReport> {
  const current = backend.report;
  if (current !== null) return current;
  if (pending === null) {
    pending = (async () => {
      try {
        const acquired = await acquireDevice(options);
        backend.attach(acquired);
        if (!registered) {
          registerBackend('webgpu', () => backend);
          registered = true;
        }
        return acquired.report;
      } finally {
        pending = null;
      }
    })();
  }
  return pending;
}

/**
 * Destroys the device (so Node can exit) and frees every buffer on it; arrays on the webgpu
 * backend become unusable. initWebGPU() can be called again afterwards.
 */
export function destroyWebGPU(): void {
  backend.detach();
}

/** The registered WebGPU backend (after initWebGPU). */
export function webgpuBackend(): WebGPUBackend {
  if (backend.report === null) throw new Error('webgpuBackend: await initWebGPU() first');
  return getBackend('webgpu') as WebGPUBackend;
}
