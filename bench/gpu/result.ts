// A measured workload: each library's timing (or why it failed) and how to turn a sample's time
// into the figure the table shows.
import type { Timing } from '../util.js';

export interface Workload {
  /** e.g. 'matmul n=1024'. */
  name: string;
  /** The figure's unit: a throughput (GFLOP/s, GB/s) or a time (ms, s). */
  unit: string;
  higherIsBetter: boolean;
  /** The figure for a sample of `ms` milliseconds. */
  figure: (ms: number) => number;
  /** What one sample is, for the notes. */
  sample: string;
  results: { who: string; timing: Timing | Error }[];
  /** The target: tenfold at least `ratio`× as fast as `peer` (a name prefix) or the faster peer. */
  target?: { ratio: number; peer?: string };
}

/** Median figure of one result, or undefined if it failed. */
export function medianFigure(w: Workload, i: number): number | undefined {
  const t = w.results[i]?.timing;
  return t === undefined || t instanceof Error ? undefined : w.figure(t.medianMs);
}

/**
 * How many times as fast tenfold (result 0) is as the faster peer, from median sample times:
 * undefined when tenfold or every peer failed.
 */
export function speedupOverBestPeer(w: Workload, only?: string): { ratio: number; peer: string } | undefined {
  const ours = w.results[0]?.timing;
  if (ours === undefined || ours instanceof Error) return undefined;
  let best: { ratio: number; peer: string } | undefined;
  for (const r of w.results.slice(1)) {
    if (r.timing instanceof Error || (only !== undefined && !r.who.startsWith(only))) continue;
    const ratio = r.timing.medianMs / ours.medianMs;
    if (best === undefined || ratio < best.ratio) best = { ratio, peer: r.who };
  }
  return best;
}
