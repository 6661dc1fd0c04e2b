import type { TypedArray } from '../../dtype.js';
import type { CpuRoutines } from './routine.js';

const ROT0 = [13, 15, 26, 6];
const ROT1 = [17, 29, 16, 24];

/**
 * Threefry2x32 with 20 rounds (Salmon et al., Random123), on int32 storage: additions wrap with
 * `| 0` and shifts use `>>>`, so the bits are those of the uint32 algorithm.
 */
export function threefry2x32(k0: number, k1: number, x0: number, x1: number, out: Int32Array, at: number): void {
  const k2 = (k0 ^ k1 ^ 0x1bd11bda) | 0;
  let a = (x0 + k0) | 0;
  let b = (x1 + k1) | 0;
  for (let g = 0; g < 5; g++) {
    const rot = g % 2 === 0 ? ROT0 : ROT1;
    for (let r = 0; r < 4; r++) {
      const d = rot[r] as number;
      a = (a + b) | 0;
      b = (b << d) | (b >>> (32 - d));
      b ^= a;
    }
    // key injection after each group of four rounds: (ks[g+1], ks[g+2] + g + 1), indices mod 3
    const i = (g + 1) % 3;
    a = (a + (i === 0 ? k0 : i === 1 ? k1 : k2)) | 0;
    const j = (g + 2) % 3;
    b = (b + (j === 0 ? k0 : j === 1 ? k1 : k2) + g + 1) | 0;
  }
  out[at] = a;
  out[at + 1] = b;
}

export const randomRoutines: CpuRoutines = {
  threefry2x32: ([k0, k1, x0, x1]) => {
    const n = (x0 as TypedArray).length;
    const y0 = new Int32Array(n);
    const y1 = new Int32Array(n);
    const pair = new Int32Array(2);
    for (let i = 0; i < n; i++) {
      threefry2x32(k0![i] as number, k1![i] as number, x0![i] as number, x1![i] as number, pair, 0);
      y0[i] = pair[0] as number;
      y1[i] = pair[1] as number;
    }
    return [y0, y1];
  },
};
