// Two copies of @tenfold/core in one program (an older one installed under a dependency's
// node_modules, say) each have their own Array class, so `instanceof` fails for the other copy's
// arrays and they look like unknown objects. Each copy marks its Array.prototype with a global
// brand (Symbol.for: shared across copies) saying which copy it is, so the error can name the cause.
import { version } from './version.js';

/** Where a copy of core was loaded from, and its version. */
export interface CoreCopy {
  readonly version: string;
  /** The package's folder (a URL), e.g. `file:///app/node_modules/@tenfold/grad/node_modules/@tenfold/core/`. */
  readonly location: string;
}

const BRAND = Symbol.for('@tenfold/core.Array');

/** This copy. */
const THIS_COPY: CoreCopy = Object.freeze({ version, location: new URL('..', import.meta.url).href });

/** Marks `proto` (Array.prototype) as this copy's. */
export function brandArrayPrototype(proto: object): void {
  Object.defineProperty(proto, BRAND, { value: THIS_COPY });
}

/** The copy that made `x`, when `x` is an array of another copy of core; undefined otherwise. */
export function foreignCopyOf(x: unknown): CoreCopy | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const brand: unknown = (x as { [BRAND]?: unknown })[BRAND];
  if (brand === undefined || brand === THIS_COPY || typeof brand !== 'object' || brand === null) return undefined;
  const { version: v, location } = brand as Partial<CoreCopy>;
  return typeof v === 'string' && typeof location === 'string' ? { version: v, location } : undefined;
}

/** The message for an array of another copy of core met by this one. */
export function twoCopiesMessage(other: CoreCopy, where = ''): string {
  const same = other.location === THIS_COPY.location ? ' (the same files, loaded twice: by two bundles, say)' : '';
  return (
    `two copies of @tenfold/core are loaded: the array ${where === '' ? '' : `${where} `}was made by @tenfold/core ${other.version} ` +
    `(${other.location}), but this code runs @tenfold/core ${THIS_COPY.version} (${THIS_COPY.location})${same}, and arrays of one copy ` +
    'are unknown objects to the other. Install a single copy: @tenfold/grad, @tenfold/nn and @tenfold/gpu take @tenfold/core as a ' +
    'peer dependency, so give your project one @tenfold/core that satisfies them all (`npm ls @tenfold/core` lists the copies; ' +
    '`npm dedupe` merges compatible ones)'
  );
}
