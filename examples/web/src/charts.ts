// The bar chart of the ten probabilities and the live loss curve.

/** Ten bars in `root`; `show` sets their heights and marks the most probable digit. */
export function barChart(root: HTMLElement): (probs: readonly number[] | null) => void {
  const bars = Array.from({ length: 10 }, (_, d) => {
    const col = document.createElement('div');
    col.className = 'bar';
    col.innerHTML = `<div class="fill"></div><div class="label">${d}</div>`;
    root.append(col);
    return col;
  });
  return (probs) => {
    const best = probs === null ? -1 : probs.indexOf(Math.max(...probs));
    bars.forEach((col, d) => {
      const p = probs?.[d] ?? 0;
      (col.firstElementChild as HTMLElement).style.height = `${(100 * p).toFixed(1)}%`;
      col.classList.toggle('best', d === best);
      col.title = `${d}: ${(100 * p).toFixed(1)} %`;
      col.dataset.p = String(p);
    });
  };
}

/** Draws the losses so far on `canvas` (log-free: from 0 to the largest loss). */
export function drawLossCurve(canvas: HTMLCanvasElement, losses: readonly number[], totalSteps: number): void {
  const c = canvas.getContext('2d') as CanvasRenderingContext2D;
  const { width: w, height: h } = canvas;
  const pad = 28;
  c.clearRect(0, 0, w, h);
  c.strokeStyle = '#888';
  c.lineWidth = 1;
  c.strokeRect(pad, 4, w - pad - 4, h - pad);
  c.fillStyle = '#555';
  c.font = '11px sans-serif';
  const top = Math.max(2.5, ...losses.filter(Number.isFinite));
  c.fillText(top.toFixed(1), 2, 12);
  c.fillText('0', 14, h - pad + 4);
  c.fillText(`step ${totalSteps}`, w - 60, h - 8);
  if (losses.length === 0) return;
  c.strokeStyle = '#2563eb';
  c.lineWidth = 1.5;
  c.beginPath();
  losses.forEach((l, i) => {
    const x = pad + ((w - pad - 4) * (i + 1)) / totalSteps;
    const y = 4 + (h - pad) * (1 - Math.min(l, top) / top);
    if (i === 0) c.moveTo(x, y);
    else c.lineTo(x, y);
  });
  c.stroke();
}
