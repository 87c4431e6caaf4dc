import type { Mempool } from '../chain/mempool.js';

export interface WakeOptions {
  /** The batching window: how long the oldest ready tx waits for more before a height starts. */
  blockWindowMs: number;
  /** Cut an empty block after this much idle time; 0 = never. */
  emptyBlockIntervalMs: number;
  /** A full block's tx count: with that many ready there is nothing to wait for. */
  maxBlockTxs: number;
  /**
   * Least time from the head block's time (its proposer's clock when it proposed) to the
   * next proposal; 0 (the default here) = none. At a steady low rate it makes fewer, larger
   * blocks (each height costs every node CPU and disk syncs); a tx on an idle chain, whose
   * head block is old, still waits only the batching window. A full block does not wait.
   */
  minBlockIntervalMs?: number;
}

/**
 * When an idle height starts: the proposer's batching window and the empty-block interval,
 * two independent one-shot timers. A timer does not wake the engine itself: it calls
 * `fire(empty)`, which the consensus host turns into an input on its single queue (and
 * decides there, when the input runs, whether there is still anything to propose).
 */
export class WakeTimers {
  private txTimer: NodeJS.Timeout | null = null;
  private emptyTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly opts: WakeOptions,
    private readonly deps: {
      mempool: Pick<Mempool, 'oldestReadySince' | 'readyCount'>;
      now: () => number;
      /** The head block's time (header.time, ms): the minimum block interval counts from it. */
      headTime: () => number;
      fire: (empty: boolean) => void;
    },
  ) {}

  /**
   * A height starts: true when it should leave idle at once; otherwise the batching window
   * (txs ready) or the empty-block interval (none; counted from this height's start) is armed.
   */
  atHeightStart(): boolean {
    if (this.emptyTimer) clearTimeout(this.emptyTimer);
    this.emptyTimer = null;
    const wait = this.batchingWait();
    if (wait === 0) return true;
    if (wait !== null) this.arm(wait, false);
    else if (this.opts.emptyBlockIntervalMs > 0) this.arm(this.opts.emptyBlockIntervalMs, true);
    return false;
  }

  /** A tx became ready: an idle height starts after the window (unless a timer is armed already). */
  onReady(): void {
    this.arm(Math.max(this.opts.blockWindowMs, this.intervalLeft()), false);
  }

  stop(): void {
    this.stopped = true;
    if (this.txTimer) clearTimeout(this.txTimer);
    if (this.emptyTimer) clearTimeout(this.emptyTimer);
  }

  /**
   * How long a new height waits for more txs before it starts (null: no tx is ready).
   * The batching window bounds how long the oldest ready tx waits, so it counts from
   * when that tx became ready, not from the height's start: under load this height's txs
   * arrived during the last height, which took longer than the window, and it starts at
   * once (waiting would only add the window to every height: by Little's law, a client
   * with K txs in flight gets K / latency); a node that commits faster than the window
   * (one authority) still gathers a window's worth of txs per block. A full block starts at once.
   * With a minimum block interval, not before that long after the head block's time.
   */
  private batchingWait(): number | null {
    const { mempool } = this.deps;
    const since = mempool.oldestReadySince;
    if (since === undefined) return null;
    if (mempool.readyCount >= this.opts.maxBlockTxs) return 0;
    return Math.max(0, since + this.opts.blockWindowMs - this.deps.now(), this.intervalLeft());
  }

  /**
   * What is left of the minimum block interval after the head block's time (0 when none).
   * The head's time is its proposer's clock: never more than the interval itself, so a
   * proposer whose clock runs ahead of ours (up to the allowed drift) holds us back no longer.
   */
  private intervalLeft(): number {
    const min = this.opts.minBlockIntervalMs ?? 0;
    return min > 0 ? Math.min(min, Math.max(0, this.deps.headTime() + min - this.deps.now())) : 0;
  }

  private arm(delayMs: number, empty: boolean): void {
    if (this.stopped || (empty ? this.emptyTimer : this.txTimer)) return;
    const armedHead = this.deps.headTime();
    const t = setTimeout(() => {
      if (empty) this.emptyTimer = null;
      else this.txTimer = null;
      // Armed before the head moved (a tx became ready during the last height): the
      // minimum interval counts from the new head block's time, so wait out the rest.
      const moved = !empty && this.deps.headTime() !== armedHead && this.deps.mempool.readyCount < this.opts.maxBlockTxs;
      const left = moved ? this.intervalLeft() : 0;
      if (left > 0) this.arm(left, false);
      else this.deps.fire(empty);
    }, delayMs);
    if (empty) this.emptyTimer = t;
    else this.txTimer = t;
  }
}
