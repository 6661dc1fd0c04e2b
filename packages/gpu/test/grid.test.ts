// Every element operation on grids of special and ordinary values (all pairs for binary ops),
// against the CPU backend's renderer: bit for bit where float32 arithmetic is exact (arithmetic,
// fmod, casts, rounding, comparisons, min/max, int32 ops), within a few ulps for the
// transcendental functions, whose WGSL implementations here replace the loose builtins.
import { CpuBackend, type DType, getBackend, kernelIR as K, type Kernel, ShapedArray, type TypedArray } from '@tenfold/core';
import { describe, expect, it } from 'vitest';
import { adapter } from './gpu-env.js';

const F = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2.5,
  -2.5,
  3,
  -3,
  7,
  1e-3,
  1e-8,
  -1e-8,
  0.1,
  0.3,
  -0.3,
  0.7,
  12.34,
  20,
  -20,
  50,
  -50,
  88,
  89,
  100,
  -100,
  -104,
  123.456,
  -5000.5,
  8191.9,
  8192.5,
  1e4,
  65536.7,
  3e5,
  7.5e6,
  -1.2345e7,
  16777217,
  1e8,
  1e9,
  2147483520,
  2147483648,
  -2147483648,
  -2147483904,
  4e9,
  1e20,
  1e30,
  -1e30,
  3.4e38,
  1e-40,
  1.0001,
  0.9999,
  1e-4,
  -1e-4,
  Math.PI,
  Math.PI / 2,
  Math.PI / 4,
  Infinity,
  -Infinity,
  Number.NaN,
].map(Math.fround);
const I = [0, 1, -1, 2, -2, 3, 7, -7, 31, 32, 33, -32, 100, 2 ** 30, 2147483647, -2147483648, -2147483647, 12345678, -12345678];

const cpu = new CpuBackend();
const typed = (d: DType, xs: readonly number[]): TypedArray =>
  d === 'float32' ? Float32Array.from(xs) : d === 'int32' ? Int32Array.from(xs) : Uint8Array.from(xs);

async function both(kernel: Kernel, cols: readonly (readonly number[])[]): Promise<[TypedArray, TypedArray]> {
  const n = (cols[0] as number[]).length;
  const out = new ShapedArray([n], kernel.outDType);
  const gpu = getBackend('webgpu');
  const results: TypedArray[] = [];
  for (const b of [cpu, gpu]) {
    const ins = cols.map((c, j) => b.write(kernel.inputs[j] as DType, typed(kernel.inputs[j] as DType, c)));
    const h = b.run(b.compile(kernel), ins, [n], out);
    results.push(await b.read(h));
    for (const x of [...ins, h]) b.release(x);
  }
  return results as [TypedArray, TypedArray];
}

const bits = new DataView(new ArrayBuffer(4));
function ulps(a: number, b: number): number {
  const ord = (x: number) => {
    bits.setFloat32(0, x);
    const i = bits.getInt32(0);
    return i < 0 ? -2147483648 - i : i;
  };
  return Math.abs(ord(a) - ord(b));
}

/** Mismatches of `got` against `want`: exact (NaN equals NaN, -0 is not 0), or within `maxUlps` for finite nonzero values. */
function compare(name: string, args: readonly (readonly number[])[], want: TypedArray, got: TypedArray, maxUlps = 0, rel = 0): string[] {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number;
    const g = got[i] as number;
    if (Object.is(w, g)) continue;
    const finite = Number.isFinite(w) && Number.isFinite(g) && w !== 0;
    if (finite && (ulps(w, g) <= maxUlps || Math.abs(w - g) <= rel * Math.abs(w))) continue;
    bad.push(
      `${name}(${args.map((a) => (Object.is(a[i], -0) ? '-0' : a[i])).join(', ')}): cpu ${Object.is(w, -0) ? '-0' : w}, webgpu ${Object.is(g, -0) ? '-0' : g}`,
    );
  }
  return bad;
}

const i0 = K.loopIndex(0);

/** Every (a, b) of `xs` as two operand columns. */
function allPairs(xs: readonly number[]): [number[], number[]] {
  return [xs.flatMap((a) => xs.map(() => a)), xs.flatMap(() => xs)];
}

describe.skipIf(!adapter)('element operations on value grids equal the CPU renderer', () => {
  it('float32 unary operations', async () => {
    const exact = ['neg', 'abs', 'floor', 'ceil', 'round', 'sqrt'] as const;
    const approx = ['exp', 'log', 'log1p', 'expm1', 'tanh', 'sin', 'cos'] as const;
    const bad: string[] = [];
    for (const op of [...exact, ...approx]) {
      const [want, got] = await both(K.flatKernel('grid', ['float32'], K.unary(op, K.load(0, 'float32', i0))), [F]);
      bad.push(...compare(op, [F], want, got, (approx as readonly string[]).includes(op) ? 3 : 0));
    }
    for (const [name, body] of [
      ['cast<i32>', (x: K.Exp) => K.cast(x, 'int32')],
      ['cast<bool>', (x: K.Exp) => K.cast(x, 'bool')],
      ['bitcast<i32>', (x: K.Exp) => K.bitcast(x, 'int32')],
    ] as const) {
      const [want, got] = await both(K.flatKernel('grid', ['float32'], body(K.load(0, 'float32', i0))), [F]);
      bad.push(...compare(name, [F], want, got));
    }
    expect(bad).toEqual([]);
  });

  it('float32 binary operations on all pairs', async () => {
    const [A, B] = allPairs(F);
    const bad: string[] = [];
    const ops: [K.BinaryOp, number, number][] = [
      ['add', 0, 0],
      ['sub', 0, 0],
      ['mul', 0, 0],
      ['div', 0, 0],
      ['rem', 0, 0],
      ['max', 0, 0],
      ['min', 0, 0],
      ['eq', 0, 0],
      ['ne', 0, 0],
      ['lt', 0, 0],
      ['le', 0, 0],
      ['gt', 0, 0],
      ['ge', 0, 0],
      ['atan2', 3, 0],
      // exp(y log x): about |y log x| ulps
      ['pow', 3, 1e-5],
    ];
    for (const [op, maxUlps, rel] of ops) {
      const [want, got] = await both(K.flatKernel('grid', ['float32', 'float32'], K.binary(op, K.load(0, 'float32', i0), K.load(1, 'float32', i0))), [A, B]);
      bad.push(...compare(op, [A, B], want, got, maxUlps, rel));
    }
    expect(bad).toEqual([]);
  });

  it('int32 operations on all pairs, exactly', async () => {
    const [A, B] = allPairs(I);
    const bad: string[] = [];
    const ops = ['add', 'sub', 'mul', 'div', 'rem', 'pow', 'max', 'min', 'and', 'or', 'xor', 'shl', 'shr', 'sar', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
    for (const op of ops) {
      const [want, got] = await both(K.flatKernel('grid', ['int32', 'int32'], K.binary(op, K.load(0, 'int32', i0), K.load(1, 'int32', i0))), [A, B]);
      bad.push(...compare(op, [A, B], want, got));
    }
    for (const [name, body] of [
      ['neg', (x: K.Exp) => K.unary('neg', x)],
      ['not', (x: K.Exp) => K.unary('not', x)],
      ['abs', (x: K.Exp) => K.unary('abs', x)],
      ['cast<f32>', (x: K.Exp) => K.cast(x, 'float32')],
      ['cast<bool>', (x: K.Exp) => K.cast(x, 'bool')],
      ['bitcast<f32>', (x: K.Exp) => K.bitcast(x, 'float32')],
    ] as const) {
      const [want, got] = await both(K.flatKernel('grid', ['int32'], body(K.load(0, 'int32', i0))), [I]);
      bad.push(...compare(name, [I], want, got));
    }
    expect(bad).toEqual([]);
  });

  it("the compiler's fast-math folds do not apply (x * 0, x - x, x + 0, constant reassociation)", async () => {
    const x = K.load(0, 'float32', i0);
    const c = (v: number) => K.constant(v, 'float32');
    const cases: [string, K.Exp][] = [
      ['x*0', K.mul(x, c(0))],
      ['x-x', K.sub(x, x)],
      ['x/x', K.div(x, x)],
      ['x+0', K.add(x, c(0))],
      ['0-x', K.sub(c(0), x)],
      ['(x+1)-1', K.sub(K.add(x, c(1)), c(1))],
      ['(x+1)-x', K.sub(K.add(x, c(1)), x)],
      ['x*3e38*10', K.mul(K.mul(x, c(3e38)), c(10))],
      ['x-x==0', K.binary('eq', K.sub(x, x), c(0))],
    ];
    const bad: string[] = [];
    for (const [name, body] of cases) {
      const [want, got] = await both(K.flatKernel('grid', ['float32'], body), [F]);
      bad.push(...compare(name, [F], want, got));
    }
    expect(bad).toEqual([]);
  });
});
