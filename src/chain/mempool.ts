import { AppError } from '../util/errors.js';
import type { DecodedTx } from './types.js';

export interface MempoolOptions {
  /** Total txs held (ready + waiting). */
  maxTotal: number;
  /** Txs held per sender, ready or waiting for a gap. */
  maxPerSender: number;
  /** How far past the next expected nonce a tx may be (it waits for the gap). */
  maxNonceGap: number;
}

export const DEFAULT_MEMPOOL_OPTIONS: MempoolOptions = { maxTotal: 100_000, maxPerSender: 5_000, maxNonceGap: 1_000 };

interface SenderQueue {
  /** Next nonce after committed state (as last told by the node). */
  base: number;
  /** Next nonce after the contiguous run of held txs: what a new tx should use. */
  next: number;
  txs: Map<number, DecodedTx>;
}

/**
 * Pending transactions with per-sender nonce queues. A tx whose nonce continues its
 * sender's run is ready (FIFO across senders, so block order follows arrival); a
 * future nonce waits until the gap fills. Signature and state checks happen before
 * `add`; the mempool decides only on nonces, duplicates and limits.
 */
export class Mempool {
  private readonly byHash = new Map<string, DecodedTx>();
  private readonly senders = new Map<string, SenderQueue>();
  /** Ready txs in the order they became ready, with when (Map keeps insertion order, delete is O(1)). */
  private readonly ready = new Map<string, { d: DecodedTx; since: number }>();
  private readonly listeners: Array<() => void> = [];
  /** Arrival time of txs waiting behind a nonce gap (not ready), for expiry. */
  private readonly waitingSince = new Map<string, number>();

  constructor(private readonly opts: MempoolOptions = DEFAULT_MEMPOOL_OPTIONS) {}

  get size(): number {
    return this.byHash.size;
  }

  get readyCount(): number {
    return this.ready.size;
  }

  /** When the longest-waiting ready tx became ready (the proposer's batching window counts from it); undefined when none is ready. */
  get oldestReadySince(): number | undefined {
    for (const r of this.ready.values()) return r.since;
    return undefined;
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  get(hash: string): DecodedTx | undefined {
    return this.byHash.get(hash);
  }

  /** Next nonce after this node's mempool for `sender`, given its committed nonce. */
  pendingNonce(sender: string, committedNonce: number): number {
    const q = this.senders.get(sender);
    return q && q.base === committedNonce ? q.next : Math.max(committedNonce, q?.next ?? committedNonce);
  }

  /** Called whenever a tx becomes ready. */
  onReady(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Throws the nonce error `add` would throw, without adding (admission checks nonces before state rules). */
  checkNonce(d: DecodedTx, committedNonce: number): void {
    if (this.byHash.has(d.hash)) throw new AppError('duplicate', `tx ${d.hash} is already pending`, { hash: d.hash });
    const { nonce } = d.tx;
    if (nonce < committedNonce) throw new AppError('nonce_too_low', `nonce ${nonce} is already used; next is ${committedNonce}`, { expected: committedNonce });
    const q = this.senders.get(d.tx.from);
    const next = q && q.base >= committedNonce ? q.next : committedNonce;
    if (q?.txs.has(nonce)) throw new AppError('nonce_too_low', `nonce ${nonce} is already pending for this sender; next is ${next}`, { expected: next });
    if (nonce > next + this.opts.maxNonceGap) throw new AppError('nonce_too_high', `nonce ${nonce} is more than ${this.opts.maxNonceGap} ahead of the next expected ${next}`, { expected: next });
  }

  /** Admits a verified tx. `committedNonce` is the sender's next nonce in committed state. */
  add(d: DecodedTx, committedNonce: number, now = Date.now()): void {
    if (this.byHash.has(d.hash)) throw new AppError('duplicate', `tx ${d.hash} is already pending`, { hash: d.hash });
    const { from, nonce } = d.tx;
    let q = this.senders.get(from);
    if (!q) {
      q = { base: committedNonce, next: committedNonce, txs: new Map() };
      this.senders.set(from, q);
    } else if (q.base < committedNonce) {
      this.advance(q, committedNonce, now);
    }
    if (nonce < committedNonce) throw new AppError('nonce_too_low', `nonce ${nonce} is already used; next is ${committedNonce}`, { expected: committedNonce });
    if (q.txs.has(nonce)) throw new AppError('nonce_too_low', `nonce ${nonce} is already pending for this sender; next is ${q.next}`, { expected: q.next });
    if (nonce > q.next + this.opts.maxNonceGap) {
      throw new AppError('nonce_too_high', `nonce ${nonce} is more than ${this.opts.maxNonceGap} ahead of the next expected ${q.next}`, { expected: q.next });
    }
    if (q.txs.size >= this.opts.maxPerSender) throw new AppError('mempool_full', `sender has ${q.txs.size} pending txs (limit ${this.opts.maxPerSender})`);
    if (this.byHash.size >= this.opts.maxTotal) throw new AppError('mempool_full', `mempool holds ${this.byHash.size} txs (limit ${this.opts.maxTotal})`);
    q.txs.set(nonce, d);
    this.byHash.set(d.hash, d);
    if (nonce === q.next) this.promote(q, now);
    else this.waitingSince.set(d.hash, now);
  }

  /**
   * Drops txs that waited longer than `maxAgeMs` for their nonce gap to fill (and the
   * sender's txs after them): a gap that never fills must not hold mempool space forever.
   */
  expireWaiting(now: number, maxAgeMs: number): number {
    let dropped = 0;
    for (const [hash, since] of [...this.waitingSince]) {
      if (now - since <= maxAgeMs || !this.byHash.has(hash)) continue;
      const before = this.byHash.size;
      this.drop(hash);
      dropped += before - this.byHash.size;
    }
    return dropped;
  }

  /** Moves the run of consecutive nonces starting at q.next into the ready queue. */
  private promote(q: SenderQueue, now: number): void {
    let made = false;
    for (let d = q.txs.get(q.next); d !== undefined; d = q.txs.get(q.next)) {
      this.ready.set(d.hash, { d, since: now });
      this.waitingSince.delete(d.hash);
      q.next++;
      made = true;
    }
    if (made) for (const l of this.listeners) l();
  }

  /** Forgets txs below the sender's new committed nonce. */
  private advance(q: SenderQueue, committedNonce: number, now: number): void {
    for (let n = q.base; n < committedNonce; n++) {
      const d = q.txs.get(n);
      if (d) {
        q.txs.delete(n);
        this.byHash.delete(d.hash);
        this.ready.delete(d.hash);
        this.waitingSince.delete(d.hash);
      }
    }
    q.base = committedNonce;
    if (q.next < committedNonce) {
      q.next = committedNonce;
      this.promote(q, now);
    }
  }

  /** Ready txs in order, at most `max`; they stay until `committed` or `drop`. */
  reap(max: number): DecodedTx[] {
    const out: DecodedTx[] = [];
    for (const r of this.ready.values()) {
      if (out.length >= max) break;
      out.push(r.d);
    }
    return out;
  }

  /** After a block: drop its txs and everything below each sender's new nonce. */
  committed(nonces: Map<string, number>, now = Date.now()): void {
    for (const [sender, nonce] of nonces) {
      const q = this.senders.get(sender);
      if (!q) continue;
      this.advance(q, nonce, now);
      if (q.txs.size === 0) this.senders.delete(sender);
    }
  }

  /** Removes a tx that can no longer be included (e.g. its sender was revoked), and its sender's later txs. */
  drop(hash: string): void {
    const d = this.byHash.get(hash);
    if (!d) return;
    const q = this.senders.get(d.tx.from);
    if (!q) return;
    for (const [n, t] of [...q.txs]) {
      if (n >= d.tx.nonce) {
        q.txs.delete(n);
        this.byHash.delete(t.hash);
        this.ready.delete(t.hash);
        this.waitingSince.delete(t.hash);
      }
    }
    q.next = Math.min(q.next, d.tx.nonce);
    if (q.txs.size === 0) this.senders.delete(d.tx.from);
  }
}
