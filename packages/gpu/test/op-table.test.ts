// Every record of core's op table (core/test/op-table.ts) evaluated on webgpu: against the table's
// float64 reference with the table's own tolerance (from the result dtype, the op's ulps and the
// reduction length: the bar the CPU backend is held to in core's ops.test.ts), and, for int32 and
// bool results, exactly equal to the CPU backend. Random bits equal the CPU's exactly. fast-check
// with a fixed seed and two cases per record and dtype keeps the file within seconds on lavapipe
// (compiling the shaders is most of it). float64 records are skipped: webgpu has no float64.
import { type Array, clearBackendConstants, getBackend, np, random, withBackend } from '@tenfold/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseArbitrary, caseInputs, checkResult, OP_TABLE } from '../../core/test/op-table.js';
import { adapter } from './gpu-env.js';
import { settle } from './settle.js';

const RUNS = { seed: 14, numRuns: 2 };

describe.skipIf(!adapter)('the op table on webgpu', () => {
  let before = { liveBuffers: 0, liveBytes: 0 };
  it('(baseline of live buffers)', async () => {
    await settle();
    before = getBackend('webgpu').stats();
  });

  for (const rec of OP_TABLE) {
    for (const dtype of rec.dtypes) {
      if (dtype === 'float64') {
        it.skip(`${rec.name} float64: skipped, webgpu has no float64 (WGSL has no 64-bit floats; ops.test.ts checks the error)`, () => {});
        continue;
      }
      it(`${rec.name} ${dtype}`, async () => {
        await fc.assert(
          fc.asyncProperty(caseArbitrary(rec, dtype), async (c) => {
            const ins = withBackend('webgpu', () => caseInputs(c));
            const out = withBackend('webgpu', () => rec.fn(...ins));
            const got = await out.data();
            checkResult(rec, dtype, c, out, got);
            if (out.dtype === 'int32' || out.dtype === 'bool') {
              const cpu = withBackend('cpu', () => rec.fn(...caseInputs(c)));
              expect(globalThis.Array.from(got)).toEqual(globalThis.Array.from(cpu.dataSync()));
            }
            for (const a of [...ins, out]) a.dispose();
          }),
          RUNS,
        );
      });
    }
  }

  it('random bits and uniforms from any key equal the CPU backend bit for bit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom([7], [3, 5], [2, 0], [129]), async (seed, shape) => {
        const draw = (b: 'cpu' | 'webgpu') =>
          withBackend(b, () => {
            const key = random.key(np.array([seed], { dtype: 'int32' }).reshape([]));
            const [k1, k2] = random.split(key) as [Array, Array];
            return [random.bits(k1, shape), random.uniform(k2, shape)];
          });
        const want = draw('cpu');
        const got = draw('webgpu');
        for (let i = 0; i < want.length; i++) {
          const w = (want[i] as Array).dataSync();
          const g = await (got[i] as Array).data();
          expect(new Uint32Array(g.buffer, g.byteOffset, g.length)).toEqual(new Uint32Array(w.buffer, w.byteOffset, w.length));
        }
        for (const a of [...want, ...got]) a.dispose();
      }),
      { seed: 14, numRuns: 4 },
    );
  });

  it('leaves no buffers behind', async () => {
    // (core's shared scalar constants stay alive by design: forget them, so they are collected)
    clearBackendConstants('webgpu');
    await settle();
    expect(getBackend('webgpu').stats()).toEqual(before);
  });
});
