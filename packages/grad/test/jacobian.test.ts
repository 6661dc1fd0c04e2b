import { type Array, np } from '@tenfold/core';
import { hessian, jacfwd, jacrev } from '@tenfold/grad';
import { describe, expect, expectTypeOf, it } from 'vitest';

const F = (v: number[] | number[][]) => np.array(v, { dtype: 'float64' });
const close = (a: Array, b: Array) => {
  expect(a.shape).toEqual(b.shape);
  expect(np.max(np.abs(np.subtract(a, b))).item()).toBeLessThan(1e-12);
};

describe('Jacobians over pytrees', () => {
  const p = {
    w: F([
      [1, 2],
      [3, 4],
    ]),
    b: F([1, -1]),
  };
  const v = F([0.5, -2]);
  // y = w·v + b (a [2] output) and s = Σ w² (a scalar output)
  const f = (q: typeof p) => ({ y: np.add(np.matmul(q.w, v), q.b), s: np.sum(np.square(q.w)) });

  it('jacfwd and jacrev give the output structure with the input structure at every leaf', () => {
    const jf = jacfwd(f)(p);
    const jr = jacrev(f)(p);
    expectTypeOf(jf.y.w).toEqualTypeOf<Array>();
    expect(jf.y.w.shape).toEqual([2, 2, 2]);
    expect(jf.y.b.shape).toEqual([2, 2]);
    expect(jf.s.w.shape).toEqual([2, 2]);
    // dy_i/dw_jk = δ_ij v_k; dy/db = I; ds/dw = 2w; ds/db = 0
    const dyDw = np.array(
      [
        [
          [0.5, -2],
          [0, 0],
        ],
        [
          [0, 0],
          [0.5, -2],
        ],
      ],
      { dtype: 'float64' },
    );
    for (const j of [jf, jr]) {
      close(j.y.w, dyDw);
      close(j.y.b, np.eye(2, 2, 0, { dtype: 'float64' }));
      close(j.s.w, np.multiply(p.w, 2));
      close(j.s.b, np.zeros([2], { dtype: 'float64' }));
    }
  });

  it('argnums picks the argument', () => {
    const g = (a: Array, b: Array) => np.multiply(a, np.square(b));
    const a = F([1, 2]);
    const b = F([3, 4]);
    close(jacrev(g, { argnums: 1 })(a, b), np.multiply(np.eye(2, 2, 0, { dtype: 'float64' }), np.multiply(np.multiply(a, b), 2)));
    close(jacfwd(g, { argnums: 0 })(a, b), np.multiply(np.eye(2, 2, 0, { dtype: 'float64' }), np.square(b)));
  });

  it('argnums as a list gives a tuple of Jacobians (as JAX), and a tuple of tuples for the Hessian', () => {
    const g = (a: Array, b: Array) => np.multiply(a, np.square(b));
    const a = F([1, 2]);
    const b = F([3, 4]);
    for (const jac of [jacfwd, jacrev]) {
      const [da, db] = jac(g, { argnums: [0, 1] as const })(a, b);
      expectTypeOf(da).toEqualTypeOf<Array>();
      close(da, jac(g, { argnums: 0 })(a, b));
      close(db, jac(g, { argnums: 1 })(a, b));
      // the order of argnums is the order of the tuple; negative argnums count from the end
      const [db2, da2] = jac(g, { argnums: [-1, 0] as const })(a, b);
      close(db2, db);
      close(da2, da);
      expect(() => jac(g, { argnums: [0, 0] })(a, b)).toThrow(/argnums \[0, 0\] repeats an argument/);
      expect(() => jac(g, { argnums: [0, 2] })(a, b)).toThrow(/argnums 2 is out of range for a function called with 2 arguments/);
    }
    // f = Σ a·b²: H_aa = 0, H_ab = diag(2b), H_ba = diag(2b), H_bb = diag(2a)
    const [[haa, hab], [hba, hbb]] = hessian((x: Array, y: Array) => np.sum(g(x, y)), { argnums: [0, 1] as const })(a, b);
    const diag = (v: Array) => np.multiply(np.eye(2, 2, 0, { dtype: 'float64' }), v);
    close(haa, np.zeros([2, 2], { dtype: 'float64' }));
    close(hab, diag(np.multiply(b, 2)));
    close(hba, diag(np.multiply(b, 2)));
    close(hbb, diag(np.multiply(a, 2)));
  });

  it('hessian of a pytree function is the Jacobian of its gradient', () => {
    const loss = (q: typeof p) => np.sum(np.square(np.add(np.matmul(q.w, v), q.b)));
    const h = hessian(loss)(p);
    expect(h.w.w.shape).toEqual([2, 2, 2, 2]);
    expect(h.w.b.shape).toEqual([2, 2, 2]);
    close(h.b.b, np.multiply(np.eye(2, 2, 0, { dtype: 'float64' }), 2));
    // ∂²/∂w_ij∂b_k = 2 δ_ik v_j
    close(h.w.b.index(0, 1), F([-4, 0]));
  });

  it('integer inputs have no Jacobian', () => {
    expect(() => jacrev((x: Array) => x)(np.array([1, 2]))).toThrow(/jacrev: cannot differentiate with respect to int32\[2\]/);
  });

  it('jacrev of an integer output is an error, not a Jacobian of zeros', () => {
    expect(() => jacrev((x: Array) => np.argmax(x))(F([1, 3]))).toThrow(
      "jacrev: needs float outputs, got int32[]; use jacfwd, or cast the output with astype('float32')",
    );
  });
});
