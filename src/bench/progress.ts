/**
 * The progress line on stderr: redrawn in place on a TTY (at most 5 times a second),
 * a plain line every few seconds otherwise (logs, CI). Phase messages are whole lines.
 */

export interface ProgressState {
  elapsedMs: number;
  total: number;
  submitted: number;
  committed: number;
  failed: number;
  inflight: number;
  /** Commits per second over the last 10 s. */
  tps: number;
  height: number;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A bar of `width` cells: committed (#), submitted but not committed (-), rest (.). */
export function bar(total: number, submitted: number, committed: number, width = 24): string {
  if (total <= 0) return '.'.repeat(width);
  const c = Math.min(width, Math.floor((committed / total) * width));
  const s = Math.min(width - c, Math.max(0, Math.floor((submitted / total) * width) - c));
  return '#'.repeat(c) + '-'.repeat(s) + '.'.repeat(width - c - s);
}

export function formatProgress(p: ProgressState, width = 24): string {
  const pct = p.total > 0 ? Math.floor((p.committed / p.total) * 100) : 0;
  return `[${bar(p.total, p.submitted, p.committed, width)}] ${String(pct).padStart(3)}% ${formatDuration(p.elapsedMs)}`
    + ` submitted ${p.submitted}/${p.total} committed ${p.committed}`
    + ` in-flight ${p.inflight} ${Math.round(p.tps)} tx/s height ${p.height}`
    + (p.failed > 0 ? ` failed ${p.failed}` : '');
}

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

export class ProgressReporter {
  private lastDraw = -Infinity;
  private drawn = false;
  private last: ProgressState | null = null;

  constructor(
    private readonly out: ProgressSink,
    private readonly tty = out.isTTY === true,
    private readonly plainEveryMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A message line (clears a drawn progress line first). */
  line(msg: string): void {
    this.clear();
    this.out.write(`${msg}\n`);
  }

  update(p: ProgressState, force = false): void {
    this.last = p;
    const t = this.now();
    if (!force && t - this.lastDraw < (this.tty ? 200 : this.plainEveryMs)) return;
    this.lastDraw = t;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${formatProgress(p)}`);
      this.drawn = true;
    } else {
      this.out.write(`${formatProgress(p)}\n`);
    }
  }

  /** Draws the final state as a finished line. */
  done(): void {
    if (this.last) {
      if (this.tty) this.out.write(`\r\x1b[2K${formatProgress(this.last)}\n`);
      else this.out.write(`${formatProgress(this.last)}\n`);
    }
    this.drawn = false;
    this.last = null;
  }

  private clear(): void {
    if (this.tty && this.drawn) {
      this.out.write('\r\x1b[2K');
      this.drawn = false;
      this.lastDraw = -Infinity;
    }
  }
}
