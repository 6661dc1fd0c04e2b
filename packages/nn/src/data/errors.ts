import type * as t from 'io-ts';
import { failure, Type } from 'io-ts';

/**
 * Why an IDX file (or the MNIST data set built from IDX files) could not be read. `reason` names
 * the file, what was expected and what was found; `message` is the same text, so the error can
 * also be thrown as is.
 *
 * @example
 * // "train-images-idx3-ubyte: file is 1000 bytes but the header declares 60000×28×28 images (47040016 bytes) (truncated?)"
 */
export class IdxError extends Error {
  readonly _tag = 'IdxError' as const;
  /** The file (path or name) the error is about; '' when it concerns no single file. */
  readonly file: string;
  /** The full explanation (also the error's message). */
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(reason);
    this.name = 'IdxError';
    this.file = file;
    this.reason = reason;
  }
}

/** Renders a value found in a file briefly, for error messages. */
export function show(value: unknown, max = 80): string {
  let s: string;
  if (value === undefined) s = 'undefined';
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

/**
 * The first io-ts validation error as "field: expected X, found Y" (the field path from the
 * decoding context; the expectation is the innermost codec's name).
 */
export function describeDecodeError(errors: t.Errors): string {
  const first = errors[0];
  if (first === undefined) return 'invalid value';
  if (first.message !== undefined) return first.message;
  const keys = first.context.map((c) => c.key).filter((k) => k !== '');
  const expected = first.context[first.context.length - 1]?.type.name ?? 'a valid value';
  const where = keys.length > 0 ? `${keys.join('.')}: ` : '';
  return `${where}expected ${expected}, found ${show(first.value)}`;
}

/**
 * `codec` under a new (descriptive) name. It fails as one unit: error messages show the name as
 * what was expected and the whole input as what was found (not the details of the inner codec).
 */
export function named<A, O, I>(codec: t.Type<A, O, I>, name: string): t.Type<A, O, I> {
  return new Type<A, O, I>(
    name,
    codec.is,
    (i, c) => {
      const r = codec.validate(i, c);
      return r._tag === 'Left' ? failure(i, c) : r;
    },
    codec.encode,
  );
}
