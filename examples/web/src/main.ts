// The page: draw a digit, see what the MLP trained by `npm run mnist` makes of it, and train the
// same network in the browser. `window.tenfoldDemo` exposes the page's state to its test.
import { type CpuThreadsInfo, cpuThreadsInfo } from '@tenfold/core';
import { type MnistSplit, parseMnistSplit } from '@tenfold/nn';
import * as E from 'fp-ts/lib/Either.js';
import { barChart, drawLossCurve } from './charts.js';
import { type BackendChoice, chooseBackend, type Params, paramsFromCheckpoint, probabilities } from './model.js';
import { PAD_SIZE, Pad } from './pad.js';
import { inkOf, mnistPixels, normalize, SIDE } from './preprocess.js';
import { trainInBrowser } from './train.js';

/** What the page is doing, for its test (read with page.evaluate). */
export interface DemoState {
  ready: boolean;
  error: string | null;
  backend: 'cpu' | 'webgpu' | null;
  model: 'checkpoint' | 'trained in the browser' | 'none';
  /** Changes to the drawing so far, and how many of them the prediction shown covers. */
  changes: number;
  predictedChanges: number;
  digit: number | null;
  probs: number[] | null;
  /** The normalised 28×28 input of the prediction shown. */
  input: number[] | null;
  training: 'idle' | 'running' | 'done' | 'failed';
  losses: number[];
  threads: CpuThreadsInfo | null;
}

declare global {
  interface Window {
    tenfoldDemo: DemoState;
  }
}

const TRAIN_STEPS = 300;
const BATCH = 64;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const state: DemoState = {
  ready: false,
  error: null,
  backend: null,
  model: 'none',
  changes: 0,
  predictedChanges: 0,
  digit: null,
  probs: null,
  input: null,
  training: 'idle',
  losses: [],
  threads: null,
};
window.tenfoldDemo = state;

const showBars = barChart($('bars'));
const pad = new Pad($<HTMLCanvasElement>('pad'));
let params: Params | null = null;
let busy = false;

function fail(e: unknown): void {
  state.error = e instanceof Error ? e.message : String(e);
  $('error').textContent = state.error;
}

/** Shows the 28×28 input the network sees (un-normalised pixels). */
function showInput(pixels: Float32Array | null): void {
  const c = $<HTMLCanvasElement>('seen').getContext('2d') as CanvasRenderingContext2D;
  const img = c.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = Math.round(255 * (pixels?.[i] ?? 0));
    img.data.set([v, v, v, 255], 4 * i);
  }
  c.putImageData(img, 0, 0);
}

/** Predicts until the prediction covers every change to the drawing (one at a time). */
async function update(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    while (state.predictedChanges !== state.changes) {
      const seen = state.changes;
      const pixels = mnistPixels(inkOf(pad.pixels(), PAD_SIZE, PAD_SIZE), PAD_SIZE, PAD_SIZE);
      showInput(pixels);
      if (pixels === null || params === null) {
        Object.assign(state, { digit: null, probs: null, input: null });
      } else {
        const input = normalize(pixels);
        const probs = await probabilities(params, input);
        Object.assign(state, { digit: probs.indexOf(Math.max(...probs)), probs, input: Array.from(input) });
      }
      state.predictedChanges = seen;
      showBars(state.probs);
      $('digit').textContent = state.digit === null ? '–' : String(state.digit);
      $('hint').textContent = params === null ? 'no model yet: train one below' : state.digit === null ? 'draw a digit on the black pad' : '';
    }
  } catch (e) {
    fail(e);
  } finally {
    busy = false;
  }
}

pad.onChange = () => {
  state.changes++;
  requestAnimationFrame(() => void update());
};

async function fetchBytes(url: string): Promise<Uint8Array | null> {
  const r = await fetch(url);
  return r.ok ? new Uint8Array(await r.arrayBuffer()) : null;
}

let trainSet: MnistSplit | null = null;

async function train(): Promise<void> {
  const button = $<HTMLButtonElement>('train');
  button.disabled = true;
  state.training = 'running';
  state.losses = [];
  const curve = $<HTMLCanvasElement>('loss');
  try {
    if (trainSet === null) {
      const [images, labels] = await Promise.all([fetchBytes('data/train-images-idx3-ubyte'), fetchBytes('data/train-labels-idx1-ubyte')]);
      if (images === null || labels === null) throw new Error('the MNIST slice is missing (data/ is written by examples/web/scripts/prepare.ts)');
      const split = parseMnistSplit(images, labels, { backend: state.backend ?? 'cpu' }, { images: 'train-images', labels: 'train-labels' });
      if (E.isLeft(split)) throw split.left;
      trainSet = split.right;
    }
    const n = trainSet.labels.shape[0] as number;
    $('train-status').textContent = `training on ${n} MNIST images, batch ${BATCH}…`;
    const t0 = performance.now();
    params = await trainInBrowser(trainSet, {
      steps: TRAIN_STEPS,
      batchSize: BATCH,
      seed: Date.now() % 1000,
      onStep: (step, loss) => {
        state.losses.push(loss);
        drawLossCurve(curve, state.losses, TRAIN_STEPS);
        $('train-status').textContent = `step ${step}/${TRAIN_STEPS}: loss ${loss.toFixed(3)}`;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const head = state.losses.slice(0, 10);
    const tail = state.losses.slice(-10);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    $('train-status').textContent =
      `${TRAIN_STEPS} steps in ${seconds.toFixed(1)} s: loss ${mean(head).toFixed(3)} → ${mean(tail).toFixed(3)} (first and last 10 steps); the pad now uses this model`;
    state.model = 'trained in the browser';
    $('model').textContent = state.model;
    state.training = 'done';
    state.threads = cpuThreadsInfo();
    state.predictedChanges = -1;
    await update();
  } catch (e) {
    state.training = 'failed';
    fail(e);
  } finally {
    button.disabled = false;
  }
}

async function start(): Promise<void> {
  const want = (new URLSearchParams(location.search).get('backend') ?? 'auto') as BackendChoice;
  $<HTMLSelectElement>('backend-choice').value = want;
  const backend = await chooseBackend(want);
  state.backend = backend.name;
  $('backend').textContent = backend.description;
  const bytes = await fetchBytes('mlp.safetensors');
  if (bytes === null) {
    $('model').textContent = 'no checkpoint (run `npm run mnist`, then `npm run web`), or train one here';
  } else {
    params = paramsFromCheckpoint(bytes, backend.name);
    state.model = 'checkpoint';
    $('model').textContent = 'the checkpoint of `npm run mnist` (runs/mnist-mlp/mlp.safetensors)';
  }
  state.threads = cpuThreadsInfo();
  state.ready = true;
  document.body.dataset.ready = 'true';
}

$('clear').addEventListener('click', () => pad.clear());
$('train').addEventListener('click', () => void train());
$('backend-choice').addEventListener('change', (e) => {
  const url = new URL(location.href);
  url.searchParams.set('backend', (e.target as HTMLSelectElement).value);
  location.href = url.toString();
});
start().catch(fail);
