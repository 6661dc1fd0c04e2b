// Asynchronous interleaved timing for GPU work: each sample awaits the work (the queue drained or
// a result read), and samples of the cases alternate (A, B, C, B, C, A, C, A, B...) so that load
// from other processes on a shared machine falls on all of them alike.
import { collectGarbage, median, type Timing } from '../util.js';

export interface AsyncMeasureOptions {
  /** Untimed samples of each case first (pipelines compile, pools fill). */
  warmupRuns: number;
  /** Timed samples: at least minRuns, then more while under budgetMs in all, up to maxRuns. */
  minRuns: number;
  maxRuns: number;
  budgetMs: number;
}

/** Times each async op with interleaved samples; a case that throws is reported as `Error`. */
export async function measureInterleavedAsync(ops: readonly (() => Promise<void>)[], o: AsyncMeasureOptions): Promise<(Timing | Error)[]> {
  const failed: (Error | null)[] = ops.map(() => null);
  const run = async (i: number): Promise<number> => {
    const t0 = performance.now();
    try {
      await (ops[i] as () => Promise<void>)();
    } catch (e) {
      failed[i] = e instanceof Error ? e : new Error(String(e));
    }
    return performance.now() - t0;
  };
  for (let i = 0; i < ops.length; i++) for (let w = 0; w < o.warmupRuns && failed[i] === null; w++) await run(i);
  collectGarbage();
  const samples: number[][] = ops.map(() => []);
  const t0 = performance.now();
  for (let r = 0; r < o.minRuns || (r < o.maxRuns && performance.now() - t0 < o.budgetMs); r++) {
    // the order rotates each round, so no case always runs first (after the pause between rounds)
    for (let j = 0; j < ops.length; j++) {
      const i = (r + j) % ops.length;
      if (failed[i] === null) (samples[i] as number[]).push(await run(i));
    }
  }
  return samples.map((s, i) => {
    const f = failed[i];
    if (f) return f;
    s.sort((a, b) => a - b);
    return { samples: s, medianMs: median(s), minMs: s[0] as number, batch: 1 };
  });
}
