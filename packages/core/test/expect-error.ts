import { expect } from 'vitest';
import { TenfoldError } from '../src/index.js';

/** Asserts `fn` throws a TenfoldError for `op` whose message (which starts with `op: `) matches `message`. */
export function expectError(fn: () => unknown, op: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${op} to throw`).toBeInstanceOf(TenfoldError);
  const err = caught as TenfoldError;
  expect(err.op).toBe(op);
  expect(err.name).toBe('TenfoldError');
  expect(err.message.startsWith(`${op}: `)).toBe(true);
  expect(err.message).toMatch(message);
}
