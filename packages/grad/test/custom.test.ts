// customJvp and customVjp on their own: which rule each transform uses (the rules below are
// deliberately "wrong", so a plain differentiation would show), zero cotangents given as null,
// and the errors: forward mode through a custom VJP, a closed-over differentiated value, and
// rules that return the wrong structure or shape.
import { type Array, np } from '@tenfold/core';
import { customJvp, customVjp, grad, hessian, jacrev, jvp, valueAndGrad, vmap } from '@tenfold/grad';
import { describe, expect, it } from 'vitest';

const F = (v: number | number[] | number[][]) => np.array(v, { dtype: 'float64' });

function close(actual: Array, expected: Array, tol = 1e-12): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  e.forEach((v, i) => {
    expect(Math.abs((a[i] as number) - v)).toBeLessThanOrEqual(tol * (1 + Math.abs(v)));
  });
}

describe('customJvp', () => {
  // x³ whose rule claims the derivative 10·t
  const cube = customJvp(
    (x: Array) => np.power(x, 3),
    ([x], [t]) => [np.power(x, 3), np.multiply(t, 10)],
  );

  it('values come from the function; jvp, grad and jacrev use the rule', () => {
    close(cube(F([1, 2])), F([1, 8]));
    close(jvp(cube, [F([1, 2])], [F([1, 1])])[1] as Array, F([10, 10]));
    close(grad((x: Array) => np.sum(cube(x)))(F([1, 2])), F([10, 10]));
    close(
      jacrev(cube)(F([1, 2])),
      F([
        [10, 0],
        [0, 10],
      ]),
    );
  });

  it('second order differentiates the rule: the rule t·3x² gives the Hessian 6x', () => {
    const cubed = customJvp(
      (x: Array) => np.power(x, 3),
      ([x], [t]) => [np.power(x, 3), np.multiply(t, np.multiply(np.square(x), 3))],
    );
    close(hessian(cubed)(F(2)), F(12));
  });

  it('closing over a value that is being differentiated is an error, not a silently zero derivative', () => {
    const withClosure = (c: Array) => {
      const scale = customJvp(
        function scale(x: Array) {
          return np.multiply(x, c);
        },
        ([x], [t]) => [np.multiply(x, c), np.multiply(t, c)],
      );
      return scale(np.multiply(c, 2));
    };
    expect(() => grad(withClosure)(F(2))).toThrow(
      /^scale: differentiated with respect to a value it closes over, but a customJvp rule only defines derivatives with respect to the function's arguments; pass that value as an argument$/,
    );
    // closing over a constant is fine
    const c = F(3);
    const scaleByC = customJvp(
      (x: Array) => np.multiply(x, c),
      ([x], [t]) => [np.multiply(x, c), np.multiply(t, c)],
    );
    close(grad(scaleByC)(F(2)), F(3));
  });

  it('a rule returning a tangent of the wrong structure or shape is named', () => {
    const bad = customJvp(
      function bad(x: Array) {
        return np.sin(x);
      },
      ([x], [t]) => [np.sin(x), np.sum(t)],
    );
    expect(() => jvp(bad, [F([1, 2])], [F([1, 1])])).toThrow(/^bad: the custom JVP rule returned a tangent float64\[\] for an output float64\[2\]/);
  });
});

describe('customVjp', () => {
  // x·w whose bwd claims the cotangents 10·g·w and 10·g·x
  const scaled = customVjp(
    (x: Array, w: Array) => np.multiply(x, w),
    (x: Array, w: Array) => [np.multiply(x, w), [x, w]] as [Array, [Array, Array]],
    ([x, w]: [Array, Array], g: Array) => [np.multiply(np.multiply(g, w), 10), np.multiply(np.multiply(g, x), 10)] as [Array, Array],
  );

  it('reverse mode uses bwd', () => {
    close(scaled(F(2), F(3)), F(6));
    close(grad(scaled)(F(2), F(3)), F(30));
    close(grad(scaled, { argnums: 1 })(F(2), F(3)), F(20));
    const [value, g] = valueAndGrad((x: Array) => np.sum(scaled(x, F([1, 2]))))(F([5, 7]));
    close(value, F(19));
    close(g, F([10, 20]));
  });

  it('bwd may return null for an argument without a cotangent (JAX: None): a zero gradient', () => {
    const onlyX = customVjp(
      (x: Array, w: Array) => np.multiply(x, w),
      (x: Array, w: Array) => [np.multiply(x, w), w] as [Array, Array],
      (w: Array, g: Array) => [np.multiply(g, w), null] as [Array, null],
    );
    close(grad(onlyX, { argnums: 1 })(F(2), F(3)), F(0));
    const [gx, gw] = grad((x: Array, w: Array) => np.sum(onlyX(x, w)), { argnums: [0, 1] as const })(F([1, 2]), F([3, 4]));
    close(gx, F([3, 4]));
    close(gw, F([0, 0]));
    // also inside a pytree argument, and under vmap
    const pair = customVjp(
      (p: { a: Array; b: Array }) => np.multiply(p.a, p.b),
      (p: { a: Array; b: Array }) => [np.multiply(p.a, p.b), p.b] as [Array, Array],
      (b: Array, g: Array) => [{ a: np.multiply(g, b), b: null }] as [{ a: Array; b: null }],
    );
    const gp = grad((p: { a: Array; b: Array }) => np.sum(pair(p)))({ a: F([1, 2]), b: F([5, 6]) });
    close(gp.a, F([5, 6]));
    close(gp.b, F([0, 0]));
    close(vmap(grad(onlyX, { argnums: 1 }))(F([1, 2]), F([3, 4])), F([0, 0]));
  });

  it('residuals may be any value, not only a pytree (a class instance here)', () => {
    class Saved {
      constructor(readonly cos: Array) {}
    }
    const mySin = customVjp(
      (x: Array) => np.sin(x),
      (x: Array) => [np.sin(x), new Saved(np.cos(x))] as [Array, Saved],
      (r: Saved, g: Array) => [np.multiply(g, r.cos)] as [Array],
    );
    close(grad(mySin)(F(1)), F(Math.cos(1)));
  });

  it('forward mode through it is a clear error naming the function', () => {
    const mySin = customVjp(
      function mySin(x: Array) {
        return np.sin(x);
      },
      (x: Array) => [np.sin(x), np.cos(x)] as [Array, Array],
      (c: Array, g: Array) => [np.multiply(g, c)] as [Array],
    );
    expect(() => jvp(mySin, [F(1)], [F(1)])).toThrow(/^jvp: mySin has a custom VJP, which defines reverse mode only/);
    close(grad(mySin)(F(1)), F(Math.cos(1)));
  });

  it('closing over a value that is being differentiated is an error', () => {
    const withClosure = (c: Array) => {
      const scale = customVjp(
        function scale(x: Array) {
          return np.multiply(x, c);
        },
        (x: Array) => [np.multiply(x, c), null] as [Array, null],
        (_r: null, g: Array) => [np.multiply(g, c)] as [Array],
      );
      return scale(np.multiply(c, 2));
    };
    expect(() => grad(withClosure)(F(2))).toThrow(/^scale: differentiated with respect to a value it closes over, but a customVjp rule/);
  });

  it('bwd returning the wrong structure or shape is named', () => {
    const wrongShape = customVjp(
      function wrongShape(x: Array) {
        return np.sum(x);
      },
      (x: Array) => [np.sum(x), null] as [Array, null],
      (_r: null, g: Array) => [g] as [Array],
    );
    expect(() => grad(wrongShape)(F([1, 2]))).toThrow(/^wrongShape: bwd returned a cotangent float64\[\] for an argument float64\[2\]/);
    const wrongCount = customVjp(
      function wrongCount(x: Array) {
        return x;
      },
      (x: Array) => [x, null] as [Array, null],
      (_r: null, g: Array) => [g, g] as unknown as [Array],
    );
    expect(() => grad((x: Array) => np.sum(wrongCount(x)))(F([1, 2]))).toThrow(/^wrongCount: bwd returned cotangents with structure/);
  });
});
