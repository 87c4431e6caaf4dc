import { Worker } from 'node:worker_threads';
import type { DecodedTx } from '../chain/types.js';
import { verifyTxSig } from '../chain/tx.js';
import type { VerifyJob, VerifyResult } from './verify-worker.js';

interface Pending {
  item: [string, string, string];
  resolve: (ok: boolean) => void;
}

/** What the pool uses of a worker thread: node:worker_threads `Worker`, or a stand-in in tests. */
export interface VerifyThread {
  postMessage(job: VerifyJob): void;
  on(event: 'message', listener: (m: VerifyResult) => void): unknown;
  on(event: 'error' | 'exit', listener: () => void): unknown;
  terminate(): Promise<unknown>;
}

/** A worker thread running verify-worker.js, not keeping the process alive. */
export function spawnVerifyThread(): VerifyThread {
  const w = new Worker(new URL('./verify-worker.js', import.meta.url));
  w.unref();
  return w;
}

/**
 * Signatures queued in one tick that go to the workers at once, without waiting for the
 * tick to end. An I/O phase can read many RPC requests (a client refilling 2,000 slots
 * sends 20 requests of 100 txs), and their prechecks take the main thread ~90 ms: handed
 * over only at the end, the worker idled through it and returned one verdict message for
 * all of them, which became one convoy of ready txs. In chunks the worker starts on the
 * first while the main thread decodes the rest, and verdicts come back in pieces (1 node,
 * `bench --nodes 1 --txs 30000 --inflight 4000`, 5 interleaved pairs: 6,615 -> 7,229 tx/s,
 * 5 of 5). A job message costs tens of µs; its 64 verifications take ~6 ms.
 */
export const VERIFY_CHUNK = 64;

/**
 * Ed25519 verification on worker threads, so that a node verifies on every core while
 * its main thread runs consensus, RPC and storage. Requests are sent to the workers in
 * batches: what one tick queued, or every VERIFY_CHUNK signatures (a message per
 * signature would cost more than the verify). With zero workers it verifies inline.
 */
export class VerifyPool {
  private readonly workers: VerifyThread[] = [];
  private readonly waiting = new Map<number, { worker: VerifyThread; batch: Pending[] }>();
  private queue: Pending[] = [];
  private nextId = 1;
  private scheduled = false;
  private rr = 0;
  private closed = false;

  constructor(readonly size: number, spawn: () => VerifyThread = spawnVerifyThread) {
    for (let i = 0; i < size; i++) {
      const w = spawn();
      w.on('message', (m) => {
        const job = this.waiting.get(m.id);
        if (!job) return;
        this.waiting.delete(m.id);
        job.batch.forEach((p, j) => p.resolve(m.results[j] === 1));
      });
      // A worker that dies: take it out of rotation and verify its jobs inline rather than lose them.
      const lost = (): void => {
        const i = this.workers.indexOf(w);
        if (i >= 0) this.workers.splice(i, 1);
        for (const [id, job] of this.waiting) {
          if (job.worker !== w) continue;
          this.waiting.delete(id);
          for (const p of job.batch) p.resolve(verifyInline(p.item));
        }
      };
      w.on('error', lost);
      w.on('exit', lost);
      this.workers.push(w);
    }
  }

  /** Signatures waiting to be handed to a worker (at most VERIFY_CHUNK - 1 between ticks). */
  get queued(): number {
    return this.queue.length;
  }

  /** Verifies a decoded tx's signature over its hash. */
  verifyTx(d: DecodedTx): Promise<boolean> {
    if (this.workers.length === 0 || this.closed) return Promise.resolve(verifyTxSig(d));
    return new Promise((resolve) => {
      this.queue.push({ item: [d.tx.from, d.hash, d.tx.sig], resolve });
      if (this.queue.length >= VERIFY_CHUNK) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.queue;
    this.queue = [];
    if (all.length === 0) return;
    if (this.workers.length === 0) {
      for (const p of all) p.resolve(verifyInline(p.item));
      return;
    }
    const per = Math.ceil(all.length / this.workers.length);
    for (let i = 0; i < all.length; i += per) {
      const batch = all.slice(i, i + per);
      const id = this.nextId++;
      const worker = this.workers[this.rr++ % this.workers.length]!;
      this.waiting.set(id, { worker, batch });
      const job: VerifyJob = { id, items: batch.map((p) => p.item) };
      worker.postMessage(job);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    const workers = [...this.workers];
    await Promise.all(workers.map((w) => w.terminate()));
    for (const job of this.waiting.values()) for (const p of job.batch) p.resolve(verifyInline(p.item));
    this.waiting.clear();
  }
}

function verifyInline([account, msg, sig]: [string, string, string]): boolean {
  return verifyTxSig({ tx: { from: account, sig } as DecodedTx['tx'], hash: msg, wire: Buffer.alloc(0) });
}
