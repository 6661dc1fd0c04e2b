// The network, its checkpoint and the backend it runs on: the MLP that `npm run mnist` trains
// (examples/mnist/models.ts), its safetensors checkpoint decoded from bytes, and WebGPU where the
// browser offers it, else the default CPU backend.
import { type Array, cpuThreadsInfo, devicePut, np, random, setDefaultBackend, tree } from '@tenfold/core';
import { initWebGPU } from '@tenfold/gpu';
import { jit } from '@tenfold/grad';
import { decodeParams } from '@tenfold/nn';
import * as E from 'fp-ts/lib/Either.js';
import { mlp } from '../../mnist/models.js';

export const model = mlp();
export type Params = ReturnType<typeof model.init>;

export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

/** The backend in use and a sentence for the page. */
export interface BackendInUse {
  readonly name: 'cpu' | 'webgpu';
  readonly description: string;
}

function cpuDescription(): string {
  const t = cpuThreadsInfo();
  return t.host === 'web'
    ? `CPU backend (WebAssembly), ${t.threads} threads: Web Workers (the page is cross-origin isolated)`
    : 'CPU backend (WebAssembly), single-threaded (the page is not cross-origin isolated, so no shared memory for workers)';
}

/** WebGPU when asked for ('webgpu', or 'auto' and navigator.gpu gives an adapter), else the CPU backend. */
export async function chooseBackend(want: BackendChoice): Promise<BackendInUse> {
  let why = '';
  if (want !== 'cpu') {
    if ('gpu' in navigator && navigator.gpu !== undefined) {
      try {
        const report = await initWebGPU();
        setDefaultBackend('webgpu');
        const adapter = [report.vendor, report.architecture, report.description].filter((s) => s !== '').join(' ');
        return { name: 'webgpu', description: `WebGPU backend (${adapter || 'adapter'}${report.isFallbackAdapter ? ', a software adapter' : ''})` };
      } catch (e) {
        why = `WebGPU is not available here (${e instanceof Error ? e.message.split(';')[0] : String(e)}); `;
      }
    } else why = 'this browser offers no WebGPU; ';
  }
  setDefaultBackend('cpu');
  return { name: 'cpu', description: `${why}${cpuDescription()}` };
}

/** The checkpoint's parameters (checked against the MLP's structure, shapes and dtypes) on `backend`. */
export function paramsFromCheckpoint(bytes: Uint8Array, backend: string): Params {
  // the template only gives the structure; its values are discarded
  const template = model.init(random.key(0));
  const params = decodeParams(bytes, template, { name: 'mlp.safetensors' });
  if (E.isLeft(params)) throw params.left;
  return backend === 'cpu' ? params.right : (tree.map((x) => devicePut(x as Array, backend), params.right) as unknown as Params);
}

/** Probabilities of the ten digits for one normalised 28×28 input. */
const forward = jit((params: Params, x: Array) => np.exp(model.apply(params, x)));

export async function probabilities(params: Params, input: Float32Array): Promise<number[]> {
  const x = np.array(input, { shape: [1, 784], dtype: 'float32' });
  return globalThis.Array.from(await forward(params, x).data());
}
