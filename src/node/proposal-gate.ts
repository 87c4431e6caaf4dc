import { proposerOf } from '../consensus/params.js';
import { MAX_PROPOSALS_PER_ROUND } from '../consensus/proposals.js';
import type { WireProposal } from '../consensus/messages.js';

/** Proposals for heights after the next one, kept until their height starts. */
export const MAX_FUTURE_PROPOSALS = 16;

/** Proposals more rounds ahead of ours than this are ignored (round skipping brings us there first). */
export const MAX_ROUNDS_AHEAD = 16;

export interface KeptProposal {
  p: WireProposal;
  from: string;
}

/**
 * Which gossiped proposals (signature and membership already checked) get block work.
 * For the next height: only the round's proposer, within MAX_ROUNDS_AHEAD rounds of ours,
 * and at most MAX_PROPOSALS_PER_ROUND distinct blocks per round, all checked before any
 * block is rebuilt or executed, so an authority cannot make every node execute blocks at
 * will. Proposals for later heights are kept (the last MAX_FUTURE_PROPOSALS) until their
 * height starts: often only the commit of the next height is still queued here.
 */
export class ProposalGate {
  private perRound = new Map<number, Set<string>>();
  private future: KeptProposal[] = [];

  /**
   * 'now': assemble it; 'kept': for a later height, held for it; 'reject': not from the
   * round's proposer (a peer fault); 'ignore': too many rounds ahead, or one block too many
   * for its round (the proposer is equivocating: the engine would keep no more).
   */
  admit(p: WireProposal, from: string, at: { height: number; round: number; validators: readonly string[] }): 'now' | 'kept' | 'reject' | 'ignore' {
    if (p.height > at.height) {
      if (this.future.length >= MAX_FUTURE_PROPOSALS) this.future.shift();
      this.future.push({ p, from });
      return 'kept';
    }
    if (proposerOf(at.validators, p.height, p.round) !== p.proposer) return 'reject';
    if (p.round > at.round + MAX_ROUNDS_AHEAD) return 'ignore';
    const blocks = this.perRound.get(p.round) ?? new Set<string>();
    if (!blocks.has(p.blockHash) && blocks.size >= MAX_PROPOSALS_PER_ROUND) return 'ignore';
    blocks.add(p.blockHash);
    this.perRound.set(p.round, blocks);
    return 'now';
  }

  /** `height` starts: the per-round counts start over; returns the kept proposals for it (later ones stay kept). */
  startHeight(height: number): KeptProposal[] {
    this.perRound = new Map();
    const now = this.future.filter((f) => f.p.height === height);
    this.future = this.future.filter((f) => f.p.height > height);
    return now;
  }
}
