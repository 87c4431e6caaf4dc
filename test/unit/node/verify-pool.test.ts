import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { decodeTx } from '../../../src/chain/tx.js';
import { verify } from '../../../src/chain/ed25519.js';
import type { DecodedTx } from '../../../src/chain/types.js';
import { VERIFY_CHUNK, VerifyPool, type VerifyThread } from '../../../src/node/verify-pool.js';
import type { VerifyJob, VerifyResult } from '../../../src/node/verify-worker.js';
import { fixedKey, forge, tx } from './support.js';

/** A worker thread stand-in: keeps the jobs it is sent; `answer` verifies them as verify-worker.js does. */
class FakeThread extends EventEmitter implements VerifyThread {
  jobs: VerifyJob[] = [];
  postMessage(job: VerifyJob): void {
    this.jobs.push(job);
  }
  answer(): void {
    const jobs = this.jobs;
    this.jobs = [];
    for (const job of jobs) {
      const reply: VerifyResult = { id: job.id, results: Uint8Array.from(job.items.map(([a, m, s]) => (verify(a, Buffer.from(m, 'hex'), s) ? 1 : 0))) };
      this.emit('message', reply);
    }
  }
  async terminate(): Promise<number> {
    return 0;
  }
}

const KEY = fixedKey('verify-pool');
/** n signed txs; those whose index is in `bad` carry a well-formed but wrong signature. */
function txs(n: number, bad: ReadonlySet<number> = new Set()): DecodedTx[] {
  return Array.from({ length: n }, (_, i) => {
    const t = tx(KEY, 'access.log', i, { recordId: `rec-${i}`, purpose: 'treatment' });
    return decodeTx(bad.has(i) ? forge(t) : t);
  });
}

const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('VerifyPool', () => {
  it('hands a burst to the worker every VERIFY_CHUNK signatures, without waiting for the tick to end', async () => {
    const thread = new FakeThread();
    const pool = new VerifyPool(1, () => thread);
    const burst = txs(2 * VERIFY_CHUNK + 5, new Set([3, VERIFY_CHUNK + 1]));
    const verdicts = burst.slice(0, VERIFY_CHUNK - 1).map((d) => pool.verifyTx(d));
    expect(thread.jobs).toHaveLength(0);
    expect(pool.queued).toBe(VERIFY_CHUNK - 1);
    verdicts.push(pool.verifyTx(burst[VERIFY_CHUNK - 1]!));
    // The first chunk left in this tick: the worker can start while the rest is decoded.
    expect(thread.jobs.map((j) => j.items.length)).toEqual([VERIFY_CHUNK]);
    for (const d of burst.slice(VERIFY_CHUNK)) verdicts.push(pool.verifyTx(d));
    expect(thread.jobs.map((j) => j.items.length)).toEqual([VERIFY_CHUNK, VERIFY_CHUNK]);
    expect(pool.queued).toBe(5);
    await nextTick();
    // The remainder goes when the tick ends.
    expect(thread.jobs.map((j) => j.items.length)).toEqual([VERIFY_CHUNK, VERIFY_CHUNK, 5]);
    expect(pool.queued).toBe(0);
    thread.answer();
    const got = await Promise.all(verdicts);
    expect(got.map((ok, i) => (ok ? -1 : i)).filter((i) => i >= 0)).toEqual([3, VERIFY_CHUNK + 1]);
  });

  it('sends a small tick to the worker as one job when the tick ends', async () => {
    const thread = new FakeThread();
    const pool = new VerifyPool(1, () => thread);
    const verdicts = txs(3, new Set([1])).map((d) => pool.verifyTx(d));
    expect(thread.jobs).toHaveLength(0);
    await nextTick();
    expect(thread.jobs.map((j) => j.items.length)).toEqual([3]);
    thread.answer();
    expect(await Promise.all(verdicts)).toEqual([true, false, true]);
  });

  it('verifies inline the jobs of a worker that dies, and stops using it', async () => {
    const thread = new FakeThread();
    const pool = new VerifyPool(1, () => thread);
    const verdicts = txs(VERIFY_CHUNK, new Set([0])).map((d) => pool.verifyTx(d));
    expect(thread.jobs).toHaveLength(1);
    thread.emit('exit');
    const got = await Promise.all(verdicts);
    expect(got[0]).toBe(false);
    expect(got.slice(1).every((ok) => ok)).toBe(true);
    // With no worker left, verification is inline: nothing more is posted.
    expect(await pool.verifyTx(txs(1)[0]!)).toBe(true);
    expect(thread.jobs).toHaveLength(1);
  });
});
