// What npm publishes with each package: metadata for the registry page, public access for the
// scoped names, and @tenfold/core as a peer (one copy in a user's project), with ranges that admit
// patch and minor releases. `npm run check:packages` checks the packed tarballs themselves.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Manifest {
  name: string;
  version: string;
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  bugs?: { url: string };
  publishConfig?: { access: string };
  keywords?: string[];
  files?: string[];
  license?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const read = (file: string): Manifest => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')) as Manifest;
const PACKAGES = ['core', 'grad', 'nn', 'gpu'] as const;
const manifests = Object.fromEntries(PACKAGES.map((p) => [p, read(`packages/${p}/package.json`)])) as Record<(typeof PACKAGES)[number], Manifest>;

const parse = (v: string): number[] => v.split('.').map(Number);
const compare = (a: string, b: string): number => {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** Whether `version` satisfies a range of the form '>=A <B' (the form these packages use). */
function satisfies(range: string, version: string): boolean {
  const m = /^>=(\d+\.\d+\.\d+) <(\d+\.\d+\.\d+)$/.exec(range);
  if (m === null) throw new Error(`unexpected range '${range}': use '>=A <B'`);
  return compare(version, m[1] as string) >= 0 && compare(version, m[2] as string) < 0;
}

describe.each(PACKAGES)('@tenfold/%s package.json', (pkg) => {
  const m = manifests[pkg];

  it('has the metadata a registry page and a publish need', () => {
    expect(m.name).toBe(`@tenfold/${pkg}`);
    expect(m.license).toBe('MIT');
    expect(m.repository).toEqual({ type: 'git', url: manifests.core.repository?.url, directory: `packages/${pkg}` });
    expect(m.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
    const base = (m.repository?.url ?? '').replace(/^git\+/, '').replace(/\.git$/, '');
    expect(m.homepage).toBe(`${base}/tree/main/packages/${pkg}#readme`);
    expect(m.bugs).toEqual({ url: `${base}/issues` });
    expect(m.publishConfig).toEqual({ access: 'public' });
    expect(m.keywords?.length).toBeGreaterThanOrEqual(3);
    expect(m.files).toEqual(['dist', 'src', 'README.md']);
  });

  it.runIf(pkg !== 'core')('takes @tenfold/core as a peer dependency admitting patch and minor releases, never as a dependency', () => {
    expect(m.dependencies?.['@tenfold/core']).toBeUndefined();
    const range = m.peerDependencies?.['@tenfold/core'] as string;
    const [major, minor, patch] = parse(manifests.core.version) as [number, number, number];
    expect(satisfies(range, manifests.core.version)).toBe(true);
    expect(satisfies(range, `${major}.${minor}.${patch + 1}`)).toBe(true);
    expect(satisfies(range, `${major}.${minor + 1}.0`)).toBe(true);
    expect(satisfies(range, `${major + 1}.0.0`)).toBe(false);
  });
});

it('@tenfold/nn takes @tenfold/grad as a peer too', () => {
  expect(manifests.nn.dependencies?.['@tenfold/grad']).toBeUndefined();
  expect(satisfies(manifests.nn.peerDependencies?.['@tenfold/grad'] as string, manifests.grad.version)).toBe(true);
});

it('CI runs the packed-package check', () => {
  expect(read('package.json' as string) as unknown as { scripts: Record<string, string> }).toMatchObject({
    scripts: { 'check:packages': expect.stringContaining('scripts/check-packages.ts') },
  });
  expect(readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')).toMatch(/\nnpm run check:packages\n/);
});
