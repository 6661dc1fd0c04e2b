import { type Array, lax, np } from '@tenfold/core';
import { addTangents, instantiate, isZero, type MaybeZero, Zero } from '../zero.js';
import type { JvpRules, SimpleJvpRule } from './types.js';

/** d(out) = Σ partial_i · t_i, skipping symbolic zeros. */
function linearCombination(terms: readonly [MaybeZero, () => Array][], aval: Array): MaybeZero {
  let acc: MaybeZero = new Zero(aval.aval);
  for (const [t, partial] of terms) {
    if (isZero(t)) continue;
    acc = addTangents(acc, np.multiply(t, partial()));
  }
  return acc;
}

/** Unary op with derivative `d(x, out)`: tangent = t · d. */
function unary(f: (x: Array) => Array, d: (x: Array, out: Array) => Array): SimpleJvpRule {
  return ([x], [t]) => {
    const out = f(x!);
    return [[out], [isZero(t) ? t! : np.multiply(t!, d(x!, out))]];
  };
}

/** Outputs with no tangent space or a zero derivative everywhere (comparisons, rounding, integers). */
function zeroTangent(f: (xs: readonly Array[]) => Array[]): SimpleJvpRule {
  return (xs) => {
    const outs = f(xs);
    return [outs, outs.map((o) => new Zero(o.aval))];
  };
}

const SQRT_PI_2 = Math.sqrt(Math.PI) / 2;

/** JAX's balanced tie rule for max/min: at x == y each side gets half the tangent. */
function chooser(isMax: boolean): SimpleJvpRule {
  return ([x, y], [tx, ty]) => {
    const out = isMax ? lax.max(x!, y!) : lax.min(x!, y!);
    const pickX = isMax ? lax.gt(x!, y!) : lax.lt(x!, y!);
    const tie = lax.eq(x!, y!);
    const wx = () => np.where(tie, 0.5, np.where(pickX, 1, 0)).astype(out.dtype);
    const wy = () => np.where(tie, 0.5, np.where(pickX, 0, 1)).astype(out.dtype);
    return [
      [out],
      [
        linearCombination(
          [
            [tx!, wx],
            [ty!, wy],
          ],
          out,
        ),
      ],
    ];
  };
}

export const elementwiseJvpRules: JvpRules = {
  add: ([x, y], [tx, ty]) => [[lax.add(x!, y!)], [addTangents(tx!, ty!)]],
  sub: ([x, y], [tx, ty]) => [[lax.sub(x!, y!)], [addTangents(tx!, isZero(ty) ? ty! : lax.neg(ty!))]],
  mul: ([x, y], [tx, ty]) => {
    const out = lax.mul(x!, y!);
    return [
      [out],
      [
        linearCombination(
          [
            [tx!, () => y!],
            [ty!, () => x!],
          ],
          out,
        ),
      ],
    ];
  },
  div: ([x, y], [tx, ty]) => {
    const out = lax.div(x!, y!);
    // d(x/y) = (tx - out·ty) / y
    let t: MaybeZero = isZero(tx) ? new Zero(out.aval) : lax.div(tx!, y!);
    if (!isZero(ty)) t = addTangents(t, lax.neg(lax.div(lax.mul(ty!, out), y!)));
    return [[out], [t]];
  },
  pow: ([x, y], [tx, ty]) => {
    const out = lax.pow(x!, y!);
    // y·x^(y-1), except 0 at x = y = 0 (0·inf); only there, so its y-derivative (1/x) stays right
    const dx = () => np.where(np.logicalAnd(lax.eq(y!, 0), lax.eq(x!, 0)), 0, lax.mul(y!, lax.pow(x!, lax.sub(y!, 1)))).astype(out.dtype);
    // log(x) with x = 0 replaced by 1: the y-derivative of 0^y is taken as 0, as in JAX
    const dy = () => lax.mul(lax.log(np.where(lax.eq(x!, 0), 1, x!).astype(out.dtype)), out);
    return [
      [out],
      [
        linearCombination(
          [
            [tx!, dx],
            [ty!, dy],
          ],
          out,
        ),
      ],
    ];
  },
  max: chooser(true),
  min: chooser(false),
  atan2: ([y, x], [ty, tx]) => {
    const out = lax.atan2(y!, x!);
    const denom = () => lax.add(lax.mul(x!, x!), lax.mul(y!, y!));
    return [
      [out],
      [
        linearCombination(
          [
            [ty!, () => lax.div(x!, denom())],
            [tx!, () => lax.neg(lax.div(y!, denom()))],
          ],
          out,
        ),
      ],
    ];
  },
  rem: ([x, y], [tx, ty]) => {
    const out = lax.rem(x!, y!);
    // x rem y = x - y·trunc(x / y): ∂/∂x = 1, ∂/∂y = -trunc(x / y)
    const trunc = () => {
      const q = lax.div(x!, y!);
      return lax.neg(lax.mul(lax.sign(q), lax.floor(lax.abs(q))));
    };
    return [
      [out],
      [
        linearCombination(
          [
            [tx!, () => np.onesLike(out)],
            [ty!, trunc],
          ],
          out,
        ),
      ],
    ];
  },
  neg: ([x], [t]) => [[lax.neg(x!)], [isZero(t) ? t! : lax.neg(t!)]],
  exp: unary(lax.exp, (_x, out) => out),
  exp2: unary(np.exp2, (_x, out) => lax.mul(out, np.fullLike(out, Math.LN2))),
  log: unary(lax.log, (x) => lax.div(np.onesLike(x), x)),
  log1p: unary(lax.log1p, (x) => lax.div(np.onesLike(x), lax.add(x, np.onesLike(x)))),
  expm1: unary(lax.expm1, (_x, out) => lax.add(out, np.onesLike(out))),
  tanh: unary(lax.tanh, (_x, out) => lax.sub(np.onesLike(out), lax.mul(out, out))),
  logistic: unary(lax.logistic, (_x, out) => lax.mul(out, lax.sub(np.onesLike(out), out))),
  sqrt: unary(lax.sqrt, (_x, out) => lax.div(np.fullLike(out, 0.5), out)),
  rsqrt: unary(lax.rsqrt, (x, out) => lax.mul(np.fullLike(out, -0.5), lax.div(out, x))),
  sin: unary(lax.sin, (x) => lax.cos(x)),
  cos: unary(lax.cos, (x) => lax.neg(lax.sin(x))),
  // as JAX: the derivative at 0 is 1 (x ≥ 0 takes t), and NaN takes −t
  abs: ([x], [t]) => [[lax.abs(x!)], [isZero(t) ? t! : lax.select(lax.ge(x!, np.zerosLike(x!)), t!, lax.neg(t!))]],
  erf_inv: unary(lax.erfInv, (_x, out) => lax.mul(np.fullLike(out, SQRT_PI_2), lax.exp(lax.mul(out, out)))),
  sign: zeroTangent(([x]) => [lax.sign(x!)]),
  floor: zeroTangent(([x]) => [lax.floor(x!)]),
  ceil: zeroTangent(([x]) => [lax.ceil(x!)]),
  round: zeroTangent(([x]) => [lax.round(x!)]),
  is_finite: zeroTangent(([x]) => [lax.isFinite(x!)]),
  eq: zeroTangent(([x, y]) => [lax.eq(x!, y!)]),
  ne: zeroTangent(([x, y]) => [lax.ne(x!, y!)]),
  lt: zeroTangent(([x, y]) => [lax.lt(x!, y!)]),
  le: zeroTangent(([x, y]) => [lax.le(x!, y!)]),
  gt: zeroTangent(([x, y]) => [lax.gt(x!, y!)]),
  ge: zeroTangent(([x, y]) => [lax.ge(x!, y!)]),
  // the primal keeps its stop_gradient, so outer transforms (Hessians) see it too, as in JAX
  stop_gradient: zeroTangent(([x]) => [lax.stopGradient(x!)]),
  bitcast_convert_type: ([x], _t, { dtype }) => {
    const out = lax.bitcastConvertType(x!, dtype);
    return [[out], [new Zero(out.aval)]];
  },
  select: ([p, a, b], [, ta, tb]) => {
    const out = lax.select(p!, a!, b!);
    if (isZero(ta) && isZero(tb)) return [[out], [new Zero(out.aval)]];
    return [[out], [lax.select(p!, instantiate(ta!), instantiate(tb!))]];
  },
  convert_element_type: ([x], [t], { dtype }) => {
    const out = lax.convertElementType(x!, dtype);
    const floatOut = dtype === 'float32' || dtype === 'float64';
    return [[out], [isZero(t) || !floatOut ? new Zero(out.aval) : lax.convertElementType(t!, dtype)]];
  },
};
