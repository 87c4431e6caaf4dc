import type { Logger } from '../util/logger.js';
import { canonicalBytes } from '../chain/jcs.js';
import type { Tx } from '../chain/types.js';
import type { GossipVerdict, Network } from '../p2p/interface.js';
import { AppError, ParamError } from '../util/errors.js';
import { jsonAround } from '../util/json.js';

export interface TxGossipOptions {
  /** Flush a batch this long after its first tx. */
  flushMs: number;
  /** Flush at once when a batch holds this many txs... */
  maxBatch: number;
  /** ...or this many bytes (well under the p2p message cap). */
  maxBatchBytes: number;
}

export const DEFAULT_TX_GOSSIP_OPTIONS: TxGossipOptions = { flushMs: 20, maxBatch: 500, maxBatchBytes: 1024 * 1024 };

/**
 * Txs travel between nodes in batches, one gossip message per batch: a gossipsub
 * message costs a libp2p signature, its verification at every receiver, encryption and
 * framing, which per tx would cost several times the tx's own verification.
 */
export class TxGossip {
  /** Wire JSON of each queued tx (already canonical JSON: it is not serialised again). */
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(
    private readonly opts: TxGossipOptions,
    /** `admit` returns (or throws) at once when it can: a batch of txs verified inline costs no promise per tx. */
    private readonly deps: { network: Network; admit: (raw: unknown) => unknown; logger: Logger },
  ) {
    this.log = deps.logger.child({ module: 'tx-gossip' });
    deps.network.onGossip('tx', (data, from) => this.receive(data, from));
  }

  /** Queues an admitted tx for the next batch. */
  publish(tx: Tx, wire: Buffer = canonicalBytes(tx)): void {
    this.batch.push(wire);
    this.batchBytes += wire.length;
    if (this.batch.length >= this.opts.maxBatch || this.batchBytes >= this.opts.maxBatchBytes) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.opts.flushMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.batch.length === 0) return;
    const wires = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.deps.network.publish('tx', jsonAround('{"txs":[', wires, ']}'));
  }

  stop(): void {
    this.flush();
  }

  /**
   * Admits each tx of a peer's batch. A batch with a malformed or forged tx is rejected
   * (its sender penalised, nothing forwarded); duplicates and nonce races are normal
   * under gossip and only ignored.
   */
  private async receive(data: Uint8Array, from: string): Promise<GossipVerdict> {
    let txs: unknown[];
    try {
      const raw = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as { txs?: unknown };
      if (!Array.isArray(raw.txs) || raw.txs.length === 0 || raw.txs.length > this.opts.maxBatch) throw new Error(`txs must be a list of 1..${this.opts.maxBatch}`);
      txs = raw.txs;
    } catch (err) {
      this.log.debug({ from, err: (err as Error).message }, 'malformed tx batch');
      return 'reject';
    }
    let admitted = 0;
    let invalid: Error | null = null;
    const refused = (err: unknown): void => {
      if (invalid === null && isPeerFault(err)) invalid = err as Error;
    };
    const pending: Array<Promise<unknown>> = [];
    for (const tx of txs) {
      try {
        const r = this.deps.admit(tx);
        if (r instanceof Promise) pending.push(r);
        else admitted++;
      } catch (err) {
        refused(err);
      }
    }
    if (pending.length > 0) {
      for (const o of await Promise.allSettled(pending)) {
        if (o.status === 'fulfilled') admitted++;
        else refused(o.reason);
      }
    }
    if (invalid !== null) {
      this.log.warn({ from, err: (invalid as Error).message }, 'peer sent an invalid tx; batch rejected');
      return 'reject';
    }
    return admitted > 0 ? 'accept' : 'ignore';
  }
}

/** A refusal that only a faulty or lying peer causes (duplicates and nonce races are normal under gossip). */
function isPeerFault(err: unknown): boolean {
  return err instanceof ParamError || (err instanceof AppError && (err.reason === 'bad_signature' || err.reason === 'wrong_chain' || err.reason === 'tx_too_large'));
}
