// What the benchmarks say about the machine they ran on.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The CPU's model name (Linux's /proc/cpuinfo, else Node's first CPU). */
export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}
