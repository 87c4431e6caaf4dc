import { Worker } from 'node:worker_threads';
import { CTRL, CTRL_SLOTS, type SendJob, type SendMessage } from './send-worker.js';
import { rpcBatch, rpcCall } from './rpc.js';
import { recentRate, type BlockObservation } from './stats.js';
import type { ProgressState } from './progress.js';

/**
 * Drives the signed load through the nodes and follows final blocks. Sender threads
 * (one per node) claim txs from a shared budget: committed + failed + K with
 * --inflight, R × elapsed with --rate. The follower long-polls chain_head on node 0
 * (`after`: the answer comes when a new block is final there) and reads each new block;
 * a load tx is committed when first seen in a final block.
 */

export interface DriveOptions {
  urls: string[];
  jsons: string[];
  hashes: string[];
  /** Node index of each tx (all of a sender's txs go to one node, in nonce order). */
  nodeOf: ArrayLike<number>;
  inflight: number | null;
  rate: number | null;
  batch: number;
  pipeline: number;
  startHeight: number;
  /** Stop when no load tx committed for this long while some are outstanding. */
  stallMs: number;
  /** Longest wait of one chain_head long poll: the stall, abort and node checks run at least this often. */
  headWaitMs?: number;
  signal: AbortSignal;
  /** Throws when the run must stop (a node died). */
  check: () => void;
  /** Called once every sender thread is warmed up, just before the load starts (CPU counters). */
  onStart?: () => void;
  progress: (p: ProgressState) => void;
  warn: (msg: string) => void;
}

export interface DriveResult {
  submittedAt: Float64Array;
  committedAt: Float64Array;
  blocks: BlockObservation[];
  errors: Record<string, number>;
  failureSamples: Array<{ index: number; reason: string; message: string }>;
  finalHeight: number;
  startedAt: number;
  endedAt: number;
  requests: number;
  retries: number;
  stalled: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BLOCKS_PER_REQUEST = 10;

/** The budget of claimable txs at `now` (pure; see the module comment). */
export function budgetAt(o: { total: number; committed: number; failed: number; inflight: number | null; rate: number | null; elapsedMs: number }): number {
  let b = o.total;
  if (o.inflight !== null) b = Math.min(b, o.committed + o.failed + o.inflight);
  if (o.rate !== null) b = Math.min(b, Math.ceil((o.rate * Math.max(0, o.elapsedMs)) / 1000));
  return b;
}

export async function drive(o: DriveOptions): Promise<DriveResult> {
  const total = o.jsons.length;
  const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_SLOTS * 4));
  const submittedShared = new SharedArrayBuffer(total * 8);
  const submittedAt = new Float64Array(submittedShared);
  const committedAt = new Float64Array(total);
  const indexOf = new Map<string, number>();
  o.hashes.forEach((h, i) => indexOf.set(h, i));
  const errors: Record<string, number> = {};
  const failureSamples: DriveResult['failureSamples'] = [];
  let fatal: string | null = null;
  let requests = 0;
  let committed = 0;

  const workers: Worker[] = [];
  const finished: Array<Promise<void>> = [];
  const ready: Array<Promise<void>> = [];
  for (let node = 0; node < o.urls.length; node++) {
    const idxs: number[] = [];
    for (let i = 0; i < total; i++) if (o.nodeOf[i] === node) idxs.push(i);
    if (idxs.length === 0) continue;
    const job: SendJob = { url: o.urls[node]!, jsons: idxs.map((i) => o.jsons[i]!), idxs, batch: o.batch, pipeline: o.pipeline, ctrl: ctrl.buffer as SharedArrayBuffer, submittedAt: submittedShared };
    const w = new Worker(new URL('./send-worker.js', import.meta.url), { workerData: job });
    workers.push(w);
    let isReady: () => void = () => {};
    ready.push(new Promise<void>((res) => { isReady = res; }));
    finished.push(new Promise<void>((res) => {
      w.on('message', (m: SendMessage) => {
        if (m.type === 'ready') isReady();
        else if (m.type === 'fail') {
          errors[m.reason] = (errors[m.reason] ?? 0) + 1;
          if (failureSamples.length < 20) failureSamples.push(m);
        } else if (m.type === 'fatal') fatal ??= m.message;
        else { requests += m.requests; res(); }
      });
      w.on('error', (err) => { fatal ??= `sender thread failed: ${err.message}`; isReady(); res(); });
      w.on('exit', () => { isReady(); res(); });
    }));
  }
  let sendersDone = false;
  void Promise.all(finished).then(() => { sendersDone = true; });
  await Promise.all(ready);
  o.onStart?.();

  const startedAt = Date.now();
  const updateBudget = (): void => {
    const b = budgetAt({ total, committed, failed: Atomics.load(ctrl, CTRL.FAILED), inflight: o.inflight, rate: o.rate, elapsedMs: Date.now() - startedAt });
    if (b !== Atomics.load(ctrl, CTRL.BUDGET)) {
      Atomics.store(ctrl, CTRL.BUDGET, b);
      Atomics.notify(ctrl, CTRL.BUDGET);
    }
  };
  updateBudget();
  const ticker = setInterval(updateBudget, 10);

  const blocks: BlockObservation[] = [];
  const samples: Array<[number, number]> = [];
  let height = o.startHeight;
  let lastProgressAt = Date.now();
  let stalled = false;
  try {
    for (;;) {
      if (o.signal.aborted) throw new Error('interrupted');
      o.check();
      if (fatal !== null) throw new Error(fatal);
      let head: { header: { height: number } };
      try {
        head = await rpcCall<{ header: { height: number } }>(o.urls[0]!, 'chain_head', { after: height, waitMs: o.headWaitMs ?? 500 }, o.signal);
      } catch (err) {
        if (o.signal.aborted) throw new Error('interrupted');
        await sleep(300); // a node that died says so better than a refused connection
        o.check();
        throw err;
      }
      const seenAt = Date.now();
      const before = committed;
      for (let h = height + 1; h <= head.header.height; h += BLOCKS_PER_REQUEST) {
        const hs = Array.from({ length: Math.min(BLOCKS_PER_REQUEST, head.header.height - h + 1) }, (_, i) => h + i);
        const res = await rpcBatch(o.urls[0]!, hs.map((height) => ({ method: 'chain_getBlock', params: { height, txs: 'hashes' } })));
        for (const r of res) {
          if (r.error) throw new Error(`chain_getBlock: ${r.error.message}`);
          const b = r.result as { header: { height: number; time: number }; txs: Array<{ hash: string }> };
          let loadTxs = 0;
          for (const t of b.txs) {
            const i = indexOf.get(t.hash);
            if (i !== undefined && committedAt[i] === 0) { committedAt[i] = seenAt; loadTxs++; }
          }
          committed += loadTxs;
          blocks.push({ height: b.header.height, time: b.header.time, observedAt: seenAt, txs: b.txs.length, loadTxs });
        }
      }
      height = Math.max(height, head.header.height);
      updateBudget();
      const failed = Atomics.load(ctrl, CTRL.FAILED);
      const claimed = Atomics.load(ctrl, CTRL.CLAIMED);
      const now = Date.now();
      if (committed > before || claimed === 0) lastProgressAt = now;
      samples.push([now, committed]);
      if (samples.length > 1000) samples.splice(0, 500);
      o.progress({ elapsedMs: now - startedAt, total, submitted: claimed, committed, failed, inflight: Math.max(0, claimed - committed - failed), tps: recentRate(samples, now, 10_000), height });
      if (committed + failed >= total) break;
      if (now - lastProgressAt > o.stallMs && (claimed > committed + failed || sendersDone)) {
        stalled = true;
        o.warn(`no load tx committed for ${o.stallMs / 1000} s with ${claimed - committed - failed} outstanding (${committed} of ${total} committed, ${failed} refused); stopping the load`);
        break;
      }
    }
  } finally {
    clearInterval(ticker);
    Atomics.store(ctrl, CTRL.STOP, 1);
    Atomics.notify(ctrl, CTRL.BUDGET);
    await Promise.race([Promise.all(finished), sleep(2000)]);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return {
    submittedAt: Float64Array.from(submittedAt), committedAt, blocks, errors, failureSamples, finalHeight: height,
    startedAt, endedAt: Date.now(), requests, retries: Atomics.load(ctrl, CTRL.RETRIES), stalled,
  };
}
