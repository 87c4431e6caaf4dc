import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPair } from '../chain/ed25519.js';
import { VERSION } from '../version.js';
import { Cluster } from './cluster.js';
import { drive, type DriveResult } from './driver.js';
import { renderHtml } from './html.js';
import { buildPlan, mixOf } from './plan.js';
import { ProgressReporter, type ProgressSink } from './progress.js';
import { assembleReport, warmupReport, type BenchReport, type NodeReport, type WarmupReport } from './report.js';
import { getText, parsePrometheus, rpcBatch, rpcCall } from './rpc.js';
import { gossipBetween, gossipSample } from './gossip-counts.js';
import { storeBetween, storeSample, type StoreSample } from './store-counts.js';
import type { GossipCounters } from '../p2p/interface.js';
import { phaseSample, phasesBetween, type PhaseSample } from './height-phases.js';
import { runSetup, waitForHeight } from './setup.js';
import { signAll } from './sign.js';
import { renderSvg } from './svg.js';
import { measureVerifyRate } from './verify-rate.js';
import { DEFAULT_CONFIG } from '../node/config.js';

/** `medledger bench`: the whole run (SPEC §6; docs/bench.md). */

export interface BenchOptions {
  nodes: number;
  txs: number;
  /**
   * Txs sent before the measured load, same mix, not counted: the node processes are
   * fresh, and V8 compiles their hot code during the first seconds of load.
   */
  warmup: number;
  /** At most this many submitted but not committed; null = no cap (with --rate). */
  inflight: number | null;
  /** Fixed submission rate, tx/s; null = as fast as the in-flight cap allows. */
  rate: number | null;
  out: string;
  accounts: number;
  batch: number;
  keep: boolean;
  seed: number;
  stallMs: number;
  /** The nodes' batching window (config blockWindowMs); null: the node's default. */
  blockWindowMs: number | null;
  /** The nodes' minimum block interval (config minBlockIntervalMs); null: the node's default. */
  minBlockIntervalMs: number | null;
}

/** report.json: the report plus the run's own checks and counters. */
export type BenchRunReport = BenchReport & {
  receiptSample: Awaited<ReturnType<typeof sampleReceipts>>;
  stalled: boolean;
  failureSamples: DriveResult['failureSamples'];
  requests: number;
  retries: number;
};

export interface BenchOutcome {
  report: BenchRunReport;
  files: { json: string; svg: string; html: string };
  /** The temp dir, when kept. */
  kept: string | null;
}

export const CHAIN_ID = 'medledger-bench';
const NEW_ORG = { org: 'lab', name: 'Bench Reference Lab' };
/** The fewest JSON-RPC requests a sender may have under way at once. */
const MIN_SENDER_PIPELINE = 4;
/** SPEC §6's default in-flight cap; the warm-up's cap when a --rate load has none. */
export const DEFAULT_INFLIGHT = 2000;

/**
 * JSON-RPC requests a sender thread may have under way at once: enough for its node's
 * share of the in-flight cap (or of one second of a --rate load) to be in requests at
 * once, and at least 4. With a fixed 4, one node at --inflight 4000 never had more than
 * ~1,100 txs in flight (latency x tps): the client, not the node, set the pace.
 */
export function senderPipeline(o: { nodes: number; batch: number; inflight: number | null; rate: number | null }): number {
  const share = Math.max(o.inflight ?? 0, o.rate ?? 0) / o.nodes;
  return Math.max(MIN_SENDER_PIPELINE, Math.ceil(share / o.batch));
}

/**
 * Default warm-up: 1.5 M txs, at most 30,000 (30,000 for the default 20,000). V8 keeps
 * compiling a fresh node's code for its first ~50 s under load; after 10,000 warm-up txs
 * its compiler threads still took ~8.5% of the nodes' CPU in the measured window, ~5%
 * after 30,000 (perf, docs/bench.md session 12). A long-running node pays that once.
 */
export function defaultWarmup(txs: number): number {
  return Math.min(30_000, Math.ceil(txs * 1.5));
}

/** Default load accounts: one per 50 txs, from 16 up to 256. */
export function defaultAccounts(txs: number): number {
  return Math.min(256, Math.max(16, Math.ceil(txs / 50)));
}

async function nodeMetrics(url: string): Promise<{ committed: number | null; unverified: number | null; phases: PhaseSample | null; gossip: GossipCounters | null; store: StoreSample | null }> {
  try {
    const m = parsePrometheus((await getText(`${url}/metrics`)).text);
    return {
      committed: m.get('medledger_txs_committed_total') ?? null, unverified: m.get('medledger_txs_committed_unverified_total') ?? null,
      phases: phaseSample(m), gossip: gossipSample(m), store: storeSample(m),
    };
  } catch {
    return { committed: null, unverified: null, phases: null, gossip: null, store: null };
  }
}

export async function runBench(o: BenchOptions, err: ProgressSink, signal: AbortSignal): Promise<BenchOutcome> {
  const startedAt = Date.now();
  const progress = new ProgressReporter(err);
  const outDir = resolve(o.out);
  mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'medledger-bench-'));
  let cluster: Cluster | null = null;
  try {
    progress.line(`medledger bench: ${o.nodes} nodes, ${o.txs} txs${o.warmup > 0 ? ` after ${o.warmup} warm-up txs` : ''}, ${o.inflight !== null ? `in-flight ${o.inflight}` : ''}${o.inflight !== null && o.rate !== null ? ', ' : ''}${o.rate !== null ? `rate ${o.rate} tx/s` : ''}, ${o.accounts} accounts, batches of ${o.batch}`);
    const verifyPerSecPerCore = measureVerifyRate(1000);
    const cores = availableParallelism();
    progress.line(`machine: ${cores} CPUs, Ed25519 verify ${verifyPerSecPerCore}/s per core (libsodium, as the nodes verify)`);

    const all = o.warmup + o.txs;
    // Written into every node's config, so the report says what the nodes ran with.
    const blockWindowMs = o.blockWindowMs ?? DEFAULT_CONFIG.blockWindowMs;
    const minBlockIntervalMs = o.minBlockIntervalMs ?? DEFAULT_CONFIG.minBlockIntervalMs;
    cluster = await Cluster.create(tmp, o.nodes, CHAIN_ID, all, { blockWindowMs, minBlockIntervalMs });
    const c = cluster;
    const orgs = [...c.nodes.map((n) => n.org), NEW_ORG.org];
    const plan = buildPlan({ chainId: CHAIN_ID, orgs, nodes: o.nodes, txs: all, accounts: o.accounts, seed: o.seed, time: startedAt });
    progress.line(`starting ${o.nodes} node processes in ${tmp}; signing ${all} txs on ${cores} threads`);
    c.start();
    const secretOf = new Map([...plan.staff, ...plan.patients].map((a) => [a.account, a.secretKey] as const));
    const [signed] = await Promise.all([
      signAll(plan.load.map((t) => t.body), plan.load.map((t) => secretOf.get(t.body.from)!), cores, signal),
      c.waitHealthy(60_000, signal),
    ]);
    c.check();

    const setupStart = Date.now();
    const setup = await runSetup({
      chainId: CHAIN_ID, urls: c.urls, orgs: c.nodes.map((n) => ({ org: n.org, admin: n.admin })), authorities: c.nodes.map((n) => n.authority),
      newOrg: { ...NEW_ORG, admin: generateKeyPair() }, plan, signal, log: (m) => progress.line(m),
    });
    const setupS = (Date.now() - setupStart) / 1000;
    progress.line(`setup: ${setup.txs} txs committed in ${setupS.toFixed(1)} s (height ${setup.height}); ${o.warmup > 0 ? 'warm-up' : 'load'} starts`);

    const nodeOf = plan.load.map((t) => t.node);
    const driveRange = (from: number, to: number, load: { inflight: number | null; rate: number | null }, startHeight: number, onStart?: () => void) => drive({
      onStart, urls: c.urls, jsons: signed.jsons.slice(from, to), hashes: signed.hashes.slice(from, to), nodeOf: nodeOf.slice(from, to),
      ...load, batch: o.batch, pipeline: senderPipeline({ nodes: o.nodes, batch: o.batch, ...load }), startHeight, stallMs: o.stallMs,
      signal, check: () => c.check(), progress: (p) => progress.update(p), warn: (m) => progress.line(`warning: ${m}`),
    });
    let startHeight = setup.height;
    let warmup: WarmupReport | null = null;
    if (o.warmup > 0) {
      // As fast as the in-flight cap allows, also before a --rate load: it only has to run the code.
      const w = await driveRange(0, o.warmup, { inflight: o.inflight ?? DEFAULT_INFLIGHT, rate: null }, startHeight);
      progress.done();
      warmup = warmupReport(w);
      progress.line(`warm-up: ${warmup.committed} txs committed in ${warmup.durationS} s (${warmup.tps} tx/s, not counted); measured load starts`);
      startHeight = w.finalHeight;
    }

    let cpu0 = c.cpuSeconds();
    let client0 = process.cpuUsage();
    let metrics0: Promise<Array<Awaited<ReturnType<typeof nodeMetrics>>>> = Promise.resolve([]);
    const result = await driveRange(o.warmup, all, { inflight: o.inflight, rate: o.rate }, startHeight, () => {
      cpu0 = c.cpuSeconds();
      client0 = process.cpuUsage();
      metrics0 = Promise.all(c.urls.map(nodeMetrics));
    });
    progress.done();
    const clientCpu = process.cpuUsage(client0);
    const cpu1 = c.cpuSeconds();
    c.check();
    // Measured again with the nodes idle: a shared machine's speed can move during a run.
    const verifyPerSecPerCoreAfter = measureVerifyRate(1000);

    // Every node at the final height, with the same block there.
    let finalHashes: Array<string | null> = c.nodes.map(() => null);
    try {
      await waitForHeight(c.urls, result.finalHeight, 20_000, signal);
      finalHashes = await Promise.all(c.urls.map(async (u) => (await rpcCall<{ hash: string }>(u, 'chain_getBlock', { height: result.finalHeight, txs: 'hashes' })).hash));
    } catch (e) {
      progress.line(`warning: final block check: ${(e as Error).message}`);
    }
    const metrics = await Promise.all(c.urls.map(nodeMetrics));
    const before = await metrics0;
    const rss = c.peakRssMB();
    const perNode: NodeReport[] = c.nodes.map((n, i) => ({
      node: i, rpc: n.url,
      cpuSeconds: cpu1[i] ?? null,
      loadCpuSeconds: cpu1[i] != null && cpu0[i] != null ? Math.round((cpu1[i]! - cpu0[i]!) * 100) / 100 : null,
      peakRssMB: rss[i] ?? null,
      txsCommitted: metrics[i]!.committed, txsCommittedUnverified: metrics[i]!.unverified, finalHash: finalHashes[i] ?? null,
      heightPhases: phasesBetween(before[i]?.phases ?? null, metrics[i]!.phases),
      gossip: gossipBetween(before[i]?.gossip ?? null, metrics[i]!.gossip),
      store: storeBetween(before[i]?.store ?? null, metrics[i]!.store),
    }));
    const measured = plan.load.slice(o.warmup);
    const receiptSample = await sampleReceipts(c.urls[0]!, signed.hashes.slice(o.warmup), result.committedAt, measured.map((t) => t.expect));

    const model = cpus()[0]?.model.trim() ?? 'unknown';
    const report = assembleReport({
      version: VERSION, startedAt, nodes: o.nodes, txs: o.txs, submittedAt: result.submittedAt, committedAt: result.committedAt,
      errors: result.errors, blocks: result.blocks, finalHeight: result.finalHeight, perNode,
      machine: { cpus: cores, verifyPerSecPerCore, verifyPerSecPerCoreAfter, model, memoryMB: Math.round(totalmem() / 1048576), node: process.version, platform: `${process.platform}-${process.arch}` },
      client: { cpuSeconds: Math.round((clientCpu.user + clientCpu.system) / 10_000) / 100, signers: cores, senders: o.nodes },
      mix: mixOf(measured), inflight: o.inflight, rate: o.rate, batch: o.batch, accounts: o.accounts, blockWindowMs, minBlockIntervalMs,
      setup: { durationS: Math.round(setupS * 10) / 10, txs: setup.txs }, warmup,
    });
    const full: BenchRunReport = { ...report, receiptSample, stalled: result.stalled, failureSamples: result.failureSamples, requests: result.requests, retries: result.retries };
    if (result.failureSamples.length > 0) progress.line(`warning: ${report.failed} load txs refused by tx_send: ${JSON.stringify(report.errors)}; first: ${result.failureSamples[0]!.message}`);
    if (receiptSample.rejected > 0 || receiptSample.outcomeMismatches > 0) progress.line(`warning: receipt sample: ${JSON.stringify(receiptSample)}`);

    const svg = renderSvg(report);
    const files = { json: join(outDir, 'report.json'), svg: join(outDir, 'report.svg'), html: join(outDir, 'report.html') };
    writeFileSync(files.json, JSON.stringify(full, null, 2) + '\n');
    writeFileSync(files.svg, svg);
    writeFileSync(files.html, renderHtml(report, svg));
    return { report: full, files, kept: o.keep ? tmp : null };
  } finally {
    progress.done();
    if (cluster) {
      progress.line('stopping the nodes');
      await cluster.stop();
    }
    if (o.keep) progress.line(`kept the testnet and node logs in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

/** Receipts of up to 60 committed load txs: all ok, and each access.log with its predicted outcome. */
async function sampleReceipts(url: string, hashes: string[], committedAt: Float64Array, expect: Array<string | undefined>) {
  const committed: number[] = [];
  for (let i = 0; i < committedAt.length; i++) if (committedAt[i]! > 0) committed.push(i);
  const step = Math.max(1, Math.floor(committed.length / 60));
  const picked = committed.filter((_, k) => k % step === 0).slice(0, 60);
  const out = { checked: 0, ok: 0, rejected: 0, accessLogs: 0, outcomeMismatches: 0, firstProblem: null as string | null };
  try {
    const res = await rpcBatch(url, picked.map((i) => ({ method: 'chain_getTx', params: { hash: hashes[i] } })));
    res.forEach((r, k) => {
      const i = picked[k]!;
      const receipt = (r.result as { receipt?: { status: string; outcome?: string; error?: { code: string } } } | undefined)?.receipt;
      out.checked++;
      if (receipt?.status === 'ok') out.ok++;
      else { out.rejected++; out.firstProblem ??= `tx ${hashes[i]}: ${JSON.stringify(r.error ?? receipt)}`; }
      const e = expect[i];
      if (e === 'granted' || e === 'denied' || e === 'emergency') {
        out.accessLogs++;
        if (receipt?.outcome !== e) { out.outcomeMismatches++; out.firstProblem ??= `tx ${hashes[i]}: expected ${e}, got ${receipt?.outcome}`; }
      }
    });
  } catch (e) {
    out.firstProblem = `chain_getTx failed: ${(e as Error).message}`;
  }
  return out;
}
