// Shared helpers for the benchmark groups. Each group script runs in its own child process
// (spawned by bench/run.ts), times its cases with `measure`, and prints one JSON `GroupResult`
// as the last line of stdout. Progress goes to stderr.

/** One row of a benchmark table. Throughputs are computed from the median and from the minimum time. */
export interface BenchRow {
  /** What was measured, e.g. 'n=1024'. */
  name: string;
  /** Unit of `value` and `best`, e.g. 'GFLOP/s', 'GB/s', 'µs/op', 'ms'. */
  unit: string;
  /** True for throughputs (GFLOP/s, GB/s), false for times. */
  higherIsBetter: boolean;
  /** The metric at the median time. */
  value: number;
  /** The metric at the minimum time (the best run). */
  best: number;
  /** Number of timed samples (after warm-up). */
  runs: number;
  /** Median and minimum milliseconds per sample, and operations per sample (1 unless batched). */
  medianMs: number;
  minMs: number;
  opsPerSample: number;
  /** The target for `value`, if any (≥ for throughputs, ≤ for times). */
  target?: number;
  /** Free-form note shown in the table (e.g. a ratio measured in the same run). */
  note?: string;
}

export interface GroupResult {
  group: string;
  title: string;
  /** One table per group. */
  rows: BenchRow[];
  /** Sentences printed under the table (what is counted, sizes, reference numbers). */
  notes: string[];
}

export interface MeasureOptions {
  /** Operations per timed sample (for tiny ops whose single time is below the timer's resolution). */
  batch?: number;
  /** Untimed calls before timing: at least this many (default 2)... */
  warmupRuns?: number;
  /** ...and at least this long in total (default 200 ms). */
  warmupMs?: number;
  /** Timed samples: at least `minRuns` (default 5), then more while under `budgetMs` (default 1500), up to `maxRuns` (default 25). */
  minRuns?: number;
  maxRuns?: number;
  budgetMs?: number;
}

export interface Timing {
  /** Milliseconds per sample (a sample runs `batch` operations), sorted ascending. */
  samples: number[];
  medianMs: number;
  minMs: number;
  batch: number;
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/** Collects garbage between cases when node runs with --expose-gc (run.ts passes it). */
export function collectGarbage(): void {
  gc?.();
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Times `op` (which should dispose what it creates): warm-up, then repeated samples of `batch`
 * calls each. Garbage is collected before timing starts, never inside a sample.
 */
export function measure(op: () => void, opts: MeasureOptions = {}): Timing {
  const batch = opts.batch ?? 1;
  const warmupRuns = opts.warmupRuns ?? 2;
  const warmupMs = opts.warmupMs ?? 200;
  const minRuns = opts.minRuns ?? 5;
  const maxRuns = opts.maxRuns ?? 25;
  const budgetMs = opts.budgetMs ?? 1500;
  const sample = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) op();
    return performance.now() - t0;
  };
  const w0 = performance.now();
  for (let i = 0; i < warmupRuns || performance.now() - w0 < warmupMs; i++) sample();
  collectGarbage();
  const samples: number[] = [];
  const t0 = performance.now();
  while (samples.length < minRuns || (samples.length < maxRuns && performance.now() - t0 < budgetMs)) samples.push(sample());
  samples.sort((a, b) => a - b);
  return { samples, medianMs: median(samples), minMs: samples[0] as number, batch };
}

/**
 * Times several ops with their samples interleaved (A, B, C, A, B, C...), so that load changes on
 * a shared machine hit all of them alike and the ratios between them stay meaningful. Each op
 * gets the warm-up and run counts of {@link measure}; the budget is shared.
 */
export function measureInterleaved(ops: readonly (() => void)[], opts: MeasureOptions = {}): Timing[] {
  const batch = opts.batch ?? 1;
  const warmupRuns = opts.warmupRuns ?? 2;
  const warmupMs = opts.warmupMs ?? 200;
  const minRuns = opts.minRuns ?? 5;
  const maxRuns = opts.maxRuns ?? 25;
  const budgetMs = opts.budgetMs ?? 1500 * ops.length;
  const sample = (op: () => void): number => {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) op();
    return performance.now() - t0;
  };
  for (const op of ops) {
    const w0 = performance.now();
    for (let i = 0; i < warmupRuns || performance.now() - w0 < warmupMs; i++) sample(op);
  }
  collectGarbage();
  const samples: number[][] = ops.map(() => []);
  const t0 = performance.now();
  for (let r = 0; r < minRuns || (r < maxRuns && performance.now() - t0 < budgetMs); r++) {
    ops.forEach((op, i) => {
      (samples[i] as number[]).push(sample(op));
    });
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    return { samples: s, medianMs: median(s), minMs: s[0] as number, batch };
  });
}

/** A row for a throughput: `amount` units of work (GFLOP, GB...) per operation. */
export function throughputRow(name: string, unit: string, amountPerOp: number, t: Timing, extra: Partial<BenchRow> = {}): BenchRow {
  const perOpMed = t.medianMs / t.batch / 1000;
  const perOpMin = t.minMs / t.batch / 1000;
  return {
    name,
    unit,
    higherIsBetter: true,
    value: amountPerOp / perOpMed,
    best: amountPerOp / perOpMin,
    runs: t.samples.length,
    medianMs: t.medianMs,
    minMs: t.minMs,
    opsPerSample: t.batch,
    ...extra,
  };
}

/** A row for a time per operation, in `unit` ('µs/op' or 'ms'). */
export function timeRow(name: string, unit: 'µs/op' | 'ms', t: Timing, extra: Partial<BenchRow> = {}): BenchRow {
  const scale = unit === 'ms' ? 1 : 1000;
  return {
    name,
    unit,
    higherIsBetter: false,
    value: (t.medianMs / t.batch) * scale,
    best: (t.minMs / t.batch) * scale,
    runs: t.samples.length,
    medianMs: t.medianMs,
    minMs: t.minMs,
    opsPerSample: t.batch,
    ...extra,
  };
}

/** Deterministic pseudo-random float32 values in [lo, hi) (a fixed LCG, so runs see the same data). */
export function randomFloat32(size: number, seed = 1, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return out;
}

/** Logs progress to stderr (stdout carries only the JSON result). */
export function log(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}

/** Formats a number with 3 significant digits (or fixed for large values). */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Prints the group's result as the last line of stdout, for run.ts. */
export function emit(result: GroupResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
