// The layering rule of docs/architecture.md: no package's src has an import cycle, counting
// type-only imports. Checked with the project's shared tool where it is present (CI lays
// shared/ beside the clone); a clone without it skips, saying why.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tool = fileURLToPath(new URL('../../shared/tools/import-cycles.mjs', import.meta.url));

describe('layers', () => {
  it.skipIf(!existsSync(tool))('no package has an import cycle, type-only imports included (needs ../shared/tools/import-cycles.mjs)', () => {
    const out = execFileSync(process.execPath, [tool, '--all'], { cwd: root, encoding: 'utf8' });
    expect(out.trim().split('\n').at(-1)).toBe('import cycles: 0 (0 files, type-only imports included)');
  });
});
