/**
 * Votes of one height: round -> {prevotes, precommits}, each keyed by author, with the
 * counts the Tendermint rules need. Pure bookkeeping, no I/O, no crypto.
 */
import type { Vote, VoteType } from './types.js';

/** 2f+1 for n authorities: floor(2n/3) + 1 (n = 1 gives 1). */
export function quorumSize(n: number): number {
  return Math.floor((2 * n) / 3) + 1;
}

/** f: how many Byzantine authorities n tolerates, floor((n-1)/3). */
export function maxFaulty(n: number): number {
  return Math.floor((n - 1) / 3);
}

/** A round may be opened by a vote from the future at most this many times per author. */
export const MAX_FUTURE_ROUNDS_PER_AUTHOR = 2;

const NIL = 'nil'; // never a 64-hex hash, so it cannot collide with a block hash

function key(hash: string | null): string {
  return hash === null ? NIL : hash;
}

export type AddResult =
  | { kind: 'added' }
  | { kind: 'duplicate' }
  | { kind: 'conflict'; existing: Vote }
  | { kind: 'rejected'; reason: string };

/** Votes of one (height, round, type), first vote per author wins. */
export class VoteSet {
  private readonly byAuthor = new Map<string, Vote>();
  private readonly counts = new Map<string, number>();

  add(v: Vote): AddResult {
    const existing = this.byAuthor.get(v.validator);
    if (existing !== undefined) {
      return existing.blockHash === v.blockHash ? { kind: 'duplicate' } : { kind: 'conflict', existing };
    }
    this.byAuthor.set(v.validator, v);
    const k = key(v.blockHash);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    return { kind: 'added' };
  }

  /** Distinct authors who voted (anything). */
  get size(): number {
    return this.byAuthor.size;
  }

  count(hash: string | null): number {
    return this.counts.get(key(hash)) ?? 0;
  }

  /** The value (block hash, or null for nil) with at least `q` votes; undefined if none. */
  quorumValue(q: number): string | null | undefined {
    for (const [k, c] of this.counts) if (c >= q) return k === NIL ? null : k;
    return undefined;
  }

  votesFor(hash: string | null): Vote[] {
    const out: Vote[] = [];
    for (const v of this.byAuthor.values()) if (v.blockHash === hash) out.push(v);
    return out;
  }

  authors(): IterableIterator<string> {
    return this.byAuthor.keys();
  }
}

export class RoundVotes {
  readonly prevotes = new VoteSet();
  readonly precommits = new VoteSet();
  /** Distinct authors of any vote in this round (for the f+1 round skip). */
  readonly authors = new Set<string>();

  of(type: VoteType): VoteSet {
    return type === 'prevote' ? this.prevotes : this.precommits;
  }
}

/**
 * All rounds of one height. Past and current rounds are open to every validator; a
 * round above the current one is created only by a bounded number of votes per author
 * (CometBFT's catch-up rounds), so a Byzantine author cannot grow memory without bound.
 */
export class HeightVotes {
  private readonly rounds = new Map<number, RoundVotes>();
  private readonly futureRounds = new Map<string, Set<number>>();

  constructor(private readonly maxFutureRoundsPerAuthor = MAX_FUTURE_ROUNDS_PER_AUTHOR) {}

  round(r: number): RoundVotes | undefined {
    return this.rounds.get(r);
  }

  /** Rounds that hold votes, ascending. */
  roundNumbers(): number[] {
    return [...this.rounds.keys()].sort((a, b) => a - b);
  }

  /** Adds a vote (author already checked to be a validator of this height). */
  add(v: Vote, currentRound: number): AddResult {
    let rv = this.rounds.get(v.round);
    if (rv === undefined) {
      if (v.round > currentRound) {
        let mine = this.futureRounds.get(v.validator);
        if (mine === undefined) this.futureRounds.set(v.validator, (mine = new Set()));
        if (mine.size >= this.maxFutureRoundsPerAuthor) return { kind: 'rejected', reason: 'too many future rounds from this author' };
        mine.add(v.round);
      }
      rv = new RoundVotes();
      this.rounds.set(v.round, rv);
    }
    const res = rv.of(v.type).add(v);
    if (res.kind === 'added') rv.authors.add(v.validator);
    return res;
  }

  /** Forget future-round bookkeeping at or below the round just entered. */
  enteredRound(r: number): void {
    for (const [author, set] of this.futureRounds) {
      for (const fr of set) if (fr <= r) set.delete(fr);
      if (set.size === 0) this.futureRounds.delete(author);
    }
  }

  /** Highest round above `r` in which at least `threshold` distinct validators voted; -1 if none. */
  highestRoundAbove(r: number, threshold: number): number {
    let best = -1;
    for (const [round, rv] of this.rounds) if (round > r && round > best && rv.authors.size >= threshold) best = round;
    return best;
  }
}
