import { expect } from 'vitest';

/** Every coordinate attribute of the SVG is a finite number (NaN or Infinity makes it invalid). */
export function expectNumericAttributes(svg: string): void {
  const values = [...svg.matchAll(/ (?:x|y|x1|x2|y1|y2|cx|cy)="([^"]*)"/g)].map((m) => m[1]);
  const points = [...svg.matchAll(/ points="([^"]*)"/g)].flatMap((m) => (m[1] as string).split(/[ ,]/));
  expect(values.length).toBeGreaterThan(10);
  for (const v of [...values, ...points]) expect(v).toMatch(/^-?\d+(\.\d+)?$/);
}
