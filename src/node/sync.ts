import type { Logger } from '../util/logger.js';
import type { Network } from '../p2p/interface.js';
import type { ChainStore } from '../storage/store.js';
import { InvalidBlockError, type ChainService } from './chain-service.js';
import { StatusPollSchedule } from './status-poll.js';
import { decodeJson, encodeJson, MAX_BLOCKS_PER_REQUEST, parseBlocksRequest, parseBlocksResponse, parseStatus, SyncProtocolError, type SyncedBlock } from './sync-messages.js';

export interface SyncOptions {
  /** How often peers are asked for their height (status-poll.ts: less often while the head advances by consensus or nobody is ahead). */
  statusIntervalMs: number;
  /** The longest interval between status polls when no peer is ahead. */
  maxStatusIntervalMs: number;
  /** Blocks per request. */
  batch: number;
  /** Bytes a blocks response may carry (below the p2p message cap). */
  maxResponseBytes: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = { statusIntervalMs: 2_000, maxStatusIntervalMs: 10_000, batch: 100, maxResponseBytes: 3 * 1024 * 1024 };

/** Applies synced blocks through the node's single writer (the consensus host). */
export type ApplySynced = (blocks: SyncedBlock[]) => Promise<number>;

/**
 * Catch-up: serves `status` and `blocks` to peers, polls peers' heights, and when a peer
 * is ahead fetches the missing blocks in batches. Every block is applied by `apply`,
 * which checks its commit certificate against the authority set, re-executes it and
 * commits it; a peer serving a bad block is penalised and another peer is tried.
 */
export class BlockSync {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly peerHeights = new Map<string, number>();
  private stopped = false;
  private readonly schedule: StatusPollSchedule;

  constructor(
    private readonly opts: SyncOptions,
    private readonly deps: { chain: ChainService; store: ChainStore; network: Network; apply: ApplySynced; logger: Logger },
  ) {
    this.log = deps.logger.child({ module: 'sync' });
    this.schedule = new StatusPollSchedule(opts.statusIntervalMs, opts.maxStatusIntervalMs, deps.chain.head.height);
    // What this node can serve: the blocks written (consensus may be a block ahead).
    deps.network.handle('status', async () => encodeJson({ height: deps.chain.durableHead.height, hash: deps.chain.durableHead.hash }));
    deps.network.handle('blocks', async (req, from) => {
      let parsed: { from: number; count: number };
      try {
        parsed = parseBlocksRequest(decodeJson(req));
      } catch (err) {
        deps.network.penalize(from, `malformed blocks request: ${(err as Error).message}`);
        throw err;
      }
      return Buffer.from(`{"blocks":[${(await this.serve(parsed)).join(',')}]}`);
    });
    deps.network.onPeerChange((peer, connected) => {
      if (!connected) this.peerHeights.delete(peer);
      else this.poke();
    });
  }

  /** True while this node knows a peer more than one block ahead. */
  get syncing(): boolean {
    const head = this.deps.chain.head.height;
    for (const h of this.peerHeights.values()) if (h > head + 1) return true;
    return false;
  }

  start(): void {
    const tick = (): void => {
      this.timer = setTimeout(() => {
        if (this.schedule.tick(this.deps.chain.head.height)) void this.poll().finally(() => !this.stopped && tick());
        else if (!this.stopped) tick();
      }, this.schedule.delayMs);
    };
    void this.poll();
    tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Something suggests we are behind (a future-height consensus message, a missed block): check now. */
  poke(): void {
    if (!this.stopped) void this.poll();
  }

  /** The JSON of each block served (with its certificate), serialised once, at least one and within the byte budget. */
  private async serve(req: { from: number; count: number }): Promise<string[]> {
    const out: string[] = [];
    let bytes = 0;
    const last = Math.min(this.deps.chain.durableHead.height, req.from + Math.min(req.count, MAX_BLOCKS_PER_REQUEST) - 1);
    for (let h = req.from; h <= last; h++) {
      const [b, c] = await Promise.all([this.deps.store.getBlock(h), this.deps.store.getCommit(h)]);
      if (!b || !c) break;
      const entry: SyncedBlock = { block: { header: b.header, txs: b.txs }, commit: c };
      const json = JSON.stringify(entry);
      bytes += Buffer.byteLength(json);
      if (out.length > 0 && bytes > this.opts.maxResponseBytes) break;
      out.push(json);
    }
    return out;
  }

  private async poll(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      await Promise.all(this.deps.network.connectedPeers().map(async (peer) => {
        try {
          const s = parseStatus(decodeJson(await this.deps.network.request(peer, 'status', encodeJson({}), 3_000)));
          this.peerHeights.set(peer, s.height);
        } catch (err) {
          this.log.debug({ peer, err: (err as Error).message }, 'status request failed');
        }
      }));
      const head = this.deps.chain.head.height;
      this.schedule.polled([...this.peerHeights.values()].some((h) => h > head));
      await this.catchUp();
    } finally {
      this.running = false;
    }
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const head = this.deps.chain.head.height;
      const ahead = [...this.peerHeights].filter(([, h]) => h > head).sort((a, b) => b[1] - a[1]);
      if (ahead.length === 0 || this.stopped) return;
      let progressed = false;
      for (const [peer, peerHeight] of ahead) {
        const count = Math.min(this.opts.batch, peerHeight - head);
        try {
          const t0 = Date.now();
          const blocks = parseBlocksResponse(decodeJson(await this.deps.network.request(peer, 'blocks', encodeJson({ from: head + 1, count }), 15_000)), head + 1, count);
          if (blocks.length === 0) {
            // It claimed a higher height but cannot serve the next block: forget the claim.
            this.peerHeights.set(peer, head);
            this.deps.network.penalize(peer, `claimed height ${peerHeight} but served no block ${head + 1}`);
            continue;
          }
          const applied = await this.deps.apply(blocks);
          if (applied > 0) {
            progressed = true;
            this.schedule.synced();
            this.log.info({ peer, from: head + 1, applied, target: peerHeight, ms: Date.now() - t0 }, 'synced blocks');
            break;
          }
        } catch (err) {
          // A bad block or malformed response is the peer's fault; a timeout or closed stream may not be.
          const faulty = err instanceof InvalidBlockError || err instanceof SyncProtocolError;
          this.log.warn({ peer, err: (err as Error).message }, 'sync from peer failed');
          if (faulty) this.deps.network.penalize(peer, `bad sync response: ${(err as Error).message}`);
        }
      }
      if (!progressed) return;
    }
  }
}
