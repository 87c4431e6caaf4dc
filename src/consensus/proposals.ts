/**
 * Proposals of one height and the valid blocks they carried. The first proposal of a
 * round drives prevoting; conflicting ones from an equivocating proposer are kept (a
 * few per round) only so their blocks can be committed if a quorum formed on them.
 */
import type { Block } from '../chain/types.js';
import type { Proposal } from './types.js';

export interface StoredProposal {
  proposal: Proposal;
  valid: boolean;
}

/** Proposals kept per round: the first plus conflicting ones from the same proposer. */
export const MAX_PROPOSALS_PER_ROUND = 3;
/** Rounds above the current one for which one proposer may park proposals. */
export const MAX_FUTURE_PROPOSAL_ROUNDS = 2;

export type ProposalAddResult = 'added' | 'duplicate' | 'conflict' | 'rejected';

export class ProposalStore {
  private readonly byRound = new Map<number, StoredProposal[]>();
  /** Blocks of valid proposals (and our own), by hash. */
  private readonly blocks = new Map<string, Block>();
  /** `polRound/blockHash` of each stored proposal that claims a proof-of-lock. */
  private readonly polClaims = new Set<string>();

  add(p: Proposal, valid: boolean, currentRound: number): ProposalAddResult {
    const list = this.byRound.get(p.round);
    if (list === undefined) {
      if (p.round > currentRound && this.futureRoundsOf(p.proposer, currentRound) >= MAX_FUTURE_PROPOSAL_ROUNDS) return 'rejected';
      this.byRound.set(p.round, [{ proposal: p, valid }]);
      if (valid) this.blocks.set(p.blockHash, p.block);
      this.notePol(p);
      return 'added';
    }
    if (list.some((s) => s.proposal.blockHash === p.blockHash && s.proposal.polRound === p.polRound)) return 'duplicate';
    if (list.length >= MAX_PROPOSALS_PER_ROUND) return 'rejected';
    list.push({ proposal: p, valid });
    if (valid && !this.blocks.has(p.blockHash)) this.blocks.set(p.blockHash, p.block);
    this.notePol(p);
    return 'conflict';
  }

  /**
   * Whether a stored proposal claims a proof-of-lock for `hash` in `round` (its polRound):
   * prevotes for `hash` in `round` are then needed to judge it, conflicting ones included.
   */
  claimsPol(round: number, hash: string): boolean {
    return this.polClaims.has(`${round}/${hash}`);
  }

  private notePol(p: Proposal): void {
    if (p.polRound >= 0) this.polClaims.add(`${p.polRound}/${p.blockHash}`);
  }

  /** The first proposal received for `round`: the one we prevote on. */
  primary(round: number): StoredProposal | undefined {
    return this.byRound.get(round)?.[0];
  }

  /** Whether the round's proposer proposed `hash` in `round` and its block is valid. */
  hasValid(round: number, hash: string): boolean {
    const list = this.byRound.get(round);
    return list !== undefined && list.some((s) => s.valid && s.proposal.blockHash === hash);
  }

  /** Whether `hash` was proposed (validly or not) in `round`. */
  has(round: number, hash: string): boolean {
    return this.byRound.get(round)?.some((s) => s.proposal.blockHash === hash) ?? false;
  }

  block(hash: string): Block | undefined {
    return this.blocks.get(hash);
  }

  private futureRoundsOf(proposer: string, currentRound: number): number {
    let n = 0;
    for (const [r, list] of this.byRound) if (r > currentRound && list[0]!.proposal.proposer === proposer) n++;
    return n;
  }
}
