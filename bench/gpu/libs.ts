// Starts the three libraries on WebGPU from one Dawn GPU object and says how to wait for each
// one's queued work: tenfold's backend.sync(), jax-js's blockUntilReady (it records lazily),
// TensorFlow.js's submitQueue() then the device queue's onSubmittedWorkDone().
/// <reference types="@webgpu/types" preserve="true" />
import * as jax from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs-core';
import { setDefaultBackend } from '../../packages/core/src/index.js';
import { type AdapterReport, initWebGPU, type WebGPUBackend, webgpuBackend } from '../../packages/gpu/src/index.js';
import { installNavigatorGpu } from './navigator.js';

/** What TensorFlow.js's WebGPU backend exposes that the benchmark uses (not in tfjs-core's types). */
interface TfWebGPUBackend {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export interface Libs {
  report: AdapterReport;
  tenfold: WebGPUBackend;
  /** Why a peer could not start (it is then left out), by name. */
  missing: Map<string, string>;
  /** Waits until TensorFlow.js's recorded work has run on the device. */
  tfDrain(): Promise<void>;
}

export async function startLibs(dawnFlags: readonly string[]): Promise<Libs> {
  installNavigatorGpu(dawnFlags);
  // the adapter both peers ask for, so that on a machine with two GPUs all three get the same one
  const report = await initWebGPU({ powerPreference: 'high-performance' });
  setDefaultBackend('webgpu');
  const missing = new Map<string, string>();
  try {
    const got = await jax.init('webgpu');
    if (!got.includes('webgpu')) missing.set('jax-js', 'jax.init("webgpu") returned no WebGPU device');
    else jax.defaultDevice('webgpu');
  } catch (e) {
    missing.set('jax-js', (e as Error).message);
  }
  // the backend registers itself at import only when navigator.gpu exists, so it is imported now
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) missing.set('TensorFlow.js', 'tf.setBackend("webgpu") failed');
  await tf.ready();
  const tfDrain = async () => {
    const b = tf.backend() as unknown as TfWebGPUBackend;
    // what its own reads do: close the open compute pass, submit what is recorded
    b.endComputePassEncoder();
    if (b.commandEncoder !== null) b.submitQueue();
    await b.device.queue.onSubmittedWorkDone();
  };
  return { report, tenfold: webgpuBackend(), missing, tfDrain };
}
