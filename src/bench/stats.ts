/**
 * Pure statistics of a bench run: latency percentiles, the steady-state window, the
 * throughput and block time inside it, and the per-second timeline the chart draws.
 */

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/** One final block as the follower saw it. */
export interface BlockObservation {
  height: number;
  /** Header time (the proposer's clock). */
  time: number;
  /** When the follower first saw this block final (chain_head reached it). */
  observedAt: number;
  txs: number;
  /** Of `txs`, how many belong to the load. */
  loadTxs: number;
}

export interface SteadyWindow {
  startMs: number;
  endMs: number;
  /** Fraction of the load duration cut at each end. */
  trim: number;
}

export interface WindowStats {
  tps: number;
  blockTimeMs: number;
  /** Blocks observed inside the window. */
  blocks: number;
  /** Load txs counted for `tps` (those of the window's blocks after the first). */
  txs: number;
  /** How tps was computed: 'blocks' (normal) or 'whole-run' (too few blocks in the window). */
  method: 'blocks' | 'whole-run';
}

export interface TimelinePoint {
  /** Seconds since the load started (bucket start). */
  t: number;
  /** Txs first submitted, and load txs committed, in this bucket (counts, not rates). */
  submitted: number;
  committed: number;
  /** Latency of the txs committed in this bucket, null when none was. */
  p50: number | null;
  p99: number | null;
}

/** Nearest-rank percentile of an ascending array; 0 for an empty one. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (p <= 0) return sorted[0]!;
  if (p >= 100) return sorted[n - 1]!;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1]!;
}

export function latencySummary(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (x: number): number => Math.round(x * 10) / 10;
  return {
    p50: r(percentile(sorted, 50)), p95: r(percentile(sorted, 95)), p99: r(percentile(sorted, 99)),
    mean: r(sorted.length === 0 ? 0 : sum / sorted.length), max: r(sorted.length === 0 ? 0 : sorted[sorted.length - 1]!),
  };
}

/** Latencies (commit − submission) of every tx with both times set (0 = unset). */
export function latencies(submittedAt: ArrayLike<number>, committedAt: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < committedAt.length; i++) {
    const c = committedAt[i]!;
    const s = submittedAt[i]!;
    if (c > 0 && s > 0) out.push(Math.max(0, c - s));
  }
  return out;
}

/**
 * The steady-state window: the load's span [start, end] (first submission to last
 * commit observed) with `trim` of its duration cut at each end (ramp-up and drain).
 */
export function steadyWindow(startMs: number, endMs: number, trim = 0.1): SteadyWindow {
  if (!(trim >= 0 && trim < 0.5)) throw new RangeError('trim must be in [0, 0.5)');
  const d = Math.max(0, endMs - startMs);
  return { startMs: startMs + d * trim, endMs: endMs - d * trim, trim };
}

/**
 * Throughput and block time inside the window. With blocks b1..bk observed in the
 * window (k >= 2): tps = load txs of b2..bk / (observedAt(bk) − observedAt(b1)), so each
 * counted block's txs are divided by the time it took to arrive after the previous
 * one; blockTimeMs = mean header-time interval, (time(bk) − time(b1)) / (k − 1).
 * With fewer than two blocks in the window, the whole run is used instead.
 */
export function windowStats(blocks: readonly BlockObservation[], w: SteadyWindow, wholeRun: { committed: number; durationMs: number }): WindowStats {
  const inside = blocks.filter((b) => b.observedAt >= w.startMs && b.observedAt <= w.endMs);
  if (inside.length >= 2 && inside[inside.length - 1]!.observedAt > inside[0]!.observedAt) {
    const first = inside[0]!;
    const last = inside[inside.length - 1]!;
    let txs = 0;
    for (const b of inside.slice(1)) txs += b.loadTxs;
    return {
      tps: round1((txs * 1000) / (last.observedAt - first.observedAt)),
      blockTimeMs: round1((last.time - first.time) / (inside.length - 1)),
      blocks: inside.length, txs, method: 'blocks',
    };
  }
  const all = [...blocks].sort((a, b) => a.height - b.height);
  const bt = all.length >= 2 ? (all[all.length - 1]!.time - all[0]!.time) / (all.length - 1) : 0;
  return {
    tps: wholeRun.durationMs > 0 ? round1((wholeRun.committed * 1000) / wholeRun.durationMs) : 0,
    blockTimeMs: round1(bt), blocks: inside.length, txs: wholeRun.committed, method: 'whole-run',
  };
}

/** Per-bucket submissions, commits and commit latencies since `t0`. */
export function timeline(submittedAt: ArrayLike<number>, committedAt: ArrayLike<number>, t0: number, bucketMs = 1000): TimelinePoint[] {
  let last = 0;
  for (let i = 0; i < committedAt.length; i++) last = Math.max(last, committedAt[i]!, submittedAt[i]!);
  if (last < t0) return [];
  const n = Math.floor((last - t0) / bucketMs) + 1;
  const submitted = new Array<number>(n).fill(0);
  const committed = new Array<number>(n).fill(0);
  const lat: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < committedAt.length; i++) {
    const s = submittedAt[i]!;
    const c = committedAt[i]!;
    if (s >= t0) submitted[Math.floor((s - t0) / bucketMs)]!++;
    if (c >= t0) {
      const b = Math.floor((c - t0) / bucketMs);
      committed[b]!++;
      if (s > 0) lat[b]!.push(c - s);
    }
  }
  return submitted.map((sub, i) => {
    const l = lat[i]!.sort((a, b) => a - b);
    return {
      t: (i * bucketMs) / 1000, submitted: sub, committed: committed[i]!,
      p50: l.length ? percentile(l, 50) : null, p99: l.length ? percentile(l, 99) : null,
    };
  });
}

/** A bucket for the timeline: the smallest of 100, 200, 250, 500 or 1000 ms giving at most 120 buckets. */
export function pickBucketMs(durationMs: number): number {
  return [100, 200, 250, 500].find((b) => durationMs / b <= 120) ?? 1000;
}

/** Centred moving average over `radius` points each side (for the chart's smoothed throughput). */
export function movingAverage(values: readonly number[], radius: number): number[] {
  return values.map((_, i) => {
    const lo = Math.max(0, i - radius);
    const hi = Math.min(values.length - 1, i + radius);
    let sum = 0;
    for (let j = lo; j <= hi; j++) sum += values[j]!;
    return sum / (hi - lo + 1);
  });
}

/** Commits per second over the recent samples [(time, committedCount)], for the progress line. */
export function recentRate(samples: ReadonlyArray<readonly [number, number]>, now: number, spanMs = 3000): number {
  const from = now - spanMs;
  let first: readonly [number, number] | undefined;
  for (const s of samples) if (s[0] >= from) { first = s; break; }
  const last = samples[samples.length - 1];
  if (!first || !last || last[0] <= first[0]) return 0;
  return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
