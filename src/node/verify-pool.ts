import { Worker } from 'node:worker_threads';
import type { DecodedTx } from '../chain/types.js';
import { verifyTxSig } from '../chain/tx.js';
import type { VerifyJob } from './verify-worker.js';

interface Pending {
  item: [string, string, string];
  resolve: (ok: boolean) => void;
}

/**
 * Ed25519 verification on worker threads, so that a node verifies on every core while
 * its main thread runs consensus, RPC and storage. Requests made in the same tick are
 * sent to the workers as one batch per worker (a message per signature would cost more
 * than the verify). With zero workers it verifies inline.
 */
export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { worker: Worker; batch: Pending[] }>();
  private queue: Pending[] = [];
  private nextId = 1;
  private scheduled = false;
  private rr = 0;
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./verify-worker.js', import.meta.url));
      w.unref();
      w.on('message', (m: { id: number; results: Uint8Array }) => {
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

  /** Verifies a decoded tx's signature over its hash. */
  verifyTx(d: DecodedTx): Promise<boolean> {
    if (this.workers.length === 0 || this.closed) return Promise.resolve(verifyTxSig(d));
    return new Promise((resolve) => {
      this.queue.push({ item: [d.tx.from, d.hash, d.tx.sig], resolve });
      if (!this.scheduled) {
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
