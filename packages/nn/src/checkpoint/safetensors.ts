/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian u64
 * header length N, N bytes of JSON header
 * `{ "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, "__metadata__": { ... } }`
 * (padded with spaces to 8-byte alignment), then the byte buffer: little-endian tensors, contiguous,
 * offsets relative to the buffer's start.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeDecodeError, named, show } from '../data/errors.js';

/** Why a checkpoint could not be read or written; `reason` (also `message`) names the file and the problem. */
export class CheckpointError extends Error {
  readonly _tag = 'CheckpointError' as const;
  /** The checkpoint's path ('<bytes>' for in-memory data). */
  readonly file: string;
  /** The full explanation (also the error's message). */
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(reason);
    this.name = 'CheckpointError';
    this.file = file;
    this.reason = reason;
  }
}

/** Every dtype name of the safetensors format. */
export const SAFETENSORS_DTYPES = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64', 'F8_E4M3', 'F8_E5M2'] as const;
/** A safetensors dtype name. */
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];
/** The safetensors dtypes tenfold reads and writes (float32, float64, int32, bool). */
export type SupportedSafetensorsDType = 'F32' | 'F64' | 'I32' | 'BOOL';

const ITEM_BYTES: Readonly<Record<SafetensorsDType, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/** The largest header accepted (as the reference implementation: 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** The data of one tensor: a typed array per supported dtype (BOOL as bytes 0/1). */
export type SafetensorsData = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One tensor of a safetensors file. */
export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: SupportedSafetensorsDType;
  readonly shape: readonly number[];
  readonly data: SafetensorsData;
}

/** A decoded safetensors file: its tensors in buffer order and its `__metadata__` (empty when absent). */
export interface SafetensorsFile {
  readonly tensors: readonly SafetensorsTensor[];
  readonly metadata: Readonly<Record<string, string>>;
}

// --- io-ts codecs of the header --------------------------------------------------------------

const DTypeC = named(
  t.keyof(Object.fromEntries(SAFETENSORS_DTYPES.map((d) => [d, null])) as Record<SafetensorsDType, null>),
  `one of ${SAFETENSORS_DTYPES.join(', ')}`,
);

interface NonNegativeIntBrand {
  readonly NonNegativeInt: unique symbol;
}
const NonNegativeIntC = named(
  t.brand(t.number, (n): n is t.Branded<number, NonNegativeIntBrand> => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInt'),
  'a non-negative integer',
);

/** One tensor entry of the header. */
export const TensorInfoC = t.exact(
  t.type({
    dtype: DTypeC,
    shape: named(t.array(NonNegativeIntC), 'a list of non-negative integers'),
    data_offsets: named(
      t.refinement(t.tuple([NonNegativeIntC, NonNegativeIntC]), ([b, e]) => b <= e, 'Offsets'),
      'data_offsets [begin, end]: two non-negative integers with begin <= end',
    ),
  }),
);

/** The header's `__metadata__`: string keys to string values. */
export const MetadataC: t.Type<Record<string, string>, unknown, unknown> = named(t.UnknownRecord, 'an object of string values').pipe(
  t.record(t.string, named(t.string, 'a string')),
  'an object of string values',
);

const HeaderObjectC = named(t.UnknownRecord, 'a JSON object');

// --- little-endian host check -----------------------------------------------------------------

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of `data` in little-endian order (a view when the host is little-endian). */
function leBytes(data: SafetensorsData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let j = 0; j < w; j++) out[i + j] = bytes[i + w - 1 - j] as number;
  return out;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Encodes tensors (in the given order) and optional metadata as a safetensors file. The header is
 * padded with spaces so the buffer starts at a multiple of 8 bytes.
 *
 * @example
 * const bytes = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]);
 */
export function encodeSafetensors(tensors: readonly SafetensorsTensor[], metadata?: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const x of tensors) {
    if (x.name === '__metadata__') throw new Error(`the tensor name '__metadata__' is reserved`);
    if (seen.has(x.name)) throw new Error(`two tensors are named '${x.name}'`);
    seen.add(x.name);
    const n = sizeOf(x.shape);
    if (n !== x.data.length) throw new Error(`tensor '${x.name}' has shape [${x.shape.join(', ')}] (${n} elements) but ${x.data.length} values`);
    const bytes = n * ITEM_BYTES[x.dtype];
    // defineProperty: a name like '__proto__' stays an ordinary key
    Object.defineProperty(header, x.name, {
      value: { dtype: x.dtype, shape: [...x.shape], data_offsets: [offset, offset + bytes] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const x of tensors) {
    const b = leBytes(x.data);
    out.set(b, at);
    at += b.length;
  }
  return out;
}

interface Entry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** Copies `bytes` (little-endian) into a fresh typed array of `dtype`. */
function readTensor(dtype: SupportedSafetensorsDType, bytes: Uint8Array): SafetensorsData {
  const w = ITEM_BYTES[dtype];
  const copy = new Uint8Array(bytes.length);
  if (LITTLE_ENDIAN || w === 1) copy.set(bytes);
  else for (let i = 0; i < bytes.length; i += w) for (let j = 0; j < w; j++) copy[i + j] = bytes[i + w - 1 - j] as number;
  switch (dtype) {
    case 'F32':
      return new Float32Array(copy.buffer);
    case 'F64':
      return new Float64Array(copy.buffer);
    case 'I32':
      return new Int32Array(copy.buffer);
    case 'BOOL':
      for (let i = 0; i < copy.length; i++) copy[i] = copy[i] !== 0 ? 1 : 0;
      return copy;
  }
}

const isSupported = (d: SafetensorsDType): d is SupportedSafetensorsDType => d === 'F32' || d === 'F64' || d === 'I32' || d === 'BOOL';

/**
 * Decodes and validates a safetensors file: header length sane (≤ 100 MB and within the file),
 * header valid UTF-8 JSON, each entry's dtype, shape and offsets (io-ts), each tensor's byte size
 * matching its shape, and the tensors contiguous, in ascending order and covering the buffer exactly.
 * Tensors of dtypes tenfold cannot hold (F16, I64, ...) are rejected by name.
 *
 * @example
 * const r = decodeSafetensors(bytes, 'model.safetensors');
 * if (E.isLeft(r)) console.error(r.left.reason);
 */
export function decodeSafetensors(bytes: Uint8Array, file = '<bytes>'): E.Either<CheckpointError, SafetensorsFile> {
  const err = (reason: string) => E.left(new CheckpointError(file, `${file}: ${reason}`));
  if (bytes.length < 8) return err(`file is ${bytes.length} bytes, too short for the 8-byte header length of a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) return err(`the header length is ${n64} bytes, more than the ${MAX_HEADER_BYTES} allowed (not a safetensors file?)`);
  const headerLen = Number(n64);
  if (headerLen > bytes.length - 8) {
    return err(
      `the header length is ${headerLen} bytes but the file has only ${bytes.length - 8} bytes after the 8-byte length (truncated or not a safetensors file?)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return err('the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err(`the header is not valid JSON: ${(e as Error).message}`);
  }
  const obj = HeaderObjectC.decode(json);
  if (E.isLeft(obj) || globalThis.Array.isArray(json)) return err(`the header must be a JSON object, found ${show(json)}`);
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(obj.right)) {
    if (name === '__metadata__') {
      const m = MetadataC.decode(value);
      if (E.isLeft(m)) return err(`__metadata__: ${describeDecodeError(m.left)}`);
      metadata = m.right;
      continue;
    }
    const info = TensorInfoC.decode(value);
    if (E.isLeft(info)) return err(`tensor '${name}': ${describeDecodeError(info.left)}`);
    const { dtype, shape, data_offsets } = info.right;
    const [begin, end] = data_offsets;
    const expected = sizeOf(shape) * ITEM_BYTES[dtype];
    if (end - begin !== expected) {
      return err(`tensor '${name}': ${dtype} of shape [${shape.join(', ')}] needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  const bufferLen = bytes.length - 8 - headerLen;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | undefined;
  for (const x of entries) {
    if (x.end > bufferLen) {
      return err(`tensor '${x.name}': data_offsets [${x.begin}, ${x.end}] run past the end of the data buffer (${bufferLen} bytes; truncated file?)`);
    }
    if (x.begin < pos) return err(`tensor '${x.name}': data_offsets [${x.begin}, ${x.end}] overlap tensor '${prev?.name}' (which ends at ${pos})`);
    if (x.begin > pos) return err(`tensor '${x.name}': data_offsets [${x.begin}, ${x.end}] leave a gap: the previous tensor ends at ${pos}`);
    pos = x.end;
    prev = x;
  }
  if (pos !== bufferLen) return err(`the tensors cover ${pos} bytes but the data buffer has ${bufferLen} (trailing bytes)`);
  const data = bytes.subarray(8 + headerLen);
  const tensors: SafetensorsTensor[] = [];
  for (const x of entries) {
    if (!isSupported(x.dtype)) return err(`tensor '${x.name}' has dtype ${x.dtype}; tenfold reads only F32, F64, I32 and BOOL`);
    tensors.push({ name: x.name, dtype: x.dtype, shape: x.shape, data: readTensor(x.dtype, data.subarray(x.begin, x.end)) });
  }
  return E.right({ tensors, metadata });
}
