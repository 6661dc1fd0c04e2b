// A drawing becomes a network input the way MNIST's digits were made (LeCun et al.): the ink's
// bounding box is scaled, keeping its aspect ratio, to fit a 20×20 box (area averaging, so strokes
// keep their grey edges), that box is placed in a 28×28 field so the ink's centre of mass is at the
// field's centre, and pixels are normalised as in training. Pure functions, shared by the page and
// by the test that checks the page against Node.
import { MNIST_MEAN, MNIST_STD } from '@tenfold/nn';

/** The input's side and the box the digit is fitted into. */
export const SIDE = 28;
export const BOX = 20;
/** Ink below this (of 1) does not count towards the bounding box (anti-aliasing haze). */
const INK_THRESHOLD = 0.1;

/** Ink in [0, 1] per pixel from RGBA bytes of white strokes on black (the red channel). */
export function inkOf(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = (rgba[4 * i] as number) / 255;
  return ink;
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function boundingBox(ink: Float32Array, width: number, height: number): Box | null {
  let box: Box | null = null;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((ink[y * width + x] as number) <= INK_THRESHOLD) continue;
      if (box === null) box = { x0: x, y0: y, x1: x + 1, y1: y + 1 };
      else {
        box.x0 = Math.min(box.x0, x);
        box.x1 = Math.max(box.x1, x + 1);
        box.y0 = Math.min(box.y0, y);
        box.y1 = Math.max(box.y1, y + 1);
      }
    }
  }
  return box;
}

/** Weights w[d][s]: how much of source cell s (of `from`) falls in destination cell d (of `to`), each row summing to 1. */
function areaWeights(from: number, to: number): Float32Array {
  const w = new Float32Array(to * from);
  const scale = from / to;
  for (let d = 0; d < to; d++) {
    const lo = d * scale;
    const hi = lo + scale;
    for (let s = Math.floor(lo); s < Math.min(from, Math.ceil(hi)); s++) w[d * from + s] = (Math.min(hi, s + 1) - Math.max(lo, s)) / scale;
  }
  return w;
}

/**
 * The 28×28 input (row-major, ink in [0, 1], not yet normalised) for a drawing's ink, or null when
 * nothing is drawn.
 */
export function mnistPixels(ink: Float32Array, width: number, height: number): Float32Array | null {
  const box = boundingBox(ink, width, height);
  if (box === null) return null;
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // separable area averaging: rows first (bh × tw), then columns (th × tw)
  const wx = areaWeights(bw, tw);
  const wy = areaWeights(bh, th);
  const rows = new Float32Array(bh * tw);
  for (let y = 0; y < bh; y++) {
    const src = (box.y0 + y) * width + box.x0;
    for (let d = 0; d < tw; d++) {
      let acc = 0;
      for (let s = 0; s < bw; s++) acc += (wx[d * bw + s] as number) * (ink[src + s] as number);
      rows[y * tw + d] = acc;
    }
  }
  const small = new Float32Array(th * tw);
  for (let d = 0; d < th; d++) {
    for (let s = 0; s < bh; s++) {
      const w = wy[d * bh + s] as number;
      if (w === 0) continue;
      for (let x = 0; x < tw; x++) small[d * tw + x] = (small[d * tw + x] as number) + w * (rows[s * tw + x] as number);
    }
  }
  // centre of mass of the scaled digit, moved to the field's centre by a whole-pixel shift
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x] as number;
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  const dx = Math.round(SIDE / 2 - cx / mass);
  const dy = Math.round(SIDE / 2 - cy / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < th; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= SIDE) continue;
    for (let x = 0; x < tw; x++) {
      const tx = x + dx;
      if (tx >= 0 && tx < SIDE) out[ty * SIDE + tx] = Math.min(1, small[y * tw + x] as number);
    }
  }
  return out;
}

/** Normalised as the training data: (x − 0.1307) / 0.3081. */
export function normalize(pixels: Float32Array): Float32Array {
  return pixels.map((v) => (v - MNIST_MEAN) / MNIST_STD);
}
