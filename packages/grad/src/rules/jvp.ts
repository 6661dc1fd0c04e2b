import { elementwiseJvpRules } from './jvp-elementwise.js';
import { structuralJvpRules } from './jvp-structural.js';
import type { JvpRules } from './types.js';

/** Every primitive's JVP rule, by family. */
export const jvpRules: JvpRules = { ...elementwiseJvpRules, ...structuralJvpRules };
