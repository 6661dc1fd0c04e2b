// A self-contained SVG of a run's curves, hand-written (a dozen SVG elements: a charting library
// would add a headless renderer for no gain). Two panels on one epoch axis: the training loss of
// every batch (faint) with its smoothed curve and the test loss per epoch, and below them the test
// accuracy per epoch. Readable after one epoch (the batches spread over [0, 1]) and after fifty
// (batches averaged into at most MAX_POINTS points; the smoothing window grows with the run).

/**
 * One epoch of a run, as plotted and as written to metrics.json. JSON has no NaN or ±∞: a
 * non-finite loss is written as `null`.
 */
export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

export interface PlotData {
  readonly title: string;
  /** Batches in a full epoch: batch i (0-based, counted over the run) sits at epoch (i + 1) / stepsPerEpoch. */
  readonly stepsPerEpoch: number;
  /** Every batch's training loss, in order. */
  readonly batchLosses: readonly number[];
  readonly epochs: readonly EpochRecord[];
}

const W = 760;
const PAD = { left: 64, right: 24 };
const LOSS = { top: 44, bottom: 300 };
const ACC = { top: 344, bottom: 464 };
const H = 512;
const MAX_POINTS = 600;
const COLORS = { raw: '#aec7e8', smooth: '#1f77b4', test: '#ff7f0e', acc: '#2ca02c', note: '#d62728' };

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const fmt = (v: number): string => v.toFixed(1);

/** Round numbers spanning [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const mult = [1, 2, 5, 10].find((m) => span / (m * step) <= count) ?? 10;
  const s = mult * step;
  const out: number[] = [];
  for (let v = Math.ceil(lo / s - 1e-9) * s; v <= hi + s * 1e-9; v += s) out.push(Number(v.toPrecision(6)));
  return out;
}

/** 1, 2 and 5 times the powers of ten in [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(3));
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

/**
 * A centred moving average over about `window` batches (fewer at the ends), skipping non-finite
 * values (NaN where a window has none). Centred, unlike an exponential average, so the curve does
 * not lag behind a fast-falling loss.
 */
export function smooth(values: readonly number[], window: number): number[] {
  const half = Math.max(0, Math.floor(window / 2));
  const sums = [0];
  const counts = [0];
  for (const v of values) {
    const ok = Number.isFinite(v);
    sums.push((sums.at(-1) as number) + (ok ? v : 0));
    counts.push((counts.at(-1) as number) + (ok ? 1 : 0));
  }
  return values.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(values.length, i + half + 1);
    const n = (counts[hi] as number) - (counts[lo] as number);
    return n === 0 ? Number.NaN : ((sums[hi] as number) - (sums[lo] as number)) / n;
  });
}

/** Points (x, y) averaged in consecutive buckets so that at most `max` remain; non-finite y left out. */
function downsample(points: readonly (readonly [number, number])[], max: number): [number, number][] {
  const finite = points.filter(([, y]) => Number.isFinite(y));
  const size = Math.ceil(finite.length / max);
  if (size <= 1) return finite.map(([x, y]) => [x, y]);
  const out: [number, number][] = [];
  for (let i = 0; i < finite.length; i += size) {
    const bucket = finite.slice(i, i + size);
    out.push([bucket.reduce((s, [x]) => s + x, 0) / bucket.length, bucket.reduce((s, [, y]) => s + y, 0) / bucket.length]);
  }
  return out;
}

/** The q-quantile of the finite values (0 when there are none). */
function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] as number;
}

function polyline(points: readonly (readonly [number, number])[], color: string, width: number, extra = ''): string {
  if (points.length === 0) return '';
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}"${extra} points="${points.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ')}"/>`;
}

function dots(points: readonly (readonly [number, number])[], color: string): string {
  return points.map(([x, y]) => `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="3" fill="${color}"/>`).join('');
}

/** Horizontal grid lines and labels of a y axis, its rotated title, and the x ticks under the panel. */
function axes(
  panel: { top: number; bottom: number },
  yTicks: readonly number[],
  y: (v: number) => number,
  yLabel: (v: number) => string,
  title: string,
  xTicks: readonly number[],
  px: (x: number) => number,
): string[] {
  const parts: string[] = [];
  for (const v of yTicks) {
    const yy = y(v);
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${fmt(yy)}" y2="${fmt(yy)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${fmt(yy + 4)}" text-anchor="end">${escape(yLabel(v))}</text>`);
  }
  const mid = (panel.top + panel.bottom) / 2;
  parts.push(`<text x="16" y="${fmt(mid)}" text-anchor="middle" transform="rotate(-90 16 ${fmt(mid)})">${escape(title)}</text>`);
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${panel.bottom}" y2="${panel.bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${panel.top}" y2="${panel.bottom}" stroke="#333"/>`);
  for (const e of xTicks) parts.push(`<text x="${fmt(px(e))}" y="${panel.bottom + 16}" text-anchor="middle">${e}</text>`);
  return parts;
}

function legend(x: number, y: number, items: readonly { label: string; color: string; width: number; dash?: string; dot?: boolean }[]): string[] {
  return items.flatMap((it, i) => {
    const yy = y + i * 16;
    const line = `<line x1="${x}" x2="${x + 24}" y1="${yy}" y2="${yy}" stroke="${it.color}" stroke-width="${it.width}"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/>`;
    const dot = it.dot ? `<circle cx="${x + 12}" cy="${yy}" r="3" fill="${it.color}"/>` : '';
    return [line + dot, `<text x="${x + 30}" y="${yy + 4}">${escape(it.label)}</text>`];
  });
}

/** What the plot leaves out, said in red under the title. */
function notes(d: PlotData): string[] {
  const bad = d.batchLosses.flatMap((v, i) => (Number.isFinite(v) ? [] : [i]));
  const out: string[] = [];
  if (bad.length > 0) {
    const first = bad[0] as number;
    out.push(
      `training loss not finite at epoch ${Math.floor(first / d.stepsPerEpoch) + 1}, batch ${(first % d.stepsPerEpoch) + 1}${bad.length > 1 ? ` (and ${bad.length - 1} more batches)` : ''}: not drawn (the run diverged)`,
    );
  }
  const testBad = d.epochs.filter((r) => !Number.isFinite(r.testLoss)).map((r) => r.epoch);
  if (testBad.length > 0) out.push(`test loss not finite after epoch${testBad.length > 1 ? 's' : ''} ${testBad.slice(0, 5).join(', ')}: not drawn`);
  return out;
}

/** Renders the plot of a run (any length, from one batch on). */
export function renderPlot(d: PlotData): string {
  const n = d.batchLosses.length;
  const xOf = (i: number) => (i + 1) / d.stepsPerEpoch;
  const xMax = Math.max(1, n / d.stepsPerEpoch, ...d.epochs.map((r) => r.epoch));
  const px = (x: number) => PAD.left + (x / xMax) * (W - PAD.left - PAD.right);
  const xTicks = niceTicks(0, xMax, Math.min(10, Math.max(4, Math.ceil(xMax))));

  // the smoothing window: a tenth of an epoch on short runs, up to half an epoch on long ones (odd: centred)
  const window = 2 * Math.round(Math.min(d.stepsPerEpoch / 2, Math.max(d.stepsPerEpoch / 10, n / 100)) / 2) + 1;
  const smoothed = smooth(d.batchLosses, window);
  const raw = downsample(
    d.batchLosses.map((v, i) => [xOf(i), v] as const),
    MAX_POINTS,
  );
  const smooth2 = downsample(
    smoothed.map((v, i) => [xOf(i), v] as const),
    MAX_POINTS,
  );
  const tests = d.epochs.filter((r) => Number.isFinite(r.testLoss)).map((r) => [r.epoch, r.testLoss] as const);
  // the top of the loss axis: the smoothed curve and the test losses, and most raw batches (a
  // few spikes, or a diverging tail, are clipped rather than flattening the rest)
  const lossTop = Math.min(
    Number.MAX_VALUE / 2,
    Math.max(1e-3, quantile(d.batchLosses, 0.98), ...smoothed.filter(Number.isFinite), ...tests.map(([, v]) => v)) * 1.05,
  );
  // a log axis once the losses span more than a factor of 20 (a long run: the late epochs would be
  // a flat line on a linear axis); linear from 0 otherwise
  const lossBottom = Math.max(1e-6, 0.9 * Math.min(quantile(d.batchLosses, 0.02) || lossTop, ...smoothed.filter(Number.isFinite), ...tests.map(([, v]) => v)));
  const logAxis = lossTop / lossBottom > 20;
  const linearTicks = niceTicks(0, lossTop);
  const lossMax = logAxis ? lossTop : Math.max(lossTop, linearTicks.at(-1) ?? lossTop);
  const lossTicks = logAxis ? logTicks(lossBottom, lossMax) : linearTicks;
  const height = LOSS.bottom - LOSS.top;
  const pyLoss = logAxis
    ? (v: number) =>
        LOSS.bottom - ((Math.log(Math.min(Math.max(v, lossBottom), lossMax)) - Math.log(lossBottom)) / (Math.log(lossMax) - Math.log(lossBottom))) * height
    : (v: number) => Math.max(LOSS.top, LOSS.bottom - (Math.min(v, lossMax) / lossMax) * height);

  const accs = d.epochs.map((r) => r.testAccuracy * 100).filter(Number.isFinite);
  // from a round number under the lowest accuracy (at least 2 points below 100) up to 100
  const lowest = Math.max(0, Math.min(Math.min(100, ...accs) - 1, 98));
  const rough = niceTicks(lowest, 100, 4);
  const tickStep = (rough[1] ?? 100) - (rough[0] ?? 0);
  const accLo = Math.max(0, Math.floor(lowest / tickStep) * tickStep);
  const accTicks = niceTicks(accLo, 100, 4);
  const pyAcc = (v: number) => ACC.bottom - ((v - accLo) / (100 - accLo)) * (ACC.bottom - ACC.top);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escape(d.title)}</text>`);
  notes(d).forEach((note, i) => {
    parts.push(`<text x="${W / 2}" y="${36 + i * 14}" text-anchor="middle" fill="${COLORS.note}">${escape(note)}</text>`);
  });

  parts.push(...axes(LOSS, lossTicks, pyLoss, String, logAxis ? 'loss (NLL, log scale)' : 'loss (NLL)', xTicks, px));
  parts.push(
    polyline(
      raw.map(([x, y]) => [px(x), pyLoss(y)]),
      COLORS.raw,
      1,
    ),
  );
  parts.push(
    polyline(
      smooth2.map(([x, y]) => [px(x), pyLoss(y)]),
      COLORS.smooth,
      2,
    ),
  );
  const testPts = tests.map(([x, y]) => [px(x), pyLoss(y)] as const);
  parts.push(polyline(testPts, COLORS.test, 2, ' stroke-dasharray="6 4"') + dots(testPts, COLORS.test));
  const lastTest = d.epochs.at(-1);
  parts.push(
    ...legend(W - PAD.right - 350, LOSS.top + 12, [
      { label: 'training loss, each batch', color: COLORS.raw, width: 1 },
      { label: `training loss, smoothed (${window}-batch centred mean)`, color: COLORS.smooth, width: 2 },
      {
        label: `test loss, each epoch${lastTest !== undefined && Number.isFinite(lastTest.testLoss) ? ` (${lastTest.testLoss.toFixed(4)} after ${lastTest.epoch})` : ''}`,
        color: COLORS.test,
        width: 2,
        dash: '6 4',
        dot: true,
      },
    ]),
  );

  parts.push(...axes(ACC, accTicks, pyAcc, (v) => `${v}%`, 'test accuracy (%)', xTicks, px));
  const accPts = d.epochs.filter((r) => Number.isFinite(r.testAccuracy)).map((r) => [px(r.epoch), pyAcc(r.testAccuracy * 100)] as const);
  parts.push(polyline(accPts, COLORS.acc, 2) + dots(accPts, COLORS.acc));
  const lastAcc = accPts.at(-1);
  if (lastAcc !== undefined && lastTest !== undefined) {
    // the last value beside its point (left of it when the point is near the right edge)
    const right = lastAcc[0] > W - PAD.right - 60;
    parts.push(
      `<text x="${fmt(lastAcc[0] + (right ? -8 : 8))}" y="${fmt(lastAcc[1] - 8)}" text-anchor="${right ? 'end' : 'start'}" fill="${COLORS.acc}">${(100 * lastTest.testAccuracy).toFixed(2)}%</text>`,
    );
  }
  parts.push(`<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 10}" text-anchor="middle">epoch</text>`);
  parts.push('</svg>');
  return `${parts.filter((p) => p !== '').join('\n')}\n`;
}
