/** An error raised by a tenfold op; the message starts with the op's name. */
export class TenfoldError extends Error {
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'TenfoldError';
    this.op = op;
  }
}

/** Throws a {@link TenfoldError} for `op`. */
export function fail(op: string, message: string): never {
  throw new TenfoldError(op, message);
}

/**
 * The error of forward-mode differentiation reaching a function with a custom VJP (the custom_lin
 * primitive): raised where that primitive would run, eagerly or under vmap.
 */
export function customVjpForwardModeError(name: string): TenfoldError {
  return new TenfoldError(
    'jvp',
    `${name} has a custom VJP, which defines reverse mode only; forward mode (jvp, jacfwd, hessian) cannot run through it. Define a customJvp instead, or use vjp/grad/jacrev`,
  );
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function avalStr(shape: readonly number[], dtype: string): string {
  return `${dtype}${shapeStr(shape)}`;
}
