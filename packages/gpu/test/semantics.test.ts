// The kernel IR's element-semantics table (core's kernel/conformance.ts) on the WGSL renderer.
import { getBackend, kernelIR } from '@tenfold/core';
import { describe, expect, it } from 'vitest';
import { adapter } from './gpu-env.js';

describe.skipIf(!adapter)('element semantics on webgpu', () => {
  it('passes the conformance table (float64 cases skipped: unsupported)', async () => {
    const backend = getBackend('webgpu');
    const before = backend.stats();
    const problems = await kernelIR.checkElementSemantics(backend);
    expect(problems).toEqual([]);
    expect(backend.stats()).toEqual(before);
  });
});
