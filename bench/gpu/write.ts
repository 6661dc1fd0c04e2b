// Writes one run's markdown into BENCHMARKS.md between markers named by the adapter, so a run on
// a real GPU gets a section of its own beside the lavapipe one and reruns replace only their own.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const TAG = 'webgpu-peers';

/** A marker-safe name for the adapter without its driver version, e.g. 'llvmpipe' for 'llvmpipe: Mesa 25.0.7-2 (LLVM 15.0.6)'. */
export function slug(adapter: string): string {
  return (
    (adapter.split(':')[0] as string)
      .toLowerCase()
      .replace(/\(.*?\)/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'unknown'
  );
}

export function writeSection(file: string, adapter: string, title: string, body: string): void {
  const key = slug(adapter);
  const begin = `<!-- BEGIN GENERATED ${TAG} ${key}: written by \`npm run bench:gpu\` (bench/gpu-peers.ts); edits between these markers are overwritten -->`;
  const end = `<!-- END GENERATED ${TAG} ${key} -->`;
  const block = `${begin}\n\n## ${title}\n\n${body}\n\n${end}`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const b = old.indexOf(begin.slice(0, begin.indexOf(':')));
  const e = old.indexOf(end);
  let text: string;
  if (b >= 0 && e > b) text = old.slice(0, b) + block + old.slice(e + end.length);
  else {
    // after the last section of this kind, else at the end
    const last = old.lastIndexOf(`<!-- END GENERATED ${TAG} `);
    if (last < 0) text = `${old.trimEnd()}\n\n${block}\n`;
    else {
      const cut = old.indexOf('-->', last) + 3;
      text = `${old.slice(0, cut)}\n\n${block}${old.slice(cut)}`;
    }
  }
  writeFileSync(file, text);
}
