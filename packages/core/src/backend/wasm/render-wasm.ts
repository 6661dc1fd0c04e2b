// The CPU backend's WebAssembly renderer: a kernel of the IR becomes one WebAssembly SIMD function
// that computes four outputs per step along the innermost loop. Every float32 operation is a
// single-precision IEEE operation, which is what the JavaScript renderer's Math.fround after each
// float64 operation gives for the arithmetic rendered here (+ - * / sqrt round correctly either
// way), so both renderers agree bit for bit; NaN propagation, min/max, comparisons and the
// saturating float → int32 cast are WebAssembly's own instructions, which have the element
// semantics of kernel/exp.ts; exp and tanh (simd-math.ts) are within 2 ulps.
//
// What it renders: float32 and int32 inputs and output (bool only as intermediate masks), loads
// whose index steps by 0 or 1 element along the innermost loop, the operations in SIMPLE below
// plus where, casts, exp and tanh; and float32 sums whose innermost loop is kept (each lane an
// output, accumulated in float64 in loop order as the JavaScript renderer does). Anything else
// returns null and runs as the JavaScript kernel.
//
// Layout of the function: (out, in0, ..., inN-1: byte addresses, v0..: the kernel's vars, then for
// a sum the address of its zeroed float64 accumulators, for an elementwise kernel the range
// [lo, hi) of its outermost loop to run, hi taken at most its size: threads run disjoint ranges,
// see elementwise.ts). The
// module also exports `extent(v0, ...)`: the outermost loop's size (1 without loops). Loads along
// the innermost loop read up to three elements past a row's end: the caller leaves 16 bytes
// readable after every input.
import type { DType } from '../../dtype.js';
import { type Exp, postOrder } from '../../kernel/exp.js';
import type { Kernel } from '../../kernel/kernel.js';
import { type FunctionBuilder, type Local, type MemoryImport, ModuleBuilder, type SimdOp, type ValType } from './emitter.js';
import { expF32, tanhF32 } from './simd-math.js';

/** SIMD instruction per (op, operand dtype) for operations that are one instruction. */
const SIMPLE: Partial<Record<string, SimdOp>> = {
  'add:float32': 'f32x4.add',
  'sub:float32': 'f32x4.sub',
  'mul:float32': 'f32x4.mul',
  'div:float32': 'f32x4.div',
  'max:float32': 'f32x4.max',
  'min:float32': 'f32x4.min',
  'neg:float32': 'f32x4.neg',
  'abs:float32': 'f32x4.abs',
  'sqrt:float32': 'f32x4.sqrt',
  'floor:float32': 'f32x4.floor',
  'ceil:float32': 'f32x4.ceil',
  'round:float32': 'f32x4.nearest',
  'eq:float32': 'f32x4.eq',
  'ne:float32': 'f32x4.ne',
  'lt:float32': 'f32x4.lt',
  'le:float32': 'f32x4.le',
  'gt:float32': 'f32x4.gt',
  'ge:float32': 'f32x4.ge',
  'add:int32': 'i32x4.add',
  'sub:int32': 'i32x4.sub',
  'mul:int32': 'i32x4.mul',
  'max:int32': 'i32x4.max_s',
  'min:int32': 'i32x4.min_s',
  'neg:int32': 'i32x4.neg',
  'abs:int32': 'i32x4.abs',
  'and:int32': 'v128.and',
  'or:int32': 'v128.or',
  'xor:int32': 'v128.xor',
  'not:int32': 'v128.not',
  'eq:int32': 'i32x4.eq',
  'ne:int32': 'i32x4.ne',
  'lt:int32': 'i32x4.lt_s',
  'le:int32': 'i32x4.le_s',
  'gt:int32': 'i32x4.gt_s',
  'ge:int32': 'i32x4.ge_s',
  // bool lanes are masks (all ones or zero)
  'and:bool': 'v128.and',
  'or:bool': 'v128.or',
  'xor:bool': 'v128.xor',
  'ne:bool': 'v128.xor',
  'max:bool': 'v128.or',
  'min:bool': 'v128.and',
  'not:bool': 'v128.not',
};

/** Integer operations allowed in index expressions (divisions only by positive constants). */
const INDEX_OPS = new Set(['const', 'var', 'idx', 'add', 'sub', 'mul', 'div', 'rem']);

const STORAGE: ReadonlySet<DType> = new Set(['float32', 'int32']);

/** How an index moves along the innermost loop: 0 or 1 element per step, or anything else. */
function step(e: Exp, inner: number): number | null {
  switch (e.op) {
    case 'idx':
      return e.value === inner ? 1 : 0;
    case 'const':
    case 'var':
      return 0;
    case 'add':
    case 'sub': {
      const a = step(e.args[0] as Exp, inner);
      const b = step(e.args[1] as Exp, inner);
      if (a === null || b === null) return null;
      return e.op === 'add' ? a + b : a - b;
    }
    case 'mul': {
      const [x, y] = e.args as [Exp, Exp];
      const a = step(x, inner);
      const b = step(y, inner);
      if (a === null || b === null) return null;
      if (a === 0 && b === 0) return 0;
      if (a !== 0 && y.op === 'const') return a * y.value;
      if (b !== 0 && x.op === 'const') return b * x.value;
      return null;
    }
    case 'div':
    case 'rem':
      return step(e.args[0] as Exp, inner) === 0 && step(e.args[1] as Exp, inner) === 0 ? 0 : null;
    default:
      return null;
  }
}

/** Whether `e` is an index expression this renderer computes with scalar i32 arithmetic. */
function indexable(e: Exp): boolean {
  return postOrder(e).every(
    (n) =>
      INDEX_OPS.has(n.op) && n.dtype === 'int32' && ((n.op !== 'div' && n.op !== 'rem') || ((n.args[1] as Exp).op === 'const' && (n.args[1] as Exp).value > 0)),
  );
}

/** Whether a value node can be computed in SIMD lanes. */
function renderable(n: Exp, inner: number): boolean {
  switch (n.op) {
    case 'const':
    case 'var':
      return n.dtype !== 'float64';
    case 'idx':
      return true;
    case 'load':
      return (
        n.args.length === 1 &&
        STORAGE.has(n.dtype) &&
        indexable(n.args[0] as Exp) &&
        (step(n.args[0] as Exp, inner) ?? 2) <= 1 &&
        (step(n.args[0] as Exp, inner) ?? -1) >= 0
      );
    case 'where':
      return true;
    case 'exp':
    case 'tanh':
      return n.dtype === 'float32';
    case 'cast':
    case 'bitcast':
      return n.dtype !== 'float64' && (n.args[0] as Exp).dtype !== 'float64';
    case 'eq':
      return SIMPLE[`eq:${(n.args[0] as Exp).dtype}`] !== undefined || (n.args[0] as Exp).dtype === 'bool';
    default: {
      const operand = (n.args[0] as Exp | undefined)?.dtype ?? n.dtype;
      return SIMPLE[`${n.op}:${operand}`] !== undefined;
    }
  }
}

/** The dtype of each of the kernel's vars (int32 where no expression uses it). */
export function wasmVarTypes(kernel: Kernel): DType[] {
  const varTypes: DType[] = new Array(kernel.vars).fill('int32');
  for (const root of [kernel.body, ...kernel.loops.map((l) => l.size)]) for (const n of postOrder(root)) if (n.op === 'var') varTypes[n.value] = n.dtype;
  return varTypes;
}

/** The kernel as a WebAssembly module exporting `kernel`, or null when this renderer cannot run it. */
export function renderWasm(
  kernel: Kernel,
  memory: MemoryImport = { module: 'env', name: 'memory', initial: 1 },
  /** `fma`: exp's and tanh's polynomials in relaxed SIMD's madd (the runtime must have it). */
  { fma = false }: { fma?: boolean } = {},
): Uint8Array | null {
  if (!STORAGE.has(kernel.outDType) || !kernel.inputs.every((d) => STORAGE.has(d))) return null;
  const nLoops = kernel.loops.length;
  const inner = nLoops - 1;
  if (!kernel.loops.every((l) => indexable(l.size))) return null;
  const nodes = postOrder(kernel.body);
  if (!nodes.every((n) => renderable(n, inner))) return null;
  const red = kernel.reduction;
  if (red !== null) {
    // float32 sums whose innermost loop is kept, so the lanes are four outputs: each accumulates
    // in float64 in loop order, exactly as the JavaScript renderer does, and rounds once
    if (red.op !== 'sum' || kernel.body.dtype !== 'float32' || inner < 0 || (kernel.loops[inner] as { reduce: boolean }).reduce) return null;
    if (red.epilogue && !postOrder(red.epilogue).every((n) => n.op === 'acc' || (n.op !== 'load' && n.op !== 'idx' && renderable(n, inner)))) return null;
  }
  const varTypes = wasmVarTypes(kernel);
  if (varTypes.some((d) => d === 'float64')) return null;

  const m = new ModuleBuilder();
  m.importMemory(memory);
  // (a reduction also takes the address of its float64 accumulators, one per output, zeroed)
  const varParams = varTypes.map((d): ValType => (d === 'float32' ? 'f32' : 'i32'));
  const params: ValType[] = ['i32', ...kernel.inputs.map((): ValType => 'i32'), ...varParams];
  if (red !== null) params.push('i32');
  else params.push('i32', 'i32');
  const f = m.func('kernel', params);
  const out = f.param(0, 'i32');
  const ins = kernel.inputs.map((_, j) => f.param(1 + j, 'i32'));
  const vars = varTypes.map((d, k): Local => f.param(1 + kernel.inputs.length + k, d === 'float32' ? 'f32' : 'i32'));
  const acc = red !== null ? f.param(params.length - 1, 'i32') : null;
  const range = red === null ? { lo: f.param(params.length - 2, 'i32'), hi: f.param(params.length - 1, 'i32') } : null;
  new Emitter(f, kernel, out, ins, vars, acc, range, fma).emit();
  // the outermost loop's size, for callers that split it
  const e = m.func('extent', varParams, ['i32']);
  const eVars = varTypes.map((d, k): Local => e.param(k, d === 'float32' ? 'f32' : 'i32'));
  if (nLoops === 0) e.i32Const(1);
  else new Emitter(e, kernel, out, [], eVars).size((kernel.loops[0] as { size: Exp }).size);
  return m.toBytes();
}

/** Writes the loop nest and the SIMD body of one kernel. */
class Emitter {
  readonly #sizes: Local<'i32'>[] = [];
  readonly #idx: Local<'i32'>[] = [];
  /** Per node key: the v128 local holding it (for the current iteration or hoisted). */
  readonly #values = new Map<string, Local<'v128'>>();
  /** Per load key: the byte address of its element at the innermost index 0 (or its only element). */
  readonly #bases = new Map<string, Local<'i32'>>();
  readonly #j: Local<'i32'>;
  readonly #o: Local<'i32'>;
  readonly #inner: number;

  /** A reduction's output strides per kept loop (0 for reduced ones). */
  readonly #ostrides: (Local<'i32'> | null)[] = [];

  constructor(
    readonly f: FunctionBuilder,
    readonly kernel: Kernel,
    readonly out: Local<'i32'>,
    readonly ins: readonly Local<'i32'>[],
    readonly vars: readonly Local[],
    /** A reduction's float64 accumulators (null for an elementwise kernel). */
    readonly acc: Local<'i32'> | null = null,
    /** An elementwise kernel's range of its outermost loop. */
    readonly range: { lo: Local<'i32'>; hi: Local<'i32'> } | null = null,
    readonly fma = false,
  ) {
    this.#j = f.local('i32');
    this.#o = f.local('i32');
    this.#inner = kernel.loops.length - 1;
  }

  emit(): void {
    const { f, kernel } = this;
    kernel.loops.forEach((l) => {
      const n = f.local('i32');
      this.#int(l.size);
      f.set(n);
      this.#sizes.push(n);
      this.#idx.push(f.local('i32'));
    });
    if (this.acc === null) {
      if (this.range !== null && this.#inner >= 0) {
        // hi = min(hi, the outermost loop's size): callers that run the whole loop pass any hi past it
        const { hi } = this.range;
        const size0 = this.#sizes[0] as Local<'i32'>;
        f.get(hi).get(size0).get(hi).get(size0).op('i32.lt_s').select('i32').set(hi);
      }
      if (this.range !== null && this.#inner > 0) {
        // outputs before row lo of the outermost loop: lo times the size of the loops inside it
        f.get(this.range.lo);
        for (let k = 1; k <= this.#inner; k++) f.get(this.#sizes[k] as Local).op('i32.mul');
        f.set(this.#o);
      }
      this.#outer(0);
      return;
    }
    // output strides of the kept loops (row-major in their order; the innermost is kept: 1)
    let later: Local<'i32'> | null = null;
    for (let k = kernel.loops.length - 1; k >= 0; k--) {
      if ((kernel.loops[k] as { reduce: boolean }).reduce) {
        this.#ostrides[k] = null;
        continue;
      }
      const st = f.local('i32');
      if (later === null) f.i32Const(1);
      else f.get(later);
      f.set(st);
      this.#ostrides[k] = st;
      const next = f.local('i32');
      f.get(st)
        .get(this.#sizes[k] as Local)
        .op('i32.mul')
        .set(next);
      later = next;
    }
    const outSize = later as Local<'i32'>;
    this.#outer(0);
    this.#epilogue(outSize);
  }

  /** out[j] = epilogue(acc[j] rounded to float32), four at a time. */
  #epilogue(outSize: Local<'i32'>): void {
    const { f, kernel } = this;
    const acc = this.acc as Local<'i32'>;
    const j = this.#j;
    const red = kernel.reduction as NonNullable<Kernel['reduction']>;
    const accNode = postOrder(red.epilogue ?? kernel.body).find((n) => n.op === 'acc');
    const nodes = red.epilogue ? postOrder(red.epilogue) : [];
    const value = f.local('v128');
    /** Computes four outputs at j into `value`'s (or the epilogue's) local, then stores them. */
    const step = (store: () => void) => {
      // four float64 accumulators rounded to float32 lanes
      f.get(acc).get(j).i32Const(3).op('i32.shl').op('i32.add').load('v128.load').simd('f32x4.demote_f64x2_zero');
      f.get(acc).get(j).i32Const(3).op('i32.shl').op('i32.add').load('v128.load', 16).simd('f32x4.demote_f64x2_zero');
      f.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]).set(value);
      this.#values.clear();
      if (accNode) this.#values.set(accNode.key, value);
      for (const n of nodes) if (n.op !== 'acc') this.#compute(n, false);
      store();
    };
    f.i32Const(0).set(j);
    const brk = f.block();
    const lp = f.loop();
    f.get(j).i32Const(4).op('i32.add').get(outSize).op('i32.gt_s').brIf(brk);
    step(() => {
      f.get(this.out).get(j).i32Const(2).op('i32.shl').op('i32.add');
      f.get(red.epilogue ? (this.#values.get(red.epilogue.key) as Local) : value).store('v128.store');
    });
    f.get(j).i32Const(4).op('i32.add').set(j);
    f.br(lp);
    f.end(lp);
    f.end(brk);
    f.get(j).get(outSize).op('i32.lt_s');
    const tail = f.if();
    step(() => {
      const result = red.epilogue ? (this.#values.get(red.epilogue.key) as Local) : value;
      for (let lane = 0; lane < 4; lane++) {
        f.get(j).i32Const(lane).op('i32.add').get(outSize).op('i32.lt_s');
        const one = f.if();
        f.get(this.out).get(j).i32Const(lane).op('i32.add').i32Const(2).op('i32.shl').op('i32.add');
        f.get(result).simd('f32x4.extract_lane', lane).store('f32.store');
        f.end(one);
      }
    });
    f.end(tail);
  }

  /** Leaves `size` (an int32 expression of the vars) on the stack: for the `extent` export. */
  size(size: Exp): void {
    this.#int(size);
  }

  /** Loops 0..inner-1 around the innermost one (the outermost over the range, where there is one). */
  #outer(k: number): void {
    const f = this.f;
    if (k >= this.#inner) {
      this.#row();
      return;
    }
    const i = this.#idx[k] as Local<'i32'>;
    const ranged = k === 0 && this.range !== null;
    if (ranged) f.get((this.range as { lo: Local<'i32'> }).lo).set(i);
    else f.i32Const(0).set(i);
    const brk = f.block();
    const lp = f.loop();
    f.get(i)
      .get(ranged ? (this.range as { hi: Local<'i32'> }).hi : (this.#sizes[k] as Local))
      .op('i32.ge_s')
      .brIf(brk);
    this.#outer(k + 1);
    f.get(i).i32Const(1).op('i32.add').set(i);
    f.br(lp);
    f.end(lp);
    f.end(brk);
  }

  /** One row of the innermost loop (the whole output when the kernel has no loops). */
  #row(): void {
    const { f, kernel } = this;
    const inner = this.#inner;
    const nodes = postOrder(kernel.body);
    // addresses of the loads at this row's start; values that do not vary along the row
    this.#values.clear();
    for (const n of nodes) {
      if (n.op !== 'load' || this.#bases.has(n.key)) continue;
      const base = this.#bases.get(n.key) ?? f.local('i32');
      this.#bases.set(n.key, base);
    }
    for (const n of nodes) {
      if (n.op !== 'load') continue;
      const base = this.#bases.get(n.key) as Local<'i32'>;
      f.get(this.ins[n.value] as Local);
      this.#int(n.args[0] as Exp, true);
      f.i32Const(2).op('i32.shl').op('i32.add').set(base);
    }
    const varying = new Set<string>();
    for (const n of nodes) {
      const v =
        (n.op === 'idx' && n.value === inner) ||
        (n.op === 'load' && inner >= 0 && step(n.args[0] as Exp, inner) === 1) ||
        n.args.some((a) => varying.has(a.key));
      if (v) varying.add(n.key);
      else this.#compute(n, false);
    }
    // where the row ends (a one-loop kernel runs its range of it), and starts
    const rowSize = inner < 0 ? null : inner === 0 && this.range !== null ? this.range.hi : (this.#sizes[inner] as Local<'i32'>);
    const rowStart = inner === 0 && this.range !== null ? this.range.lo : null;
    const j = this.#j;
    if (this.acc !== null) {
      // a reduction's row starts at the output of its kept outer indices
      f.i32Const(0);
      for (let k = 0; k < inner; k++) {
        const st = this.#ostrides[k];
        if (st)
          f.get(this.#idx[k] as Local)
            .get(st)
            .op('i32.mul')
            .op('i32.add');
      }
      f.set(this.#o);
    }
    if (rowStart) f.get(rowStart).set(j);
    else f.i32Const(0).set(j);
    // four outputs per step while four remain
    const brk = f.block();
    const lp = f.loop();
    f.get(j).i32Const(4).op('i32.add');
    if (rowSize) f.get(rowSize);
    else f.i32Const(1);
    f.op('i32.gt_s').brIf(brk);
    for (const n of nodes) if (varying.has(n.key)) this.#compute(n, true);
    if (this.acc !== null) this.#accumulate(this.#values.get(kernel.body.key) as Local<'v128'>);
    else {
      this.#address();
      f.get(this.#values.get(kernel.body.key) as Local).store('v128.store');
    }
    f.get(j).i32Const(4).op('i32.add').set(j);
    f.br(lp);
    f.end(lp);
    f.end(brk);
    // the last one to three outputs: computed as a full vector, stored lane by lane
    f.get(j);
    if (rowSize) f.get(rowSize);
    else f.i32Const(1);
    f.op('i32.lt_s');
    const tail = f.if();
    for (const n of nodes) if (varying.has(n.key)) this.#compute(n, true);
    const result = this.#values.get(kernel.body.key) as Local<'v128'>;
    for (let lane = 0; lane < 4; lane++) {
      f.get(j).i32Const(lane).op('i32.add');
      if (rowSize) f.get(rowSize);
      else f.i32Const(1);
      f.op('i32.lt_s');
      const store = f.if();
      if (this.acc !== null) {
        // acc[o + j + lane] += x[lane], in float64
        this.#accAddress(lane);
        this.#accAddress(lane);
        f.load('f64.load');
        f.get(result).simd('f32x4.extract_lane', lane).op('f64.promote_f32').op('f64.add').store('f64.store');
      } else {
        this.#address(lane);
        f.get(result);
        if (kernel.outDType === 'float32') f.simd('f32x4.extract_lane', lane).store('f32.store');
        else f.simd('i32x4.extract_lane', lane).store('i32.store');
      }
      f.end(store);
    }
    f.end(tail);
    // the next row's outputs follow this one's
    if (this.acc === null) {
      f.get(this.#o);
      if (rowSize) f.get(rowSize);
      else f.i32Const(1);
      f.op('i32.add').set(this.#o);
    }
  }

  /** The byte address of accumulator o + j (+ lane). */
  #accAddress(lane = 0): void {
    const f = this.f;
    f.get(this.acc as Local)
      .get(this.#o)
      .get(this.#j)
      .op('i32.add');
    if (lane !== 0) f.i32Const(lane).op('i32.add');
    f.i32Const(3).op('i32.shl').op('i32.add');
  }

  /** Adds the four lanes of `x` (float32) to accumulators o + j .. o + j + 3 (float64). */
  #accumulate(x: Local<'v128'>): void {
    const f = this.f;
    this.#accAddress();
    this.#accAddress();
    f.load('v128.load').get(x).simd('f64x2.promote_low_f32x4').simd('f64x2.add').store('v128.store');
    this.#accAddress();
    this.#accAddress();
    f.load('v128.load', 16)
      .get(x)
      .get(x)
      .shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7])
      .simd('f64x2.promote_low_f32x4')
      .simd('f64x2.add')
      .store('v128.store', 16);
  }

  /** The byte address of output o + j (+ lane). */
  #address(lane = 0): void {
    const f = this.f;
    f.get(this.out).get(this.#o).get(this.#j).op('i32.add');
    if (lane !== 0) f.i32Const(lane).op('i32.add');
    f.i32Const(2).op('i32.shl').op('i32.add');
  }

  /** Computes node `n` into its v128 local (`varying`: inside the row's loop, at element j). */
  #compute(n: Exp, varying: boolean): void {
    const f = this.f;
    let local = this.#values.get(n.key);
    if (local === undefined) {
      local = f.local('v128');
      this.#values.set(n.key, local);
    }
    const arg = (k: number) => f.get(this.#values.get((n.args[k] as Exp).key) as Local);
    const operand = (n.args[0] as Exp | undefined)?.dtype ?? n.dtype;
    switch (n.op) {
      case 'const':
        this.#splatConst(n.value, n.dtype);
        break;
      case 'var': {
        f.get(this.vars[n.value] as Local);
        if (n.dtype === 'float32') f.simd('f32x4.splat');
        else if (n.dtype === 'int32') f.simd('i32x4.splat');
        else f.simd('i32x4.splat').v128Zero().simd('i32x4.ne');
        break;
      }
      case 'idx':
        f.get(this.#idx[n.value] as Local).simd('i32x4.splat');
        if (varying && n.value === this.#inner) {
          f.get(this.#j).simd('i32x4.splat').simd('i32x4.add').i32x4Const([0, 1, 2, 3]).simd('i32x4.add');
        }
        break;
      case 'load': {
        const base = this.#bases.get(n.key) as Local<'i32'>;
        f.get(base);
        if (varying) f.get(this.#j).i32Const(2).op('i32.shl').op('i32.add').load('v128.load');
        else f.load('v128.load32_splat');
        break;
      }
      case 'where':
        arg(1);
        arg(2);
        arg(0);
        f.simd('v128.bitselect');
        break;
      case 'cast':
        arg(0);
        this.#cast(operand, n.dtype);
        break;
      case 'bitcast':
        arg(0);
        break;
      case 'eq':
        arg(0);
        arg(1);
        if (operand === 'bool') f.simd('v128.xor').simd('v128.not');
        else f.simd(SIMPLE[`eq:${operand}`] as SimdOp);
        break;
      case 'exp':
        expF32(f, this.#values.get((n.args[0] as Exp).key) as Local<'v128'>, { fma: this.fma });
        break;
      case 'tanh':
        tanhF32(f, this.#values.get((n.args[0] as Exp).key) as Local<'v128'>, { fma: this.fma });
        break;
      default:
        for (let k = 0; k < n.args.length; k++) arg(k);
        f.simd(SIMPLE[`${n.op}:${operand}`] as SimdOp);
    }
    f.set(local);
  }

  #splatConst(v: number, dtype: DType): void {
    const f = this.f;
    if (dtype === 'float32') f.f32Const(v).simd('f32x4.splat');
    else if (dtype === 'int32') f.i32Const(v | 0).simd('i32x4.splat');
    else f.i32Const(v !== 0 ? -1 : 0).simd('i32x4.splat');
  }

  #cast(from: DType, to: DType): void {
    const f = this.f;
    if (from === to) return;
    if (to === 'bool') {
      f.v128Zero().simd(from === 'float32' ? 'f32x4.ne' : 'i32x4.ne');
    } else if (from === 'bool') {
      if (to === 'float32') f.f32Const(1).simd('f32x4.splat');
      else f.i32Const(1).simd('i32x4.splat');
      f.simd('v128.and');
    } else if (to === 'float32') {
      f.simd('f32x4.convert_i32x4_s');
    } else {
      f.simd('i32x4.trunc_sat_f32x4_s');
    }
  }

  /** An int32 index or size expression as scalar code (`atRowStart`: the innermost index taken as 0). */
  #int(e: Exp, atRowStart = false): void {
    const f = this.f;
    switch (e.op) {
      case 'const':
        f.i32Const(e.value | 0);
        return;
      case 'var':
        f.get(this.vars[e.value] as Local);
        return;
      case 'idx':
        if (atRowStart && e.value === this.#inner) f.i32Const(0);
        else f.get(this.#idx[e.value] as Local);
        return;
      default: {
        this.#int(e.args[0] as Exp, atRowStart);
        this.#int(e.args[1] as Exp, atRowStart);
        const op = { add: 'i32.add', sub: 'i32.sub', mul: 'i32.mul', div: 'i32.div_s', rem: 'i32.rem_s' }[e.op as 'add'];
        f.op(op as 'i32.add');
      }
    }
  }
}
