import type { Array } from './array.js';
import type { DType, TypedArray } from './dtype.js';
import { stridesOf } from './shape.js';

const EDGE = 3;
const SUMMARIZE_OVER = 1000;

function formatFloats(values: number[]): string[] {
  const finite = values.filter((v) => Number.isFinite(v));
  const absMax = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const absMinNonZero = finite.reduce((m, v) => (v !== 0 ? Math.min(m, Math.abs(v)) : m), Number.POSITIVE_INFINITY);
  // NumPy switches to scientific notation for very large or very small magnitudes
  const scientific =
    absMax >= 1e16 ||
    (absMinNonZero < 1e-4 && absMinNonZero !== Number.POSITIVE_INFINITY) ||
    (absMax > 0 && absMax / absMinNonZero >= 1e3 && absMinNonZero < 1e-3);
  const special = (v: number): string | null =>
    Number.isNaN(v) ? 'nan' : v === Number.POSITIVE_INFINITY ? 'inf' : v === Number.NEGATIVE_INFINITY ? '-inf' : null;
  if (scientific) {
    return values.map((v) => {
      const s = special(v);
      if (s !== null) return s;
      const [m, e] = v.toExponential(8).split('e') as [string, string];
      const mant = m.replace(/0+$/, '').replace(/\.$/, '.');
      const exp = Number(e);
      return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    });
  }
  return values.map((v) => {
    const s = special(v);
    if (s !== null) return s;
    if (Number.isInteger(v)) return `${Object.is(v, -0) ? '-0' : v.toFixed(0)}.`;
    const t = Number(v.toPrecision(8)).toString();
    return t.includes('e') ? v.toFixed(8).replace(/0+$/, '') : t;
  });
}

function formatValues(data: TypedArray, dtype: DType, picks: number[]): string[] {
  const vals = picks.map((i) => data[i] as number);
  if (dtype === 'bool') return vals.map((v) => (v ? 'True' : 'False'));
  if (dtype === 'int32') return vals.map((v) => String(v));
  return formatFloats(vals);
}

/** The element positions to show along one axis (all, or the edges around '...'). */
function shown(n: number, summarize: boolean): (number | null)[] {
  if (!summarize || n <= 2 * EDGE) return globalThis.Array.from({ length: n }, (_, i) => i);
  return [...globalThis.Array.from({ length: EDGE }, (_, i) => i), null, ...globalThis.Array.from({ length: EDGE }, (_, i) => n - EDGE + i)];
}

/** Prints like NumPy's repr: `array([[1., 2.],\n       [3., 4.]], dtype=float32)`. */
export function formatArray(x: Array): string {
  const { shape, dtype } = x;
  let data: TypedArray;
  try {
    data = x.dataSync();
  } catch {
    return `Array(shape=[${shape.join(',')}], dtype=${dtype})`;
  }
  const summarize = data.length > SUMMARIZE_OVER;
  const strides = stridesOf(shape);
  // collect visible elements first so every number gets the same width
  const picks: number[] = [];
  const collect = (d: number, base: number): void => {
    if (d === shape.length) {
      picks.push(base);
      return;
    }
    for (const i of shown(shape[d] as number, summarize)) if (i !== null) collect(d + 1, base + i * (strides[d] as number));
  };
  collect(0, 0);
  const texts = formatValues(data, dtype, picks);
  const width = texts.reduce((w, t) => Math.max(w, t.length), 0);
  let k = 0;
  const prefix = 'array(';
  const render = (d: number, indent: string): string => {
    if (d === shape.length) return (texts[k++] as string).padStart(width);
    const parts = shown(shape[d] as number, summarize).map((i) => (i === null ? '...' : render(d + 1, `${indent} `)));
    const sep = d === shape.length - 1 ? ', ' : `,${'\n'.repeat(shape.length - d - 1)}${indent} `;
    return `[${parts.join(sep)}]`;
  };
  const body = render(0, ' '.repeat(prefix.length));
  // NumPy leaves out the default dtypes of its platform (float64, bool) and names the others
  const suffix = dtype === 'float64' || dtype === 'bool' ? '' : `, dtype=${dtype}`;
  return `${prefix}${body}${suffix})`;
}

/** Nested JS arrays of the values (booleans for bool). */
export function toNested(data: TypedArray, shape: readonly number[], dtype: DType): unknown {
  const strides = stridesOf(shape);
  const build = (d: number, base: number): unknown => {
    if (d === shape.length) return dtype === 'bool' ? data[base] !== 0 : data[base];
    return globalThis.Array.from({ length: shape[d] as number }, (_, i) => build(d + 1, base + i * (strides[d] as number)));
  };
  return build(0, 0);
}
