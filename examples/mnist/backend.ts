// Selecting where the run's arrays live. WebGPU needs an adapter and a device before its first
// array and the device released at the end (so Node can exit); @tenfold/gpu is imported only
// when it is chosen, so the CPU path never loads Dawn. The data set stays on the host (the CPU
// backend) when the model runs on WebGPU: the 60,000 training images (188 MB as float32) are
// more than a device binds in one buffer (128 MiB on lavapipe), and the batches are shuffled and
// gathered on the host and uploaded one at a time, as a data loader does.
import { type Array, defaultBackendName, devicePut, setDefaultBackend, withBackend } from '@tenfold/core';
import type { Batch } from './models.js';
import type { MnistOptions } from './options.js';

export interface SelectedBackend {
  /** What the backend runs on, for the run's first lines (the adapter on WebGPU). */
  readonly description: string;
  /** Whether reading a value waits for the device (WebGPU): the run then reads losses in groups. */
  readonly asyncReads: boolean;
  /** Runs `f` with the backend that holds the data set as the default (data loading, shuffling, batches). */
  onHost<T>(f: () => T): T;
  /** A batch made on the host, moved to the backend that trains (the same arrays when that is the host). */
  toDevice(batch: Batch): Batch;
  /** Releases what selecting took: the WebGPU device (its arrays are unusable after), unless the caller held it before. */
  release(): void;
}

const put = (x: Array): Array => devicePut(x, 'webgpu');

/** Whether a WebGPU device is held now (webgpuBackend() throws until initWebGPU() has got one). */
function holdsDevice(webgpuBackend: () => unknown): boolean {
  try {
    webgpuBackend();
    return true;
  } catch {
    return false;
  }
}

/** Makes `name` the default backend; a WebGPU adapter that cannot be had is an Error with its message. */
export async function selectBackend(name: MnistOptions['backend']): Promise<SelectedBackend> {
  if (name !== 'webgpu') {
    setDefaultBackend(name);
    return { description: name, asyncReads: false, onHost: (f) => f(), toDevice: (batch) => batch, release: () => {} };
  }
  const gpu = await import('@tenfold/gpu');
  // a device the caller already holds (a test, an application) is the caller's to release
  const held = holdsDevice(gpu.webgpuBackend);
  const previous = defaultBackendName();
  const adapter = await gpu.initWebGPU();
  setDefaultBackend('webgpu');
  return {
    description: `webgpu on ${adapter.name}${adapter.isFallbackAdapter ? ' (a software adapter)' : ''}`,
    asyncReads: true,
    onHost: (f) => withBackend('cpu', f),
    toDevice: ({ images, labels }) => ({ images: put(images), labels: put(labels) }),
    release: () => {
      if (held) {
        setDefaultBackend(previous);
        return;
      }
      setDefaultBackend('cpu');
      gpu.destroyWebGPU();
    },
  };
}
