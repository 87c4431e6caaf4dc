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
 *   signProposal      persist it WITH its block (nobody else may hold that block), sign it
 *                     (messages.signProposal), broadcast it. Refuse a different proposal for
 *                     an already signed (height, round).
 *   signVote          persist last-signed (height, round, type[, lock]) BEFORE signing, refuse
 *                     a different vote for an already signed (height, round, type) (the engine
 *                     never asks for one, but a restarted engine may not know what it signed),
 *                     sign, broadcast, call onVoteSigned. On refusal, re-issue the vote signed
 *                     earlier (broadcast + onVoteSigned): the engine adopts it.
 *   scheduleTimeout   call onTimeout(timeout) after delayMs (= base + deltaMs * round).
 *   commit            apply and store block + certificate atomically, then
 *                     startHeight(height + 1, nextValidators). The engine ignores this height
 *                     from now on.
 *   missingBlock      2f+1 precommits for a block we do not hold (or judged invalid): fetch
 *                     it with its certificate by sync, check it (chain/commit.ts commitProblem), apply, startHeight.
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
 *   - Equivocation: evidence once per (validator, round, type); the first vote is the one that
 *     counts toward "2f+1 of any kind" and round skips, but a conflicting vote still counts
 *     for its own value when that value was proposed in the round (round-state.ts says why).
 *   - Observer (self = null): follows and commits, never proposes or votes.
 *
 * Restart: a new engine + startHeight(h, vals, { round, lockedRound, lockedBlockHash }) from
 * the privval record (round = last round signed at h; lock = last non-nil precommit at h).
 * It resumes at that round keeping the lock; while the locked block is not held it prevotes
 * only for a proposal of that hash and, as proposer, proposes nothing. Restore alone keeps
 * safety. For liveness the host should also replay, after startHeight, what its WAL holds
 * for height h, as CometBFT does: its own signed proposals (onProposal(p, true)) and votes
 * (onVoteSigned), then the proposals and votes it received. Without that, a lock whose
 * proof-of-lock votes were seen only by restarted nodes and a Byzantine one can never be
 * justified to the others again, and an n = 1 chain loses the block it proposed.
 *
 * Block validity (host): a re-proposed block (polRound >= 0) keeps its original header, so
 * header.proposer may be an earlier round's proposer and header.time may be old; judge the
 * "time within 2 s of our clock" rule only for polRound = -1 (CometBFT PBTS does the same),
 * or locked nodes can never get their block accepted again.
 */
export { ConsensusEngine } from './engine.js';
export { proposerOf, timeoutDelay } from './params.js';
export { maxFaulty, quorumSize } from './round-state.js';
export {
  checkProofOfLock, checkStoredVotes, compactProposal, ConsensusMessageError, MAX_ROUND, parseWireMessage, proposalSignBytes, signProposal, signVote,
  validateProposalMessage, validateVoteMessage, validateWireProposal, verifyProposal, verifyVote, voteSignBytes,
} from './messages.js';
export type { CompactBlock, WireMessage, WireProposal } from './messages.js';
export type {
  Action, ActionType, ConsensusLogger, EngineOptions, EngineStatus, Proposal, RestoreState, Step,
  TimeoutInfo, TimeoutStep, Timeouts, Vote, VoteType,
} from './types.js';
