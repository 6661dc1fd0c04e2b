// The checkpoint the page's test classifies with: the one `npm run mnist` wrote, or, where there is
// none (a fresh clone, CI), a small one trained here the same way (the MLP, its loss, SGD lr 0.01
// momentum 0.9, jit) for a few hundred steps: enough for a model that reads digits.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { random } from '@tenfold/core';
import { encodeCheckpoint, epochKey, initTrainState, sgd, shuffledBatches, takeBatch, trainStep } from '@tenfold/nn';
import { loadMnist } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { mlp, modelLoss } from '../../mnist/models.js';

export const RUN_CHECKPOINT = fileURLToPath(new URL('../../../runs/mnist-mlp/mlp.safetensors', import.meta.url));

/** The path of a checkpoint: `npm run mnist`'s if there is one, else one trained now into `dir` (`steps` steps of batch 64). */
export function ensureCheckpoint(dir: string, steps = 400): { path: string; trainedHere: boolean } {
  if (existsSync(RUN_CHECKPOINT)) return { path: RUN_CHECKPOINT, trainedHere: false };
  const data = loadMnist({ limit: { train: 12_800, test: 0 } });
  if (E.isLeft(data)) throw data.left;
  const train = data.right.train;
  const model = mlp();
  const optimizer = sgd({ lr: 0.01, momentum: 0.9 });
  const step = trainStep(modelLoss(model), optimizer, { jit: true });
  const [initKey, shuffleKey] = random.split(random.key(0));
  let state = initTrainState(model.init(initKey), optimizer);
  for (let s = 0, epoch = 0; s < steps; epoch++) {
    for (const idx of shuffledBatches(epochKey(shuffleKey, epoch), train.labels.shape[0] as number, 64)) {
      if (s++ >= steps) break;
      state = step(state, takeBatch(train, idx)).state;
    }
  }
  const bytes = encodeCheckpoint(state.params);
  if (E.isLeft(bytes)) throw bytes.left;
  const file = path.join(dir, 'mlp.safetensors');
  writeFileSync(file, bytes.right.bytes);
  return { path: file, trainedHere: true };
}
