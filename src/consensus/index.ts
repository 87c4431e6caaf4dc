/**
 * Consensus: a pure Tendermint engine (SPEC §4). Other modules import only from here.
 *
 * The engine is a state machine with no clock, network, storage, randomness or crypto:
 * the host feeds it inputs and carries out the actions each call returns, in order.
 *
 *   const engine = new ConsensusEngine({ chainId, self, timeouts: { proposeMs, prevoteMs, precommitMs, deltaMs } }, logger?);
 *   engine.startHeight(height, validators, restore?)  // validators: the set signing `height`, in proposer order
 *   engine.onTxsAvailable()                         // mempool non-empty, or the empty-block interval elapsed
 *   engine.onProposal(proposal, valid)              // signature checked; valid = block passes validation
 *   engine.onVote(vote)                             // signature checked
 *   engine.onTimeout({ height, round, step })       // a scheduleTimeout fired
 *   engine.onBlockBuilt(height, round, block, hash) // reply to buildBlock
 *   engine.onVoteSigned(vote)                       // reply to signVote (after persisting and signing)
 *   engine.status()                                 // read-only snapshot
 *   // every input returns Action[]
 *
 * Actions and the host's duty for each:
 *   buildBlock        build a block for (height, round) from the mempool, call onBlockBuilt.
 *   signProposal      sign the proposal (messages.signProposal), broadcast it.
 *   signVote          persist last-signed (height, round, type[, lock]) BEFORE signing, refuse
 *                     a different vote for an already signed (height, round, type) (the engine
 *                     never asks for one, but a restarted engine does not know what it signed),
 *                     sign, broadcast, call onVoteSigned. Re-issuing the earlier signed vote
 *                     to onVoteSigned instead is fine.
 *   scheduleTimeout   call onTimeout(timeout) after delayMs (= base + deltaMs * round).
 *   commit            verify nothing more: apply and store block + certificate atomically,
 *                     then startHeight(height + 1, nextValidators). The engine ignores this
 *                     height from now on.
 *   missingBlock      2f+1 precommits for a block we do not hold (or judged invalid): fetch
 *                     it with its certificate by sync, check it (checkCommit), apply, startHeight.
 *   evidence          two conflicting signed votes of one validator; record / gossip them.
 *   validateProposal  a proposal buffered before its height started: validate its block now
 *                     and call onProposal(proposal, valid).
 *
 * Behaviour:
 *   - Idle after startHeight: no timers, no proposal, until onTxsAvailable or a proposal /
 *     vote from a validator for this height arrives.
 *   - Quorum 2f+1 = floor(2n/3)+1, round skip on f+1 = floor((n-1)/3)+1 distinct voters of
 *     a higher round. n = 1 commits as soon as its own votes come back signed.
 *   - Messages for the next heights are buffered (bounded) and replayed by startHeight;
 *     older heights, non-validators, wrong proposers and duplicates are dropped.
 *   - `valid` is ignored for a proposal of a future height (it comes back as validateProposal).
 *   - Restart: a new engine + startHeight(h, vals, { round, lockedRound, lockedBlockHash })
 *     from the privval record: resumes at that round keeping the lock; while the locked block
 *     is not held it prevotes only for a proposal of that hash and, as proposer, proposes nothing.
 *   - Observer (self = null): follows and commits, never proposes or votes.
 */
export { ConsensusEngine } from './engine.js';
export { proposerOf, timeoutDelay } from './params.js';
export { maxFaulty, quorumSize } from './round-state.js';
export {
  checkCommit, ConsensusMessageError, MAX_ROUND, proposalSignBytes, signProposal, signVote,
  validateProposalMessage, validateVoteMessage, verifyProposal, verifyVote, voteSignBytes,
} from './messages.js';
export type {
  Action, ActionType, ConsensusLogger, EngineOptions, EngineStatus, Proposal, RestoreState, Step,
  TimeoutInfo, TimeoutStep, Timeouts, Vote, VoteType,
} from './types.js';
