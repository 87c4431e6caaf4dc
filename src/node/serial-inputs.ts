/**
 * A single writer: inputs run one at a time, in the order they were pushed, each to the
 * end of its async work before the next starts (the consensus host's engine inputs: a
 * commit must finish before the next vote is looked at). Once stopped it takes and runs
 * nothing more; `stop()` resolves when the input in progress has finished.
 */
export class SerialInputs<T> {
  private readonly queue: T[] = [];
  private draining = false;
  private current: Promise<void> = Promise.resolve();
  private stoppedFlag = false;

  /** `run` handles its own errors: one that throws anyway is dropped, the queue goes on. */
  constructor(private readonly run: (input: T) => Promise<void>) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Queues an input; false once stopped. */
  push(input: T): boolean {
    if (this.stoppedFlag) return false;
    this.queue.push(input);
    if (!this.draining) void this.drain();
    return true;
  }

  /** Takes no more inputs and drops the queued ones; resolves once the one in progress has finished. */
  stop(): Promise<void> {
    this.stoppedFlag = true;
    return this.current;
  }

  /** Resolves when every queued input has run (or on stop). */
  async idle(): Promise<void> {
    while (!this.stoppedFlag && (this.draining || this.queue.length > 0)) await new Promise((r) => setTimeout(r, 5));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.stoppedFlag) {
        this.current = this.run(this.queue.shift()!).catch(() => undefined);
        await this.current;
      }
    } finally {
      this.draining = false;
    }
  }
}
