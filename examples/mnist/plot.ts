// A self-contained SVG of the training curves: loss (train and test) and test accuracy per epoch.

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

/** Renders the curves; the left axis is loss, the right axis accuracy (%). */
export function renderPlot(records: readonly EpochRecord[], title: string): string {
  const xs = records.map((r) => r.epoch);
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const losses = records.flatMap((r) => [r.trainLoss, r.testLoss]).filter(Number.isFinite);
  const lossMax = Math.max(1e-3, ...losses) * 1.1;
  const accs = records.map((r) => r.testAccuracy * 100);
  const accMin = Math.max(0, Math.floor(Math.min(100, ...accs) - 1));
  const px = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const pyLoss = (v: number) => H - PAD.bottom - (v / lossMax) * (H - PAD.top - PAD.bottom);
  const pyAcc = (v: number) => H - PAD.bottom - ((v - accMin) / (100 - accMin || 1)) * (H - PAD.top - PAD.bottom);
  const line = (pts: [number, number][], color: string, dash = '') =>
    pts.length === 0
      ? ''
      : `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>` +
        pts.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${color}"/>`).join('');
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
  parts.push(
    line(
      records.map((r) => [px(r.epoch), pyLoss(r.trainLoss)]),
      '#1f77b4',
    ),
  );
  parts.push(
    line(
      records.map((r) => [px(r.epoch), pyLoss(r.testLoss)]),
      '#ff7f0e',
      '6 4',
    ),
  );
  parts.push(
    line(
      records.map((r) => [px(r.epoch), pyAcc(r.testAccuracy * 100)]),
      '#2ca02c',
    ),
  );
  const legend: [string, string, string][] = [
    ['train loss', '#1f77b4', ''],
    ['test loss', '#ff7f0e', '6 4'],
    ['test accuracy (right axis)', '#2ca02c', ''],
  ];
  legend.forEach(([label, color, dash], i) => {
    const y = PAD.top + 8 + i * 16;
    parts.push(
      `<line x1="${PAD.left + 12}" x2="${PAD.left + 36}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    parts.push(`<text x="${PAD.left + 42}" y="${y + 4}">${escape(label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
