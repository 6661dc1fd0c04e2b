// Compiled with lib esnext (ESNext.Disposable's own Symbol.dispose): core's declaration of the
// symbol merges with the lib's, and `using` frees an array at the end of its block.
import { type Array, np } from '@tenfold/core';

let kept: Array | undefined;
{
  using x = np.ones([2]);
  kept = x;
  if ((await x.sum().itemAsync()) !== 2) throw new Error('package check failed: using: wrong sum');
}
if (!String(kept).includes('disposed')) throw new Error('package check failed: using did not dispose the array');
console.log('ok: `using` disposes an array (lib esnext)');
