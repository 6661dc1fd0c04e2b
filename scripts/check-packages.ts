// `npm run check:packages`: what a user installs, checked as a user gets it. Packs every package,
// lints each tarball (publint, @arethetypeswrong/cli), installs the tarballs into a fresh project
// outside the repository, then type-checks a strict consumer (scripts/package-consumer) and runs it.
// No network: the tarballs' third-party dependencies are linked from the node_modules that `npm ci`
// installed, and @tenfold/* peers resolve to the tarballs themselves.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['core', 'grad', 'nn', 'gpu'] as const;

interface Manifest {
  readonly name: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

const started = performance.now();
const work = mkdtempSync(path.join(tmpdir(), 'tenfold-packages-'));

function step(title: string): void {
  console.log(`\n== ${title} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

function run(command: string, args: readonly string[], cwd = root): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function show(command: string, args: readonly string[], cwd = root): void {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

function manifest(pkg: string): Manifest {
  return JSON.parse(readFileSync(path.join(root, 'packages', pkg, 'package.json'), 'utf8')) as Manifest;
}

/** The third-party packages the tarballs need (dependencies and peers), as installed in the repository. */
function thirdParty(): string[] {
  const names = new Set<string>();
  for (const pkg of PACKAGES) {
    const m = manifest(pkg);
    for (const name of [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]) {
      if (!name.startsWith('@tenfold/')) names.add(name);
    }
  }
  return [...names].sort();
}

function strictConfig(file: string, lib: readonly string[]): string {
  return JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib,
        types: [],
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        noImplicitOverride: true,
        skipLibCheck: false,
        rootDir: 'src',
        outDir: '.',
      },
      files: [`src/${file}`],
    },
    null,
    2,
  );
}

function main(): void {
  step('pack');
  const tarballs = path.join(work, 'tarballs');
  mkdirSync(tarballs);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tarballs, ...PACKAGES.flatMap((p) => ['--workspace', `packages/${p}`])])) as {
    name: string;
    filename: string;
    entryCount: number;
    size: number;
  }[];
  const files = packed.map((p) => path.join(tarballs, p.filename));
  for (const p of packed) console.log(`${p.name}: ${p.filename}, ${p.entryCount} files, ${(p.size / 1024).toFixed(0)} KiB`);

  for (const file of files) {
    step(`publint and attw: ${path.basename(file)}`);
    show(bin('publint'), ['run', file, '--strict']);
    // ESM-only packages: a CommonJS require of them is not a use case (node16-from-CJS and node10 ignored)
    show(bin('attw'), [file, '--profile', 'esm-only', '--format', 'table-flipped']);
  }

  step('install the tarballs into a fresh project');
  const project = path.join(work, 'project');
  mkdirSync(path.join(project, 'src'), { recursive: true });
  writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'tenfold-consumer', private: true, type: 'module' }, null, 2)}\n`);
  const links = thirdParty().map((name) => `file:${path.join(root, 'node_modules', name)}`);
  show('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel', 'error', ...files, ...links], project);
  // a second copy of core beside the first, for the consumer's two-copies check
  mkdirSync(path.join(project, 'second-copy'));
  show('tar', ['-xzf', files[0] as string, '-C', path.join(project, 'second-copy')]);

  step('type-check the strict consumers (lib es2022 + dom, no @types, skipLibCheck false; and lib esnext with `using`)');
  const consumer = path.join(root, 'scripts', 'package-consumer');
  for (const [file, lib] of [
    ['main.ts', ['ES2022', 'DOM']],
    ['using.ts', ['ESNext', 'DOM']],
  ] as const) {
    copyFileSync(path.join(consumer, file), path.join(project, 'src', file));
    const config = `tsconfig.${file.replace('.ts', '')}.json`;
    writeFileSync(path.join(project, config), strictConfig(file, lib));
    show(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], project);
  }

  step('run them');
  show(process.execPath, ['main.js'], project);
  show(process.execPath, ['using.js'], project);

  rmSync(work, { recursive: true, force: true });
  step('packages: all checks passed');
}

try {
  main();
} catch (e) {
  console.error(`\ncheck:packages failed: ${e instanceof Error ? e.message : String(e)}\n(the packed packages and the project are kept in ${work})`);
  process.exitCode = 1;
}
