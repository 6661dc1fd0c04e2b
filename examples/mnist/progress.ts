// Per-epoch progress: a cli-progress bar on a terminal, plain log lines otherwise (CI, pipes).
import { SingleBar } from 'cli-progress';

export interface Progress {
  /** After each batch; `loss` is the running mean when known. */
  tick(batch: number, loss: number | undefined): void;
  /** A line the tutorial prints every few batches ("Train Loss ..."). */
  log(line: string): void;
  /** A line that must be seen (e.g. a NaN loss), printed even while the bar is drawn. */
  warn(line: string): void;
  stop(): void;
}

export function epochProgress(epoch: number, epochs: number, total: number, interactive: boolean, print: (line: string) => void): Progress {
  const started = performance.now();
  const rate = (done: number) => done / Math.max(1e-9, (performance.now() - started) / 1000);
  if (!interactive) {
    return {
      tick: () => {},
      log: print,
      warn: print,
      stop: () => {},
    };
  }
  const bar = new SingleBar({
    format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} batches | {rate} batch/s | loss {loss} | {duration_formatted}`,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
    stream: process.stdout,
  });
  bar.start(total, 0, { rate: '0.0', loss: '-' });
  return {
    tick: (batch, loss) => bar.update(batch, { rate: rate(batch).toFixed(1), loss: loss === undefined ? '-' : loss.toFixed(4) }),
    // the bar redraws itself on the next tick; the tutorial's lines are in the metrics instead
    log: () => {},
    // below the bar's current line; the bar redraws itself on the line after the warning
    warn: (line) => {
      process.stdout.write('\n');
      print(line);
    },
    stop: () => bar.stop(),
  };
}
