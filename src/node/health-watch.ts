import type { Logger } from '../util/logger.js';

export interface HealthSnapshot {
  height: number;
  round: number;
  step: string;
  /** Authorities reachable from here (this node included when it is one), and the quorum. */
  reachable: number;
  quorum: number;
  authorities: number;
  pendingTxs: number;
  syncing: boolean;
}

/**
 * Says at warn what an operator needs to see when the network is unhealthy, and at info
 * when it recovers: too few authorities reachable for a quorum, or a height that does
 * not finalise while transactions wait (measured from the first check that saw them
 * waiting at that height, not from the last block: an idle chain is not a stalled one). One line per change of condition, repeated at
 * most once a minute while it lasts.
 */
export class HealthWatch {
  private timer: NodeJS.Timeout | null = null;
  private readonly lastWarned = new Map<string, number>();
  /** Since when txs have been waiting at the current height (first check that saw them), or null. */
  private waiting: { height: number; since: number } | null = null;
  private readonly log: Logger;

  constructor(
    private readonly opts: { intervalMs: number; stallMs: number; repeatMs: number },
    private readonly snapshot: () => HealthSnapshot,
    logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.log = logger.child({ module: 'health' });
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One evaluation (exposed for tests). */
  check(): void {
    const s = this.snapshot();
    this.condition('no_quorum', s.reachable < s.quorum, () => this.log.warn(
      { reachable: s.reachable, authorities: s.authorities, quorum: s.quorum, height: s.height },
      `cannot reach a quorum of authorities (${s.reachable} of ${s.authorities} reachable, ${s.quorum} needed): no block can be finalised`,
    ), () => this.log.info({ reachable: s.reachable, quorum: s.quorum }, 'quorum of authorities reachable again'));
    if (s.pendingTxs === 0 || s.syncing) this.waiting = null;
    else if (this.waiting === null || this.waiting.height !== s.height) this.waiting = { height: s.height, since: this.now() };
    const waitedMs = this.waiting ? this.now() - this.waiting.since : 0;
    const stalled = waitedMs >= this.opts.stallMs;
    this.condition('stalled', stalled, () => this.log.warn(
      { height: s.height + 1, round: s.round, step: s.step, pendingTxs: s.pendingTxs, waitedS: Math.round(waitedMs / 1000), reachable: s.reachable, quorum: s.quorum },
      `height ${s.height + 1} not finalised for ${Math.round(waitedMs / 1000)} s with ${s.pendingTxs} txs waiting (round ${s.round}, step ${s.step})`,
    ), () => this.log.info({ height: s.height }, 'blocks are being finalised again'));
  }

  private condition(name: string, active: boolean, warn: () => void, recovered: () => void): void {
    const since = this.lastWarned.get(name);
    if (active) {
      if (since === undefined || this.now() - since >= this.opts.repeatMs) {
        warn();
        this.lastWarned.set(name, this.now());
      }
    } else if (since !== undefined) {
      this.lastWarned.delete(name);
      recovered();
    }
  }
}
