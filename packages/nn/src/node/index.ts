/**
 * @tenfold/nn/node: what needs a file system (Node only). MNIST IDX files and safetensors
 * checkpoints read from and written to paths; the main entry `@tenfold/nn` holds the byte-level
 * codecs these are built on, and imports nothing from Node, so it bundles for browsers.
 *
 * @example
 * import { loadMnist, saveCheckpoint } from '@tenfold/nn/node';
 */
export { loadCheckpoint, loadParams, type SavedCheckpoint, saveCheckpoint, saveCheckpointAsync } from './checkpoint-files.js';
export { type ReadIdxOptions, readIdxFile } from './idx-file.js';
export { type LoadMnistOptions, loadMnist, mnistDataDir } from './mnist-files.js';
