// `npm run mnist -- [options]`: trains the tutorial's MLP (or a CNN) on MNIST with tenfold.
import { parseOptions } from './options.js';
import { run } from './train.js';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if (parsed.kind === 'exit') {
    (parsed.code === 0 ? process.stdout : process.stderr).write(parsed.text.endsWith('\n') ? parsed.text : `${parsed.text}\n`);
    return parsed.code;
  }
  const result = await run(parsed.options, (line) => process.stdout.write(`${line}\n`), Boolean(process.stdout.isTTY));
  if ('error' in result) {
    process.stderr.write(`mnist: ${result.error}\n`);
    return 1;
  }
  return 0;
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
