import type { Array } from '../array.js';
import type { ShapedArray } from '../aval.js';
import type { DType } from '../dtype.js';
import type { PrimitiveName, PrimitiveParams } from '../primitives/params.js';
import { bind } from '../trace.js';

/** A typed SSA variable of a graph. */
export class Var {
  readonly aval: ShapedArray;
  constructor(aval: ShapedArray) {
    this.aval = aval;
  }
}

/** A constant operand of an equation (a concrete array captured while tracing). */
export class Literal {
  readonly value: Array;
  constructor(value: Array) {
    this.value = value;
  }
  get aval(): ShapedArray {
    return this.value.aval;
  }
}

export type Atom = Var | Literal;

/** One primitive application: `outs = prim[params](inputs)`. */
export interface Eqn<P extends PrimitiveName = PrimitiveName> {
  readonly prim: P;
  readonly inputs: readonly Atom[];
  readonly params: PrimitiveParams[P];
  readonly outs: readonly Var[];
}

/**
 * A traced program (JAX's jaxpr): typed inputs, a list of primitive equations in SSA form, and
 * outputs. Printing shows it the way JAX does.
 */
export class Jaxpr {
  readonly inVars: readonly Var[];
  readonly eqns: readonly Eqn[];
  readonly outs: readonly Atom[];
  constructor(inVars: readonly Var[], eqns: readonly Eqn[], outs: readonly Atom[]) {
    this.inVars = inVars;
    this.eqns = eqns;
    this.outs = outs;
  }
  toString(): string {
    return printJaxpr(this);
  }
}

const SHORT: Record<DType, string> = { float32: 'f32', float64: 'f64', int32: 'i32', bool: 'bool' };

function typeStr(aval: ShapedArray): string {
  return `${SHORT[aval.dtype]}[${aval.shape.join(',')}]`;
}

function paramStr(v: unknown): string {
  if (Array_isArray(v)) return `(${v.map(paramStr).join(v.length === 1 ? ',' : ', ')}${v.length === 1 ? ',' : ''})`;
  if (v instanceof Jaxpr) return `{ ${v.toString().replace(/\n/g, '\n  ')} }`;
  if (typeof v === 'function') return v.name || '<fn>';
  if (typeof v === 'object' && v !== null)
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}=${paramStr(x)}`)
      .join(' ')}}`;
  return String(v);
}
const Array_isArray = globalThis.Array.isArray;

/** Names variables a, b, ..., z, ba, bb, ... in order of first appearance. */
function namer(): (v: Var) => string {
  const names = new Map<Var, string>();
  return (v) => {
    let n = names.get(v);
    if (n === undefined) {
      let i = names.size;
      n = '';
      do {
        n = String.fromCharCode(97 + (i % 26)) + n;
        i = Math.floor(i / 26);
      } while (i > 0);
      names.set(v, n);
    }
    return n;
  };
}

function literalStr(l: Literal): string {
  if (l.aval.size !== 1) return `<const ${typeStr(l.aval)}>`;
  try {
    const v = l.value.item();
    return `${typeof v === 'number' && Number.isInteger(v) && l.aval.dtype.startsWith('f') ? `${v}.0` : v}:${typeStr(l.aval)}`;
  } catch {
    return `<const ${typeStr(l.aval)}>`;
  }
}

export function printJaxpr(jaxpr: Jaxpr): string {
  const name = namer();
  const atom = (a: Atom): string => (a instanceof Literal ? literalStr(a) : name(a));
  const decl = (v: Var): string => `${name(v)}:${typeStr(v.aval)}`;
  const ins = jaxpr.inVars.map(decl).join(' ');
  const lines = jaxpr.eqns.map((e) => {
    const params = Object.entries(e.params as object);
    const p = params.length > 0 ? `[${params.map(([k, v]) => `${k}=${paramStr(v)}`).join(' ')}]` : '';
    return `    ${e.outs.map(decl).join(' ')} = ${e.prim}${p} ${e.inputs.map(atom).join(' ')}`;
  });
  const outs = jaxpr.outs.map(atom).join(', ');
  return `{ lambda ; ${ins}. let\n${lines.join('\n')}${lines.length ? '\n' : ''}  in (${outs}${jaxpr.outs.length === 1 ? ',' : ''}) }`;
}

/**
 * Runs a jaxpr on arrays by binding each equation's primitive, so evaluating a jaxpr under a
 * transform transforms it.
 */
export function evalJaxpr(jaxpr: Jaxpr, args: readonly Array[]): Array[] {
  if (args.length !== jaxpr.inVars.length) throw new Error(`internal: jaxpr expects ${jaxpr.inVars.length} inputs, got ${args.length}`);
  const env = new Map<Var, Array>();
  jaxpr.inVars.forEach((v, i) => {
    env.set(v, args[i] as Array);
  });
  const read = (a: Atom): Array => (a instanceof Literal ? a.value : (env.get(a) as Array));
  for (const e of jaxpr.eqns) {
    const outs = bind(e.prim, e.inputs.map(read), e.params as never);
    e.outs.forEach((v, i) => {
      env.set(v, outs[i] as Array);
    });
  }
  return jaxpr.outs.map(read);
}
