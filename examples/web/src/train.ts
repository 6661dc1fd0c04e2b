// Training in the browser: the same loss(params, batch) (examples/mnist/models.ts) and the same
// optimizer fold as `npm run mnist` (SGD lr 0.01, momentum 0.9), a jitted step, on the slice of
// MNIST shipped with the page, yielding to the page between steps so the loss curve is drawn live.
import { random } from '@tenfold/core';
import { epochKey, initTrainState, type MnistSplit, sgd, shuffledBatches, takeBatch, trainStep } from '@tenfold/nn';
import { modelLoss } from '../../mnist/models.js';
import { model, type Params } from './model.js';

export interface TrainOptions {
  readonly steps: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Called after every step with its loss. */
  readonly onStep: (step: number, loss: number) => void;
}

const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function trainInBrowser(data: MnistSplit, opts: TrainOptions): Promise<Params> {
  const optimizer = sgd({ lr: 0.01, momentum: 0.9 });
  const step = trainStep(modelLoss(model), optimizer, { jit: true });
  const [initKey, shuffleKey] = random.split(random.key(opts.seed));
  let state = initTrainState(model.init(initKey), optimizer);
  const n = data.labels.shape[0] as number;
  let epoch = 0;
  let order: ReturnType<typeof shuffledBatches> = [];
  for (let s = 0; s < opts.steps; s++) {
    if (order.length === 0) order = shuffledBatches(epochKey(shuffleKey, ++epoch), n, opts.batchSize);
    const batch = takeBatch(data, order.shift() as (typeof order)[number]);
    const r = step(state, batch);
    state = r.state;
    opts.onStep(s + 1, (await r.loss.itemAsync()) as number);
    await nextFrame();
  }
  return state.params;
}
