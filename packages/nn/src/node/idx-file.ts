/**
 * Reading IDX files from a path (Node): the byte-level parser of `../data/idx.ts` plus Node's file
 * system and zlib for gzip-compressed files.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { IdxError } from '../data/errors.js';
import { countOf, decodeData, decodeHeader, type IdxArray, isGzip, type ParseIdxOptions, parseIdx } from '../data/idx.js';

/** Options of {@link readIdxFile}: as `ParseIdxOptions`, the name being the path and gzip handled. */
export type ReadIdxOptions = Omit<ParseIdxOptions, 'name' | 'gunzip'>;

/**
 * Reads and parses an IDX file (plain or gzip-compressed, see `parseIdx`). With `limit`, a
 * plain file is validated from its size and only the first `limit` items are read from disk.
 *
 * @example
 * const labels = readIdxFile('data/train-labels-idx1-ubyte', { expect: { type: 'u8', rank: 1 }, limit: 100 });
 */
export function readIdxFile(path: string, opts: ReadIdxOptions = {}): E.Either<IdxError, IdxArray> {
  const popts: ParseIdxOptions = { ...opts, name: path, gunzip: (b) => gunzipSync(b) };
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return E.left(new IdxError(path, `${path}: cannot open the file: ${(e as Error).message}`));
  }
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 4 + 4 * 255));
    readFully(fd, head, 0);
    if (isGzip(head) || opts.limit === undefined) return parseIdx(readFileSync(fd), popts);
    const header = decodeHeader(head, size, path, popts);
    if (E.isLeft(header)) return header;
    const h = header.right;
    const count = countOf(h, path, opts.limit);
    if (E.isLeft(count)) return count;
    const body = new Uint8Array(count.right * h.itemBytes);
    readFully(fd, body, h.headerBytes);
    return E.right({ type: h.info.type, typeCode: h.typeCode, shape: [count.right, ...h.dims.slice(1)], headerShape: h.dims, data: decodeData(h.info, body) });
  } catch (e) {
    return E.left(new IdxError(path, `${path}: cannot read the file: ${(e as Error).message}`));
  } finally {
    closeSync(fd);
  }
}

/** Fills `buf` from `fd` starting at `position`; throws if the file ends first. */
function readFully(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error(`the file ended after ${position + done} bytes`);
    done += n;
  }
}
