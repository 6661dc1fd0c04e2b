/**
 * The IDX file format (the format of the MNIST files): a 4-byte magic number `00 00 TT RR` where TT
 * is the element type code and RR the rank, then RR big-endian uint32 dimensions, then the elements,
 * big-endian, in row-major order. Files may be gzip-compressed (detected by the magic bytes 1f 8b).
 *
 * Every reader returns an fp-ts `Either`: `Right` with the parsed array, or `Left` with an
 * {@link IdxError} whose `reason` names the file, what was expected and what was found.
 *
 * This module works on bytes only (browser-safe); reading files from a path is `readIdxFile` in
 * `@tenfold/nn/node`, which also decompresses gzip with Node's zlib.
 */
import { type Array, type DType, np } from '@tenfold/core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeDecodeError, IdxError, named, show } from './errors.js';

/** The element types of IDX files, by short name. */
export type IdxType = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

/** The IDX element type codes: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64. */
export type IdxTypeCode = 0x08 | 0x09 | 0x0b | 0x0c | 0x0d | 0x0e;

/** The typed array holding the elements of each IDX type. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX file: its element type, its shape and its elements (host byte order, row-major). */
export interface IdxArray {
  /** The element type, e.g. 'u8'. */
  readonly type: IdxType;
  /** The element type code from the magic number, e.g. 0x08. */
  readonly typeCode: IdxTypeCode;
  /** The dimensions (the first one cut to `limit` when one was given). */
  readonly shape: readonly number[];
  /** The dimensions the header declares (equal to `shape` unless `limit` cut the first one). */
  readonly headerShape: readonly number[];
  /** The elements, as a fresh typed array of the type's kind (Uint8Array for u8...). */
  readonly data: IdxData;
}

/** What a reader should insist on, besides a well-formed file. */
export interface IdxExpectation {
  /** The element type the file must hold (e.g. 'u8' for MNIST). */
  readonly type?: IdxType;
  /** The rank the file must have (1 for MNIST labels, 3 for MNIST images). */
  readonly rank?: number;
}

export interface ParseIdxOptions {
  /** The file name used in error reasons (default '<bytes>'; `readIdxFile` passes the path). */
  readonly name?: string;
  /** Element type and rank the file must have. */
  readonly expect?: IdxExpectation;
  /** Read only the first `limit` items along the first dimension (the file is still fully validated). */
  readonly limit?: number;
  /** How to call the items in error reasons, e.g. 'images' ("declares 60000×28×28 images"); default "<type> values". */
  readonly what?: string;
  /**
   * Decompresses gzip bytes (e.g. Node's `zlib.gunzipSync`; `readIdxFile` of `@tenfold/nn/node`
   * passes it). Without it, gzip-compressed bytes are an error: this module carries no inflater.
   */
  readonly gunzip?: (bytes: Uint8Array) => Uint8Array;
}

/** @internal An element type's name, width and description. */
export interface TypeInfo {
  readonly type: IdxType;
  readonly bytes: number;
  readonly description: string;
}

const TYPES: Readonly<Record<IdxTypeCode, TypeInfo>> = {
  8: { type: 'u8', bytes: 1, description: 'unsigned bytes' },
  9: { type: 'i8', bytes: 1, description: 'signed bytes' },
  11: { type: 'i16', bytes: 2, description: 'int16' },
  12: { type: 'i32', bytes: 4, description: 'int32' },
  13: { type: 'f32', bytes: 4, description: 'float32' },
  14: { type: 'f64', bytes: 8, description: 'float64' },
};

const CODE_OF: Readonly<Record<IdxType, IdxTypeCode>> = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e };

/** The element type code of an IDX type name. @example idxTypeCode('u8') // 0x08 */
export function idxTypeCode(type: IdxType): IdxTypeCode {
  return CODE_OF[type];
}

/** The largest rank the reader accepts. */
export const IDX_MAX_RANK = 4;

// --- io-ts codecs for the header --------------------------------------------------------------

const hex2 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

const TypeCodeC = named(
  t.union([t.literal(0x08), t.literal(0x09), t.literal(0x0b), t.literal(0x0c), t.literal(0x0d), t.literal(0x0e)]),
  `a known IDX type code (${Object.entries(TYPES)
    .map(([c, i]) => `${hex2(Number(c))} ${i.type}`)
    .join(', ')})`,
);

const RankC = named(
  t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1 && n <= IDX_MAX_RANK),
  `a rank from 1 to ${IDX_MAX_RANK}`,
);

interface PositiveIntBrand {
  readonly PositiveInt: unique symbol;
}
const PositiveIntC = named(
  t.brand(t.number, (n): n is t.Branded<number, PositiveIntBrand> => Number.isSafeInteger(n) && n > 0, 'PositiveInt'),
  'a positive integer',
);

/** The magic number's fields: two zero bytes, the type code, the rank. */
const IdxMagicC = t.type({
  zero: named(t.literal(0), 'zero (the magic number starts with two zero bytes)'),
  typeCode: TypeCodeC,
  rank: RankC,
});

/** The dimensions, each a positive integer. */
const IdxDimsC = t.array(PositiveIntC);

// --- parsing -----------------------------------------------------------------------------------

/** @internal A decoded header (shared with `@tenfold/nn/node`'s file reader). */
export interface Header {
  readonly info: TypeInfo;
  readonly typeCode: IdxTypeCode;
  readonly dims: readonly number[];
  /** Bytes of magic + dimensions. */
  readonly headerBytes: number;
  /** Bytes of one item along the first dimension. */
  readonly itemBytes: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function describeExpectation(expect: IdxExpectation): string {
  const parts: string[] = [];
  if (expect.type !== undefined) {
    const code = CODE_OF[expect.type];
    parts.push(`${TYPES[code].description} (${expect.type})`);
  }
  if (expect.rank !== undefined) parts.push(`with ${plural(expect.rank, 'dimension')}`);
  const magic = expect.type !== undefined && expect.rank !== undefined ? `, magic ${hex8((CODE_OF[expect.type] << 8) | expect.rank)}` : '';
  return `an IDX file of ${parts.join(' ')}${magic}`;
}

/**
 * @internal Decodes and validates the header in `head` (the first bytes of the file; at least the header),
 * given the length of the whole (uncompressed) file.
 */
export function decodeHeader(head: Uint8Array, fileLength: number, name: string, opts: ParseIdxOptions): E.Either<IdxError, Header> {
  const err = (reason: string) => E.left(new IdxError(name, `${name}: ${reason}`));
  if (fileLength < 4) return err(`file is ${plural(fileLength, 'byte')}, too short for the 4-byte IDX magic number`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magicNumber = view.getUint32(0, false);
  const magic = IdxMagicC.decode({ zero: view.getUint16(0, false), typeCode: head[2], rank: head[3] });
  if (E.isLeft(magic)) return err(`bad IDX magic number ${hex8(magicNumber)}: ${describeDecodeError(magic.left)}`);
  const { typeCode, rank } = magic.right;
  const headerBytes = 4 + 4 * rank;
  if (fileLength < headerBytes) {
    return err(`file is ${plural(fileLength, 'byte')}, too short for the header (a 4-byte magic number and ${rank} 4-byte dimensions: ${headerBytes} bytes)`);
  }
  const rawDims: number[] = [];
  for (let i = 0; i < rank; i++) rawDims.push(view.getUint32(4 + 4 * i, false));
  const dims = IdxDimsC.decode(rawDims);
  if (E.isLeft(dims)) return err(`bad IDX dimensions [${rawDims.join(', ')}]: dimension ${describeDecodeError(dims.left)}`);
  const info = TYPES[typeCode];
  const expect = opts.expect ?? {};
  if ((expect.type !== undefined && expect.type !== info.type) || (expect.rank !== undefined && expect.rank !== rank)) {
    return err(
      `expected ${describeExpectation(expect)}, found magic ${hex8(magicNumber)} (${info.description} (${info.type}) with ${plural(rank, 'dimension')})`,
    );
  }
  const itemBytes = dims.right.slice(1).reduce((a, b) => a * b, info.bytes);
  const dataBytes = itemBytes * (dims.right[0] as number);
  if (fileLength !== headerBytes + dataBytes) {
    const what = opts.what ?? `${info.type} values`;
    const detail = fileLength < headerBytes + dataBytes ? ' (truncated?)' : ` (${fileLength - headerBytes - dataBytes} bytes too many)`;
    return err(`file is ${plural(fileLength, 'byte')} but the header declares ${dims.right.join('×')} ${what} (${headerBytes + dataBytes} bytes)${detail}`);
  }
  return E.right({ info, typeCode, dims: dims.right, headerBytes, itemBytes });
}

/** @internal How many items to read, from the `limit` option. */
export function countOf(header: Header, name: string, limit: number | undefined): E.Either<IdxError, number> {
  const n = header.dims[0] as number;
  if (limit === undefined) return E.right(n);
  if (!Number.isSafeInteger(limit) || limit < 0) return E.left(new IdxError(name, `${name}: limit must be a non-negative integer, got ${show(limit)}`));
  return E.right(Math.min(n, limit));
}

/** @internal Decodes big-endian elements from `bytes` (exactly the elements to keep) into a fresh typed array. */
export function decodeData(info: TypeInfo, bytes: Uint8Array): IdxData {
  const n = bytes.byteLength / info.bytes;
  switch (info.type) {
    case 'u8': {
      const out = new Uint8Array(n);
      out.set(bytes);
      return out;
    }
    case 'i8': {
      const out = new Int8Array(n);
      out.set(new Int8Array(bytes.buffer, bytes.byteOffset, n));
      return out;
    }
    default: {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (info.type === 'i16') {
        const out = new Int16Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, false);
        return out;
      }
      if (info.type === 'i32') {
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, false);
        return out;
      }
      if (info.type === 'f32') {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, false);
        return out;
      }
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, false);
      return out;
    }
  }
}

/** @internal Whether `bytes` start with gzip's magic bytes 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzip(bytes: Uint8Array, name: string, inflate: ParseIdxOptions['gunzip']): E.Either<IdxError, Uint8Array> {
  if (inflate === undefined) {
    return E.left(
      new IdxError(name, `${name}: starts with the gzip magic bytes 1f 8b: decompress it first (readIdxFile of @tenfold/nn/node does), or pass { gunzip }`),
    );
  }
  try {
    return E.right(inflate(bytes));
  } catch (e) {
    return E.left(new IdxError(name, `${name}: starts with the gzip magic bytes 1f 8b but is not a valid gzip stream: ${(e as Error).message}`));
  }
}

/**
 * Parses the bytes of an IDX file (gzip-compressed ones with the `gunzip` option) and validates its magic number, type
 * code, rank (1 to 4), dimensions (positive) and length (exactly the header plus the elements).
 *
 * @example
 * const r = parseIdx(bytes, { expect: { type: 'u8', rank: 1 } });
 * if (E.isRight(r)) r.right.shape; // [60000]
 */
export function parseIdx(bytes: Uint8Array, opts: ParseIdxOptions = {}): E.Either<IdxError, IdxArray> {
  const name = opts.name ?? '<bytes>';
  let raw = bytes;
  if (isGzip(bytes)) {
    const r = gunzip(bytes, name, opts.gunzip);
    if (E.isLeft(r)) return r;
    raw = r.right;
  }
  const header = decodeHeader(raw, raw.byteLength, name, opts);
  if (E.isLeft(header)) return header;
  const h = header.right;
  const count = countOf(h, name, opts.limit);
  if (E.isLeft(count)) return count;
  const data = decodeData(h.info, raw.subarray(h.headerBytes, h.headerBytes + count.right * h.itemBytes));
  return E.right({ type: h.info.type, typeCode: h.typeCode, shape: [count.right, ...h.dims.slice(1)], headerShape: h.dims, data });
}

/**
 * An IDX array as a tenfold Array of the same shape: integer types become int32, f32 float32 and
 * f64 float64, unless `dtype` asks for another dtype (the values are converted).
 *
 * @example
 * const labels = idxToArray(idx);                        // int32 [60000]
 * const pixels = idxToArray(images, { dtype: 'float32' }); // float32 [60000, 28, 28], values 0..255
 */
export function idxToArray(idx: IdxArray, opts: { dtype?: DType; backend?: string } = {}): Array {
  const natural: DType = idx.type === 'f32' ? 'float32' : idx.type === 'f64' ? 'float64' : 'int32';
  const dtype = opts.dtype ?? natural;
  const n = idx.data.length;
  let typed: Float32Array | Float64Array | Int32Array | Uint8Array;
  if (dtype === 'float32') typed = idx.data instanceof Float32Array ? idx.data : Float32Array.from(idx.data);
  else if (dtype === 'float64') typed = idx.data instanceof Float64Array ? idx.data : Float64Array.from(idx.data);
  else if (dtype === 'int32') {
    typed = idx.data instanceof Int32Array ? idx.data : new Int32Array(n);
    if (typed !== idx.data) for (let i = 0; i < n; i++) typed[i] = Math.trunc(idx.data[i] as number);
  } else {
    typed = new Uint8Array(n);
    for (let i = 0; i < n; i++) typed[i] = idx.data[i] !== 0 ? 1 : 0;
  }
  return np.array(typed, { shape: idx.shape, dtype, ...(opts.backend !== undefined ? { backend: opts.backend } : {}) });
}
