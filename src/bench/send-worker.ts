import { postJsonRpc } from '../cli/rpc-client.js';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * One sender thread per node: sends its node's share of the load, in order, as
 * JSON-RPC batches of tx_send, up to `pipeline` requests at a time, claiming each tx
 * from the shared budget first (the main thread raises the budget as txs commit, or
 * with time for --rate). A `mempool_full` refusal is retried (the tx keeps its first
 * submission time); any other refusal is reported and the tx counted as failed.
 * It says `ready` once warmed up (modules loaded, connection open), before claiming.
 */

export const CTRL = { BUDGET: 0, CLAIMED: 1, FAILED: 2, STOP: 3, ACCEPTED: 4, RETRIES: 5 } as const;
export const CTRL_SLOTS = 6;

export interface SendJob {
  url: string;
  jsons: string[];
  /** Global load index of each tx in `jsons`. */
  idxs: number[];
  batch: number;
  pipeline: number;
  ctrl: SharedArrayBuffer;
  submittedAt: SharedArrayBuffer;
}

export type SendMessage =
  | { type: 'ready' }
  | { type: 'fail'; index: number; reason: string; message: string }
  | { type: 'fatal'; message: string }
  | { type: 'done'; requests: number };

const RETRY_DELAY_MS = 250;

if (parentPort !== null && workerData !== null) void run(workerData as SendJob);

async function run(job: SendJob): Promise<void> {
  const ctrl = new Int32Array(job.ctrl);
  const submittedAt = new Float64Array(job.submittedAt);
  const post = (m: SendMessage): void => parentPort!.postMessage(m);
  const stopped = (): boolean => Atomics.load(ctrl, CTRL.STOP) !== 0;
  const n = job.jsons.length;
  // Warm up before the load window: load the HTTP client and open the connection.
  try {
    await postJsonRpc(job.url, '{"jsonrpc":"2.0","id":0,"method":"node_info"}');
  } catch (err) {
    post({ type: 'fatal', message: `node_info to ${job.url} failed: ${(err as Error).message}` });
    Atomics.store(ctrl, CTRL.STOP, 1);
  }
  post({ type: 'ready' });
  let pos = 0;
  let requests = 0;
  const retries: Array<{ at: number; positions: number[] }> = [];
  const active = new Set<Promise<void>>();

  /** Claims up to `want` txs from the shared budget; 0 when stopped. */
  const claim = async (want: number): Promise<number> => {
    for (;;) {
      if (stopped()) return 0;
      const c = Atomics.load(ctrl, CTRL.CLAIMED);
      const b = Atomics.load(ctrl, CTRL.BUDGET);
      if (b > c) {
        const k = Math.min(want, b - c);
        if (Atomics.compareExchange(ctrl, CTRL.CLAIMED, c, c + k) === c) return k;
        continue;
      }
      // A pending waitAsync alone does not keep a worker's event loop alive: race a timer.
      const w = Atomics.waitAsync(ctrl, CTRL.BUDGET, b, 50);
      if (w.async) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([w.value, new Promise((r) => { timer = setTimeout(r, 60); })]);
        clearTimeout(timer);
      }
    }
  };

  const send = async (positions: number[], retry: boolean): Promise<void> => {
    const now = Date.now();
    const parts: string[] = [];
    for (const p of positions) {
      const gi = job.idxs[p]!;
      if (submittedAt[gi] === 0) submittedAt[gi] = now;
      parts.push(`{"jsonrpc":"2.0","id":${p},"method":"tx_send","params":{"tx":${job.jsons[p]!}}}`);
    }
    requests++;
    let body: Array<{ id: number; result?: unknown; error?: { code: number; message: string; data?: { reason?: string } } }>;
    try {
      const parsed = await postJsonRpc(job.url, `[${parts.join(',')}]`);
      if (!Array.isArray(parsed)) throw new Error(`not a batch response: ${JSON.stringify(parsed).slice(0, 300)}`);
      body = parsed;
    } catch (err) {
      const e = err as Error & { cause?: Error };
      post({ type: 'fatal', message: `tx_send batch to ${job.url} failed: ${e.cause?.message ?? e.message}` });
      Atomics.store(ctrl, CTRL.STOP, 1);
      return;
    }
    const again: number[] = [];
    for (const r of body) {
      if (r.error === undefined) { Atomics.add(ctrl, CTRL.ACCEPTED, 1); continue; }
      const reason = r.error.data?.reason ?? `rpc_${r.error.code}`;
      if (reason === 'mempool_full') { again.push(r.id); continue; }
      if (retry && reason === 'duplicate') { Atomics.add(ctrl, CTRL.ACCEPTED, 1); continue; }
      Atomics.add(ctrl, CTRL.FAILED, 1);
      post({ type: 'fail', index: job.idxs[r.id]!, reason, message: r.error.message });
    }
    if (again.length > 0) {
      Atomics.add(ctrl, CTRL.RETRIES, again.length);
      retries.push({ at: Date.now() + RETRY_DELAY_MS, positions: again });
    }
  };

  const launch = async (positions: number[], retry: boolean): Promise<void> => {
    while (active.size >= job.pipeline) await Promise.race(active);
    const p: Promise<void> = send(positions, retry).finally(() => active.delete(p));
    active.add(p);
  };

  while (!stopped()) {
    const due = retries.findIndex((r) => r.at <= Date.now());
    if (due >= 0) {
      await launch(retries.splice(due, 1)[0]!.positions, true);
      continue;
    }
    if (pos < n) {
      const k = await claim(Math.min(job.batch, n - pos));
      if (k === 0) break;
      const positions = Array.from({ length: k }, (_, i) => pos + i);
      pos += k;
      await launch(positions, false);
      continue;
    }
    if (retries.length === 0 && active.size === 0) break;
    await new Promise((r) => setTimeout(r, active.size > 0 ? 10 : 50));
  }
  await Promise.all(active);
  post({ type: 'done', requests });
}
