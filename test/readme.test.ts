import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const root = new URL('..', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** The fenced blocks of one README section, in order. */
function blocks(heading: string): string[] {
  const section = readme.split(`## ${heading}`)[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** console.log's rendering of the values the examples print (strings and shape arrays). */
function render(a: unknown): string {
  if (typeof a === 'string') return a;
  if (Array.isArray(a)) return a.length === 0 ? '[]' : `[ ${a.join(', ')} ]`;
  return String(a);
}

/** Runs an example with console.log captured; returns what it printed. */
async function printed(load: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(render).join(' '));
  });
  await load();
  return `${lines.join('\n')}\n`;
}

describe('README', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('starts with the two commands for a fresh machine', () => {
    const firstBlock = readme.split('```sh\n')[1]?.split('```')[0] ?? '';
    expect(firstBlock).toMatch(/^npm ci && npm run mnist\b/);
    expect(firstBlock).toMatch(/\nnpm test\b/);
  });

  it('shows examples/mnist/minimal.ts verbatim as the core of the MNIST program', () => {
    expect(blocks('MNIST')[0]).toBe(readFileSync(new URL('examples/mnist/minimal.ts', root), 'utf8'));
  });

  it('shows examples/quickstart.ts verbatim, and the output that it really prints', async () => {
    const [code, output] = blocks('Quickstart');
    expect(code).toBe(readFileSync(new URL('examples/quickstart.ts', root), 'utf8'));
    expect(await printed(() => import('../examples/quickstart.js'))).toBe(output);
  });

  it('shows examples/transforms.ts verbatim, and the output that it really prints', async () => {
    const [code, output] = blocks('Transforms');
    expect(code).toBe(readFileSync(new URL('examples/transforms.ts', root), 'utf8'));
    expect(await printed(() => import('../examples/transforms.js'))).toBe(output);
  });
});
