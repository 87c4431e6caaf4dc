import { describe, expect, it } from 'vitest';
import {
  latencies, latencySummary, movingAverage, percentile, pickBucketMs, recentRate, steadyWindow, timeline, windowStats, type BlockObservation,
} from '../../../src/bench/stats.js';
import { budgetAt } from '../../../src/bench/driver.js';
import { parsePrometheus } from '../../../src/bench/rpc.js';

describe('percentiles', () => {
  it('nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it('summary sorts numerically and rounds', () => {
    expect(latencySummary([100, 9, 20, 3])).toEqual({ p50: 9, p95: 100, p99: 100, mean: 33, max: 100 });
    expect(latencySummary([])).toEqual({ p50: 0, p95: 0, p99: 0, mean: 0, max: 0 });
  });

  it('latencies skip txs never submitted or never committed', () => {
    expect(latencies([10, 20, 0, 40], [15, 0, 50, 100])).toEqual([5, 60]);
  });
});

describe('steady-state window', () => {
  it('cuts 10% of the duration at each end', () => {
    expect(steadyWindow(1000, 11_000)).toEqual({ startMs: 2000, endMs: 10_000, trim: 0.1 });
    expect(steadyWindow(0, 100, 0)).toEqual({ startMs: 0, endMs: 100, trim: 0 });
    expect(() => steadyWindow(0, 1, 0.5)).toThrow(RangeError);
  });

  const blocks: BlockObservation[] = [
    { height: 1, time: 0, observedAt: 500, txs: 100, loadTxs: 100 },
    { height: 2, time: 1000, observedAt: 1500, txs: 200, loadTxs: 200 },
    { height: 3, time: 2000, observedAt: 2500, txs: 300, loadTxs: 250 },
    { height: 4, time: 3000, observedAt: 3500, txs: 400, loadTxs: 400 },
    { height: 5, time: 4000, observedAt: 4500, txs: 100, loadTxs: 100 },
  ];

  it('tps from the blocks inside the window, after the first', () => {
    const s = windowStats(blocks, { startMs: 1000, endMs: 4000, trim: 0.1 }, { committed: 1050, durationMs: 4500 });
    // Blocks 2, 3, 4 inside: (250 + 400) load txs over 2000 ms.
    expect(s).toEqual({ tps: 325, blockTimeMs: 1000, blocks: 3, txs: 650, method: 'blocks' });
  });

  it('falls back to the whole run with fewer than two blocks inside', () => {
    const s = windowStats(blocks, { startMs: 1000, endMs: 2000, trim: 0.1 }, { committed: 1050, durationMs: 4500 });
    expect(s.method).toBe('whole-run');
    expect(s.tps).toBeCloseTo(233.3, 1);
    expect(s.blockTimeMs).toBe(1000);
    expect(windowStats([], { startMs: 0, endMs: 1, trim: 0.1 }, { committed: 0, durationMs: 0 }).tps).toBe(0);
  });
});

describe('timeline', () => {
  it('buckets submissions, commits and latencies', () => {
    const sub = [1000, 1100, 1900, 2500, 0];
    const com = [1500, 2200, 2300, 0, 0];
    const t = timeline(sub, com, 1000, 1000);
    expect(t).toEqual([
      { t: 0, submitted: 3, committed: 1, p50: 500, p99: 500 },
      { t: 1, submitted: 1, committed: 2, p50: 400, p99: 1100 },
    ]);
    expect(timeline([0], [0], 1000)).toEqual([]);
  });

  it('picks a bucket giving at most 120 points', () => {
    expect(pickBucketMs(1000)).toBe(100);
    expect(pickBucketMs(12_000)).toBe(100);
    expect(pickBucketMs(20_000)).toBe(200);
    expect(pickBucketMs(45_000)).toBe(500);
    expect(pickBucketMs(600_000)).toBe(1000);
  });

  it('moving average', () => {
    expect(movingAverage([0, 3, 6, 3, 0], 1)).toEqual([1.5, 3, 4, 3, 1.5]);
    expect(movingAverage([], 2)).toEqual([]);
  });

  it('recent rate', () => {
    const s: Array<[number, number]> = [[0, 0], [1000, 100], [2000, 300], [3000, 600]];
    expect(recentRate(s, 3000, 2000)).toBe(250);
    expect(recentRate(s, 10_000, 2000)).toBe(0);
    expect(recentRate([], 0)).toBe(0);
  });
});

describe('budget', () => {
  it('in-flight cap, rate, both', () => {
    expect(budgetAt({ total: 100, committed: 10, failed: 2, inflight: 50, rate: null, elapsedMs: 0 })).toBe(62);
    expect(budgetAt({ total: 100, committed: 90, failed: 0, inflight: 50, rate: null, elapsedMs: 0 })).toBe(100);
    expect(budgetAt({ total: 1000, committed: 0, failed: 0, inflight: null, rate: 200, elapsedMs: 1500 })).toBe(300);
    expect(budgetAt({ total: 1000, committed: 0, failed: 0, inflight: 100, rate: 200, elapsedMs: 1500 })).toBe(100);
  });
});

describe('prometheus text', () => {
  it('reads samples, skips comments', () => {
    const m = parsePrometheus('# HELP a x\n# TYPE a counter\na 12\nb{method="x"} 3.5\n\nc NaN\nmedledger_txs_committed_unverified_total 0\n');
    expect(m.get('a')).toBe(12);
    expect(m.get('b{method="x"}')).toBe(3.5);
    expect(m.has('c')).toBe(false);
    expect(m.get('medledger_txs_committed_unverified_total')).toBe(0);
  });
});
