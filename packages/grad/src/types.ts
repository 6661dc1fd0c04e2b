import type { Array, tree } from '@tenfold/core';

/** The gradient of a value of type T: the same structure with an Array at every leaf. */
export type GradOf<T> = tree.MapLeaves<T, Array>;
