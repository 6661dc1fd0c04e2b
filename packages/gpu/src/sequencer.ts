// Program order for work issued while a while loop waits for its predicate. The loop's next steps
// are recorded only when the predicate has been read back (asynchronously), so everything issued
// after the loop (dispatches, uploads, reads, releases into the pool) waits here and is recorded
// after the loop's last step. When no loop is pending, work runs at once: `busy` is the only check.

/** A piece of deferred work, and what to do when it cannot run (its device is gone). */
export interface Deferred {
  run(): void;
  fail(e: Error): void;
}

export class Sequencer {
  /** Whether a loop waits for its predicate: new work queues. */
  busy = false;
  #queue: Deferred[] = [];
  readonly #onError: (e: Error) => void;

  /** `onError` receives what deferred work without its own `fail` throws (it surfaces at the next read). */
  constructor(onError: (e: Error) => void) {
    this.#onError = onError;
  }

  /** Runs `item` now, or queues it behind the pending loop. */
  submit(item: Deferred): void {
    if (this.busy) this.#queue.push(item);
    else item.run();
  }

  /** Runs `run` now, or queues it (its errors then go to `onError`). */
  defer(run: () => void): void {
    if (this.busy) this.#queue.push({ run, fail: this.#onError });
    else run();
  }

  /** Work queued behind the pending loop. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Runs a pending loop's next `step` (its predicate has arrived) ahead of the queued work, which
   * was issued after the loop; what the step issues behind a loop it starts (a nested one, or its
   * own next predicate) goes before that work. Then runs the queue until a loop waits again.
   */
  resume(step: () => void): void {
    this.busy = false;
    const later = this.#queue;
    this.#queue = [];
    try {
      step();
    } finally {
      this.#queue = this.#queue.length === 0 ? later : this.#queue.concat(later);
      this.#drain();
    }
  }

  #drain(): void {
    while (!this.busy && this.#queue.length > 0) {
      const items = this.#queue;
      this.#queue = [];
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as Deferred;
        try {
          item.run();
        } catch (e) {
          item.fail(e as Error);
        }
        if (this.busy) {
          // a loop started: the rest waits behind it (and behind what the item queued)
          this.#queue = this.#queue.concat(items.slice(i + 1));
          return;
        }
      }
    }
  }

  /** Fails everything queued and forgets the pending loop (the device was lost or destroyed). */
  cancel(e: Error): void {
    const items = this.#queue;
    this.#queue = [];
    this.busy = false;
    for (const item of items) item.fail(e);
  }
}
