// Shared by the WebGPU tests: gets the device once per file (and releases it after). Without an
// adapter the tests are skipped with the reason on a developer's machine, but fail where WebGPU is
// required: in CI (CI=true, or TENFOLD_REQUIRE_WEBGPU=1, which .ci/run sets after installing
// lavapipe with packages/gpu/scripts/setup-lavapipe.sh).
import { type AdapterReport, destroyWebGPU, initWebGPU } from '@tenfold/gpu';
import { afterAll } from 'vitest';

async function init(): Promise<AdapterReport | null> {
  try {
    return await initWebGPU();
  } catch (e) {
    const why = (e as Error).message;
    const env = process.env;
    if (env.TENFOLD_REQUIRE_WEBGPU === '1' || env.CI === 'true' || env.CI === '1') {
      throw new Error(`WebGPU is required here (CI or TENFOLD_REQUIRE_WEBGPU=1) but unavailable: ${why}`);
    }
    console.warn(`[@tenfold/gpu] skipping the WebGPU tests: ${why}`);
    return null;
  }
}

/** The adapter, or null when the tests of this file are skipped. */
export const adapter: AdapterReport | null = await init();

afterAll(() => {
  destroyWebGPU();
});
