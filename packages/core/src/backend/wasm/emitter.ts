/**
 * A small typed WebAssembly byte emitter: enough of the binary format (version 1) to write the
 * wasm backend's kernels at run time, plus the 128-bit SIMD and relaxed-SIMD instructions they use.
 *
 * It is typed twice over. TypeScript types locals by value type (`Local<'v128'>`), and the
 * builder keeps the operand stack of each function as it is written, so an instruction given the
 * wrong operands, a block that ends with values left over or a branch to a label that is not in
 * scope throws here, naming the function and the instruction, instead of failing later as a bare
 * `WebAssembly.CompileError`. Labels are objects returned by `block`/`loop`/`if`, so branches name
 * their target instead of counting nesting depths.
 *
 * Written for tenfold (no wasm binaries are committed, nothing is downloaded): the modules are a
 * few kilobytes, generated and compiled in well under a millisecond.
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** A local (parameters first), typed by its value type. */
export interface Local<T extends ValType = ValType> {
  readonly index: number;
  readonly type: T;
}

/** A branch target: a block (branches leave it), a loop (branches restart it) or an if. */
export interface Label {
  readonly kind: 'block' | 'loop' | 'if';
  readonly id: number;
}

/** Growable byte buffer with the binary format's integer encodings. */
export class ByteWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  get length(): number {
    return this.#len;
  }
  byte(b: number): this {
    if (this.#len === this.#buf.length) {
      const next = new Uint8Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.#len++] = b & 0xff;
    return this;
  }
  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i] as number);
    return this;
  }
  /** Unsigned LEB128 (values up to 2³²-1). */
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`wasm emitter: ${v} is not a u32`);
    let x = v;
    do {
      let b = x % 128;
      x = Math.floor(x / 128);
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }
  /** Signed LEB128 of a 32-bit integer (i32.const takes any of -2³¹..2³²-1, wrapped). */
  s32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new Error(`wasm emitter: ${v} is not an i32`);
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }
  f32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.bytes(b);
  }
  name(s: string): this {
    const utf8 = new TextEncoder().encode(s);
    return this.u32(utf8.length).bytes(utf8);
  }
  /** A length-prefixed vector of what `w` writes. */
  sized(w: ByteWriter): this {
    return this.u32(w.length).bytes(w.finish());
  }
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

const article = (t: ValType) => (t === 'v128' ? 'a' : 'an');

interface Frame {
  label: Label;
  /** Operand stack height when the frame was entered. */
  height: number;
  /** After br/return: the rest of the frame is unreachable and its stack polymorphic. */
  unreachable: boolean;
}

/** SIMD instructions (prefix 0xfd) by name: opcode and operand/result types. */
const SIMD_OPS = {
  'f32x4.splat': [0x13, ['f32'], 'v128'],
  'f32x4.extract_lane': [0x1f, ['v128'], 'f32'],
  'f32x4.add': [0xe4, ['v128', 'v128'], 'v128'],
  'f32x4.sub': [0xe5, ['v128', 'v128'], 'v128'],
  'f32x4.mul': [0xe6, ['v128', 'v128'], 'v128'],
  'f32x4.min': [0xe8, ['v128', 'v128'], 'v128'],
  'f32x4.max': [0xe9, ['v128', 'v128'], 'v128'],
  /** b < a ? b : a (one instruction on x64; a NaN in a comes through). */
  'f32x4.pmin': [0xea, ['v128', 'v128'], 'v128'],
  /** a < b ? b : a (one instruction on x64; a NaN in a comes through). */
  'f32x4.pmax': [0xeb, ['v128', 'v128'], 'v128'],
  /** a·b + c, fused or not as the hardware does it (relaxed SIMD). */
  'f32x4.relaxed_madd': [0x105, ['v128', 'v128', 'v128'], 'v128'],
  'f32x4.replace_lane': [0x20, ['v128', 'f32'], 'v128'],
  'f32x4.div': [0xe7, ['v128', 'v128'], 'v128'],
  'f32x4.abs': [0xe0, ['v128'], 'v128'],
  'f32x4.neg': [0xe1, ['v128'], 'v128'],
  'f32x4.sqrt': [0xe3, ['v128'], 'v128'],
  'f32x4.ceil': [0x67, ['v128'], 'v128'],
  'f32x4.floor': [0x68, ['v128'], 'v128'],
  'f32x4.nearest': [0x6a, ['v128'], 'v128'],
  'f32x4.eq': [0x41, ['v128', 'v128'], 'v128'],
  'f32x4.ne': [0x42, ['v128', 'v128'], 'v128'],
  'f32x4.lt': [0x43, ['v128', 'v128'], 'v128'],
  'f32x4.gt': [0x44, ['v128', 'v128'], 'v128'],
  'f32x4.le': [0x45, ['v128', 'v128'], 'v128'],
  'f32x4.ge': [0x46, ['v128', 'v128'], 'v128'],
  'f32x4.convert_i32x4_s': [0xfa, ['v128'], 'v128'],
  'i32x4.splat': [0x11, ['i32'], 'v128'],
  'i32x4.extract_lane': [0x1b, ['v128'], 'i32'],
  'i32x4.eq': [0x37, ['v128', 'v128'], 'v128'],
  'i32x4.ne': [0x38, ['v128', 'v128'], 'v128'],
  'i32x4.lt_s': [0x39, ['v128', 'v128'], 'v128'],
  'i32x4.gt_s': [0x3b, ['v128', 'v128'], 'v128'],
  'i32x4.le_s': [0x3d, ['v128', 'v128'], 'v128'],
  'i32x4.ge_s': [0x3f, ['v128', 'v128'], 'v128'],
  'i32x4.abs': [0xa0, ['v128'], 'v128'],
  'i32x4.neg': [0xa1, ['v128'], 'v128'],
  'i32x4.add': [0xae, ['v128', 'v128'], 'v128'],
  'i32x4.sub': [0xb1, ['v128', 'v128'], 'v128'],
  'i32x4.mul': [0xb5, ['v128', 'v128'], 'v128'],
  'i32x4.min_s': [0xb6, ['v128', 'v128'], 'v128'],
  'i32x4.max_s': [0xb8, ['v128', 'v128'], 'v128'],
  'i32x4.trunc_sat_f32x4_s': [0xf8, ['v128'], 'v128'],
  'i32x4.shl': [0xab, ['v128', 'i32'], 'v128'],
  'f64x2.splat': [0x14, ['f64'], 'v128'],
  'f64x2.extract_lane': [0x21, ['v128'], 'f64'],
  'f64x2.add': [0xf0, ['v128', 'v128'], 'v128'],
  'f64x2.promote_low_f32x4': [0x5f, ['v128'], 'v128'],
  /** [demote(a0), demote(a1), 0, 0] */
  'f32x4.demote_f64x2_zero': [0x5e, ['v128'], 'v128'],
  'i32x4.shr_s': [0xac, ['v128', 'i32'], 'v128'],
  'v128.not': [0x4d, ['v128'], 'v128'],
  'v128.and': [0x4e, ['v128', 'v128'], 'v128'],
  'v128.andnot': [0x4f, ['v128', 'v128'], 'v128'],
  'v128.or': [0x50, ['v128', 'v128'], 'v128'],
  'v128.xor': [0x51, ['v128', 'v128'], 'v128'],
  /** (a & c) | (b & ~c) */
  'v128.bitselect': [0x52, ['v128', 'v128', 'v128'], 'v128'],
} as const satisfies Record<string, readonly [number, readonly ValType[], ValType]>;
export type SimdOp = keyof typeof SIMD_OPS;

/** Plain numeric instructions by name: opcode and operand/result types. */
const NUMERIC_OPS = {
  'i32.eqz': [0x45, ['i32'], 'i32'],
  'i32.eq': [0x46, ['i32', 'i32'], 'i32'],
  'i32.ne': [0x47, ['i32', 'i32'], 'i32'],
  'i32.lt_s': [0x48, ['i32', 'i32'], 'i32'],
  'i32.lt_u': [0x49, ['i32', 'i32'], 'i32'],
  'i32.gt_s': [0x4a, ['i32', 'i32'], 'i32'],
  'i32.gt_u': [0x4b, ['i32', 'i32'], 'i32'],
  'i32.le_s': [0x4c, ['i32', 'i32'], 'i32'],
  'i32.le_u': [0x4d, ['i32', 'i32'], 'i32'],
  'i32.ge_s': [0x4e, ['i32', 'i32'], 'i32'],
  'i32.ge_u': [0x4f, ['i32', 'i32'], 'i32'],
  'i32.add': [0x6a, ['i32', 'i32'], 'i32'],
  'i32.sub': [0x6b, ['i32', 'i32'], 'i32'],
  'i32.mul': [0x6c, ['i32', 'i32'], 'i32'],
  'i32.and': [0x71, ['i32', 'i32'], 'i32'],
  'i32.or': [0x72, ['i32', 'i32'], 'i32'],
  'i32.shl': [0x74, ['i32', 'i32'], 'i32'],
  'i32.shr_u': [0x76, ['i32', 'i32'], 'i32'],
  'i32.div_s': [0x6d, ['i32', 'i32'], 'i32'],
  'i32.rem_s': [0x6f, ['i32', 'i32'], 'i32'],
  'i32.xor': [0x73, ['i32', 'i32'], 'i32'],
  'f32.add': [0x92, ['f32', 'f32'], 'f32'],
  'f64.add': [0xa0, ['f64', 'f64'], 'f64'],
  'f64.promote_f32': [0xbb, ['f32'], 'f64'],
  'f32.mul': [0x94, ['f32', 'f32'], 'f32'],
} as const satisfies Record<string, readonly [number, readonly ValType[], ValType]>;
export type NumericOp = keyof typeof NUMERIC_OPS;

/** Memory instructions: opcode (SIMD ones are prefixed), natural alignment (log2), value type. */
const LOADS = {
  'i32.load': [0x28, false, 2, 'i32'],
  'f32.load': [0x2a, false, 2, 'f32'],
  'v128.load': [0x00, true, 4, 'v128'],
  'v128.load32_splat': [0x09, true, 2, 'v128'],
  'f64.load': [0x2b, false, 3, 'f64'],
  'i64.load': [0x29, false, 3, 'i64'],
} as const satisfies Record<string, readonly [number, boolean, number, ValType]>;
const STORES = {
  'i32.store': [0x36, false, 2, 'i32'],
  'f32.store': [0x38, false, 2, 'f32'],
  'v128.store': [0x0b, true, 4, 'v128'],
  'f64.store': [0x39, false, 3, 'f64'],
  'i64.store': [0x37, false, 3, 'i64'],
} as const satisfies Record<string, readonly [number, boolean, number, ValType]>;
export type LoadOp = keyof typeof LOADS;
export type StoreOp = keyof typeof STORES;

/** One function's signature, locals and body, checked as it is written. */
export class FunctionBuilder {
  readonly name: string;
  readonly index: number;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  readonly #locals: ValType[] = [];
  readonly #code = new ByteWriter();
  readonly #stack: ValType[] = [];
  readonly #frames: Frame[] = [];
  #nextLabel = 0;
  #done = false;
  /** After a br/return outside any construct: the rest of the body is unreachable. */
  #unreachableTop = false;

  constructor(name: string, index: number, params: readonly ValType[], results: readonly ValType[]) {
    this.name = name;
    this.index = index;
    this.params = params;
    this.results = results;
  }

  #fail(what: string): never {
    throw new Error(`wasm emitter: in ${this.name}: ${what}`);
  }
  #frame(): Frame | undefined {
    return this.#frames[this.#frames.length - 1];
  }
  #pop(expected: ValType, op: string): void {
    const f = this.#frame();
    const floor = f?.height ?? 0;
    if (this.#stack.length <= floor) {
      if (f?.unreachable || (f === undefined && this.#unreachableTop)) return;
      this.#fail(`${op} needs ${article(expected)} ${expected} operand, the stack is empty`);
    }
    const got = this.#stack.pop() as ValType;
    if (got !== expected) this.#fail(`${op} needs ${article(expected)} ${expected} operand, got ${got}`);
  }
  #pops(types: readonly ValType[], op: string): void {
    for (let i = types.length - 1; i >= 0; i--) this.#pop(types[i] as ValType, op);
  }
  #markUnreachable(): void {
    const f = this.#frame();
    if (f) {
      f.unreachable = true;
      this.#stack.length = f.height;
    } else {
      this.#unreachableTop = true;
      this.#stack.length = 0;
    }
  }
  #check(): void {
    if (this.#done) this.#fail('the body is already finished');
  }

  /** Parameter `i` as a typed local. */
  param<T extends ValType>(i: number, type: T): Local<T> {
    if (this.params[i] !== type) this.#fail(`parameter ${i} is ${this.params[i]}, not ${type}`);
    return { index: i, type };
  }
  /** A new local, zero-initialised. */
  local<T extends ValType>(type: T): Local<T> {
    this.#locals.push(type);
    return { index: this.params.length + this.#locals.length - 1, type };
  }

  get(l: Local): this {
    this.#check();
    this.#code.byte(0x20).u32(l.index);
    this.#stack.push(l.type);
    return this;
  }
  set(l: Local): this {
    this.#check();
    this.#pop(l.type, 'local.set');
    this.#code.byte(0x21).u32(l.index);
    return this;
  }
  tee(l: Local): this {
    this.#check();
    this.#pop(l.type, 'local.tee');
    this.#code.byte(0x22).u32(l.index);
    this.#stack.push(l.type);
    return this;
  }
  i32Const(v: number): this {
    this.#check();
    this.#code.byte(0x41).s32(v);
    this.#stack.push('i32');
    return this;
  }
  f32Const(v: number): this {
    this.#check();
    this.#code.byte(0x43).f32(v);
    this.#stack.push('f32');
    return this;
  }
  /** A v128 of four i32 lanes. */
  i32x4Const(lanes: readonly [number, number, number, number]): this {
    this.#check();
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    lanes.forEach((x, i) => {
      v.setInt32(4 * i, x, true);
    });
    this.#code.byte(0xfd).u32(0x0c).bytes(b);
    this.#stack.push('v128');
    return this;
  }
  /** `i8x16.shuffle`: byte i of the result is byte lanes[i] of a ‖ b (0-15 from a, 16-31 from b). */
  shuffle(lanes: readonly number[]): this {
    this.#check();
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) this.#fail('i8x16.shuffle needs 16 lanes in 0..31');
    this.#pops(['v128', 'v128'], 'i8x16.shuffle');
    this.#code.byte(0xfd).u32(0x0d).bytes(Uint8Array.from(lanes));
    this.#stack.push('v128');
    return this;
  }
  f64Const(v: number): this {
    this.#check();
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.#code.byte(0x44).bytes(b);
    this.#stack.push('f64');
    return this;
  }
  /** A v128 of sixteen zero bytes. */
  v128Zero(): this {
    this.#check();
    this.#code.byte(0xfd).u32(0x0c).bytes(new Uint8Array(16));
    this.#stack.push('v128');
    return this;
  }
  op(name: NumericOp): this {
    this.#check();
    const [code, args, result] = NUMERIC_OPS[name];
    this.#pops(args, name);
    this.#code.byte(code);
    this.#stack.push(result);
    return this;
  }
  simd(name: SimdOp, lane?: number): this {
    this.#check();
    const [code, args, result] = SIMD_OPS[name];
    this.#pops(args, name);
    this.#code.byte(0xfd).u32(code);
    if (name === 'f32x4.extract_lane' || name === 'f32x4.replace_lane' || name === 'i32x4.extract_lane' || name === 'f64x2.extract_lane') {
      const lanes = name === 'f64x2.extract_lane' ? 2 : 4;
      if (lane === undefined || lane < 0 || lane >= lanes) this.#fail(`${name} needs a lane 0..${lanes - 1}`);
      this.#code.byte(lane);
    }
    this.#stack.push(result);
    return this;
  }
  /** `select`: the first operand if the i32 condition is non-zero, else the second. */
  select(type: ValType): this {
    this.#check();
    this.#pop('i32', 'select');
    this.#pop(type, 'select');
    this.#pop(type, 'select');
    this.#code.byte(0x1b);
    this.#stack.push(type);
    return this;
  }
  /** A load at byte address (the i32 on the stack) + `offset`. */
  load(name: LoadOp, offset = 0): this {
    this.#check();
    const [code, simd, align, type] = LOADS[name];
    this.#pop('i32', name);
    if (simd) this.#code.byte(0xfd).u32(code);
    else this.#code.byte(code);
    this.#code.u32(align).u32(offset);
    this.#stack.push(type);
    return this;
  }
  /** A store of the value on the stack at byte address (the i32 below it) + `offset`. */
  store(name: StoreOp, offset = 0): this {
    this.#check();
    const [code, simd, align, type] = STORES[name];
    this.#pop(type, name);
    this.#pop('i32', name);
    if (simd) this.#code.byte(0xfd).u32(code);
    else this.#code.byte(code);
    this.#code.u32(align).u32(offset);
    return this;
  }
  /** `memory.copy` (bulk memory): copies (the i32 on top) bytes from src (below it) to dst (below that); overlapping ranges allowed. */
  memoryCopy(): this {
    this.#check();
    this.#pops(['i32', 'i32', 'i32'], 'memory.copy');
    this.#code.byte(0xfc).u32(10).byte(0).byte(0);
    return this;
  }
  call(f: FunctionBuilder): this {
    this.#check();
    this.#pops(f.params, `call ${f.name}`);
    this.#code.byte(0x10).u32(f.index);
    for (const r of f.results) this.#stack.push(r);
    return this;
  }
  drop(type: ValType): this {
    this.#check();
    this.#pop(type, 'drop');
    this.#code.byte(0x1a);
    return this;
  }

  #enter(kind: Label['kind'], opcode: number): Label {
    this.#check();
    if (kind === 'if') this.#pop('i32', 'if');
    this.#code.byte(opcode).byte(0x40); // no parameters or results
    const label: Label = { kind, id: this.#nextLabel++ };
    this.#frames.push({ label, height: this.#stack.length, unreachable: false });
    return label;
  }
  /** `block`: a branch to it continues after its `end`. */
  block(): Label {
    return this.#enter('block', 0x02);
  }
  /** `loop`: a branch to it starts it again. */
  loop(): Label {
    return this.#enter('loop', 0x03);
  }
  /** `if` on the i32 on the stack. */
  if(): Label {
    return this.#enter('if', 0x04);
  }
  else(label: Label): this {
    const f = this.#frame();
    if (!f || f.label !== label || label.kind !== 'if') this.#fail('else outside its if');
    if (this.#stack.length !== f.height && !f.unreachable) this.#fail(`the then-branch leaves ${this.#stack.length - f.height} values`);
    this.#stack.length = f.height;
    f.unreachable = false;
    this.#code.byte(0x05);
    return this;
  }
  /** Ends the innermost construct, which must be `label`. */
  end(label: Label): this {
    this.#check();
    const f = this.#frame();
    if (!f || f.label !== label) this.#fail(`end of a ${label.kind} that is not the innermost construct`);
    if (this.#stack.length !== f.height && !f.unreachable) this.#fail(`a ${label.kind} ends with ${this.#stack.length - f.height} values left`);
    this.#stack.length = f.height;
    this.#frames.pop();
    this.#code.byte(0x0b);
    return this;
  }
  #depth(label: Label): number {
    for (let d = 0; d < this.#frames.length; d++) {
      if ((this.#frames[this.#frames.length - 1 - d] as Frame).label === label) return d;
    }
    return this.#fail(`branch to a ${label.kind} that is not in scope`);
  }
  br(label: Label): this {
    this.#check();
    this.#code.byte(0x0c).u32(this.#depth(label));
    this.#markUnreachable();
    return this;
  }
  brIf(label: Label): this {
    this.#check();
    this.#pop('i32', 'br_if');
    this.#code.byte(0x0d).u32(this.#depth(label));
    return this;
  }
  return(): this {
    this.#check();
    this.#pops(this.results, 'return');
    this.#code.byte(0x0f);
    this.#markUnreachable();
    return this;
  }

  /** The function's code entry (locals and body); checks that every construct is closed. */
  finish(): Uint8Array {
    if (!this.#done) {
      if (this.#frames.length > 0) this.#fail(`${this.#frames.length} constructs are not ended`);
      if (!this.#unreachableTop) {
        this.#pops(this.results, 'the function end');
        if (this.#stack.length !== 0) this.#fail(`the body leaves ${this.#stack.length} values`);
      }
      this.#code.byte(0x0b);
      this.#done = true;
    }
    const body = new ByteWriter();
    // locals, grouped into runs of one type
    const runs: Array<[number, ValType]> = [];
    for (const t of this.#locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    body.u32(runs.length);
    for (const [n, t] of runs) body.u32(n).byte(VALTYPE[t]);
    body.bytes(this.#code.finish());
    return new ByteWriter().sized(body).finish();
  }
}

export interface MemoryImport {
  module: string;
  name: string;
  /** Pages of 64 KiB. */
  initial: number;
  maximum?: number;
  shared?: boolean;
}

/** A module: one imported memory, functions (declared before their bodies are written, so they can call each other), exports. */
export class ModuleBuilder {
  readonly #funcs: FunctionBuilder[] = [];
  readonly #exports: Array<{ name: string; index: number }> = [];
  #memory: MemoryImport | undefined;

  importMemory(m: MemoryImport): void {
    if (m.shared && m.maximum === undefined) throw new Error('wasm emitter: a shared memory needs a maximum');
    this.#memory = m;
  }
  /** Declares a function; write its body through the returned builder. */
  func(name: string, params: readonly ValType[], results: readonly ValType[] = [], exported = true): FunctionBuilder {
    const f = new FunctionBuilder(name, this.#funcs.length, params, results);
    this.#funcs.push(f);
    if (exported) this.#exports.push({ name, index: f.index });
    return f;
  }

  toBytes(): Uint8Array {
    const out = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, content: ByteWriter) => out.byte(id).sized(content);

    // types: one per distinct signature
    const sigs: string[] = [];
    const sigOf = (f: FunctionBuilder) => `${f.params.join(',')}>${f.results.join(',')}`;
    const types = new ByteWriter();
    const typeIndex = this.#funcs.map((f) => {
      const s = sigOf(f);
      let i = sigs.indexOf(s);
      if (i < 0) {
        i = sigs.push(s) - 1;
        types.byte(0x60).u32(f.params.length);
        for (const p of f.params) types.byte(VALTYPE[p]);
        types.u32(f.results.length);
        for (const r of f.results) types.byte(VALTYPE[r]);
      }
      return i;
    });
    section(1, new ByteWriter().u32(sigs.length).bytes(types.finish()));

    if (this.#memory) {
      const m = this.#memory;
      const imp = new ByteWriter().u32(1).name(m.module).name(m.name).byte(0x02);
      imp.byte((m.maximum !== undefined ? 1 : 0) | (m.shared ? 2 : 0)).u32(m.initial);
      if (m.maximum !== undefined) imp.u32(m.maximum);
      section(2, imp);
    }

    const fns = new ByteWriter().u32(this.#funcs.length);
    for (const t of typeIndex) fns.u32(t);
    section(3, fns);

    const exps = new ByteWriter().u32(this.#exports.length);
    for (const e of this.#exports) exps.name(e.name).byte(0x00).u32(e.index);
    section(7, exps);

    const code = new ByteWriter().u32(this.#funcs.length);
    for (const f of this.#funcs) code.bytes(f.finish());
    section(10, code);
    return out.finish();
  }
}
