// The packages' main entries bundle for a browser: esbuild with platform 'browser' finds no import
// of a Node built-in (node:fs, node:path, ...) anywhere in what each entry pulls in. What needs a
// file system lives in @tenfold/nn/node, which must be the only entry that fails here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { build as viteBuild } from 'vite';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = (pkg: string, file = 'index.ts') => `${root}packages/${pkg}/src/${file}`;
const ALIASES: Record<string, string> = {
  '@tenfold/core': src('core'),
  '@tenfold/grad': src('grad'),
  '@tenfold/nn': src('nn'),
  '@tenfold/gpu': src('gpu'),
};
const BUILTINS = new Set(builtinModules);

/** Bundles `entry` for the browser; returns the Node built-ins it imports (with the importing file). */
async function nodeImports(entry: string): Promise<string[]> {
  const found: string[] = [];
  const plugin: Plugin = {
    name: 'tenfold-resolve',
    setup(b) {
      b.onResolve({ filter: /^@tenfold\// }, (args) => {
        const path = ALIASES[args.path];
        return path === undefined ? undefined : { path };
      });
      b.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.replace(/^node:/, '').split('/')[0] as string;
        if (args.path.startsWith('node:') || BUILTINS.has(bare)) {
          found.push(`${args.path} (from ${args.importer.replace(root, '')})`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
  await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', plugins: [plugin] });
  return found;
}

describe('browser bundles', () => {
  for (const [name, entry] of [
    ['@tenfold/core', src('core')],
    ['@tenfold/grad', src('grad')],
    ['@tenfold/nn', src('nn')],
    ['@tenfold/gpu', src('gpu')],
  ] as const) {
    it(`${name} imports nothing from Node`, async () => {
      expect(await nodeImports(entry)).toEqual([]);
    });
  }

  it("a program bundled by Vite keeps core's wiring (package.json sideEffects): the CPU backend is registered", async () => {
    // with "sideEffects": false, Vite (rolldown) skipped core's index.ts, which registers the backend
    const dir = mkdtempSync(join(tmpdir(), 'tenfold-bundle-'));
    try {
      const entry = join(dir, 'program.ts');
      writeFileSync(entry, `import { np } from '@tenfold/core';\nconsole.log(JSON.stringify(Array.from(np.add(np.array([1, 2]), 1).dataSync())));\n`);
      await viteBuild({
        configFile: false,
        logLevel: 'silent',
        root: dir,
        resolve: { alias: [{ find: /^@tenfold\/core$/, replacement: src('core') }] },
        build: { outDir: join(dir, 'out'), lib: { entry, formats: ['es'], fileName: () => 'program.mjs' }, minify: false },
      });
      expect(execFileSync(process.execPath, [join(dir, 'out', 'program.mjs')], { encoding: 'utf8' }).trim()).toBe('[2,3]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('@tenfold/nn/node does (the check sees Node imports)', async () => {
    const found = await nodeImports(src('nn', 'node/index.ts'));
    expect(found).toEqual(expect.arrayContaining(['node:fs (from packages/nn/src/node/idx-file.ts)', 'node:zlib (from packages/nn/src/node/idx-file.ts)']));
  });
});
