/**
 * Checkpoints: params pytrees as safetensors bytes (files on disk: `@tenfold/nn/node`).
 */
export {
  type DecodeCheckpointOptions,
  decodeCheckpoint,
  decodeParams,
  type EncodeCheckpointOptions,
  type EncodedCheckpoint,
  encodeCheckpoint,
  encodeCheckpointAsync,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  type SaveCheckpointOptions,
} from './checkpoint.js';
export { FORMAT_METADATA_KEY, pathSegments, TREE_METADATA_KEY, type TreeSkeleton, tensorNameOfPath, tensorNames } from './pytree.js';
export {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  MAX_HEADER_BYTES,
  SAFETENSORS_DTYPES,
  type SafetensorsData,
  type SafetensorsDType,
  type SafetensorsFile,
  type SafetensorsTensor,
  type SupportedSafetensorsDType,
} from './safetensors.js';
