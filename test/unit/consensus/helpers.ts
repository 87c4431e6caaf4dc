/** Small drivers for engine unit tests. */
import { ConsensusEngine, proposerOf } from '../../../src/consensus/index.js';
import type { Action, ActionType, Timeouts, Vote } from '../../../src/consensus/index.js';
import { CHAIN_ID, fakeBlock, signVoteFake } from './sim/fixtures.js';

export const TIMEOUTS: Timeouts = { proposeMs: 1000, prevoteMs: 500, precommitMs: 400, deltaMs: 250 };

export function engineFor(self: string | null): ConsensusEngine {
  return new ConsensusEngine({ chainId: CHAIN_ID, self, timeouts: TIMEOUTS });
}

export function types(actions: Action[]): ActionType[] {
  return actions.map((a) => a.type);
}

export function only<T extends ActionType>(actions: Action[], type: T): Extract<Action, { type: T }>[] {
  return actions.filter((a): a is Extract<Action, { type: T }> => a.type === type);
}

export function one<T extends ActionType>(actions: Action[], type: T): Extract<Action, { type: T }> {
  const xs = only(actions, type);
  if (xs.length !== 1) throw new Error(`expected exactly one ${type}, got ${JSON.stringify(types(actions))}`);
  return xs[0]!;
}

/** The vote the engine asked to sign, signed (fake) and fed back; returns what that produced. */
export function signBack(e: ConsensusEngine, actions: Action[]): { vote: Vote; out: Action[] } {
  const vote = signVoteFake(one(actions, 'signVote').vote);
  return { vote, out: e.onVoteSigned(vote) };
}

/** A block proposed by the (height, round) proposer of `validators`. */
export function blockAt(validators: string[], height: number, round: number, variant = '') {
  return fakeBlock({ height, round, proposer: proposerOf(validators, height, round), validators, variant });
}
