import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type IdxArray, IdxError, type IdxType, idxToArray, idxTypeCode, parseIdx } from '@tenfold/nn';
import { readIdxFile } from '@tenfold/nn/node';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tenfold-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BYTES: Record<IdxType, number> = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 };

/** An IDX file: magic 00 00 code rank, big-endian u32 dims, big-endian values. */
function idx(type: IdxType, dims: readonly number[], values: readonly number[], opts: { code?: number; rank?: number } = {}): Uint8Array {
  const w = BYTES[type];
  const out = new Uint8Array(4 + 4 * dims.length + w * values.length);
  const v = new DataView(out.buffer);
  out[2] = opts.code ?? idxTypeCode(type);
  out[3] = opts.rank ?? dims.length;
  dims.forEach((d, i) => {
    v.setUint32(4 + 4 * i, d, false);
  });
  const at = 4 + 4 * dims.length;
  values.forEach((x, i) => {
    const o = at + w * i;
    if (type === 'u8') v.setUint8(o, x);
    else if (type === 'i8') v.setInt8(o, x);
    else if (type === 'i16') v.setInt16(o, x, false);
    else if (type === 'i32') v.setInt32(o, x, false);
    else if (type === 'f32') v.setFloat32(o, x, false);
    else v.setFloat64(o, x, false);
  });
  return out;
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function right<A>(r: E.Either<IdxError, A>): A {
  if (E.isLeft(r)) throw new Error(`expected Right, got Left: ${r.left.reason}`);
  return r.right;
}

function reason<A>(r: E.Either<IdxError, A>): string {
  if (E.isRight(r)) throw new Error('expected Left, got Right');
  expect(r.left).toBeInstanceOf(IdxError);
  expect(r.left.message).toBe(r.left.reason);
  return r.left.reason;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('parseIdx / readIdxFile', () => {
  it('reads a u8 images file (shape, values, type code)', () => {
    const values = range(24).map((i) => (i * 11) % 256);
    const p = file('images-idx3-ubyte', idx('u8', [2, 3, 4], values));
    const a = right(readIdxFile(p));
    expect(a.type).toBe('u8');
    expect(a.typeCode).toBe(0x08);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(a.headerShape).toEqual([2, 3, 4]);
    expect(a.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(a.data)).toEqual(values);
    const b = right(parseIdx(idx('u8', [2, 3, 4], values), { expect: { type: 'u8', rank: 3 } }));
    expect(Array.from(b.data)).toEqual(values);
  });

  it('reads every type code, big-endian', () => {
    const cases: [IdxType, number[], new (n: number) => IdxArray['data']][] = [
      ['i8', [-128, -1, 0, 127], Int8Array],
      ['i16', [-32768, -2, 258, 32767], Int16Array],
      ['i32', [-2147483648, -3, 65536 + 7, 2147483647], Int32Array],
      ['f32', [-1.5, 0, 3.25, 2 ** 100], Float32Array],
      ['f64', [-1.5, Math.PI, 1e300, -0.1], Float64Array],
    ];
    for (const [type, values, Ctor] of cases) {
      const a = right(parseIdx(idx(type, [2, 2], values)));
      expect(a.type).toBe(type);
      expect(a.shape).toEqual([2, 2]);
      expect(a.data).toBeInstanceOf(Ctor);
      expect(Array.from(a.data)).toEqual(values);
    }
  });

  it('round-trips random files of every type (property)', () => {
    const types: IdxType[] = ['u8', 'i8', 'i16', 'i32', 'f32', 'f64'];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.boolean(), (type, dims, gz) => {
        const n = dims.reduce((a, b) => a * b, 1);
        const values = range(n).map((i) =>
          type === 'u8' ? i % 256 : type === 'i8' ? (i % 256) - 128 : type === 'f32' || type === 'f64' ? i / 4 - 3 : i * 7 - 20,
        );
        const bytes = idx(type, dims, values);
        const a = right(gz ? parseIdx(gzipSync(bytes), { gunzip: gunzipSync }) : parseIdx(bytes));
        expect(a.shape).toEqual(dims);
        expect(Array.from(a.data)).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });

  it('reads gzip-compressed files (detected by the magic bytes 1f 8b)', () => {
    const values = range(12);
    const p = file('labels-idx1-ubyte.gz', gzipSync(idx('u8', [12], values)));
    const a = right(readIdxFile(p, { expect: { type: 'u8', rank: 1 } }));
    expect(Array.from(a.data)).toEqual(values);
    expect(Array.from(right(readIdxFile(p, { limit: 5 })).data)).toEqual(values.slice(0, 5));
    const bad = file('bad.gz', new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6]));
    expect(reason(readIdxFile(bad))).toMatch(/bad\.gz: starts with the gzip magic bytes 1f 8b but is not a valid gzip stream/);
  });

  it('parseIdx (the browser-safe entry) carries no inflater: gzip bytes need a gunzip function', () => {
    const gz = gzipSync(idx('u8', [3], [4, 5, 6]));
    expect(reason(parseIdx(gz, { name: 'l.gz' }))).toBe(
      'l.gz: starts with the gzip magic bytes 1f 8b: decompress it first (readIdxFile of @tenfold/nn/node does), or pass { gunzip }',
    );
    expect(Array.from(right(parseIdx(gz, { gunzip: gunzipSync })).data)).toEqual([4, 5, 6]);
  });

  it('reads only the first `limit` items, still validating the whole file', () => {
    const values = range(5 * 6);
    const p = file('limit-idx2', idx('u8', [5, 6], values));
    const a = right(readIdxFile(p, { limit: 2 }));
    expect(a.shape).toEqual([2, 6]);
    expect(a.headerShape).toEqual([5, 6]);
    expect(Array.from(a.data)).toEqual(values.slice(0, 12));
    expect(right(readIdxFile(p, { limit: 99 })).shape).toEqual([5, 6]);
    expect(right(readIdxFile(p, { limit: 0 })).shape).toEqual([0, 6]);
    expect(right(parseIdx(idx('u8', [5, 6], values), { limit: 3 })).shape).toEqual([3, 6]);
    const truncated = file('limit-trunc', idx('u8', [5, 6], values).subarray(0, 30));
    expect(reason(readIdxFile(truncated, { limit: 1 }))).toContain('file is 30 bytes but the header declares 5×6 u8 values (42 bytes)');
    expect(reason(readIdxFile(p, { limit: -1 }))).toContain('limit must be a non-negative integer, got -1');
  });

  it('rejects a truncated or too long file, naming the file and both lengths', () => {
    const full = idx('u8', [2, 3, 4], range(24));
    const p = file('train-images-idx3-ubyte', full.subarray(0, 30));
    expect(reason(readIdxFile(p, { what: 'images' }))).toBe(`${p}: file is 30 bytes but the header declares 2×3×4 images (40 bytes) (truncated?)`);
    const long = new Uint8Array(full.length + 3);
    long.set(full);
    expect(reason(parseIdx(long, { name: 'x' }))).toBe('x: file is 43 bytes but the header declares 2×3×4 u8 values (40 bytes) (3 bytes too many)');
    // the example: a 1000-byte file whose header declares the full training set
    const header = idx('u8', [60000, 28, 28], []);
    const small = new Uint8Array(1000);
    small.set(header);
    expect(reason(parseIdx(small, { name: 'train-images-idx3-ubyte', what: 'images' }))).toContain(
      'train-images-idx3-ubyte: file is 1000 bytes but the header declares 60000×28×28 images (47040016 bytes)',
    );
  });

  it('rejects a truncated header', () => {
    expect(reason(parseIdx(new Uint8Array([0, 0, 8]), { name: 'f' }))).toBe('f: file is 3 bytes, too short for the 4-byte IDX magic number');
    expect(reason(parseIdx(new Uint8Array(0), { name: 'f' }))).toContain('file is 0 bytes');
    const head = idx('u8', [2, 3, 4], []).subarray(0, 10);
    expect(reason(parseIdx(head, { name: 'f' }))).toBe(
      'f: file is 10 bytes, too short for the header (a 4-byte magic number and 3 4-byte dimensions: 16 bytes)',
    );
  });

  it('rejects a wrong magic number', () => {
    const bytes = idx('u8', [4], [1, 2, 3, 4]);
    bytes[0] = 0x12;
    bytes[1] = 0x34;
    expect(reason(parseIdx(bytes, { name: 'f' }))).toBe(
      'f: bad IDX magic number 0x12340801: zero: expected zero (the magic number starts with two zero bytes), found 4660',
    );
    // a plain-text file
    expect(reason(parseIdx(new TextEncoder().encode('hello world'), { name: 'f' }))).toContain('bad IDX magic number 0x68656c6c');
  });

  it('rejects an unknown type code and a bad rank', () => {
    const bytes = idx('u8', [4], [1, 2, 3, 4], { code: 0x0a });
    expect(reason(parseIdx(bytes, { name: 'f' }))).toBe(
      'f: bad IDX magic number 0x00000a01: typeCode: expected a known IDX type code (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64), found 10',
    );
    expect(reason(parseIdx(idx('u8', [], [7]), { name: 'f' }))).toBe('f: bad IDX magic number 0x00000800: rank: expected a rank from 1 to 4, found 0');
    expect(reason(parseIdx(idx('u8', [1, 1, 1, 1, 1], [7]), { name: 'f' }))).toContain('rank: expected a rank from 1 to 4, found 5');
  });

  it('rejects zero dimensions', () => {
    expect(reason(parseIdx(idx('u8', [3, 0, 2], []), { name: 'f' }))).toBe(
      'f: bad IDX dimensions [3, 0, 2]: dimension 1: expected a positive integer, found 0',
    );
  });

  it('checks the expected type and rank (MNIST magic numbers 0x801 / 0x803)', () => {
    const labels = file('train-labels-idx1-ubyte', idx('u8', [3], [1, 2, 3]));
    expect(reason(readIdxFile(labels, { expect: { type: 'u8', rank: 3 } }))).toBe(
      `${labels}: expected an IDX file of unsigned bytes (u8) with 3 dimensions, magic 0x00000803, found magic 0x00000801 (unsigned bytes (u8) with 1 dimension)`,
    );
    const floats = idx('f32', [3], [1, 2, 3]);
    expect(reason(parseIdx(floats, { name: 'g', expect: { type: 'u8' } }))).toBe(
      'g: expected an IDX file of unsigned bytes (u8), found magic 0x00000d01 (float32 (f32) with 1 dimension)',
    );
  });

  it('reports a missing file', () => {
    const p = join(dir, 'nope-idx1-ubyte');
    const r = readIdxFile(p);
    expect(reason(r)).toContain(`${p}: cannot open the file: ENOENT`);
    expect(E.isLeft(r) && r.left.file).toBe(p);
  });

  it('idxToArray converts to tenfold arrays', () => {
    const a = right(parseIdx(idx('u8', [2, 2], [0, 1, 254, 255])));
    const x = idxToArray(a);
    expect(x.dtype).toBe('int32');
    expect(x.shape).toEqual([2, 2]);
    expect(Array.from(x.dataSync())).toEqual([0, 1, 254, 255]);
    const f = idxToArray(a, { dtype: 'float32' });
    expect(f.dtype).toBe('float32');
    expect(Array.from(f.dataSync())).toEqual([0, 1, 254, 255]);
    expect(idxToArray(right(parseIdx(idx('f64', [1], [0.1])))).dtype).toBe('float64');
    expect(Array.from(idxToArray(a, { dtype: 'bool' }).dataSync())).toEqual([0, 1, 1, 1]);
  });
});
