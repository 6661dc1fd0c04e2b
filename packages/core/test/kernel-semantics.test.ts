// The element-semantics conformance table (kernel/conformance.ts) on the CPU renderer, and checks
// of the table itself: that it catches a wrong renderer, that its values are values of their
// dtypes, and that it covers every table primitive and every expression op.
import { describe, expect, it } from 'vitest';
import { type Backend, CpuBackend, type DType, ELEMENTWISE, type ElementwisePrimitive, kernelIR as K } from '../src/index.js';

/** Every operation of the expression IR, and whether the table must cover it. */
const EXP_OPS: Record<K.ExpOp, 'covered' | 'reductions only'> = {
  const: 'covered',
  var: 'covered',
  idx: 'covered',
  load: 'covered',
  acc: 'reductions only',
  neg: 'covered',
  not: 'covered',
  exp: 'covered',
  log: 'covered',
  log1p: 'covered',
  expm1: 'covered',
  tanh: 'covered',
  sqrt: 'covered',
  sin: 'covered',
  cos: 'covered',
  abs: 'covered',
  floor: 'covered',
  ceil: 'covered',
  round: 'covered',
  cast: 'covered',
  bitcast: 'covered',
  add: 'covered',
  sub: 'covered',
  mul: 'covered',
  div: 'covered',
  rem: 'covered',
  pow: 'covered',
  max: 'covered',
  min: 'covered',
  atan2: 'covered',
  and: 'covered',
  or: 'covered',
  xor: 'covered',
  shl: 'covered',
  shr: 'covered',
  sar: 'covered',
  eq: 'covered',
  ne: 'covered',
  lt: 'covered',
  le: 'covered',
  gt: 'covered',
  ge: 'covered',
  where: 'covered',
};

/** A backend that renders `shl` as JavaScript's `<<` would: the count taken mod 32. */
function shiftModuloBackend(): Backend {
  const cpu = new CpuBackend();
  const rewrite = (e: K.Exp): K.Exp => {
    const args = e.args.map(rewrite);
    if (e.op === 'shl') return K.binary('shl', args[0] as K.Exp, K.binary('and', args[1] as K.Exp, K.int(31)));
    return new K.Exp(e.op, e.dtype, args, e.value);
  };
  return {
    name: 'shift-mod-32',
    supportsSyncRead: true,
    supportsDType: (d) => cpu.supportsDType(d),
    alloc: (d, n) => cpu.alloc(d, n),
    write: (d, data) => cpu.write(d, data),
    read: (h) => cpu.read(h),
    readSync: (h) => cpu.readSync(h),
    retain: (h) => cpu.retain(h),
    release: (h) => cpu.release(h),
    compile: (k) => cpu.compile(new K.Kernel({ ...k, body: rewrite(k.body) })),
    run: (exe, inputs, vars, out) => cpu.run(exe, inputs, vars, out),
    routine: (name, params, inputs, outAvals) => cpu.routine(name, params, inputs, outAvals),
    stats: () => cpu.stats(),
  };
}

describe('element semantics (kernel/conformance.ts)', () => {
  it('the CPU renderer passes every case and releases every buffer', async () => {
    const cpu = new CpuBackend();
    const before = cpu.stats().liveBuffers;
    expect(await K.checkElementSemantics(cpu)).toEqual([]);
    expect(cpu.stats().liveBuffers).toBe(before);
  });

  it('no case is marked as a known issue of the reference renderer', () => {
    expect(K.ELEMENT_CASES.filter((c) => c.knownIssue !== undefined).map((c) => c.name)).toEqual([]);
  });

  it('reports a wrong expected value with the case, its inputs and both values', async () => {
    const div = K.ELEMENT_CASES.find((c) => c.primitive === 'div' && c.dtype === 'int32');
    expect(div).toBeDefined();
    const d = div as K.ElementCase;
    const tampered: K.ElementCase = { ...d, expected: d.expected.map((v, i) => (i === 1 ? -4 : v)) };
    expect(await K.checkElementSemantics(new CpuBackend(), { cases: [tampered] })).toEqual([`${d.name} [int32] at (-7, 2): expected -4, got -3`]);
  });

  it('tells -0 from +0 and NaN from a number in exact cases', async () => {
    const neg = K.ELEMENT_CASES.find((c) => c.primitive === 'neg' && c.dtype === 'float32') as K.ElementCase;
    // neg(0) is -0, neg(NaN) NaN, neg(2.5) -2.5: expecting 0, 1 and NaN must each be reported
    const tampered: K.ElementCase = { ...neg, expected: [0, 0, Number.NEGATIVE_INFINITY, 1, Number.NaN] };
    expect(await K.checkElementSemantics(new CpuBackend(), { cases: [tampered] })).toEqual([
      `${neg.name} [float32] at (0): expected 0, got -0`,
      `${neg.name} [float32] at (NaN): expected 1, got NaN`,
      `${neg.name} [float32] at (2.5): expected NaN, got -2.5`,
    ]);
  });

  it('catches a renderer that takes shift counts mod 32', async () => {
    const lines = await K.checkElementSemantics(shiftModuloBackend());
    // 1 << 32, 1 << 33 and 1 << -1 must be 0, not 1, 2 and INT32_MIN
    expect(lines).toEqual([
      expect.stringContaining('shift_left: a count outside [0, 32) gives 0 [int32] at (1, 32): expected 0, got 1'),
      expect.stringContaining('at (1, 33): expected 0, got 2'),
      expect.stringContaining('at (1, -1): expected 0, got -2147483648'),
    ]);
  });

  it('reports a case that fails to build instead of throwing', async () => {
    const bad: K.ElementCase = {
      name: 'mixed dtypes',
      dtype: 'int32',
      argDTypes: ['int32', 'float32'],
      args: [[1], [1]],
      expected: [2],
      exp: (a, b) => K.add(a as K.Exp, b as K.Exp),
    };
    const lines = await K.checkElementSemantics(new CpuBackend(), { cases: [bad] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mixed dtypes \[int32\]: failed: .*add of int32 and float32/);
  });

  it("holds values of each case's dtypes, one per element", () => {
    const isValue = (v: number, d: DType) =>
      d === 'bool' ? v === 0 || v === 1 : d === 'int32' ? Number.isInteger(v) && (v | 0) === v : d === 'float32' ? Object.is(Math.fround(v), v) : true;
    for (const c of K.ELEMENT_CASES) {
      const kernel = K.elementCaseKernel(c);
      const where = `${c.name} [${c.dtype}]`;
      expect(c.args.length, where).toBe(kernel.inputs.length);
      c.args.forEach((a, k) => {
        expect(a.length, where).toBe(c.expected.length);
        for (const v of a) expect(isValue(v, kernel.inputs[k] as DType), `${where}: operand ${v}`).toBe(true);
      });
      for (const v of c.expected) expect(isValue(v, kernel.outDType), `${where}: expected ${v}`).toBe(true);
    }
  });

  it('covers every elementwise primitive and every expression op but acc', () => {
    const prims = new Set(K.ELEMENT_CASES.flatMap((c) => (c.primitive === undefined ? [] : [c.primitive])));
    expect(Object.keys(ELEMENTWISE).filter((p) => !prims.has(p as ElementwisePrimitive))).toEqual([]);
    const ops = new Set<string>();
    for (const c of K.ELEMENT_CASES) for (const e of K.postOrder(K.elementCaseKernel(c).body)) ops.add(e.op);
    const want = Object.entries(EXP_OPS).flatMap(([op, why]) => (why === 'covered' ? [op] : []));
    expect(want.filter((op) => !ops.has(op))).toEqual([]);
    expect([...ops].filter((op) => EXP_OPS[op as K.ExpOp] !== 'covered')).toEqual([]);
  });

  it('covers each primitive on every dtype its entry accepts where the table has semantics to pin', () => {
    // per dtype, the primitives with at least one case: ints and floats get every numeric op
    const by = (d: DType) => new Set(K.ELEMENT_CASES.filter((c) => c.dtype === d && c.primitive !== undefined).map((c) => c.primitive));
    const numeric: ElementwisePrimitive[] = [
      'add',
      'sub',
      'mul',
      'div',
      'rem',
      'pow',
      'max',
      'min',
      'neg',
      'abs',
      'sign',
      'floor',
      'ceil',
      'round',
      'eq',
      'lt',
    ];
    for (const d of ['int32', 'float32', 'float64'] as const)
      expect(
        numeric.filter((p) => !by(d).has(p)),
        d,
      ).toEqual([]);
    expect((['and', 'or', 'xor', 'not', 'max', 'min', 'eq', 'ne'] as const).filter((p) => !by('bool').has(p))).toEqual([]);
  });
});
