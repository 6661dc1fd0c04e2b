// `npm run mnist -- [options]`: trains the tutorial's MLP (or a CNN) on MNIST with tenfold.
// Exit codes: 0 done, 1 an error or a diverged run, 2 bad options, 130/143 stopped by
// SIGINT/SIGTERM (the state saved: the message says how to resume).
import { parseOptions } from './options.js';
import { run } from './train.js';

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** SIGINT/SIGTERM abort the run (it saves after the current batch); a second one exits at once. */
function stopOnSignals(controller: AbortController): () => void {
  const handlers = (Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]).map((name) => {
    const handler = () => {
      if (controller.signal.aborted) {
        // files are written atomically: exiting now leaves the last saved ones whole
        process.stderr.write(`mnist: ${name} again: exiting without saving this epoch's progress\n`);
        process.exit(SIGNAL_EXIT[name]);
      }
      process.stderr.write(`mnist: ${name}: finishing the current batch, then saving (${name} again to exit at once)\n`);
      controller.abort(name);
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if (parsed.kind === 'exit') {
    (parsed.code === 0 ? process.stdout : process.stderr).write(parsed.text.endsWith('\n') ? parsed.text : `${parsed.text}\n`);
    return parsed.code;
  }
  const controller = new AbortController();
  const release = stopOnSignals(controller);
  try {
    const result = await run(parsed.options, (line) => process.stdout.write(`${line}\n`), Boolean(process.stdout.isTTY), { signal: controller.signal });
    if ('error' in result) {
      process.stderr.write(`mnist: ${result.error}\n`);
      return 1;
    }
    if (result.status !== 'complete') {
      process.stderr.write(`mnist: ${result.message}\n`);
      const reason = controller.signal.reason as keyof typeof SIGNAL_EXIT | undefined;
      return result.status === 'interrupted' && reason !== undefined ? SIGNAL_EXIT[reason] : 1;
    }
    return 0;
  } finally {
    release();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`mnist: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
