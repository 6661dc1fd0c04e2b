import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: {
      '@tenfold/core': fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)),
      '@tenfold/grad/testing': fileURLToPath(new URL('./packages/grad/src/testing/index.ts', import.meta.url)),
      '@tenfold/grad': fileURLToPath(new URL('./packages/grad/src/index.ts', import.meta.url)),
      '@tenfold/nn/node': fileURLToPath(new URL('./packages/nn/src/node/index.ts', import.meta.url)),
      '@tenfold/nn': fileURLToPath(new URL('./packages/nn/src/index.ts', import.meta.url)),
      '@tenfold/gpu': fileURLToPath(new URL('./packages/gpu/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    // lets memory tests force a collection (globalThis.gc) before counting live buffers
    execArgv: ['--expose-gc'],
  },
});
