import { checkProofOfLock, checkStoredVotes, validateProposalMessage } from '../consensus/messages.js';
import type { Proposal, RestoreState, Vote } from '../consensus/types.js';
import { STEP, type Signer } from './signer.js';

/** What a restarted authority picks up at a height it had signed in, from its signing record. */
export interface Resume {
  restore: RestoreState;
  /** The proposal of the locked block, to hand the engine again (null: none, or unusable). */
  lockProposal: Proposal | null;
  /** The stored prevotes behind the lock that still check out (checkProofOfLock). */
  lockProof: Vote[];
  /** Stored entries that could not be used, each with why (for the log). */
  skipped: string[];
}

/**
 * Where a restarted authority resumes at `height`: in the round it last signed in, with
 * the votes it signed at this height and the precommit lock recorded there (its proposal
 * and proof-of-lock). Skipping that round instead would withhold its remaining vote in it
 * from peers still there (the simulation finds heights that never end so). Only when its
 * last vote cannot be read back (a record of an earlier version) does it resume in the
 * next round, where nothing is signed yet. Undefined when it signed nothing at `height`.
 */
export function resumeAt(
  signer: Pick<Signer, 'account' | 'lastSigned' | 'votesAt' | 'lockAt'>,
  height: number,
  chainId: string,
  authorities: readonly string[],
): Resume | undefined {
  const last = signer.lastSigned();
  if (!last || last.height !== height) return undefined;
  const own = checkStoredVotes(chainId, signer.votesAt(height), (v) =>
    v.validator !== signer.account || v.height !== height ? 'not our vote at this height' : v.round > last.round ? 'after the last signature' : null);
  const skipped = own.skipped.map((why) => `own vote ${why}`);
  const lastKnown = last.step === STEP.proposal || own.votes.some((v) => v.round === last.round && STEP[v.type] === last.step);
  const lock = signer.lockAt(height);
  let lockProposal: Proposal | null = null;
  let lockProof: Vote[] = [];
  if (lock) {
    if (lock.proposal !== undefined) {
      try {
        lockProposal = validateProposalMessage(lock.proposal);
      } catch (err) {
        skipped.push(`lock proposal: ${(err as Error).message}`);
      }
    }
    const proof = checkProofOfLock(chainId, lock, lock.pol, authorities);
    lockProof = proof.votes;
    skipped.push(...proof.skipped.map((why) => `proof-of-lock vote ${why}`));
  }
  return {
    restore: { round: lastKnown ? last.round : last.round + 1, lockedRound: lock ? lock.round : -1, lockedBlockHash: lock ? lock.blockHash : null, ownVotes: own.votes },
    lockProposal,
    lockProof,
    skipped,
  };
}
