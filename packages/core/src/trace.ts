import { Array } from './array.js';
import type { TypedArray } from './dtype.js';
import { TenfoldError } from './errors.js';
import type { PrimitiveName, PrimitiveParams } from './primitives/params.js';

/**
 * One interpreter of primitives (eager evaluation, jvp, vmap, jit staging...). Transforms push a
 * MainTrace on the stack; `bind` routes each primitive to the highest-level trace among its inputs.
 */
export abstract class Trace {
  readonly main: MainTrace;
  constructor(main: MainTrace) {
    this.main = main;
  }
  /** Wraps a value that comes from a lower level (or is concrete) as this trace's tracer. */
  abstract pure(x: Array): Array;
  /** Wraps a tracer of a lower-level trace. */
  abstract lift(x: Array): Array;
  abstract processPrimitive<P extends PrimitiveName>(prim: P, tracers: readonly Array[], params: PrimitiveParams[P]): Array[];
}

export type TraceType = new (main: MainTrace) => Trace;

export class MainTrace {
  readonly level: number;
  readonly traceType: TraceType;
  readonly globalData: unknown;
  #trace: Trace | null = null;
  constructor(level: number, traceType: TraceType, globalData: unknown) {
    this.level = level;
    this.traceType = traceType;
    this.globalData = globalData;
  }
  /** The trace object for this level (one per main trace; traces hold no per-call state). */
  get trace(): Trace {
    if (this.#trace === null) this.#trace = new this.traceType(this);
    return this.#trace;
  }
}

/** Implemented by arrays that belong to a trace (tracers); concrete arrays have none. */
export interface Traced {
  readonly trace: Trace;
  /** Returns the plain value when the tracer carries nothing of its trace (e.g. a zero tangent). */
  fullLower(): Array;
}

const traceStack: MainTrace[] = [];
let dynamicTrace: MainTrace | null = null;
let evalTraceType: TraceType | null = null;

/** Installs the bottom interpreter (eager evaluation); done once by the array module. */
export function installEvalTrace(type: TraceType): void {
  evalTraceType = type;
  traceStack.length = 0;
  traceStack.push(new MainTrace(0, type, null));
}

/** Runs `fn` with a new main trace of `type` pushed on the stack. */
export function withMainTrace<T>(type: TraceType, globalData: unknown, fn: (main: MainTrace) => T): T {
  const main = new MainTrace(traceStack.length, type, globalData);
  traceStack.push(main);
  try {
    return fn(main);
  } finally {
    traceStack.pop();
  }
}

/** Runs `fn` with `main` as the dynamic trace (used by staging transforms such as jit). */
export function withDynamicTrace<T>(main: MainTrace, fn: () => T): T {
  const prev = dynamicTrace;
  dynamicTrace = main;
  try {
    return fn();
  } finally {
    dynamicTrace = prev;
  }
}

export function isTraced(x: unknown): x is Array & Traced {
  return typeof x === 'object' && x !== null && 'trace' in x && (x as { trace: unknown }).trace instanceof Trace;
}

function checkAlive(op: string, main: MainTrace): void {
  if (traceStack[main.level] !== main) {
    throw new TenfoldError(
      op,
      'a traced value escaped the transform that created it (it was stored outside the function being transformed and used later); return it from the function instead',
    );
  }
}

function findTopTrace(op: string, args: readonly Array[]): Trace {
  let top = traceStack[0] as MainTrace;
  for (const a of args) {
    if (isTraced(a)) {
      const main = a.trace.main;
      checkAlive(op, main);
      if (main.level > top.level) top = main;
    }
  }
  if (dynamicTrace && dynamicTrace.level > top.level) top = dynamicTrace;
  return top.trace;
}

function fullRaise(trace: Trace, x: Array): Array {
  if (!isTraced(x)) return trace.pure(x);
  const level = trace.main.level;
  const main = x.trace.main;
  if (main === trace.main) return x;
  if (main.level < level) return trace.lift(x);
  throw new Error(`internal: cannot lift a level-${main.level} tracer into level ${level}`);
}

/**
 * The one entry point of every operation: applies `prim` to `args` under the innermost active
 * transform (or evaluates it eagerly when no transform is active).
 */
export function bind<P extends PrimitiveName>(prim: P, args: readonly Array[], params: PrimitiveParams[P]): Array[] {
  if (evalTraceType === null) throw new Error('internal: no evaluation trace installed');
  // Fast path for eager evaluation: no transform active and no tracer among the inputs.
  if (traceStack.length === 1 && dynamicTrace === null && !args.some(isTraced)) {
    return (traceStack[0] as MainTrace).trace.processPrimitive(prim, args, params);
  }
  const trace = findTopTrace(prim, args);
  const tracers = args.map((a) => fullRaise(trace, a));
  const outs = trace.processPrimitive(prim, tracers, params);
  return outs.map((o) => (isTraced(o) ? o.fullLower() : o));
}

/** `bind` for primitives with one output. */
export function bind1<P extends PrimitiveName>(prim: P, args: readonly Array[], params: PrimitiveParams[P]): Array {
  return bind(prim, args, params)[0] as Array;
}

/** The current depth of the trace stack (0 = eager). */
export function traceDepth(): number {
  return traceStack.length - 1;
}

/**
 * Base class of the values transforms pass through user functions. Reading a tracer's data is an
 * error: under a transform the value is abstract.
 */
export abstract class Tracer extends Array {
  abstract readonly trace: Trace;
  /** The plain value when this tracer carries nothing of its trace; itself otherwise. */
  fullLower(): Array {
    return this;
  }
  async data(): Promise<TypedArray> {
    throw this.concretizationError('data');
  }
  dataSync(): TypedArray {
    throw this.concretizationError('dataSync');
  }
  /** `Number(x)`, `x > 0`, `x + 1` in JS: a traced value has no number to give. */
  override valueOf(): number {
    throw this.concretizationError('Number(x)');
  }
  protected concretizationError(what: string): TenfoldError {
    return new TenfoldError(
      what,
      `cannot read the values of a traced ${this.aval} array inside a transform; the value is abstract here. Use np.where or lax.cond instead of JS control flow on array values (lax.whileLoop, lax.scan for loops), pass values JS code must see as static arguments (jit(f, { staticArgnums })), or move the read outside the transformed function`,
    );
  }
}
