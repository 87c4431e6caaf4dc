/**
 * Consensus types: the messages authorities exchange, what the host feeds the engine,
 * and the actions the engine hands back (SPEC §4). No behaviour here.
 */
import type { Block, Commit } from '../chain/types.js';

export type VoteType = 'prevote' | 'precommit';

/** A prevote or precommit. `blockHash` null = a vote for nil. */
export interface Vote {
  type: VoteType;
  height: number;
  round: number;
  blockHash: string | null;
  /** 64-hex authority account. */
  validator: string;
  /** 128-hex Ed25519 signature over `voteSignBytes`; '' while unsigned. */
  sig: string;
}

export interface Proposal {
  height: number;
  round: number;
  /** Round of the proof-of-lock (2f+1 prevotes) for a re-proposed block; -1 = none. */
  polRound: number;
  block: Block;
  blockHash: string;
  proposer: string;
  /** 128-hex Ed25519 signature over `proposalSignBytes`; '' while unsigned. */
  sig: string;
}

export type TimeoutStep = 'propose' | 'prevote' | 'precommit';

export interface TimeoutInfo {
  height: number;
  round: number;
  step: TimeoutStep;
}

/**
 * Engine step. `unstarted`: no startHeight yet. `idle`: height started, waiting for
 * txs or a peer message. `committed`: decided, waiting for the next startHeight.
 */
export type Step = 'unstarted' | 'idle' | 'propose' | 'prevote' | 'precommit' | 'committed';

export interface Timeouts {
  proposeMs: number;
  prevoteMs: number;
  precommitMs: number;
  /** Added to every timeout once per round: timeout(r) = base + deltaMs * r. */
  deltaMs: number;
}

export interface EngineOptions {
  chainId: string;
  /** Our authority account (64 hex); null = observer (never proposes nor votes). */
  self: string | null;
  timeouts: Timeouts;
}

/** What a restarted node read from its privval record for the height it resumes. */
export interface RestoreState {
  /** The round it last signed in at this height. */
  round: number;
  /** Round of its last non-nil precommit at this height; -1 = not locked. */
  lockedRound: number;
  lockedBlockHash: string | null;
  /**
   * The votes it signed at this height (signed, from its signing record): counted, and
   * never asked for again, so resuming in the round it last signed in cannot ask the
   * host for a vote it already gave (or a different one).
   */
  ownVotes?: Vote[];
}

/** Minimal structured logger (pino-compatible). */
export interface ConsensusLogger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
}

export type Action =
  /** We propose at (height, round) and hold no valid block: build one, then call onBlockBuilt. */
  | { type: 'buildBlock'; height: number; round: number }
  /** Sign (sig is '') and broadcast this proposal. */
  | { type: 'signProposal'; proposal: Proposal }
  /** Persist last-signed (height, round, type), sign, broadcast, then call onVoteSigned. */
  | { type: 'signVote'; vote: Vote }
  /** Call onTimeout(timeout) after delayMs. */
  | { type: 'scheduleTimeout'; timeout: TimeoutInfo; delayMs: number }
  /** Decided: apply and store the block with its certificate, then startHeight(height + 1). */
  | { type: 'commit'; block: Block; blockHash: string; commit: Commit }
  /** 2f+1 precommits for a block we do not hold: fetch it (with its certificate) by sync. */
  | { type: 'missingBlock'; height: number; round: number; blockHash: string }
  /** Equivocation: one validator signed two different votes of the same (height, round, type). */
  | { type: 'evidence'; a: Vote; b: Vote }
  /**
   * A proposal that arrived before its height started: check its block now (the parent
   * is known) and call onProposal(proposal, valid).
   */
  | { type: 'validateProposal'; proposal: Proposal };

export type ActionType = Action['type'];

/** Read-only snapshot for logs and health checks. */
export interface EngineStatus {
  height: number;
  round: number;
  step: Step;
  lockedRound: number;
  lockedBlockHash: string | null;
  validRound: number;
  validBlockHash: string | null;
  /** Proposer of (height, round); null before startHeight. */
  proposer: string | null;
  validators: number;
  /** Whether `self` is in this height's validator set. */
  isValidator: boolean;
}
