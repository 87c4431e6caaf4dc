import { describe, expect, it } from 'vitest';
import { SerialInputs } from '../../../src/node/serial-inputs.js';

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('SerialInputs', () => {
  it('runs inputs one at a time, in push order, each to the end of its async work', async () => {
    const log: string[] = [];
    let running = 0;
    const q = new SerialInputs<string>(async (x) => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${x}`);
      await tick(x === 'a' ? 20 : 1);
      log.push(`end ${x}`);
      running--;
    });
    for (const x of ['a', 'b', 'c']) expect(q.push(x)).toBe(true);
    await q.idle();
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    q.push('d'); // after an idle spell, the queue drains again
    await q.idle();
    expect(log.at(-1)).toBe('end d');
  });

  it('goes on after an input that throws', async () => {
    const done: number[] = [];
    const q = new SerialInputs<number>(async (n) => {
      if (n === 1) throw new Error('boom');
      done.push(n);
    });
    q.push(1);
    q.push(2);
    await q.idle();
    expect(done).toEqual([2]);
  });

  it('stop waits for the input in progress, drops the queued ones and refuses new ones', async () => {
    const done: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new SerialInputs<string>(async (x) => {
      if (x === 'slow') await gate;
      done.push(x);
    });
    q.push('slow');
    q.push('queued');
    await tick(5);
    let stopped = false;
    const stopping = q.stop().then(() => (stopped = true));
    expect(q.stopped).toBe(true);
    expect(q.push('late')).toBe(false);
    await tick(5);
    expect(stopped).toBe(false); // 'slow' is still running
    release();
    await stopping;
    await tick(5);
    expect(done).toEqual(['slow']);
    await q.idle(); // resolves at once once stopped
  });
});
