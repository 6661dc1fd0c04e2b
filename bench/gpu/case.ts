// One library's version of a workload: an async sample (the work, then waiting for it) and its
// clean-up.
export interface Case {
  who: string;
  op: () => Promise<void>;
  dispose: () => void;
}

export const TENFOLD = 'tenfold';
export const TFJS = 'TensorFlow.js';
export const JAXJS = 'jax-js';
