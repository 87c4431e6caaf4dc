import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WakeTimers } from '../../../src/node/wake-timers.js';

describe('WakeTimers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(opts: Partial<{ blockWindowMs: number; emptyBlockIntervalMs: number; maxBlockTxs: number; minBlockIntervalMs: number }> = {}) {
    const mempool: { oldestReadySince: number | undefined; readyCount: number } = { oldestReadySince: undefined, readyCount: 0 };
    const head = { time: 0 };
    const fired: boolean[] = [];
    const w = new WakeTimers({ blockWindowMs: 50, emptyBlockIntervalMs: 0, maxBlockTxs: 100, ...opts }, { mempool, now: () => Date.now(), headTime: () => head.time, fire: (empty) => fired.push(empty) });
    return { w, mempool, fired, head };
  }

  it('starts a height at once when its oldest ready tx waited the window, else after the rest of it', () => {
    const { w, mempool, fired } = setup();
    mempool.oldestReadySince = Date.now() - 80;
    mempool.readyCount = 3;
    expect(w.atHeightStart()).toBe(true);
    expect(fired).toEqual([]);
    mempool.oldestReadySince = Date.now() - 20;
    expect(w.atHeightStart()).toBe(false);
    vi.advanceTimersByTime(29);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([false]);
  });

  it('a full block starts at once, however young its txs', () => {
    const { w, mempool } = setup({ maxBlockTxs: 3 });
    mempool.oldestReadySince = Date.now();
    mempool.readyCount = 3;
    expect(w.atHeightStart()).toBe(true);
  });

  it('the first ready tx arms the window once; later ones do not push it back', () => {
    const { w, fired } = setup();
    w.onReady();
    vi.advanceTimersByTime(30);
    w.onReady();
    vi.advanceTimersByTime(20);
    expect(fired).toEqual([false]);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([false]);
  });

  it('with no tx: the empty-block interval, counted from each height start; never when it is 0', () => {
    const none = setup();
    expect(none.w.atHeightStart()).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(none.fired).toEqual([]);
    const { w, fired } = setup({ emptyBlockIntervalMs: 1_000 });
    expect(w.atHeightStart()).toBe(false);
    vi.advanceTimersByTime(600);
    expect(w.atHeightStart()).toBe(false); // a new height: the interval starts again
    vi.advanceTimersByTime(600);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(fired).toEqual([true]);
  });

  it('a minimum block interval holds the next proposal back until that long after the head block\'s time, while txs keep coming', () => {
    const { w, mempool, fired, head } = setup({ minBlockIntervalMs: 200 });
    head.time = Date.now() - 120; // the head block was proposed 120 ms ago
    mempool.oldestReadySince = Date.now() - 100; // its txs waited out the 50 ms window already
    mempool.readyCount = 3;
    expect(w.atHeightStart()).toBe(false);
    vi.advanceTimersByTime(79);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([false]);
    // A head block from a proposer whose clock runs ahead holds the next one back by the interval at most.
    const skew = setup({ minBlockIntervalMs: 200 });
    skew.head.time = Date.now() + 1_500;
    skew.mempool.oldestReadySince = Date.now() - 100;
    skew.mempool.readyCount = 3;
    expect(skew.w.atHeightStart()).toBe(false);
    vi.advanceTimersByTime(200);
    expect(skew.fired).toEqual([false]);
    // A full block does not wait for it.
    const full = setup({ minBlockIntervalMs: 200, maxBlockTxs: 3 });
    full.head.time = Date.now();
    full.mempool.oldestReadySince = Date.now();
    full.mempool.readyCount = 3;
    expect(full.w.atHeightStart()).toBe(true);
  });

  it('a tx on an idle chain, whose head block is old, waits only the window; without an interval nothing changes', () => {
    const { w, fired, head } = setup({ minBlockIntervalMs: 200 });
    head.time = Date.now() - 5_000;
    w.onReady();
    vi.advanceTimersByTime(50);
    expect(fired).toEqual([false]);
    // Soon after a block, the first ready tx waits out the interval instead.
    head.time = Date.now() - 30;
    w.onReady();
    vi.advanceTimersByTime(169);
    expect(fired).toEqual([false]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([false, false]);
    // A timer armed before the head moved waits out the interval from the new head block.
    head.time = Date.now() - 1_000;
    w.onReady(); // armed for the 50 ms window
    vi.advanceTimersByTime(40);
    head.time = Date.now(); // a block was committed meanwhile
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([false, false]);
    vi.advanceTimersByTime(189);
    expect(fired).toEqual([false, false]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([false, false, false]);
    // ...once: a new head from a proposer whose clock runs ahead adds the interval at most.
    head.time = Date.now() - 1_000;
    w.onReady();
    vi.advanceTimersByTime(40);
    head.time = Date.now() + 1_500;
    vi.advanceTimersByTime(10 + 199);
    expect(fired).toEqual([false, false, false]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([false, false, false, false]);
    const plain = setup();
    plain.head.time = Date.now();
    plain.w.onReady();
    vi.advanceTimersByTime(50);
    expect(plain.fired).toEqual([false]);
  });

  it('stop clears both timers and arms no more', () => {
    const { w, fired } = setup({ emptyBlockIntervalMs: 100 });
    w.onReady();
    w.atHeightStart();
    w.stop();
    w.onReady();
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([]);
  });
});
