// The README's examples read values asynchronously, the form that works on every backend: run on
// WebGPU (lavapipe in CI), they print what the README shows, up to float32 rounding on the GPU.
import { readFileSync } from 'node:fs';
import { setDefaultBackend } from '@tenfold/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adapter } from '../packages/gpu/test/gpu-env.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The output block (the second fenced block) of a README section. */
function shownOutput(heading: string): string {
  const section = readme.split(`## ${heading}`)[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] as string)[1] ?? '';
}

function render(a: unknown): string {
  if (typeof a === 'string') return a;
  if (Array.isArray(a)) return a.length === 0 ? '[]' : `[ ${a.join(', ')} ]`;
  return String(a);
}

async function printed(load: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(render).join(' '));
  });
  try {
    await load();
  } finally {
    spy.mockRestore();
  }
  return `${lines.join('\n')}\n`;
}

/** The text with its numbers taken out, and the numbers. */
function split(text: string): { words: string; numbers: number[] } {
  const re = /-?\d+(\.\d*)?(e[+-]?\d+)?/g;
  // spaces out too: NumPy's repr pads numbers to one width, which depends on their digits
  return { words: text.replace(re, '#').replace(/\s+/g, ''), numbers: [...text.matchAll(re)].map((m) => Number(m[0])) };
}

function expectSameOutput(actual: string, expected: string): void {
  const a = split(actual);
  const e = split(expected);
  expect(a.words).toBe(e.words);
  expect(a.numbers).toHaveLength(e.numbers.length);
  a.numbers.forEach((v, i) => {
    expect(Math.abs(v - (e.numbers[i] as number))).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(e.numbers[i] as number));
  });
}

describe.skipIf(!adapter)('the README examples on WebGPU', () => {
  beforeAll(() => setDefaultBackend('webgpu'));
  afterAll(() => setDefaultBackend('cpu'));

  it('quickstart prints what the README shows', async () => {
    expectSameOutput(await printed(() => import('../examples/quickstart.js')), shownOutput('Quickstart'));
  });

  it('transforms prints what the README shows', async () => {
    expectSameOutput(await printed(() => import('../examples/transforms.js')), shownOutput('Transforms'));
  });
});
