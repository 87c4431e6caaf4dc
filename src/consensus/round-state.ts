/**
 * Votes of one height: round -> {prevotes, precommits}, each keyed by author, with the
 * counts the Tendermint rules need. Pure bookkeeping, no I/O, no crypto.
 */
import type { CommitSig } from '../chain/types.js';
import { quorum } from '../chain/commit.js';
import type { Vote, VoteType } from './types.js';

/** 2f+1 for n authorities: the chain's quorum rule, floor(2n/3) + 1 (n = 1 gives 1). */
export const quorumSize = quorum;

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

/**
 * Equivocation. The first vote of an author in a (round, type) is its vote for the "any"
 * thresholds (2f+1 of any kind, f+1 round skip). A conflicting vote still counts toward
 * its own value, as in the paper, where 2f+1 <PREVOTE, h, r, id(v)> counts every signed
 * message for id(v): counting only the first would let one Byzantine authority show a
 * proof-of-lock to some honest nodes and hide it from others forever (the simulation
 * finds such runs). Safety is unaffected: two quorums for different values of one round
 * share more than f authorities. To bound memory, a conflicting vote counts only for nil,
 * a value proposed in that round, or a value a proposal claims a proof-of-lock for in that
 * round (its polRound); one for any other value waits, a few per author, and counts once
 * such a proposal arrives (`promote`).
 */
export const MAX_VALUES_PER_AUTHOR = 5;
export const MAX_PENDING_PER_AUTHOR = 2;

export type AddResult =
  | { kind: 'added' }
  | { kind: 'duplicate' }
  | { kind: 'conflict'; existing: Vote; counted: boolean }
  | { kind: 'rejected'; reason: string };

/** Votes of one (height, round, type), keyed by value then by author. */
export class VoteSet {
  /** First vote of each author: what "any" thresholds count. */
  private readonly first = new Map<string, Vote>();
  /** value -> author -> vote (counted). */
  private readonly byValue = new Map<string, Map<string, Vote>>();
  private readonly valuesOf = new Map<string, number>();
  /** Conflicting votes for values not proposed (yet) in this round. */
  private readonly pending = new Map<string, Vote[]>();

  /** `relevant`: the value is nil, was proposed in this round, or a proposal claims a proof-of-lock for it here. */
  add(v: Vote, relevant = true): AddResult {
    if (this.byValue.get(key(v.blockHash))?.has(v.validator)) return { kind: 'duplicate' };
    const existing = this.first.get(v.validator);
    if (existing === undefined) {
      this.count1(v);
      this.first.set(v.validator, v);
      return { kind: 'added' };
    }
    if (!relevant) {
      let list = this.pending.get(v.validator);
      if (list === undefined) this.pending.set(v.validator, (list = []));
      if (list.some((x) => x.blockHash === v.blockHash)) return { kind: 'duplicate' };
      if (list.length < MAX_PENDING_PER_AUTHOR) list.push(v);
      return { kind: 'conflict', existing, counted: false };
    }
    if ((this.valuesOf.get(v.validator) ?? 0) >= MAX_VALUES_PER_AUTHOR) return { kind: 'conflict', existing, counted: false };
    this.count1(v);
    return { kind: 'conflict', existing, counted: true };
  }

  /** `hash` was just proposed in this round, or claimed as locked here: count the conflicting votes waiting for it. */
  promote(hash: string): void {
    for (const [author, list] of this.pending) {
      const i = list.findIndex((x) => x.blockHash === hash);
      if (i < 0) continue;
      const [v] = list.splice(i, 1);
      if (list.length === 0) this.pending.delete(author);
      if ((this.valuesOf.get(author) ?? 0) < MAX_VALUES_PER_AUTHOR && !this.byValue.get(hash)?.has(author)) this.count1(v!);
    }
  }

  private count1(v: Vote): void {
    const k = key(v.blockHash);
    let voters = this.byValue.get(k);
    if (voters === undefined) this.byValue.set(k, (voters = new Map()));
    voters.set(v.validator, v);
    this.valuesOf.set(v.validator, (this.valuesOf.get(v.validator) ?? 0) + 1);
  }

  /** Distinct authors who voted (anything). */
  get size(): number {
    return this.first.size;
  }

  /** Distinct authors counted for `hash` (null = nil). */
  count(hash: string | null): number {
    return this.byValue.get(key(hash))?.size ?? 0;
  }

  /** A value (block hash, or null for nil) with at least `q` votes; undefined if none. */
  quorumValue(q: number): string | null | undefined {
    for (const [k, voters] of this.byValue) if (voters.size >= q) return k === NIL ? null : k;
    return undefined;
  }

  votesFor(hash: string | null): Vote[] {
    return [...(this.byValue.get(key(hash))?.values() ?? [])];
  }

  /** Every counted vote, whatever its value. */
  all(): Vote[] {
    return [...this.byValue.values()].flatMap((voters) => [...voters.values()]);
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
  add(v: Vote, currentRound: number, relevant = true): AddResult {
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
    const res = rv.of(v.type).add(v, relevant);
    if (res.kind === 'added') rv.authors.add(v.validator);
    return res;
  }

  /** `hash` was proposed in round `r` (or claimed as locked in `r`): count conflicting votes that waited for it. */
  proposed(r: number, hash: string): void {
    const rv = this.rounds.get(r);
    rv?.prevotes.promote(hash);
    rv?.precommits.promote(hash);
  }

  /** Precommit signatures for `hash` in round `r`, in validator order: a commit certificate. */
  certificate(r: number, hash: string, validators: readonly string[]): CommitSig[] {
    const order = new Map(validators.map((v, i) => [v, i]));
    return (this.rounds.get(r)?.precommits.votesFor(hash) ?? [])
      .sort((a, b) => order.get(a.validator)! - order.get(b.validator)!)
      .map((v) => ({ validator: v.validator, sig: v.sig }));
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

/** Per-round "for the first time" flags of the upon-rules. */
export class RoundFlags {
  private readonly byRound = new Map<number, { prevoteTimeout: boolean; precommitTimeout: boolean; polka: boolean }>();

  /** prevoteTimeout: L34 fired; precommitTimeout: L47 fired; polka: L36 fired. */
  of(r: number): { prevoteTimeout: boolean; precommitTimeout: boolean; polka: boolean } {
    let f = this.byRound.get(r);
    if (f === undefined) this.byRound.set(r, (f = { prevoteTimeout: false, precommitTimeout: false, polka: false }));
    return f;
  }
}
