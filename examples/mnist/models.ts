// The two networks: the tutorial's MLP (as intended: 784-200-200-10, the hidden layer used once)
// and the convolutional network its title promised, and the loss both train with (also in the
// browser: examples/web imports this file, so it imports nothing from Node).
import type { Array } from '@tenfold/core';
import { conv2d, dense, flatten, type Layer, logSoftmax, maxPool2d, nllLoss, relu, sequential } from '@tenfold/nn';

/** A batch of images and their labels. */
export type Batch = { readonly images: Array; readonly labels: Array };

/** The whole model in one pure function of (params, batch): the mean NLL, what grad differentiates. */
export function modelLoss<P>(model: Layer<P>): (params: P, batch: Batch) => Array {
  return (params, batch) => nllLoss(model.apply(params, batch.images), batch.labels);
}

/** 784 → 200 → 200 → 10 with ReLU and a log-softmax output (PyTorch's default Linear init). */
export function mlp() {
  return sequential(flatten(), dense(784, 200), relu(), dense(200, 200), relu(), dense(200, 10), logSoftmax());
}

/**
 * Two conv-ReLU-max-pool blocks and a dense head: [N,1,28,28] → conv5×5(16) → pool → conv5×5(32)
 * → pool → [N, 32·7·7] → 10. Small enough for the CPU backend (about 2.8 M multiply-adds per image).
 */
export function cnn() {
  return sequential(
    conv2d(1, 16, 5, { padding: 'SAME' }),
    relu(),
    maxPool2d(2),
    conv2d(16, 32, 5, { padding: 'SAME' }),
    relu(),
    maxPool2d(2),
    flatten(),
    dense(32 * 7 * 7, 10),
    logSoftmax(),
  );
}
