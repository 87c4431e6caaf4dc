import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Rebroadcaster } from '../../../src/node/rebroadcast.js';

describe('Rebroadcaster', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(active = true) {
    const published: Array<{ n: number; resend?: number }> = [];
    const state = { active };
    const r = new Rebroadcaster<{ n: number }>(1_000, { publish: (m) => published.push(m), active: () => state.active, now: () => Date.now() });
    r.start();
    return { r, published, state };
  }

  it('publishes each message at once, and re-sends the height\'s messages with a new counter while nothing progresses', () => {
    const { r, published } = setup();
    r.send({ n: 1 });
    r.send({ n: 2 });
    expect(published).toEqual([{ n: 1 }, { n: 2 }]);
    vi.advanceTimersByTime(999);
    expect(published).toHaveLength(2);
    vi.advanceTimersByTime(1); // a whole interval without progress
    expect(published.slice(2)).toEqual([{ n: 1, resend: 1 }, { n: 2, resend: 1 }]);
    vi.advanceTimersByTime(1_000);
    expect(published.slice(4)).toEqual([{ n: 1, resend: 2 }, { n: 2, resend: 2 }]);
  });

  it('a new height forgets the old messages; an idle height and a stopped one re-send nothing', () => {
    const { r, published, state } = setup();
    r.send({ n: 1 });
    r.newHeight();
    vi.advanceTimersByTime(5_000);
    expect(published).toEqual([{ n: 1 }]);
    r.send({ n: 2 });
    state.active = false;
    vi.advanceTimersByTime(5_000);
    expect(published).toEqual([{ n: 1 }, { n: 2 }]);
    state.active = true;
    r.stop();
    vi.advanceTimersByTime(5_000);
    expect(published).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('re-sends the messages the host names with its own, asked for at each round, with the same counter', () => {
    const published: Array<{ n: number; resend?: number }> = [];
    let extra = [{ n: 10 }];
    const r = new Rebroadcaster<{ n: number }>(1_000, { publish: (m) => published.push(m), active: () => true, now: () => Date.now(), alsoResend: () => extra });
    r.start();
    r.send({ n: 1 });
    vi.advanceTimersByTime(1_000);
    expect(published).toEqual([{ n: 1 }, { n: 1, resend: 1 }, { n: 10, resend: 1 }]);
    extra = [{ n: 11 }, { n: 12 }];
    vi.advanceTimersByTime(1_000);
    expect(published.slice(3)).toEqual([{ n: 1, resend: 2 }, { n: 11, resend: 2 }, { n: 12, resend: 2 }]);
    r.stop();
  });
});
