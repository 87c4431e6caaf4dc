/**
 * Per-peer offence counting with linear decay, and timed bans ("back off this peer") with
 * exponential growth for repeat offenders. Pure bookkeeping: no libp2p, no timers.
 */

export interface PenaltyBoxOptions {
  /** Offences that trigger a ban (counted with decay; see offend). */
  threshold: number;
  /** One offence is forgiven per this many ms. */
  decayMs: number;
  /** First ban length; doubles for each further ban while the peer's ban history lasts. */
  banBaseMs: number;
  banMaxMs: number;
  /** A peer's ban history is forgotten after this long without a ban. */
  banMemoryMs: number;
  now: () => number;
}

export const DEFAULT_PENALTY_OPTIONS: PenaltyBoxOptions = {
  threshold: 5,
  decayMs: 60_000,
  banBaseMs: 30_000,
  banMaxMs: 10 * 60_000,
  banMemoryMs: 60 * 60_000,
  now: Date.now,
};

interface Entry {
  score: number;
  updated: number;
  bans: number;
  bannedUntil: number;
  lastBan: number;
}

export type OffenceResult = { banned: false; score: number } | { banned: true; score: number; banMs: number };

export class PenaltyBox {
  private readonly opts: PenaltyBoxOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: Partial<PenaltyBoxOptions> = {}) {
    this.opts = { ...DEFAULT_PENALTY_OPTIONS, ...opts };
  }

  /** Record one offence; returns whether it (newly) banned the peer. */
  offend(peerId: string): OffenceResult {
    const now = this.opts.now();
    const e = this.decayed(peerId, now);
    if (e.bannedUntil > now) return { banned: false, score: e.score }; // already banned
    e.score += 1;
    // decay is continuous, so `threshold` quick offences sum to a hair under `threshold`:
    // ban on the threshold-th offence while the earlier ones have not fully decayed
    if (e.score <= this.opts.threshold - 1) return { banned: false, score: e.score };
    if (now - e.lastBan > this.opts.banMemoryMs) e.bans = 0;
    const banMs = Math.min(this.opts.banBaseMs * 2 ** e.bans, this.opts.banMaxMs);
    e.bans += 1;
    e.lastBan = now;
    e.bannedUntil = now + banMs;
    const score = e.score;
    e.score = 0;
    return { banned: true, score, banMs };
  }

  /** Remaining ban time in ms, 0 if not banned. */
  banRemainingMs(peerId: string): number {
    const e = this.entries.get(peerId);
    if (e === undefined) return 0;
    return Math.max(0, e.bannedUntil - this.opts.now());
  }

  isBanned(peerId: string): boolean {
    return this.banRemainingMs(peerId) > 0;
  }

  score(peerId: string): number {
    return this.entries.has(peerId) ? this.decayed(peerId, this.opts.now()).score : 0;
  }

  /** Drop entries with nothing left to remember. */
  prune(): void {
    const now = this.opts.now();
    for (const [id, e] of this.entries) {
      const score = Math.max(0, e.score - (now - e.updated) / this.opts.decayMs);
      if (score === 0 && e.bannedUntil <= now && now - e.lastBan > this.opts.banMemoryMs) this.entries.delete(id);
    }
  }

  private decayed(peerId: string, now: number): Entry {
    let e = this.entries.get(peerId);
    if (e === undefined) {
      e = { score: 0, updated: now, bans: 0, bannedUntil: 0, lastBan: -Infinity };
      this.entries.set(peerId, e);
      return e;
    }
    e.score = Math.max(0, e.score - (now - e.updated) / this.opts.decayMs);
    e.updated = now;
    return e;
  }
}

/** Redial delay for attempt n (0-based): base * 2^n, capped, with +-20 % jitter. */
export function backoffDelay(attempt: number, baseMs = 500, capMs = 30_000, random: () => number = Math.random): number {
  const raw = Math.min(baseMs * 2 ** Math.min(attempt, 30), capMs);
  return Math.round(raw * (0.8 + 0.4 * random()));
}
