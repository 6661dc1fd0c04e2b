/** This package's version (kept equal to package.json's by a test): named in the two-copies error. */
export const version = '0.1.0';
