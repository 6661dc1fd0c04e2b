// The drawing pad: white strokes on a black canvas, from pointer events (mouse, touch and pen
// alike), with a round brush about as wide, relative to the digit, as MNIST's strokes.
export const PAD_SIZE = 280;
const BRUSH = 22;

export class Pad {
  readonly canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  #last: { x: number; y: number } | null = null;
  /** Called after every change of the drawing. */
  onChange: () => void = () => {};

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    canvas.width = PAD_SIZE;
    canvas.height = PAD_SIZE;
    this.#ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      this.#last = this.#at(e);
      this.#segment(this.#last, this.#last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (this.#last === null) return;
      e.preventDefault();
      const p = this.#at(e);
      this.#segment(this.#last, p);
      this.#last = p;
    });
    const end = () => {
      this.#last = null;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.#ctx.fillStyle = '#000';
    this.#ctx.fillRect(0, 0, PAD_SIZE, PAD_SIZE);
    this.onChange();
  }

  /** The canvas's RGBA bytes. */
  pixels(): Uint8ClampedArray {
    return this.#ctx.getImageData(0, 0, PAD_SIZE, PAD_SIZE).data;
  }

  /** The event's position in canvas pixels (the canvas may be shown scaled). */
  #at(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * PAD_SIZE) / r.width, y: ((e.clientY - r.top) * PAD_SIZE) / r.height };
  }

  #segment(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const c = this.#ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = BRUSH;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(a.x, a.y);
    c.lineTo(b.x, b.y);
    c.stroke();
    this.onChange();
  }
}
