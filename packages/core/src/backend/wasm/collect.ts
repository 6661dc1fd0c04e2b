// Asking the runtime for a full garbage collection, where it lets us. The heap's arrays are views of
// a shared WebAssembly memory, which V8 does not count towards the pressure that schedules its
// collections (plain typed arrays it does): arrays nobody disposed would pile up in the heap long
// after they became garbage. V8's major collections are also the only ones that process
// FinalizationRegistry cells (a young-generation scavenge does not), and those free the blocks.
// Node lets a process expose V8's `gc` at run time (the flag, then a new context that has it):
// what the npm package `expose-gc` does. Browsers have no such thing: there the heap's cap
// bounds the garbage (see heap.ts).
import { env } from './enabled.js';

type Collect = () => void;

let collect: Collect | null | undefined;

/** A function that runs a full garbage collection, or null where the runtime offers none (or TENFOLD_HEAP_GC=0). */
export function fullCollection(): Collect | null {
  if (collect !== undefined) return collect;
  collect = null;
  if (env('TENFOLD_HEAP_GC') === '0') return collect;
  const g = globalThis as { gc?: unknown; process?: { getBuiltinModule?: (n: string) => unknown } };
  if (typeof g.gc === 'function') {
    collect = g.gc as Collect;
    return collect;
  }
  const v8 = g.process?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (f: string) => void } | undefined;
  const vm = g.process?.getBuiltinModule?.('node:vm') as { runInNewContext?: (code: string) => unknown } | undefined;
  if (!v8?.setFlagsFromString || !vm?.runInNewContext) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    if (typeof gc === 'function') collect = gc as Collect;
  } catch {
    collect = null;
  } finally {
    // contexts made from now on (other code's, workers') do not get a global `gc`
    v8.setFlagsFromString('--no-expose-gc');
  }
  return collect;
}
