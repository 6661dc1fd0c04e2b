// The device's life: destroyWebGPU() lets Node exit, arrays of a destroyed device fail clearly,
// and initWebGPU() after it gives a working backend again (kernels compiled before and core's
// shared scalar constants included).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend, np } from '@tenfold/core';
import { destroyWebGPU, initWebGPU } from '@tenfold/gpu';
import { describe, expect, it } from 'vitest';
import { adapter } from './gpu-env.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe.skipIf(!adapter)('the WebGPU device', () => {
  it('initWebGPU reports the adapter and is idempotent while the device lives', async () => {
    expect(adapter?.name).toMatch(/\S/);
    expect(adapter?.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
    expect(await initWebGPU()).toBe(adapter);
  });

  it('destroyWebGPU then initWebGPU: old arrays fail clearly, new ones and cached kernels work', async () => {
    const x = np.arange(8, undefined, 1, { dtype: 'float32', backend: 'webgpu' });
    expect(await np.multiply(x, 2).data()).toEqual(new Float32Array([0, 2, 4, 6, 8, 10, 12, 14]));
    destroyWebGPU();
    await expect(x.data()).rejects.toThrow(/^data: the webgpu backend has no device; await initWebGPU\(\) first/);
    await initWebGPU();
    expect(() => np.add(x, 1)).toThrow(/this array lives on a WebGPU device that was destroyed/);
    x.dispose(); // a no-op for the old device's buffers
    // the shared scalar constant 2 (core caches it for the process) was uploaded again
    const y = np.array([4, 5], { dtype: 'float32', backend: 'webgpu' });
    expect(await np.multiply(y, 2).data()).toEqual(new Float32Array([8, 10]));
    expect(await np.matmul(np.ones([2, 3], { backend: 'webgpu' }), np.ones([3, 1], { backend: 'webgpu' })).data()).toEqual(new Float32Array([3, 3]));
    expect(getBackend('webgpu').stats().liveBuffers).toBeGreaterThan(0);
  });

  it('Node exits after destroyWebGPU()', () => {
    const script = [
      "import { np } from '@tenfold/core';",
      "import { destroyWebGPU, initWebGPU } from '@tenfold/gpu';",
      'await initWebGPU();',
      "const x = np.array([1, 2], { dtype: 'float32', backend: 'webgpu' });",
      'console.log(Array.from(await np.add(x, x).data()).join(","));',
      'destroyWebGPU();',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe('2,4');
  });
});
