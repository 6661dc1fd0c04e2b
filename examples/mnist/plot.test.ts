import { describe, expect, it } from 'vitest';
import { type EpochRecord, logTicks, niceTicks, renderPlot, smooth } from './plot.js';
import { expectNumericAttributes } from './testing/svg.js';

/** A plausible run: losses falling with noise, accuracy rising. */
function run(epochs: number, stepsPerEpoch: number) {
  const batchLosses = Array.from(
    { length: epochs * stepsPerEpoch },
    (_, i) => 2.3 * Math.exp((-3 * (i + 1)) / stepsPerEpoch) + 0.05 + 0.1 * Math.abs(Math.sin(i)),
  );
  const records: EpochRecord[] = Array.from({ length: epochs }, (_, e) => ({
    epoch: e + 1,
    trainLoss: 0.1,
    testLoss: 0.08 + 0.3 / (e + 1),
    testAccuracy: 0.98 - 0.05 / (e + 1),
    seconds: 1,
  }));
  return { title: 'a < b & c', stepsPerEpoch, batchLosses, epochs: records };
}

const polylines = (svg: string, color: string): string[][] =>
  [...svg.matchAll(new RegExp(`<polyline[^>]*stroke="${color}"[^>]*points="([^"]*)"`, 'g'))].map((m) => (m[1] as string).split(' '));

describe('plot', () => {
  it('one epoch: every batch across [0, 1], the smoothed curve, the test loss and accuracy, labelled', () => {
    const svg = renderPlot(run(1, 40));
    expectNumericAttributes(svg);
    expect(polylines(svg, '#aec7e8')[0]).toHaveLength(40); // each batch
    expect(polylines(svg, '#1f77b4')[0]).toHaveLength(40); // smoothed
    for (const label of [
      'loss (NLL)',
      'test accuracy (%)',
      '>epoch<',
      'training loss, each batch',
      'training loss, smoothed (5-batch centred mean)',
      'test loss, each epoch (0.3800 after 1)',
    ]) {
      expect(svg).toContain(label);
    }
    expect(svg).toContain('>93.00%</text>'); // the last accuracy beside its point
    expect(svg).toContain('a &lt; b &amp; c');
    // the first batch at x = 1/40 of the axis, the last at its end
    const xs = (polylines(svg, '#aec7e8')[0] ?? []).map((p) => Number(p.split(',')[0]));
    expect(xs[0]).toBeCloseTo(64 + (672 * 1) / 40, 0);
    expect(xs.at(-1)).toBeCloseTo(736, 0);
  });

  it('fifty epochs: at most 600 points a curve, a log loss axis, one dot per epoch', () => {
    const svg = renderPlot(run(50, 300));
    expectNumericAttributes(svg);
    expect(polylines(svg, '#aec7e8')[0]?.length).toBeLessThanOrEqual(600);
    expect(polylines(svg, '#1f77b4')[0]?.length).toBeLessThanOrEqual(600);
    expect(svg.match(/<circle[^>]*fill="#ff7f0e"/g)).toHaveLength(50 + 1); // + the legend's
    expect(svg.match(/<circle[^>]*fill="#2ca02c"/g)).toHaveLength(50);
    expect(svg).toContain('loss (NLL, log scale)');
    expect(svg.length).toBeLessThan(60_000);
  });

  it('a diverged batch is left out and named; the coordinates stay numbers', () => {
    const d = run(2, 10);
    const svg = renderPlot({ ...d, batchLosses: [...d.batchLosses, Number.NaN] });
    expectNumericAttributes(svg);
    expect(svg).toContain('training loss not finite at epoch 3, batch 1: not drawn (the run diverged)');
  });

  it('a loss near the largest double is still drawn to scale (the axis maximum does not overflow)', () => {
    const svg = renderPlot({
      title: 't',
      stepsPerEpoch: 2,
      batchLosses: [1.7e308, 1],
      epochs: [{ epoch: 1, trainLoss: 1, testLoss: 1, testAccuracy: 0.1, seconds: 1 }],
    });
    expectNumericAttributes(svg);
  });

  it('smooth: a centred moving average, skipping non-finite values', () => {
    expect(smooth([2, 2, 2], 11)).toEqual([2, 2, 2]);
    // a step from 0 to 10 at index 4, window 3: only the two points beside the step mix
    expect(smooth([0, 0, 0, 0, 10, 10, 10, 10], 3)).toEqual([0, 0, 0, 10 / 3, 20 / 3, 10, 10, 10]);
    // shorter windows at the ends; a window of only non-finite values gives NaN
    expect(smooth([1, 2, 3, 4], 5)).toEqual([2, 2.5, 2.5, 3]);
    expect(smooth([Number.NaN, 3, Number.POSITIVE_INFINITY, 5], 3)).toEqual([3, 3, 4, 5]);
    expect(smooth([Number.NaN, Number.NaN], 1)).toEqual([Number.NaN, Number.NaN]);
  });

  it('ticks: round numbers in range', () => {
    expect(niceTicks(0, 2.4)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(0, 50, 10)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    expect(logTicks(0.04, 2.5)).toEqual([0.05, 0.1, 0.2, 0.5, 1, 2]);
  });
});
