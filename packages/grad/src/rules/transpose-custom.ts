import type { Array } from '@tenfold/core';
import { instantiate, isZero, Zero } from '../zero.js';
import type { TransposeRules } from './types.js';

/** custom_lin transposes by calling the user's bwd. */
export const customTransposeRules: TransposeRules = {
  custom_lin: (cts, inputs, { transpose, outAvals }) => {
    const full = cts.map((c, i) => (isZero(c) ? instantiate(new Zero(outAvals[i]!)) : c));
    const inCts = transpose(full as Array[]);
    return inputs.map((_, i) => inCts[i] ?? null);
  },
};
