// examples/web for real: builds the page, serves it (cross-origin isolated, and not), opens it in
// headless Chromium (Debian's, through playwright-core: nothing is downloaded), draws MNIST test
// digits on the pad with pointer events, and checks that the page's predictions are those of the
// same checkpoint evaluated here in Node for the same drawing, and that training in the browser
// lowers the loss. Screenshots go to test-artifacts/web/ (git-ignored).
// Skipped, saying so, when no Chromium is installed, unless TENFOLD_REQUIRE_BROWSER is set (CI).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Array, np, random } from '@tenfold/core';
import { MNIST_FILES, parseIdx } from '@tenfold/nn';
import { loadParams, mnistDataDir } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlp } from '../mnist/models.js';
import { prepare } from './scripts/prepare.js';
import type { DemoState } from './src/main.js';
import { PAD_SIZE } from './src/pad.js';
import { inkOf, mnistPixels, normalize } from './src/preprocess.js';
import { ensureCheckpoint } from './testing/checkpoint.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, '../../test-artifacts/web');
const CHROMIUM = [process.env.TENFOLD_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p !== undefined && p !== '' && existsSync(p));
const REQUIRED = (process.env.TENFOLD_REQUIRE_BROWSER ?? '') !== '';
const DIGITS = 6;

if (CHROMIUM === undefined && !REQUIRED) {
  console.warn(
    'examples/web/web.test.ts: SKIPPED: no Chromium executable (apt-get install chromium, or set TENFOLD_CHROMIUM); set TENFOLD_REQUIRE_BROWSER=1 to fail instead',
  );
}

/** The first `n` MNIST test images (0..255, 28×28) and labels. */
function testDigits(n: number): { pixels: Uint8Array; label: number }[] {
  const dir = mnistDataDir();
  if (E.isLeft(dir)) throw dir.left;
  const read = (f: string, rank: number) => {
    const r = parseIdx(new Uint8Array(readFileSync(path.join(dir.right, f))), { limit: n, expect: { type: 'u8', rank } });
    if (E.isLeft(r)) throw r.left;
    return r.right.data as Uint8Array;
  };
  const images = read(MNIST_FILES.testImages, 3);
  const labels = read(MNIST_FILES.testLabels, 1);
  return globalThis.Array.from({ length: n }, (_, i) => ({ pixels: images.subarray(784 * i, 784 * (i + 1)), label: labels[i] as number }));
}

/** Draws a 28×28 digit on the pad: each row's runs of ink as one stroke (pointer down, move, up). */
async function draw(page: Page, pixels: Uint8Array): Promise<void> {
  const box = await page.locator('#pad').boundingBox();
  if (box === null) throw new Error('the pad is not visible');
  const at = (x: number, y: number) => [box.x + ((x + 0.5) * box.width) / 28, box.y + ((y + 0.5) * box.height) / 28] as const;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if ((pixels[y * 28 + x] as number) < 128) continue;
      let end = x;
      while (end + 1 < 28 && (pixels[y * 28 + end + 1] as number) >= 128) end++;
      await page.mouse.move(...at(x, y));
      await page.mouse.down();
      await page.mouse.move(...at(end, y));
      await page.mouse.up();
      x = end;
    }
  }
}

const demo = (page: Page) => page.evaluate(() => window.tenfoldDemo) as Promise<DemoState>;

/** The page's state once its prediction covers every change to the drawing. */
async function settled(page: Page): Promise<DemoState> {
  await page.waitForFunction(() => window.tenfoldDemo.predictedChanges === window.tenfoldDemo.changes, undefined, { timeout: 20_000 });
  return demo(page);
}

describe.skipIf(CHROMIUM === undefined && !REQUIRED)('examples/web in headless Chromium', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'tenfold-web-'));
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  let url = '';
  let params: unknown;
  const model = mlp();
  const forward = (x: Float32Array): number[] => {
    const logp = model.apply(params as ReturnType<typeof model.init>, np.array(x, { shape: [1, 784], dtype: 'float32' }) as Array);
    return globalThis.Array.from(np.exp(logp).dataSync());
  };

  beforeAll(async () => {
    if (CHROMIUM === undefined) throw new Error('TENFOLD_REQUIRE_BROWSER is set but no Chromium executable was found (apt-get install chromium)');
    mkdirSync(artifacts, { recursive: true });
    const ckpt = ensureCheckpoint(work);
    console.log(`examples/web test: checkpoint ${ckpt.trainedHere ? 'trained here (400 steps): no runs/mnist-mlp/mlp.safetensors' : ckpt.path}`);
    const loaded = loadParams(ckpt.path, model.init(random.key(0)));
    if (E.isLeft(loaded)) throw loaded.left;
    params = loaded.right;
    const publicDir = path.join(work, 'public');
    const outDir = path.join(work, 'dist');
    prepare({ out: publicDir, checkpoint: ckpt.path, train: 2000 });
    const configFile = path.join(here, 'vite.config.ts');
    await build({ configFile, publicDir, logLevel: 'warn', build: { outDir } });
    server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
    url = server.resolvedUrls?.local[0] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // WebGPU: Chromium's SwiftShader adapter where there is no GPU
      args: [
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const modes = [
    { name: 'CPU, cross-origin isolated (Web Workers)', backend: 'cpu', isolated: true, digits: DIGITS, tolerance: 1e-5 },
    { name: 'CPU, not isolated (single-threaded)', backend: 'cpu', isolated: false, digits: DIGITS, tolerance: 1e-5 },
    // float32 on the GPU sums in another order than the CPU kernels
    { name: 'WebGPU', backend: 'webgpu', isolated: true, digits: 4, tolerance: 1e-4 },
  ] as const;
  for (const { name: mode, backend, isolated, digits, tolerance } of modes) {
    it(`classifies drawn MNIST test digits as the checkpoint does in Node: ${mode}`, async () => {
      const page = await (browser as Browser).newPage({ viewport: { width: 900, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}?backend=${backend}${isolated ? '' : '&coi=0'}`);
      await page.waitForFunction(() => window.tenfoldDemo?.ready === true || window.tenfoldDemo?.error !== null, undefined, { timeout: 30_000 });
      let s = await demo(page);
      expect(s.error).toBeNull();
      expect(s.model).toBe('checkpoint');
      expect(s.backend).toBe(backend);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);
      expect(s.threads?.host).toBe(isolated ? 'web' : null);
      await expect(page.locator('#backend').textContent()).resolves.toContain(
        backend === 'webgpu' ? 'WebGPU backend' : isolated ? 'Web Workers' : 'single-threaded',
      );
      let right = 0;
      for (const [i, { pixels, label }] of testDigits(digits).entries()) {
        await page.click('#clear');
        await draw(page, pixels);
        s = await settled(page);
        const rgba = await page.evaluate(() => {
          const c = document.getElementById('pad') as HTMLCanvasElement;
          return globalThis.Array.from((c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data);
        });
        // the same drawing, preprocessed and classified here
        const px = mnistPixels(inkOf(rgba, PAD_SIZE, PAD_SIZE), PAD_SIZE, PAD_SIZE);
        expect(px).not.toBeNull();
        const input = normalize(px as Float32Array);
        expect(s.input).not.toBeNull();
        expect(Math.max(...(s.input as number[]).map((v, j) => Math.abs(v - (input[j] as number))))).toBeLessThan(1e-6);
        const probs = forward(input);
        const digit = probs.indexOf(Math.max(...probs));
        expect(s.digit, `digit ${i} (a ${label})`).toBe(digit);
        expect(Math.max(...(s.probs as number[]).map((p, j) => Math.abs(p - (probs[j] as number))))).toBeLessThan(tolerance);
        await expect(page.locator('#digit').textContent()).resolves.toBe(String(digit));
        if (digit === label) right++;
        if (i === 0) await page.screenshot({ path: path.join(artifacts, `predict-${backend}${isolated ? '' : '-not-isolated'}.png`) });
      }
      console.log(`examples/web (${mode}): ${right}/${digits} drawn test digits read as their labels`);
      // drawn (thicker, re-centred) digits are harder than the test set, but mostly read right
      expect(right).toBeGreaterThanOrEqual(digits - 2);
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);
  }

  it('trains in the browser: the loss falls, and Web Workers took shares of the products', async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 900, height: 900 } });
    await page.goto(`${url}?backend=cpu`);
    await page.waitForFunction(() => window.tenfoldDemo?.ready === true, undefined, { timeout: 30_000 });
    await page.click('#train');
    await page.waitForFunction(() => window.tenfoldDemo.training !== 'running' && window.tenfoldDemo.training !== 'idle', undefined, { timeout: 100_000 });
    const s = await demo(page);
    await page.screenshot({ path: path.join(artifacts, 'train.png') });
    expect(s.error).toBeNull();
    expect(s.training).toBe('done');
    expect(s.losses).toHaveLength(300);
    expect(s.losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(s.losses.slice(0, 20));
    const last = mean(s.losses.slice(-20));
    console.log(`examples/web: in-browser training loss ${first.toFixed(3)} -> ${last.toFixed(3)}; workers ${JSON.stringify(s.threads)}`);
    expect(first).toBeGreaterThan(1.5);
    expect(last).toBeLessThan(0.5 * first);
    expect(s.model).toBe('trained in the browser');
    expect(s.threads?.started).toBeGreaterThan(0);
    expect(s.threads?.workerShares).toBeGreaterThan(0);
    await page.close();
  }, 120_000);
});
