/**
 * Checkpoints: params pytrees as safetensors files.
 */
export {
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  loadCheckpoint,
  loadParams,
  type SaveCheckpointOptions,
  type SavedCheckpoint,
  saveCheckpoint,
  saveCheckpointAsync,
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
