// lax.conv and lax.reduceWindow against direct nested-loop references.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/dtype.js';
import { lax } from '../../src/index.js';
import * as ref from '../reference.js';
import { EPS32, expectMatches, FC, refArb, toArray } from './helpers.js';

type Pair = [number, number];
type Padding = 'SAME' | 'VALID' | Pair[];

interface ConvCase {
  lhs: ref.Ref;
  rhs: ref.Ref;
  strides: number[];
  padding: Padding;
  lhsDilation: number[];
  rhsDilation: number[];
  featureGroupCount: number;
  batchGroupCount: number;
}

const perDim = <T>(n: number, a: fc.Arbitrary<T>) => fc.array(a, { minLength: n, maxLength: n });
const pairArb = fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 }));

/**
 * A random convolution: 1 or 2 spatial dims; feature groups G (C = G·Cg, O divisible by G) or
 * batch groups BG (N and O divisible by BG); strides, dilations 1–2; padding explicit pairs
 * (negative ones crop), 'VALID', or 'SAME' (only without lhs dilation, where conventions agree).
 */
function convCaseArb(kind: 'dyadic' | 'float32'): fc.Arbitrary<ConvCase> {
  return fc
    .record({
      nsp: fc.integer({ min: 1, max: 2 }),
      groups: fc.oneof(
        fc.constant([1, 1] as const),
        fc.tuple(fc.integer({ min: 2, max: 3 }), fc.constant(1)),
        fc.tuple(fc.constant(1), fc.integer({ min: 2, max: 3 })),
      ),
      nPer: fc.integer({ min: 1, max: 2 }),
      cPer: fc.integer({ min: 1, max: 2 }),
      oPer: fc.integer({ min: 1, max: 2 }),
    })
    .chain(({ nsp, groups: [G, BG], nPer, cPer, oPer }) =>
      fc
        .record({
          spatial: perDim(nsp, fc.integer({ min: 1, max: 5 })),
          window: perDim(nsp, fc.integer({ min: 1, max: 3 })),
          strides: perDim(nsp, fc.integer({ min: 1, max: 2 })),
          lhsDilation: perDim(nsp, fc.integer({ min: 1, max: 2 })),
          rhsDilation: perDim(nsp, fc.integer({ min: 1, max: 2 })),
          pads: perDim(nsp, pairArb),
          padKind: fc.constantFrom('pairs', 'pairs', 'VALID', 'SAME'),
        })
        .chain((p) => {
          const N = nPer * BG;
          const C = cPer * G;
          const O = oPer * G * BG;
          const lhsDilation = p.padKind === 'SAME' ? p.lhsDilation.map(() => 1) : p.lhsDilation;
          const padding: Padding = p.padKind === 'pairs' ? (p.pads as Pair[]) : (p.padKind as 'SAME' | 'VALID');
          return fc.record({
            lhs: refArb([N, C, ...p.spatial], kind),
            rhs: refArb([O, cPer, ...p.window], kind),
            strides: fc.constant(p.strides),
            padding: fc.constant(padding),
            lhsDilation: fc.constant(lhsDilation),
            rhsDilation: fc.constant(p.rhsDilation),
            featureGroupCount: fc.constant(G),
            batchGroupCount: fc.constant(BG),
          });
        }),
    );
}

/** Explicit pairs for the reference ('SAME': output ceil(size / stride), extra on the high side). */
function explicitPadding(padding: Padding, sizes: readonly number[], window: readonly number[], strides: readonly number[], dil: readonly number[]): Pair[] {
  if (padding === 'VALID') return sizes.map(() => [0, 0]);
  if (padding === 'SAME') return sizes.map((n, d) => ref.samePadding(n, window[d] as number, strides[d] as number, dil[d] as number));
  return padding;
}

function runConv(c: ConvCase, dtype: DType) {
  const got = lax.conv(toArray(c.lhs, dtype), toArray(c.rhs, dtype), {
    windowStrides: c.strides,
    padding: c.padding,
    lhsDilation: c.lhsDilation,
    rhsDilation: c.rhsDilation,
    featureGroupCount: c.featureGroupCount,
    batchGroupCount: c.batchGroupCount,
  });
  const opts = {
    strides: c.strides,
    padding: explicitPadding(c.padding, c.lhs.shape.slice(2), c.rhs.shape.slice(2), c.strides, c.rhsDilation),
    lhsDilation: c.lhsDilation,
    rhsDilation: c.rhsDilation,
    featureGroupCount: c.featureGroupCount,
    batchGroupCount: c.batchGroupCount,
  };
  return { got, want: ref.conv(c.lhs, c.rhs, opts), absWant: ref.conv(c.lhs.map(Math.abs), c.rhs.map(Math.abs), opts) };
}

const describeConv = (c: ConvCase) =>
  `lhs [${c.lhs.shape}] rhs [${c.rhs.shape}] strides [${c.strides}] padding ${JSON.stringify(c.padding)} lhsDil [${c.lhsDilation}] rhsDil [${c.rhsDilation}] G ${c.featureGroupCount} BG ${c.batchGroupCount}`;

describe('lax.conv', () => {
  it('matches the direct reference exactly in float64 (dyadic values: every sum is exact)', () => {
    fc.assert(
      fc.property(convCaseArb('dyadic'), (c) => {
        const { got, want } = runConv(c, 'float64');
        try {
          expectMatches(got, want, 0, 'float64');
        } catch (e) {
          throw new Error(`${describeConv(c)}: ${(e as Error).message}`);
        }
      }),
      { ...FC, numRuns: 80 },
    );
  });

  it('float32 stays within (K+1)·2^-23·Σ|w·x| of the exact result', () => {
    fc.assert(
      fc.property(convCaseArb('float32'), (c) => {
        const { got, want, absWant } = runConv(c, 'float32');
        const K = c.rhs.size / (c.rhs.shape[0] as number);
        expectMatches(
          got,
          want,
          absWant.map((s) => (K + 1) * EPS32 * s + 2 ** -149 * (K + 1)),
          'float32',
        );
      }),
      FC,
    );
  });

  it("'SAME' keeps ceil(size / stride) outputs and 'VALID' keeps only full windows", () => {
    fc.assert(
      fc.property(convCaseArb('dyadic'), (c) => {
        const sizes = c.lhs.shape.slice(2);
        const win = c.rhs.shape.slice(2);
        const x = toArray(c.lhs, 'float64');
        const w = toArray(c.rhs, 'float64');
        const opts = { windowStrides: c.strides, rhsDilation: c.rhsDilation, featureGroupCount: c.featureGroupCount, batchGroupCount: c.batchGroupCount };
        const same = lax.conv(x, w, { ...opts, padding: 'SAME' });
        expect(same.shape.slice(2)).toEqual(sizes.map((n, d) => Math.ceil(n / (c.strides[d] as number))));
        const valid = lax.conv(x, w, { ...opts, padding: 'VALID' });
        const span = win.map((k, d) => (k - 1) * (c.rhsDilation[d] as number) + 1);
        expect(valid.shape.slice(2)).toEqual(
          sizes.map((n, d) => (n < (span[d] as number) ? 0 : Math.floor((n - (span[d] as number)) / (c.strides[d] as number)) + 1)),
        );
      }),
      FC,
    );
  });

  it('rejects channel counts that do not fit the groups', () => {
    const x = toArray(new ref.Ref([1, 4, 3, 3], new Array(36).fill(1)), 'float32');
    expect(() => lax.conv(x, toArray(new ref.Ref([2, 3, 1, 1], new Array(6).fill(1)), 'float32'))).toThrow(/^conv: /);
    expect(() => lax.conv(x, toArray(new ref.Ref([3, 2, 1, 1], new Array(6).fill(1)), 'float32'), { featureGroupCount: 2 })).toThrow(/^conv: .*divisible/);
  });
});

interface WindowCase {
  x: ref.Ref;
  op: 'max' | 'sum';
  window: number[];
  strides: number[];
  padding: Padding;
  baseDilation: number[];
  windowDilation: number[];
}

/** reduceWindow over x of rank 1–4 (every dim windowed); 'SAME' only without base dilation. */
const windowCaseArb: fc.Arbitrary<WindowCase> = fc.integer({ min: 1, max: 4 }).chain((nd) =>
  fc
    .record({
      shape: perDim(nd, fc.integer({ min: 0, max: 5 })),
      op: fc.constantFrom('max' as const, 'sum' as const),
      window: perDim(nd, fc.integer({ min: 1, max: 3 })),
      strides: perDim(nd, fc.integer({ min: 1, max: 2 })),
      pads: perDim(nd, fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }))),
      padKind: fc.constantFrom('pairs', 'pairs', 'VALID', 'SAME'),
      baseDilation: perDim(nd, fc.integer({ min: 1, max: 2 })),
      windowDilation: perDim(nd, fc.integer({ min: 1, max: 2 })),
    })
    .chain((p) =>
      refArb(p.shape, 'dyadic').map(
        (x): WindowCase => ({
          x,
          op: p.op,
          window: p.window,
          strides: p.strides,
          padding: p.padKind === 'pairs' ? (p.pads as Pair[]) : (p.padKind as 'SAME' | 'VALID'),
          baseDilation: p.padKind === 'SAME' ? p.baseDilation.map(() => 1) : p.baseDilation,
          windowDilation: p.windowDilation,
        }),
      ),
    ),
);

describe('lax.reduceWindow', () => {
  it('max and sum pooling match the reference (padding and dilation holes hold the init value)', () => {
    fc.assert(
      fc.property(windowCaseArb, fc.constantFrom<DType>('float64', 'float32'), (c, dtype) => {
        const got = lax.reduceWindow(toArray(c.x, dtype), c.op, c.window, {
          windowStrides: c.strides,
          padding: c.padding,
          baseDilation: c.baseDilation,
          windowDilation: c.windowDilation,
        });
        const want = ref.reduceWindow(c.x, c.op, c.window, {
          strides: c.strides,
          padding: explicitPadding(c.padding, c.x.shape, c.window, c.strides, c.windowDilation),
          baseDilation: c.baseDilation,
          windowDilation: c.windowDilation,
        });
        try {
          expectMatches(got, want, 0, dtype);
        } catch (e) {
          throw new Error(
            `${c.op} x [${c.x.shape}] window [${c.window}] strides [${c.strides}] padding ${JSON.stringify(c.padding)} base [${c.baseDilation}] win [${c.windowDilation}]: ${(e as Error).message}`,
          );
        }
      }),
      { ...FC, numRuns: 60 },
    );
  });

  it('2×2 max pooling with stride 2 over NCHW is the max of each block', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
          .chain(([n, c, h, w]) => refArb([n, c, 2 * h, 2 * w], 'float64')),
        (x) => {
          const got = lax.reduceWindow(toArray(x, 'float64'), 'max', [1, 1, 2, 2], { windowStrides: [1, 1, 2, 2] });
          const [n, c, h, w] = x.shape as [number, number, number, number];
          const want = ref.Ref.fromFn([n, c, h / 2, w / 2], ([i, j, y, z]) =>
            Math.max(
              x.get([i as number, j as number, 2 * (y as number), 2 * (z as number)]),
              x.get([i as number, j as number, 2 * (y as number), 2 * (z as number) + 1]),
              x.get([i as number, j as number, 2 * (y as number) + 1, 2 * (z as number)]),
              x.get([i as number, j as number, 2 * (y as number) + 1, 2 * (z as number) + 1]),
            ),
          );
          expectMatches(got, want, 0, 'float64');
        },
      ),
      FC,
    );
  });
});
