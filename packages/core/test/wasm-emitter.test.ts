// The WebAssembly byte emitter the wasm kernels are written with: integer encodings, modules
// that validate and run, and the operand-stack checks that turn a mistake into an error naming
// the function and the instruction.
import { describe, expect, it } from 'vitest';
import { ByteWriter, ModuleBuilder } from '../src/backend/wasm/emitter.js';
import { wasmFeatures } from '../src/backend/wasm/features.js';

const bytes = (f: (w: ByteWriter) => void) => {
  const w = new ByteWriter();
  f(w);
  return Array.from(w.finish());
};

function instantiate(m: ModuleBuilder, memory?: WebAssembly.Memory): Record<string, (...args: number[]) => number> {
  const mod = new WebAssembly.Module(m.toBytes() as BufferSource);
  return new WebAssembly.Instance(mod, memory ? { env: { memory } } : {}).exports as never;
}

describe('wasm emitter: encodings', () => {
  it('writes unsigned LEB128', () => {
    expect(bytes((w) => w.u32(0))).toEqual([0]);
    expect(bytes((w) => w.u32(127))).toEqual([0x7f]);
    expect(bytes((w) => w.u32(128))).toEqual([0x80, 0x01]);
    expect(bytes((w) => w.u32(624485))).toEqual([0xe5, 0x8e, 0x26]);
    expect(bytes((w) => w.u32(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => bytes((w) => w.u32(-1))).toThrow(/not a u32/);
    expect(() => bytes((w) => w.u32(2 ** 32))).toThrow(/not a u32/);
  });

  it('writes signed LEB128 of i32 values (unsigned ones wrap)', () => {
    expect(bytes((w) => w.s32(0))).toEqual([0]);
    expect(bytes((w) => w.s32(63))).toEqual([0x3f]);
    expect(bytes((w) => w.s32(64))).toEqual([0xc0, 0x00]);
    expect(bytes((w) => w.s32(-1))).toEqual([0x7f]);
    expect(bytes((w) => w.s32(-64))).toEqual([0x40]);
    expect(bytes((w) => w.s32(-65))).toEqual([0xbf, 0x7f]);
    expect(bytes((w) => w.s32(-123456))).toEqual([0xc0, 0xbb, 0x78]);
    expect(bytes((w) => w.s32(0xffffffff))).toEqual([0x7f]);
    expect(bytes((w) => w.s32(-0x80000000))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it('i32 constants round-trip through a compiled module', () => {
    for (const v of [0, 1, -1, 63, 64, -64, -65, 1 << 20, 0x7fffffff, -0x80000000, 0xdeadbeef]) {
      const m = new ModuleBuilder();
      m.func('k', [], ['i32']).i32Const(v);
      expect(instantiate(m).k?.()).toBe(v | 0);
    }
  });
});

describe('wasm emitter: modules that run', () => {
  it('arithmetic, loops with labels, select and calls', () => {
    const m = new ModuleBuilder();
    const add = m.func('add', ['i32', 'i32'], ['i32']);
    add.get(add.param(0, 'i32')).get(add.param(1, 'i32')).op('i32.add');
    // sum of add(i, i) for i < n, by a loop that calls add
    const sum = m.func('sum', ['i32'], ['i32']);
    const n = sum.param(0, 'i32');
    const i = sum.local('i32');
    const s = sum.local('i32');
    const done = sum.block();
    const loop = sum.loop();
    sum.get(i).get(n).op('i32.ge_s').brIf(done);
    sum.get(s).get(i).get(i).call(add).op('i32.add').set(s);
    sum.get(i).i32Const(1).op('i32.add').set(i);
    sum.br(loop);
    sum.end(loop);
    sum.end(done);
    sum.get(s);
    const max = m.func('max', ['i32', 'i32'], ['i32']);
    const [x, y] = [max.param(0, 'i32'), max.param(1, 'i32')];
    max.get(x).get(y).get(x).get(y).op('i32.gt_s').select('i32');
    const e = instantiate(m);
    expect(e.add?.(2, 40)).toBe(42);
    expect(e.sum?.(10)).toBe(90);
    expect(e.sum?.(0)).toBe(0);
    expect(e.max?.(-3, 7)).toBe(7);
    expect(e.max?.(9, 7)).toBe(9);
  });

  it('memory and SIMD: f32x4 multiply-add, splat loads, lane extraction, if/else', () => {
    const m = new ModuleBuilder();
    m.importMemory({ module: 'env', name: 'memory', initial: 1 });
    // out[0..3] = a[0..3] * splat(s[0]) + b[0..3]; returns lane 2 of the result
    const f = m.func('axpy', ['i32', 'i32', 'i32', 'i32'], ['f32']);
    const [a, s, b, out] = [0, 1, 2, 3].map((i) => f.param(i, 'i32')) as [never, never, never, never];
    const r = f.local('v128');
    f.get(a).load('v128.load').get(s).load('v128.load32_splat').simd('f32x4.mul').get(b).load('v128.load').simd('f32x4.add').set(r);
    f.get(out).get(r).store('v128.store');
    f.get(r).simd('f32x4.extract_lane', 2);
    const g = m.func('pick', ['i32'], ['f32']);
    const out2 = g.local('f32');
    g.get(g.param(0, 'i32'));
    const branch = g.if();
    g.f32Const(1.5).set(out2);
    g.else(branch);
    g.f32Const(-2.25).set(out2);
    g.end(branch);
    g.get(out2);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const e = instantiate(m, memory);
    const f32 = new Float32Array(memory.buffer);
    f32.set([1, 2, 3, 4], 0);
    f32[4] = 10;
    f32.set([0.5, 0.25, -1, 8], 8);
    expect(e.axpy?.(0, 16, 32, 64)).toBe(29);
    expect(Array.from(f32.subarray(16, 20))).toEqual([10.5, 20.25, 29, 48]);
    expect(e.pick?.(1)).toBe(1.5);
    expect(e.pick?.(0)).toBe(-2.25);
  });

  it('a shared memory import needs a maximum, and validates with one', () => {
    const m = new ModuleBuilder();
    expect(() => m.importMemory({ module: 'env', name: 'memory', initial: 1, shared: true })).toThrow(/maximum/);
    m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: 4, shared: true });
    m.func('nop', []);
    expect(WebAssembly.validate(m.toBytes() as BufferSource)).toBe(true);
  });
});

describe('wasm emitter: the operand stack is checked as code is written', () => {
  it('names the function and the instruction given a wrong operand', () => {
    const f = new ModuleBuilder().func('bad', ['i32', 'f32'], ['i32']);
    f.get(f.param(0, 'i32')).get(f.param(1, 'f32'));
    expect(() => f.op('i32.add')).toThrow(/in bad: i32.add needs an i32 operand, got f32/);
  });

  it('rejects a missing operand, a mistyped parameter, leftover values and unclosed constructs', () => {
    const m = new ModuleBuilder();
    const f = m.func('f', ['i32']);
    expect(() => f.param(0, 'f32')).toThrow(/parameter 0 is i32, not f32/);
    expect(() => f.simd('f32x4.add')).toThrow(/f32x4.add needs a v128 operand, the stack is empty/);
    const g = m.func('g', [], []);
    const b = g.block();
    g.i32Const(1);
    expect(() => g.end(b)).toThrow(/a block ends with 1 values left/);
    const h = m.func('h', [], []);
    h.block();
    expect(() => h.finish()).toThrow(/1 constructs are not ended/);
    const k = m.func('k', [], ['i32']);
    expect(() => k.finish()).toThrow(/the function end needs an i32 operand/);
  });

  it('branches name their labels, which must be in scope; ends must match', () => {
    const f = new ModuleBuilder().func('f', [], []);
    const outer = f.block();
    const inner = f.loop();
    expect(() => f.end(outer)).toThrow(/not the innermost/);
    f.end(inner);
    expect(() => f.br(inner)).toThrow(/not in scope/);
    f.br(outer);
    // after a branch the rest of the block is unreachable: anything type-checks until its end
    f.op('i32.add').drop('i32');
    f.end(outer);
    expect(() => f.finish()).not.toThrow();
  });
});

describe('wasm features', () => {
  it('are probed with WebAssembly.validate: this Node has SIMD and shared memory', () => {
    const f = wasmFeatures();
    expect(f.simd).toBe(true);
    expect(f.sharedMemory).toBe(true);
    expect(typeof f.relaxedSimd).toBe('boolean');
  });
});
