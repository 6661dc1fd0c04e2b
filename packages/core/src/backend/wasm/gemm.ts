import { type FunctionBuilder, type Local, ModuleBuilder } from './emitter.js';

/**
 * The float32 matmul module, generated at run time with the emitter: C[M,N] = A[M,K]·B[K,N] over
 * packed panels, in the style of BLIS and XNNPACK.
 *
 * - `pack_a` copies A (any two strides) into panels of MR rows, k-major: panel p holds, for each
 *   k, the MR values A[p·MR + r, k]. Rows past M are zeros.
 * - `pack_b` copies B (any two strides) into panels of NR columns, k-major: for each k, the NR
 *   values B[k, q·NR + c] (a v128 copy when B's rows are contiguous). Columns past N are zeros.
 * - `kernel` is the register-blocked microkernel: an MR×NR tile of C in MR·NR/4 f32x4
 *   accumulators; each k step loads NR/4 vectors of B and broadcasts MR values of A
 *   (`v128.load32_splat`), then MR·NR/4 multiply-adds (`f32x4.relaxed_madd` where the runtime
 *   has it, else `f32x4.mul` + `f32x4.add`). 6×8 uses 12 accumulators, 2 B
 *   vectors and 1 broadcast: 15 of x64's 16 vector registers (V8 keeps one as scratch).
 * - `gemm` is the cache-tiled loop nest over a range of row panels × column panels: blocks of
 *   `kc` along K (the microkernel's B panel, kc·NR floats, stays in L1 while it meets every A panel
 *   of a block of `mc` panels, which stays in L2); after the first k block the kernel adds to C.
 *
 * C is padded to whole tiles (ldc ≥ NR·⌈N/NR⌉ floats) so every tile is a full one; the caller
 * copies out the M×N it wants. Each element of C is one lane of one accumulator, summed over k in
 * order, so results do not depend on the blocking or on how tiles are shared between threads.
 */
export interface GemmConfig {
  /** Rows of the register tile. */
  mr: number;
  /** Columns of the register tile (a multiple of 4). */
  nr: number;
  /** Use `f32x4.relaxed_madd` (the caller has probed for it). */
  fma: boolean;
  /** Import a shared memory (for worker threads), with this many pages at most. */
  sharedMaxPages?: number;
}

export interface GemmExports {
  /** (src, rowStrideBytes, kStrideBytes, m, k, dst): A's rows into MR-row panels. */
  pack_a: (src: number, rs: number, ks: number, m: number, k: number, dst: number) => void;
  /** (src, colStrideBytes, kStrideBytes, n, k, dst): B's columns into NR-column panels. */
  pack_b: (src: number, cs: number, ks: number, n: number, k: number, dst: number) => void;
  /** (kc, a, b, c, ldcBytes, accumulate) */
  kernel: (kc: number, a: number, b: number, c: number, ldc: number, acc: number) => void;
  /** (ap, bp, c, K, ldcBytes, kcMax, mcPanels, p0, p1, q0, q1) */
  gemm: (ap: number, bp: number, c: number, K: number, ldc: number, kc: number, mc: number, p0: number, p1: number, q0: number, q1: number) => void;
  /**
   * (ap, bp, c, K, ldcBytes, kcMax, mcPanels, src, laneStrideBytes, kStrideBytes, lanes, byRows, other, lo, hi):
   * one chunk of a product. By rows: packs A's rows of panels lo..hi (from src, `lanes` rows in
   * all) into their place in ap, then computes row panels lo..hi × column panels 0..other; by
   * columns, the same with B's columns and column panels. `lanes` 0: the panels are packed already.
   */
  gemm_chunk: (...args: number[]) => void;
  /** (dst, dstStrideBytes, src, srcStrideBytes, rowBytes, rows): `rows` rows copied by memory.copy. */
  copy_rows: (dst: number, ds: number, src: number, ss: number, bytes: number, rows: number) => void;
}

/** `for (i = start; i < end; i += step) body()`, with start/end/step as locals or constants. */
function forRange(
  f: FunctionBuilder,
  i: Local<'i32'>,
  start: Local<'i32'> | number,
  end: Local<'i32'>,
  body: () => void,
  step: Local<'i32'> | number = 1,
): void {
  const push = (v: Local<'i32'> | number) => (typeof v === 'number' ? f.i32Const(v) : f.get(v));
  push(start).set(i);
  f.get(i).get(end).op('i32.lt_s');
  const guard = f.if();
  const loop = f.loop();
  body();
  f.get(i);
  push(step);
  f.op('i32.add').tee(i).get(end).op('i32.lt_s').brIf(loop);
  f.end(loop);
  f.end(guard);
}

/** `dst = min(a, b)` for signed i32 locals. */
function min(f: FunctionBuilder, dst: Local<'i32'>, a: () => void, b: () => void): void {
  a();
  b();
  a();
  b();
  f.op('i32.lt_s').select('i32').set(dst);
}

/** N of one type: the parameters' locals below, destructured without undefined checks. */
type Tuple<T, N extends number, R extends T[] = []> = R['length'] extends N ? R : Tuple<T, N, [...R, T]>;

/** The function's first `n` parameters, all i32. */
function i32Params<N extends number>(f: FunctionBuilder, n: N): Tuple<Local<'i32'>, N> {
  return Array.from({ length: n }, (_, i) => f.param(i, 'i32')) as Tuple<Local<'i32'>, N>;
}

function emitKernel(f: FunctionBuilder, cfg: GemmConfig): void {
  const { mr, nr, fma } = cfg;
  const nv = nr / 4;
  const kc = f.param(0, 'i32');
  const a = f.param(1, 'i32');
  const b = f.param(2, 'i32');
  const c = f.param(3, 'i32');
  const ldc = f.param(4, 'i32');
  const accumulate = f.param(5, 'i32');
  const acc: Local<'v128'>[][] = [];
  for (let r = 0; r < mr; r++) acc.push(Array.from({ length: nv }, () => f.local('v128')));
  const bv = Array.from({ length: nv }, () => f.local('v128'));
  const as = f.local('v128');
  const cr = f.local('i32');
  const n = f.local('i32');
  const accAt = (r: number, v: number) => acc[r]?.[v] as Local<'v128'>;
  const bAt = (v: number) => bv[v] as Local<'v128'>;

  // the accumulators start at zero (locals are zero-initialised) or at C
  f.get(accumulate);
  const init = f.if();
  f.get(c).set(cr);
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++)
      f.get(cr)
        .load('v128.load', v * 16)
        .set(accAt(r, v));
    if (r + 1 < mr) f.get(cr).get(ldc).op('i32.add').set(cr);
  }
  f.end(init);

  // one k step per iteration. Not unrolled: TurboFan schedules all the loads of an unrolled body
  // first and spills them, and keeps memory start + offset in a register per distinct constant
  // offset (measured: 6×8 unrolled by 2 or 4 ran at 60 % of this loop with FMA).
  f.get(kc).tee(n);
  const any = f.if();
  const loop = f.loop();
  for (let v = 0; v < nv; v++)
    f.get(b)
      .load('v128.load', v * 16)
      .set(bAt(v));
  for (let r = 0; r < mr; r++) {
    f.get(a)
      .load('v128.load32_splat', r * 4)
      .set(as);
    for (let v = 0; v < nv; v++) {
      const x = accAt(r, v);
      if (fma) f.get(as).get(bAt(v)).get(x).simd('f32x4.relaxed_madd').set(x);
      else f.get(x).get(as).get(bAt(v)).simd('f32x4.mul').simd('f32x4.add').set(x);
    }
  }
  f.get(a)
    .i32Const(mr * 4)
    .op('i32.add')
    .set(a);
  f.get(b)
    .i32Const(nr * 4)
    .op('i32.add')
    .set(b);
  f.get(n).i32Const(1).op('i32.sub').tee(n).brIf(loop);
  f.end(loop);
  f.end(any);

  f.get(c).set(cr);
  for (let r = 0; r < mr; r++) {
    for (let v = 0; v < nv; v++)
      f.get(cr)
        .get(accAt(r, v))
        .store('v128.store', v * 16);
    if (r + 1 < mr) f.get(cr).get(ldc).op('i32.add').set(cr);
  }
}

function emitGemm(f: FunctionBuilder, kernel: FunctionBuilder, cfg: GemmConfig): void {
  const { mr, nr } = cfg;
  const [ap, bp, c, K, ldc, kcMax, mc, p0, p1, q0, q1] = i32Params(f, 11);
  const pc = f.local('i32');
  const kc = f.local('i32');
  const ic = f.local('i32');
  const icEnd = f.local('i32');
  const q = f.local('i32');
  const p = f.local('i32');
  const bq = f.local('i32');
  const cq = f.local('i32');
  const zero = f.local('i32');
  forRange(
    f,
    pc,
    zero,
    K,
    () => {
      min(
        f,
        kc,
        () => f.get(kcMax),
        () => f.get(K).get(pc).op('i32.sub'),
      );
      forRange(
        f,
        ic,
        p0,
        p1,
        () => {
          min(
            f,
            icEnd,
            () => f.get(ic).get(mc).op('i32.add'),
            () => f.get(p1),
          );
          forRange(f, q, q0, q1, () => {
            // bq = bp + (q·K + pc)·NR·4; cq = c + q·NR·4
            f.get(bp)
              .get(q)
              .get(K)
              .op('i32.mul')
              .get(pc)
              .op('i32.add')
              .i32Const(nr * 4)
              .op('i32.mul')
              .op('i32.add')
              .set(bq);
            f.get(c)
              .get(q)
              .i32Const(nr * 4)
              .op('i32.mul')
              .op('i32.add')
              .set(cq);
            forRange(f, p, ic, icEnd, () => {
              f.get(kc);
              f.get(ap)
                .get(p)
                .get(K)
                .op('i32.mul')
                .get(pc)
                .op('i32.add')
                .i32Const(mr * 4)
                .op('i32.mul')
                .op('i32.add');
              f.get(bq);
              f.get(cq).get(p).i32Const(mr).op('i32.mul').get(ldc).op('i32.mul').op('i32.add');
              f.get(ldc);
              f.get(pc).i32Const(0).op('i32.ne');
              f.call(kernel);
            });
          });
        },
        mc,
      );
    },
    kcMax,
  );
}

/**
 * Panels of `width` lanes from a strided source: `pack_a` (rows of A: lane stride rs, k stride ks)
 * and `pack_b` (columns of B: lane stride cs, k stride ks) are the same copy. Full panels copy
 * `width` values per k (unrolled; as v128s, then 8 and 4 bytes, when the lanes are contiguous);
 * the last, partial panel is zero-filled, then its lanes copied one by one. (Copies move bits: NaN
 * payloads are kept.)
 */
function emitPack(f: FunctionBuilder, width: number, vectorCopy: boolean): void {
  const src = f.param(0, 'i32');
  const ls = f.param(1, 'i32'); // lane stride (bytes)
  const ks = f.param(2, 'i32'); // k stride (bytes)
  const lanes = f.param(3, 'i32'); // m or n
  const k = f.param(4, 'i32');
  const dst = f.param(5, 'i32');
  const p = f.local('i32');
  const base = f.local('i32');
  const s = f.local('i32');
  const kk = f.local('i32');
  const count = f.local('i32');
  const l = f.local('i32');
  const d = f.local('i32');
  const end = f.local('i32');
  const zero = f.local('i32');
  const full = f.local('i32');

  // full = ⌊lanes / width⌋ panels (counted: no division), count = the lanes left over
  f.i32Const(0).set(full);
  f.get(lanes).set(count);
  {
    f.get(count).i32Const(width).op('i32.ge_s');
    const any = f.if();
    const loop = f.loop();
    f.get(full).i32Const(1).op('i32.add').set(full);
    f.get(count).i32Const(width).op('i32.sub').tee(count).i32Const(width).op('i32.ge_s').brIf(loop);
    f.end(loop);
    f.end(any);
  }

  // full panels
  forRange(f, p, zero, full, () => {
    f.get(src).get(p).i32Const(width).op('i32.mul').get(ls).op('i32.mul').op('i32.add').set(base);
    const copyK = (body: () => void) =>
      forRange(f, kk, zero, k, () => {
        f.get(base).get(kk).get(ks).op('i32.mul').op('i32.add').set(s);
        body();
        f.get(dst)
          .i32Const(width * 4)
          .op('i32.add')
          .set(dst);
      });
    if (vectorCopy) {
      // lanes contiguous (ls = 4): ⌊width/4⌋ vector copies per k, then 8 and 4 bytes for the rest
      f.get(ls).i32Const(4).op('i32.eq');
      const contiguous = f.if();
      copyK(() => {
        const vectors = Math.floor(width / 4);
        for (let v = 0; v < vectors; v++)
          f.get(dst)
            .get(s)
            .load('v128.load', v * 16)
            .store('v128.store', v * 16);
        let at = vectors * 16;
        if (width % 4 >= 2) {
          f.get(dst).get(s).load('i64.load', at).store('i64.store', at);
          at += 8;
        }
        if (width % 2 === 1) f.get(dst).get(s).load('f32.load', at).store('f32.store', at);
      });
      f.else(contiguous);
      copyK(() => {
        for (let r = 0; r < width; r++) {
          f.get(dst)
            .get(s)
            .load('f32.load')
            .store('f32.store', r * 4);
          if (r + 1 < width) f.get(s).get(ls).op('i32.add').set(s);
        }
      });
      f.end(contiguous);
    } else {
      copyK(() => {
        for (let r = 0; r < width; r++) {
          f.get(dst)
            .get(s)
            .load('f32.load')
            .store('f32.store', r * 4);
          if (r + 1 < width) f.get(s).get(ls).op('i32.add').set(s);
        }
      });
    }
  });

  // the partial panel: zeros, then `count` lanes
  f.get(count);
  const partial = f.if();
  f.get(k)
    .i32Const(width * 4)
    .op('i32.mul')
    .get(dst)
    .op('i32.add')
    .set(end);
  f.get(dst).set(d);
  {
    f.get(d).get(end).op('i32.lt_u');
    const any = f.if();
    const loop = f.loop();
    f.get(d).f32Const(0).store('f32.store');
    f.get(d).i32Const(4).op('i32.add').tee(d).get(end).op('i32.lt_u').brIf(loop);
    f.end(loop);
    f.end(any);
  }
  f.get(src).get(full).i32Const(width).op('i32.mul').get(ls).op('i32.mul').op('i32.add').set(base);
  forRange(f, l, zero, count, () => {
    f.get(base).get(l).get(ls).op('i32.mul').op('i32.add').set(s);
    f.get(dst).get(l).i32Const(4).op('i32.mul').op('i32.add').set(d);
    forRange(f, kk, zero, k, () => {
      f.get(d).get(s).load('f32.load').store('f32.store');
      f.get(s).get(ks).op('i32.add').set(s);
      f.get(d)
        .i32Const(width * 4)
        .op('i32.add')
        .set(d);
    });
  });
  f.end(partial);
}

/** One chunk of a product, its own panels of the split operand packed first (see GemmExports.gemm_chunk). */
function emitGemmChunk(f: FunctionBuilder, gemm: FunctionBuilder, packA: FunctionBuilder, packB: FunctionBuilder, cfg: GemmConfig): void {
  const [ap, bp, c, K, ldc, kc, mc, src, ls, ks, lanes, byRows, other, lo, hi] = i32Params(f, 15);
  const hiLanes = f.local('i32');
  const part = (width: number, pack: FunctionBuilder, packed: Local<'i32'>) => {
    // pack(src + lo·width·ls, ls, ks, min(lanes, hi·width) − lo·width, K, packed + lo·width·K·4)
    f.get(lanes);
    const any = f.if();
    f.get(src).get(lo).i32Const(width).op('i32.mul').get(ls).op('i32.mul').op('i32.add');
    f.get(ls).get(ks);
    min(
      f,
      hiLanes,
      () => f.get(lanes),
      () => f.get(hi).i32Const(width).op('i32.mul'),
    );
    f.get(hiLanes).get(lo).i32Const(width).op('i32.mul').op('i32.sub');
    f.get(K);
    f.get(packed).get(lo).i32Const(width).op('i32.mul').get(K).op('i32.mul').i32Const(4).op('i32.mul').op('i32.add');
    f.call(pack);
    f.end(any);
  };
  const fixed = () => {
    for (const p of [ap, bp, c, K, ldc, kc, mc]) f.get(p);
  };
  f.get(byRows);
  const rows = f.if();
  part(cfg.mr, packA, ap);
  fixed();
  f.get(lo).get(hi).i32Const(0).get(other);
  f.call(gemm);
  f.else(rows);
  part(cfg.nr, packB, bp);
  fixed();
  f.i32Const(0).get(other).get(lo).get(hi);
  f.call(gemm);
  f.end(rows);
}

/** Rows of bytes from one strided place to another (memory.copy: far faster than a TypedArray copy between views of a shared buffer). */
function emitCopyRows(f: FunctionBuilder): void {
  const [dst, ds, src, ss, bytes, rows] = i32Params(f, 6);
  const r = f.local('i32');
  const zero = f.local('i32');
  forRange(f, r, zero, rows, () => {
    f.get(dst).get(src).get(bytes).memoryCopy();
    f.get(dst).get(ds).op('i32.add').set(dst);
    f.get(src).get(ss).op('i32.add').set(src);
  });
}

/** The module's bytes for `cfg`. */
export function gemmModuleBytes(cfg: GemmConfig): Uint8Array {
  if (cfg.nr % 4 !== 0 || cfg.nr < 4 || cfg.mr < 1) throw new Error(`wasm gemm: bad tile ${cfg.mr}x${cfg.nr}`);
  const m = new ModuleBuilder();
  m.importMemory({
    module: 'env',
    name: 'memory',
    initial: 1,
    ...(cfg.sharedMaxPages !== undefined ? { maximum: cfg.sharedMaxPages, shared: true } : {}),
  });
  const kernel = m.func('kernel', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const gemm = m.func('gemm', Array(11).fill('i32'));
  const packA = m.func('pack_a', Array(6).fill('i32'));
  const packB = m.func('pack_b', Array(6).fill('i32'));
  const copyRows = m.func('copy_rows', Array(6).fill('i32'));
  const gemmChunk = m.func('gemm_chunk', Array(15).fill('i32'));
  emitKernel(kernel, cfg);
  emitGemm(gemm, kernel, cfg);
  emitPack(packA, cfg.mr, true);
  emitPack(packB, cfg.nr, true);
  emitCopyRows(copyRows);
  emitGemmChunk(gemmChunk, gemm, packA, packB, cfg);
  return m.toBytes();
}
