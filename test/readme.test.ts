import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const root = new URL('..', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** The fenced blocks of the README's Quickstart section, in order. */
function quickstartBlocks(): string[] {
  const section = readme.split('## Quickstart')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe('README', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('starts with the two commands for a fresh machine', () => {
    const firstBlock = readme.split('```sh\n')[1]?.split('```')[0] ?? '';
    expect(firstBlock).toMatch(/^npm ci && npm run \w+/);
    expect(firstBlock).toMatch(/\nnpm test\b/);
  });

  it('shows examples/mnist/minimal.ts verbatim as the core of the MNIST program', () => {
    const section = readme.split('## MNIST')[1]?.split('\n## ')[0] ?? '';
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(readFileSync(new URL('examples/mnist/minimal.ts', root), 'utf8'));
  });

  it('shows examples/quickstart.ts verbatim, and the output that it really prints', async () => {
    const [code, output] = quickstartBlocks();
    const source = readFileSync(new URL('examples/quickstart.ts', root), 'utf8');
    expect(code).toBe(source);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : Array.isArray(a) ? `[ ${a.join(', ')} ]` : String(a))).join(' '));
    });
    await import('../examples/quickstart.js');
    expect(`${lines.join('\n')}\n`).toBe(output);
  });
});
