import { meanOverNodes, type HeightPhases } from './height-phases.js';
import type { GossipCounters } from '../p2p/interface.js';
import type { HeightPhase } from '../node/height-timing.js';
import {
  latencies, latencySummary, pickBucketMs, round1, steadyWindow, timeline, windowStats,
  type BlockObservation, type LatencySummary, type TimelinePoint,
} from './stats.js';
import type { Mix } from './plan.js';
import type { StoreWork } from './store-counts.js';

/** Per node, at the end of the run (see docs/bench.md). */
export interface NodeReport {
  node: number;
  rpc: string;
  /** utime+stime of the node process since it started, seconds; null off Linux. */
  cpuSeconds: number | null;
  /** Of cpuSeconds, those spent during the load (first submission to the end). */
  loadCpuSeconds: number | null;
  /** VmHWM (or the highest VmRSS sampled), MB; null off Linux. */
  peakRssMB: number | null;
  /** medledger_txs_committed_total and medledger_txs_committed_unverified_total; null when absent. */
  txsCommitted: number | null;
  txsCommittedUnverified: number | null;
  finalHash: string | null;
  /** Mean wall time per height of each consensus phase during the load (bench/height-phases.ts); null when not measured. */
  heightPhases: HeightPhases | null;
  /** Gossip messages and payload bytes by topic during the load (bench/gossip-counts.ts); null when not measured. */
  gossip: GossipCounters | null;
  /** LevelDB's flushes and compactions during the load (bench/store-counts.ts); null when not measured. */
  store: StoreWork | null;
}

export interface BenchReport {
  version: string;
  /** ms since the epoch, and the same as ISO 8601. */
  startedAt: number;
  startedAtIso: string;
  nodes: number;
  txs: number;
  committed: number;
  /** Load txs refused by tx_send (never in a block), by reason. */
  failed: number;
  errors: Record<string, number>;
  /** Load duration: first submission to the last commit observed, seconds. */
  durationS: number;
  tps: number;
  latencyMs: LatencySummary;
  blockTimeMs: number;
  signaturesVerified: boolean;
  /**
   * `verifyPerSecPerCore` is measured before the nodes start (the verify limit uses it);
   * `verifyPerSecPerCoreAfter` right after the load, the nodes idle: far apart, the
   * machine's speed moved during the run.
   */
  machine: { cpus: number; verifyPerSecPerCore: number; verifyPerSecPerCoreAfter?: number; model: string; memoryMB: number; node: string; platform: string };
  verifyLimitTps: number;
  shareOfVerifyLimit: number;
  /** The nodes' mean of `perNode[].heightPhases.ms`: where a height's wall time went; null when not measured. */
  heightPhasesMs: Record<HeightPhase, number> | null;
  /** Blocks finalised during the load, and their mean tx count. */
  blocks: number;
  avgTxsPerBlock: number;
  maxTxsPerBlock: number;
  window: { startS: number; endS: number; trim: number; method: 'blocks' | 'whole-run'; blocks: number; txs: number };
  finalHeight: number;
  sameFinalHash: boolean;
  perNode: NodeReport[];
  client: { cpuSeconds: number; signers: number; senders: number };
  mix: Mix;
  inflight: number | null;
  rate: number | null;
  batch: number;
  accounts: number;
  /** The nodes' batching window (config blockWindowMs), ms. */
  blockWindowMs: number;
  /** The nodes' minimum block interval (config minBlockIntervalMs), ms; 0 = none. */
  minBlockIntervalMs: number;
  setup: { durationS: number; txs: number };
  /** The warm-up load before the measured one; null when none was run. */
  warmup: WarmupReport | null;
  /** Bucket width of `timeline`, seconds. */
  timelineBucketS: number;
  timeline: TimelinePoint[];
}

export interface ReportInput {
  version: string;
  startedAt: number;
  nodes: number;
  txs: number;
  submittedAt: ArrayLike<number>;
  committedAt: ArrayLike<number>;
  errors: Record<string, number>;
  blocks: BlockObservation[];
  machine: BenchReport['machine'];
  perNode: NodeReport[];
  finalHeight: number;
  client: BenchReport['client'];
  mix: Mix;
  inflight: number | null;
  rate: number | null;
  batch: number;
  accounts: number;
  blockWindowMs: number;
  minBlockIntervalMs: number;
  setup: BenchReport['setup'];
  warmup?: WarmupReport | null;
  trim?: number;
}

/** signaturesVerified: every node reports 0 unverified commits and at least the load's committed count. */
export function signaturesVerified(perNode: readonly NodeReport[], committed: number): boolean {
  return perNode.length > 0 && perNode.every((n) => n.txsCommittedUnverified === 0 && n.txsCommitted !== null && n.txsCommitted >= committed);
}

/** Everything in report.json, from the raw observations of a run. Pure. */
export function assembleReport(r: ReportInput): BenchReport {
  let first = Infinity;
  let last = 0;
  let committed = 0;
  for (let i = 0; i < r.txs; i++) {
    const s = r.submittedAt[i]!;
    const c = r.committedAt[i]!;
    if (s > 0) first = Math.min(first, s);
    if (c > 0) { committed++; last = Math.max(last, c); }
  }
  if (first === Infinity) first = r.startedAt;
  if (last < first) last = first;
  const durationMs = last - first;
  const w = steadyWindow(first, last, r.trim ?? 0.1);
  const loadBlocks = r.blocks.filter((b) => b.observedAt >= first);
  const ws = windowStats(loadBlocks, w, { committed, durationMs });
  const blockTxs = loadBlocks.map((b) => b.txs);
  const verifyLimitTps = round1((r.machine.cpus * r.machine.verifyPerSecPerCore) / r.nodes);
  const hashes = r.perNode.map((n) => n.finalHash);
  return {
    version: r.version,
    startedAt: r.startedAt,
    startedAtIso: new Date(r.startedAt).toISOString(),
    nodes: r.nodes,
    txs: r.txs,
    committed,
    failed: Object.values(r.errors).reduce((a, b) => a + b, 0),
    errors: r.errors,
    durationS: Math.round(durationMs) / 1000,
    tps: ws.tps,
    latencyMs: latencySummary(latencies(r.submittedAt, r.committedAt)),
    blockTimeMs: ws.blockTimeMs,
    heightPhasesMs: meanOverNodes(r.perNode.map((n) => n.heightPhases)),
    signaturesVerified: signaturesVerified(r.perNode, committed),
    machine: r.machine,
    verifyLimitTps,
    shareOfVerifyLimit: verifyLimitTps > 0 ? Math.round((ws.tps / verifyLimitTps) * 1000) / 1000 : 0,
    blocks: loadBlocks.length,
    avgTxsPerBlock: blockTxs.length ? round1(blockTxs.reduce((a, b) => a + b, 0) / blockTxs.length) : 0,
    maxTxsPerBlock: blockTxs.length ? Math.max(...blockTxs) : 0,
    window: { startS: (w.startMs - first) / 1000, endS: (w.endMs - first) / 1000, trim: w.trim, method: ws.method, blocks: ws.blocks, txs: ws.txs },
    finalHeight: r.finalHeight,
    sameFinalHash: hashes.length > 0 && hashes.every((h) => h !== null && h === hashes[0]),
    perNode: r.perNode,
    client: r.client,
    mix: r.mix,
    inflight: r.inflight,
    rate: r.rate,
    batch: r.batch,
    accounts: r.accounts,
    blockWindowMs: r.blockWindowMs,
    minBlockIntervalMs: r.minBlockIntervalMs,
    setup: r.setup,
    warmup: r.warmup ?? null,
    timelineBucketS: pickBucketMs(durationMs) / 1000,
    timeline: timeline(r.submittedAt, r.committedAt, first, pickBucketMs(durationMs)),
  };
}

/** A line when the verify rate after the load differs from the one before by more than 15%. */
export function machineDrift(m: { verifyPerSecPerCore: number; verifyPerSecPerCoreAfter?: number }): string[] {
  const after = m.verifyPerSecPerCoreAfter;
  if (after === undefined || m.verifyPerSecPerCore <= 0) return [];
  const change = (after - m.verifyPerSecPerCore) / m.verifyPerSecPerCore;
  if (Math.abs(change) <= 0.15) return [];
  return [`warning: the machine's verify rate moved from ${m.verifyPerSecPerCore}/s before the run to ${after}/s after it (${change > 0 ? '+' : ''}${Math.round(change * 100)}%): a shared or throttled machine; compare runs with care`];
}

/**
 * LevelDB's flushes and compactions during the load, mean of the nodes that report them:
 * compactions come in bursts as the chain grows, and one inside the measured window costs
 * throughput (docs/bench.md, session 16). Empty when no node reports them.
 */
export function storeSummary(perNode: readonly NodeReport[]): string[] {
  const s = perNode.map((n) => n.store).filter((x): x is StoreWork => x !== null);
  if (s.length === 0) return [];
  const mean = (f: (w: StoreWork) => number): number => Math.round(s.reduce((a, w) => a + f(w), 0) / s.length);
  return [`LevelDB during the load (mean of nodes): ${mean((w) => w.compactionSeconds)} s of flushes and compactions, ${mean((w) => w.compactionReadMB)} MB read, ${mean((w) => w.compactionWrittenMB)} MB written; ${mean((w) => w.tableMB)} MB of tables at the end`];
}

/** The warm-up load before the measured one (not in tps, latency or CPU figures). */
export interface WarmupReport {
  txs: number;
  committed: number;
  durationS: number;
  tps: number;
}

/**
 * The warm-up's figures; throws when not every warm-up tx committed (the measured load
 * would start on a chain that refuses or lost part of the load), saying what was seen.
 */
export function warmupReport(w: { committedAt: ArrayLike<number>; startedAt: number; endedAt: number; errors: Record<string, number>; stalled: boolean }): WarmupReport {
  let committed = 0;
  for (let i = 0; i < w.committedAt.length; i++) if (w.committedAt[i]! > 0) committed++;
  const durationS = Math.max(w.endedAt - w.startedAt, 1) / 1000;
  const txs = w.committedAt.length;
  if (committed < txs) {
    const refused = Object.entries(w.errors).map(([reason, n]) => `${n} ${reason}`).join(', ');
    throw new Error(`warm-up: only ${committed} of ${txs} txs were committed${refused ? ` (refused: ${refused})` : ''}${w.stalled ? '; the chain stopped committing' : ''}; not starting the measured load`);
  }
  return { txs, committed, durationS: Math.round(durationS * 10) / 10, tps: Math.round(committed / durationS) };
}
