// Builds and serves examples/web (`npm run web`). The tenfold packages are taken from their sources
// (no `npm run build` needed); the page is served cross-origin isolated (COOP + COEP), which gives
// it shared memory and so the CPU backend's Web Workers, except when asked for with `?coi=0`
// (single-threaded: the page's test checks both give the same predictions).
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const pkg = (p: string) => fileURLToPath(new URL(`../../packages/${p}`, import.meta.url));

type Middleware = (req: { url?: string }, res: { setHeader(name: string, value: string): void }, next: () => void) => void;

const isolate: Middleware = (req, res, next) => {
  if (!(req.url ?? '').includes('coi=0')) {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  }
  next();
};

function crossOriginIsolation(): Plugin {
  return {
    name: 'tenfold-cross-origin-isolation',
    configureServer: (server) => void server.middlewares.use(isolate),
    configurePreviewServer: (server) => void server.middlewares.use(isolate),
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  // a missing file (no checkpoint yet) is a 404, not index.html
  appType: 'mpa',
  resolve: {
    alias: [
      { find: /^@tenfold\/core$/, replacement: pkg('core/src/index.ts') },
      { find: /^@tenfold\/grad$/, replacement: pkg('grad/src/index.ts') },
      { find: /^@tenfold\/nn$/, replacement: pkg('nn/src/index.ts') },
      { find: /^@tenfold\/gpu$/, replacement: pkg('gpu/src/index.ts') },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  server: { port: 5173 },
  preview: { port: 4173 },
  plugins: [crossOriginIsolation()],
});
