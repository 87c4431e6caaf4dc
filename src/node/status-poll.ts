/**
 * When BlockSync's periodic status poll runs. The poll is a backstop: a node that missed
 * blocks learns it at once from a consensus message of a later height, from a quorum for a
 * block it lacks, or from a new peer (each pokes BlockSync), so the timer only matters
 * when all of those stay silent.
 *
 * A status request opens a new libp2p stream on both sides (multistream-select, stream
 * loggers, peer-store updates): measured, polling 3 peers every 2 s cost each node of an
 * idle 4-node testnet ~15 ms of CPU per second, three quarters of its CPU, and polling less
 * took a loaded 4-node bench from 243 to 225 µs of CPU per tx per node (docs/bench.md,
 * session 15). So:
 * - while the head advances by consensus between two ticks, the tick does not poll (a node
 *   that commits at the chain's tip has nothing to catch up);
 * - a poll that finds no peer ahead doubles the interval, up to `maxMs`; one that finds a
 *   peer ahead, or blocks applied by sync, bring it back to `baseMs`.
 */
export class StatusPollSchedule {
  private delay: number;
  private lastHead: number;
  /** Sync applied blocks since the last tick. */
  private syncedSinceTick = false;

  constructor(private readonly baseMs: number, private readonly maxMs: number, head: number) {
    this.delay = baseMs;
    this.lastHead = head;
  }

  /** How long until the next tick. */
  get delayMs(): number {
    return this.delay;
  }

  /**
   * A tick at `head`: true when it should poll. A head moved by sync since the last tick
   * (catching up, not consensus) keeps polling: peers may have moved on meanwhile.
   */
  tick(head: number): boolean {
    const byConsensus = head > this.lastHead && !this.syncedSinceTick;
    this.lastHead = head;
    this.syncedSinceTick = false;
    if (!byConsensus) return true;
    this.delay = this.baseMs;
    return false;
  }

  /** Sync applied blocks: poll at the base interval again. */
  synced(): void {
    this.syncedSinceTick = true;
    this.delay = this.baseMs;
  }

  /** A poll's outcome: whether some peer reported a height above ours. */
  polled(peerAhead: boolean): void {
    this.delay = peerAhead ? this.baseMs : Math.min(this.maxMs, this.delay * 2);
  }
}
