// A self-contained SVG of the training curves: loss (train and test) and test accuracy per epoch.

/**
 * One epoch of a run, as plotted and as written to metrics.json. A diverged run has NaN or ±∞
 * losses: JSON has no such numbers, so metrics.json holds `null` there (and lists the run's
 * warnings), and the plot leaves those points out and says so.
 */
export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

const W = 720;
const H = 320;
const PAD = { left: 56, right: 56, top: 36, bottom: 44 };

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const mult = [1, 2, 5, 10].find((m) => span / (m * step) <= count) ?? 10;
  const s = mult * step;
  const out: number[] = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-12; v += s) out.push(Number(v.toPrecision(6)));
  return out;
}

interface Curve {
  readonly label: string;
  readonly legend: string;
  readonly color: string;
  readonly dash: string;
  readonly value: (r: EpochRecord) => number;
  readonly y: (v: number) => number;
}

/** Runs of consecutive finite points: a NaN/∞ point is left out and breaks the line there. */
function finiteSegments(records: readonly EpochRecord[], c: Curve, px: (x: number) => number): [number, number][][] {
  const segments: [number, number][][] = [[]];
  for (const r of records) {
    const v = c.value(r);
    if (Number.isFinite(v)) segments[segments.length - 1]?.push([px(r.epoch), c.y(v)]);
    else if (segments[segments.length - 1]?.length !== 0) segments.push([]);
  }
  return segments.filter((s) => s.length > 0);
}

/** A polyline per finite segment and a dot per finite point. */
function drawCurve(records: readonly EpochRecord[], c: Curve, px: (x: number) => number): string {
  const dash = c.dash ? ` stroke-dasharray="${c.dash}"` : '';
  return finiteSegments(records, c, px)
    .map(
      (pts) =>
        `<polyline fill="none" stroke="${c.color}" stroke-width="2"${dash} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>` +
        pts.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${c.color}"/>`).join(''),
    )
    .join('');
}

/** One line per curve with points left out: "test loss not drawn at epoch 2 (NaN or ±∞: the run diverged)". */
function skippedNotes(records: readonly EpochRecord[], curves: readonly Curve[]): string[] {
  return curves.flatMap((c) => {
    const epochs = records.filter((r) => !Number.isFinite(c.value(r))).map((r) => r.epoch);
    if (epochs.length === 0) return [];
    const shown = epochs.slice(0, 5).join(', ') + (epochs.length > 5 ? ` (+${epochs.length - 5} more)` : '');
    return [`${c.label} not drawn at epoch${epochs.length > 1 ? 's' : ''} ${shown} (NaN or ±∞: the run diverged)`];
  });
}

/** Renders the curves; the left axis is loss, the right axis accuracy (%). Non-finite points are left out, with a note. */
export function renderPlot(records: readonly EpochRecord[], title: string): string {
  const xs = records.map((r) => r.epoch);
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const losses = records.flatMap((r) => [r.trainLoss, r.testLoss]).filter(Number.isFinite);
  // a huge finite loss times 1.1 may overflow to ∞, which would make every y NaN
  const lossMax = Math.min(Number.MAX_VALUE, Math.max(1e-3, ...losses) * 1.1);
  const accs = records.map((r) => r.testAccuracy * 100).filter(Number.isFinite);
  const accMin = Math.max(0, Math.floor(Math.min(100, ...accs) - 1));
  const px = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const pyLoss = (v: number) => H - PAD.bottom - (v / lossMax) * (H - PAD.top - PAD.bottom);
  const pyAcc = (v: number) => H - PAD.bottom - ((v - accMin) / (100 - accMin || 1)) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`);
  for (const v of niceTicks(0, lossMax)) {
    const y = pyLoss(v);
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${v}</text>`);
  }
  for (const v of niceTicks(accMin, 100)) parts.push(`<text x="${W - PAD.right + 6}" y="${(pyAcc(v) + 4).toFixed(1)}">${v}%</text>`);
  for (const e of niceTicks(xMin, xMax, Math.min(10, xMax - xMin))) {
    if (!Number.isInteger(e)) continue;
    parts.push(`<text x="${px(e).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${e}</text>`);
  }
  parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">epoch</text>`);
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#333"/>`);
  const curves: Curve[] = [
    { label: 'train loss', legend: 'train loss', color: '#1f77b4', dash: '', value: (r) => r.trainLoss, y: pyLoss },
    { label: 'test loss', legend: 'test loss', color: '#ff7f0e', dash: '6 4', value: (r) => r.testLoss, y: pyLoss },
    { label: 'test accuracy', legend: 'test accuracy (right axis)', color: '#2ca02c', dash: '', value: (r) => r.testAccuracy * 100, y: pyAcc },
  ];
  for (const c of curves) parts.push(drawCurve(records, c, px));
  curves.forEach(({ legend, color, dash }, i) => {
    const y = PAD.top + 8 + i * 16;
    parts.push(
      `<line x1="${PAD.left + 12}" x2="${PAD.left + 36}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    parts.push(`<text x="${PAD.left + 42}" y="${y + 4}">${escape(legend)}</text>`);
  });
  skippedNotes(records, curves).forEach((note, i) => {
    parts.push(`<text x="${PAD.left + 12}" y="${PAD.top + 8 + (curves.length + i) * 16 + 4}" fill="#d62728">${escape(note)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
