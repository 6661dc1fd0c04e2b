// The Sequencer alone (no device): work issued behind a pending loop runs in program order after
// it, a loop's next step goes before that work, nested loops keep their place, and cancel fails
// what waits.
import { describe, expect, it } from 'vitest';
import { Sequencer } from '../src/sequencer.js';

function setup() {
  const log: string[] = [];
  const errors: string[] = [];
  const seq = new Sequencer((e) => errors.push(e.message));
  const op = (name: string) => seq.defer(() => log.push(name));
  return { seq, log, errors, op };
}

describe('Sequencer', () => {
  it('runs work at once while no loop is pending', () => {
    const { seq, log, op } = setup();
    op('a');
    op('b');
    expect(log).toEqual(['a', 'b']);
    expect(seq.queued).toBe(0);
  });

  it("queues work behind a pending loop; the loop's next step runs first, then the queue in order", () => {
    const { seq, log, op } = setup();
    seq.busy = true; // a loop waits for its predicate
    op('after 1');
    op('after 2');
    expect(log).toEqual([]);
    // the predicate arrived: the body runs, then the next predicate is read (busy again)
    seq.resume(() => {
      op('body');
      seq.busy = true;
      op('queued by the step');
    });
    expect(log).toEqual(['body']);
    // the last predicate: the loop ends, and everything waiting runs in program order
    seq.resume(() => op('copy out'));
    expect(log).toEqual(['body', 'copy out', 'queued by the step', 'after 1', 'after 2']);
    expect(seq.busy).toBe(false);
  });

  it('a loop started by queued work blocks the rest again; a nested loop keeps the outer step before later work', () => {
    const { seq, log, op } = setup();
    seq.busy = true;
    op('x');
    seq.submit({ run: () => (seq.busy = true), fail: () => {} }); // a second loop starts
    op('y');
    seq.resume(() => op('first done'));
    expect(log).toEqual(['first done', 'x']);
    expect(seq.busy).toBe(true);
    // the second loop's body starts a nested loop; the outer's next check waits behind it
    seq.resume(() => {
      op('outer body 1');
      seq.busy = true; // the nested loop waits
      seq.submit({ run: () => log.push('outer check'), fail: () => {} });
    });
    expect(log).toEqual(['first done', 'x', 'outer body 1']);
    seq.resume(() => op('nested done'));
    expect(log).toEqual(['first done', 'x', 'outer body 1', 'nested done', 'outer check', 'y']);
  });

  it('errors of deferred work go to onError and the queue goes on; cancel fails what waits', () => {
    const { seq, log, errors, op } = setup();
    seq.busy = true;
    seq.defer(() => {
      throw new Error('boom');
    });
    op('after');
    seq.resume(() => {});
    expect(errors).toEqual(['boom']);
    expect(log).toEqual(['after']);
    seq.busy = true;
    const failed: string[] = [];
    seq.submit({ run: () => log.push('never'), fail: (e) => failed.push(e.message) });
    seq.cancel(new Error('gone'));
    expect(failed).toEqual(['gone']);
    expect(seq.busy).toBe(false);
    expect(log).toEqual(['after']);
  });
});
