/**
 * Re-publishes this node's own consensus messages of the current height (and others the
 * host names: the votes of engine.votesToShare) while the height is not progressing, so that
 * peers that (re)connected after they were first sent, or missed one, can catch up
 * (gossipsub does not replay; CometBFT's consensus reactor does the same per peer). Each
 * round of re-sends carries a new `resend` counter, because gossip drops a message whose
 * bytes it has seen.
 */
export class Rebroadcaster<M extends object> {
  private own: M[] = [];
  private lastProgressAt: number;
  private resends = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly deps: {
      publish: (m: M & { resend?: number }) => void;
      /** Messages that are not ours to re-send with ours, asked for at each re-send round. */
      alsoResend?: () => M[];
      /** False while the height is idle or committed: nothing to catch up on. */
      active: () => boolean;
      now: () => number;
      /** Told how many messages each re-send round published. */
      onResend?: (messages: number) => void;
    },
  ) {
    this.lastProgressAt = deps.now();
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A new height: forget the last height's messages. */
  newHeight(): void {
    this.own = [];
    this.lastProgressAt = this.deps.now();
  }

  /** Publishes one of our messages and keeps it for re-sending. */
  send(m: M): void {
    this.lastProgressAt = this.deps.now();
    this.own.push(m);
    this.deps.publish(m);
  }

  private tick(): void {
    if (!this.deps.active() || this.deps.now() - this.lastProgressAt < this.intervalMs) return;
    this.resends++;
    const all = [...this.own, ...(this.deps.alsoResend?.() ?? [])];
    for (const m of all) this.deps.publish({ ...m, resend: this.resends });
    if (all.length > 0) this.deps.onResend?.(all.length);
  }
}
