// Printing arrays exactly as NumPy's repr does with its default print options: shortest
// round-trip digits (in the array's own precision) capped at 8 digits after the point, decimal
// points aligned, scientific notation for wide ranges, '...' summaries and 75-column lines.
import type { DType, TypedArray } from './dtype.js';
import { stridesOf } from './shape.js';

// np.get_printoptions() defaults
const PRECISION = 8;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 75;

/** A positive finite number as significant digits (no leading or trailing zeros) and exponent: d[0].d[1..] × 10^exp. */
interface Decimal {
  digits: string;
  exp: number;
}

function stripZeros(digits: string): string {
  const s = digits.replace(/0+$/, '');
  return s === '' ? '0' : s;
}

/** How many significant digits the shortest decimal that reads back as `x` in `dtype` has. */
function shortestLength(x: number, dtype: DType): number {
  if (dtype === 'float32') {
    for (let p = 1; p < 9; p++) if (Math.fround(Number(x.toExponential(p - 1))) === x) return p;
    return 9;
  }
  // JS prints doubles with the shortest round-trip digits
  const m = x.toExponential().split('e')[0] as string;
  return stripZeros(m.replace('.', '')).length;
}

const f64 = new DataView(new ArrayBuffer(8));

/** The exact decimal expansion of a positive finite double (every double is a finite decimal). */
function exact(x: number): Decimal {
  f64.setFloat64(0, x);
  const bits = f64.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e2 = -1074;
  if (biased !== 0) {
    mant |= 1n << 52n;
    e2 = biased - 1075;
  }
  // x = mant × 2^e2 = n × 10^-k
  const [n, k] = e2 >= 0 ? [mant << BigInt(e2), 0] : [mant * 5n ** BigInt(-e2), -e2];
  const s = n.toString();
  return { digits: stripZeros(s), exp: s.length - 1 - k };
}

/** Rounds to `keep` >= 1 significant digits, ties to even (as NumPy's Dragon4). */
function roundTo(d: Decimal, keep: number): Decimal {
  if (d.digits.length <= keep) return d;
  const head = d.digits.slice(0, keep);
  const rest = d.digits.slice(keep);
  const up = rest > '5' || (rest === '5' && Number(head[head.length - 1]) % 2 === 1);
  if (!up) return { digits: stripZeros(head), exp: d.exp };
  const bumped = (BigInt(head) + 1n).toString();
  return bumped.length > head.length ? { digits: stripZeros(bumped), exp: d.exp + 1 } : { digits: stripZeros(bumped), exp: d.exp };
}

/**
 * Digits of positive |x| as NumPy's Dragon4 in unique mode prints them: the shortest round trip
 * (ties to even), rounded to at most `maxDigits(exactExponent)` significant digits.
 */
function digitsOf(x: number, dtype: DType, maxDigits: (exp: number) => number): Decimal {
  const ex = exact(x);
  return roundTo(ex, Math.max(1, Math.min(shortestLength(x, dtype), maxDigits(ex.exp))));
}

function special(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Number.POSITIVE_INFINITY) return 'inf';
  if (v === Number.NEGATIVE_INFINITY) return '-inf';
  return null;
}

/** NumPy's FloatingFormat (floatmode 'maxprec', precision 8) over the values shown. */
function formatFloats(values: readonly number[], dtype: DType): string[] {
  const r = dtype === 'float32' ? Math.fround : (v: number) => v;
  const finite = values.filter((v) => Number.isFinite(v));
  const nonZero = finite.filter((v) => v !== 0).map(Math.abs);
  let scientific = false;
  if (nonZero.length > 0) {
    const maxVal = Math.max(...nonZero);
    const minVal = Math.min(...nonZero);
    // NumPy compares in the array's precision (NEP 50: the Python constants are weak), and since
    // 2.3 switches float32 to scientific from 1e6 (10 ** min(8, finfo(dtype).precision))
    const cutoff = dtype === 'float32' ? 1e6 : 1e8;
    scientific = maxVal >= cutoff || minVal < r(1e-4) || r(maxVal / minVal) > 1000;
  }
  const sign = (v: number): string => (v < 0 || Object.is(v, -0) ? '-' : '');
  let parts: { int: string; frac: string; exp?: string }[];
  let padRight: number;
  if (scientific) {
    // first pass: the digits each value needs (at most PRECISION after the point)...
    const ds = finite.map((v) => (v === 0 ? { digits: '0', exp: 0 } : digitsOf(Math.abs(v), dtype, () => PRECISION + 1)));
    const expSize = Math.max(2, ...ds.map((d) => String(Math.abs(d.exp)).length));
    const precision = Math.max(0, ...ds.map((d) => d.digits.length - 1));
    padRight = expSize + 2 + precision;
    // ...then every value with that many digits, the extra ones taken from its exact value
    parts = finite.map((v) => {
      const d = v === 0 ? { digits: '0', exp: 0 } : roundTo(exact(Math.abs(v)), precision + 1);
      return {
        int: sign(v) + d.digits[0],
        frac: d.digits.slice(1).padEnd(precision, '0'),
        exp: `${d.exp < 0 ? '-' : '+'}${String(Math.abs(d.exp)).padStart(expSize, '0')}`,
      };
    });
  } else {
    parts = finite.map((v) => {
      if (v === 0) return { int: `${sign(v)}0`, frac: '' };
      const d = digitsOf(Math.abs(v), dtype, (e) => e + 1 + PRECISION);
      const int = d.exp >= 0 ? d.digits.slice(0, d.exp + 1).padEnd(d.exp + 1, '0') : '0';
      const frac = d.exp >= 0 ? d.digits.slice(d.exp + 1) : '0'.repeat(-d.exp - 1) + d.digits;
      return { int: sign(v) + int, frac };
    });
    padRight = Math.max(0, ...parts.map((p) => p.frac.length));
  }
  let padLeft = Math.max(0, ...parts.map((p) => p.int.length));
  if (finite.length < values.length) {
    const negInf = values.some((v) => v === Number.NEGATIVE_INFINITY) ? 1 : 0;
    padLeft = Math.max(padLeft, 3 - (padRight + 1), 3 + negInf - (padRight + 1));
  }
  let k = 0;
  return values.map((v) => {
    const s = special(v);
    if (s !== null) return s.padStart(padLeft + padRight + 1);
    const p = parts[k++] as { int: string; frac: string; exp?: string };
    const body = `${p.int.padStart(padLeft)}.`;
    return p.exp === undefined ? body + p.frac.padEnd(padRight) : `${body}${p.frac}e${p.exp}`;
  });
}

function formatValues(values: readonly number[], dtype: DType, rank: number): string[] {
  if (dtype === 'bool') return values.map((v) => (v ? (rank > 0 ? ' True' : 'True') : 'False'));
  if (dtype === 'int32') {
    const texts = values.map((v) => String(v));
    const width = Math.max(0, ...texts.map((t) => t.length));
    return texts.map((t) => t.padStart(width));
  }
  return formatFloats(values, dtype);
}

/** Python's `_extendLine`: wraps before `word` when the line would pass `width` (unless that cannot help). */
function extendLine(s: string, line: string, word: string, width: number, prefix: string): [string, string] {
  if (line.length + word.length > width && line.length > prefix.length) {
    s += `${line.trimEnd()}\n`;
    line = prefix;
  }
  return [s, line + word];
}

/** NumPy's `_formatArray`: nested brackets, rows wrapped at the line width, '...' for summarized axes. */
function layout(shape: readonly number[], texts: readonly string[], summarize: boolean, lineWidth: number, linePrefix: string): string {
  let k = 0;
  const separator = ', ';
  const recurse = (axis: number, hanging: string, width: number): string => {
    const axesLeft = shape.length - axis;
    if (axesLeft === 0) return texts[k++] as string;
    const nextHanging = `${hanging} `;
    const nextWidth = width - 1;
    const n = shape[axis] as number;
    const showSummary = summarize && 2 * EDGE_ITEMS < n;
    const leading = showSummary ? EDGE_ITEMS : 0;
    const trailing = showSummary ? EDGE_ITEMS : n;
    let s = '';
    if (axesLeft === 1) {
      const elemWidth = width - 1;
      let line = hanging;
      const add = (word: string, last = false): void => {
        [s, line] = extendLine(s, line, word, elemWidth, hanging);
        if (!last) line += separator;
      };
      for (let i = 0; i < leading; i++) add(recurse(axis + 1, nextHanging, nextWidth));
      if (showSummary) add('...');
      for (let i = trailing; i > 1; i--) add(recurse(axis + 1, nextHanging, nextWidth));
      add(recurse(axis + 1, nextHanging, nextWidth), true);
      s += line;
    } else {
      const lineSep = `,${'\n'.repeat(axesLeft - 1)}`;
      for (let i = 0; i < leading; i++) s += hanging + recurse(axis + 1, nextHanging, nextWidth) + lineSep;
      if (showSummary) s += `${hanging}...${lineSep}`;
      for (let i = trailing; i > 1; i--) s += hanging + recurse(axis + 1, nextHanging, nextWidth) + lineSep;
      s += hanging + recurse(axis + 1, nextHanging, nextWidth);
    }
    return `[${s.slice(hanging.length)}]`;
  };
  return recurse(0, linePrefix, lineWidth);
}

/** The element positions to show along an axis of length n (all, or the edges of a summary). */
function shown(n: number, summarize: boolean): number[] {
  const all = (len: number, from: number) => globalThis.Array.from({ length: len }, (_, i) => from + i);
  if (!summarize || n <= 2 * EDGE_ITEMS) return all(n, 0);
  return [...all(EDGE_ITEMS, 0), ...all(EDGE_ITEMS, n - EDGE_ITEMS)];
}

function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** What printing needs of an array. */
export interface Formattable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  dataSync(): TypedArray;
}

/**
 * Prints like NumPy's repr: `array([[1., 2.],\n       [3., 4.]], dtype=float32)`. Arrays whose
 * values cannot be read synchronously (tracers, async backends) print their shape and dtype.
 */
export function formatArray(x: Formattable): string {
  const { shape, dtype } = x;
  // a disposed array says so; a tracer or an array on a backend without synchronous reads has
  // no values to show here
  if ((x as { isDisposed?: boolean }).isDisposed === true) return `Array(shape=[${shape.join(',')}], dtype=${dtype}, disposed)`;
  let data: TypedArray;
  try {
    data = x.dataSync();
  } catch {
    return `Array(shape=[${shape.join(',')}], dtype=${dtype})`;
  }
  return formatData(data, shape, dtype);
}

/** {@link formatArray} on raw row-major data. */
export function formatData(data: TypedArray, shape: readonly number[], dtype: DType): string {
  const prefix = 'array(';
  const size = data.length;
  const summarize = size > THRESHOLD;
  let body = '[]';
  if (size > 0) {
    // format only the values shown, so they share one width (as NumPy's _leading_trailing)
    const strides = stridesOf(shape);
    const picks: number[] = [];
    const collect = (d: number, base: number): void => {
      if (d === shape.length) picks.push(data[base] as number);
      else for (const i of shown(shape[d] as number, summarize)) collect(d + 1, base + i * (strides[d] as number));
    };
    collect(0, 0);
    // array2string leaves room for the closing ')' and indents continuation lines past 'array(['
    body = layout(shape, formatValues(picks, dtype, shape.length), summarize, LINE_WIDTH - 1, ' '.repeat(prefix.length + 1));
  }
  const extras: string[] = [];
  if ((size === 0 && !(shape.length === 1 && shape[0] === 0)) || summarize) extras.push(`shape=${pyTuple(shape)}`);
  // NumPy leaves out the dtypes it would infer (float64, bool) except for empty arrays
  if ((dtype !== 'float64' && dtype !== 'bool') || size === 0) extras.push(`dtype=${dtype}`);
  if (extras.length === 0) return `${prefix}${body})`;
  const head = `${prefix}${body},`;
  const tail = `${extras.join(', ')})`;
  const lastLine = head.length - (head.lastIndexOf('\n') + 1);
  const spacer = lastLine + tail.length + 1 > LINE_WIDTH ? `\n${' '.repeat(prefix.length)}` : ' ';
  return head + spacer + tail;
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
