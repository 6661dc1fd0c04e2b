// Shared by the WebGPU tests that count live buffers: arrays nobody disposed are released by the
// garbage-collection backstop, whose callbacks run only when the event loop turns.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Forces a collection and lets finalizers run, so live-buffer counts are exact. */
export async function settle(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
}
