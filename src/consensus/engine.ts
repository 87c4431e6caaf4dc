/**
 * Tendermint consensus ("The latest gossip on BFT consensus", Buchman, Kwon, Milosevic
 * 2018) as a pure state machine: inputs in, actions out. No clock, no timers, no I/O,
 * no signature checks (the host verifies before calling and signs on request).
 * Line numbers (L22, L28, ...) refer to Algorithm 1 of the paper.
 */
import type { Block } from '../chain/types.js';
import { FutureBuffer } from './buffer.js';
import { ProposalStore } from './proposals.js';
import { HeightVotes, maxFaulty, quorumSize, RoundFlags } from './round-state.js';
import { checkOptions, checkRestore, checkValidators, proposerOf, timeoutDelay } from './params.js';
import type { Action, ConsensusLogger, EngineOptions, EngineStatus, Proposal, RestoreState, Step, TimeoutInfo, TimeoutStep, Timeouts, Vote, VoteType } from './types.js';

const NOOP_LOGGER: ConsensusLogger = { debug() {}, info() {}, warn() {} };

export class ConsensusEngine {
  private readonly chainId: string;
  private readonly self: string | null;
  private readonly timeouts: Timeouts;
  private readonly log: ConsensusLogger;
  private readonly buffer = new FutureBuffer();

  private height = 0;
  private validators: string[] = [];
  private validatorSet = new Set<string>();
  private round = 0;
  private step: Step = 'unstarted';
  private lockedRound = -1;
  private lockedHash: string | null = null;
  private validRound = -1;
  private validHash: string | null = null;
  private votes = new HeightVotes();
  private proposals = new ProposalStore();
  private flags = new RoundFlags();
  /** `${round}/${type}` -> the value we asked the host to sign: never two per key. */
  private asked = new Map<string, string | null>();
  private awaitingBuild = -1;
  private evidenceSeen = new Set<string>();
  private missingSeen = new Set<string>();
  private out: Action[] = [];

  constructor(opts: EngineOptions, logger?: ConsensusLogger) {
    checkOptions(opts);
    this.chainId = opts.chainId;
    this.self = opts.self;
    this.timeouts = { ...opts.timeouts };
    this.log = logger ?? NOOP_LOGGER;
  }

  // ---------------------------------------------------------------- inputs

  startHeight(height: number, validators: string[], restore?: RestoreState): Action[] {
    if (!Number.isSafeInteger(height) || height < 1) throw new Error('consensus: height must be a positive integer');
    if (this.step !== 'unstarted' && height <= this.height) throw new Error(`consensus: startHeight(${height}) not above current height ${this.height}`);
    checkValidators(validators);
    if (restore !== undefined) checkRestore(restore);
    this.height = height;
    this.validators = [...validators];
    this.validatorSet = new Set(validators);
    this.round = restore?.round ?? 0;
    this.step = 'idle';
    this.lockedRound = restore?.lockedRound ?? -1;
    this.lockedHash = restore?.lockedBlockHash ?? null;
    this.validRound = this.lockedRound;
    this.validHash = this.lockedHash;
    this.votes = new HeightVotes();
    this.proposals = new ProposalStore();
    this.flags = new RoundFlags();
    this.asked = new Map();
    this.awaitingBuild = -1;
    this.evidenceSeen = new Set();
    this.missingSeen = new Set();
    this.out = [];
    this.log.debug({ chainId: this.chainId, height, n: validators.length, restore }, 'consensus: start height');
    for (const v of restore?.ownVotes ?? []) this.restoreOwnVote(v);
    for (const m of this.buffer.take(height)) {
      if (m.kind === 'vote') this.handleVote(m.vote);
      // Only proposals onProposal would accept are worth a block validation by the host.
      else if (m.proposal.proposer === proposerOf(this.validators, height, m.proposal.round) && m.proposal.polRound >= -1 && m.proposal.polRound < m.proposal.round) {
        this.emit({ type: 'validateProposal', proposal: m.proposal });
      }
    }
    return this.flush();
  }

  /** The mempool has txs (or the empty-block interval elapsed): leave idle. */
  onTxsAvailable(): Action[] {
    if (this.step === 'idle') {
      this.wake();
      this.progress();
    }
    return this.flush();
  }

  onProposal(p: Proposal, valid: boolean): Action[] {
    if (this.step === 'unstarted') return this.flush();
    if (p.height > this.height) {
      this.buffer.add(this.height, p.height, { kind: 'proposal', proposal: p });
      return this.flush();
    }
    if (p.height < this.height || this.step === 'committed') return this.flush();
    if (p.polRound < -1 || p.polRound >= p.round) {
      this.log.debug({ round: p.round, polRound: p.polRound }, 'consensus: proposal with bad polRound dropped');
      return this.flush();
    }
    if (p.proposer !== proposerOf(this.validators, this.height, p.round)) {
      this.log.debug({ round: p.round, proposer: p.proposer }, 'consensus: proposal from wrong proposer dropped');
      return this.flush();
    }
    const res = this.proposals.add(p, valid, this.round);
    if (res === 'duplicate' || res === 'rejected') return this.flush();
    if (res === 'conflict') this.log.warn({ height: p.height, round: p.round, proposer: p.proposer }, 'consensus: conflicting proposals');
    this.countVotesFor(p);
    if (this.step === 'idle') this.wake();
    this.progress();
    return this.flush();
  }

  onVote(v: Vote): Action[] {
    this.handleVote(v);
    return this.flush();
  }

  /** Our own vote, signed by the host (possibly an earlier one its privval re-issued). */
  onVoteSigned(v: Vote): Action[] {
    if (v.validator !== this.self) {
      this.log.warn({ validator: v.validator }, 'consensus: onVoteSigned with a vote not ours');
      return this.flush();
    }
    this.handleVote(v);
    return this.flush();
  }

  onTimeout(t: TimeoutInfo): Action[] {
    if (t.height !== this.height || t.round !== this.round) return this.flush();
    switch (t.step) {
      case 'propose': // OnTimeoutPropose
        if (this.step === 'propose') this.enterPrevote(t.round, null);
        break;
      case 'prevote': // OnTimeoutPrevote
        if (this.step === 'prevote') this.enterPrecommit(t.round, null);
        break;
      case 'precommit': // OnTimeoutPrecommit
        if (this.step === 'propose' || this.step === 'prevote' || this.step === 'precommit') this.startRound(t.round + 1);
        break;
    }
    this.progress();
    return this.flush();
  }

  onBlockBuilt(height: number, round: number, block: Block, blockHash: string): Action[] {
    if (height !== this.height || round !== this.round || this.step !== 'propose' || this.awaitingBuild !== round) return this.flush();
    if (this.proposals.primary(round) !== undefined) return this.flush(); // already proposed (replayed)
    this.awaitingBuild = -1;
    this.propose({ height, round, polRound: -1, block, blockHash, proposer: this.self!, sig: '' });
    this.progress();
    return this.flush();
  }

  /**
   * The prevotes for `hash` in round `r` this engine counted: a proof-of-lock when they
   * are 2f+1. The host persists the one behind a lock with the lock: a crash must not
   * leave a lock whose proof only the crashed node had seen (CometBFT's WAL holds the
   * votes received before a precommit; the simulation finds runs that never end without).
   */
  prevotesFor(r: number, hash: string): Vote[] {
    return this.votes.round(r)?.prevotes.votesFor(hash) ?? [];
  }

  /**
   * What the host re-sends while a height is stuck (its own votes included: after a restart
   * the host no longer holds its earlier ones as messages of its own):
   * - the prevotes behind its lock and its valid block (what it would re-propose, with that
   *   polRound), so peers that missed one can accept the re-proposal;
   * - every vote it holds of the current and the previous round: a peer still in the
   *   previous round needs the 2f+1 precommits that ended it here (the simulation finds
   *   heights that never end when one of them, from a Byzantine authority, reached only this
   *   node), and a peer in this round needs its votes.
   * CometBFT's reactor sends each peer the votes it lacks, from the peer's round state;
   * without that state this sends them all, bounded by 2 rounds x 2 types x n authors x
   * MAX_VALUES_PER_AUTHOR.
   */
  votesToShare(): Vote[] {
    const out = new Map<string, Vote>();
    const add = (v: Vote) => out.set(`${v.round}/${v.type}/${v.validator}/${v.blockHash}`, v);
    for (const [r, h] of [[this.lockedRound, this.lockedHash], [this.validRound, this.validHash]] as const) {
      if (h !== null && r >= 0) for (const v of this.prevotesFor(r, h)) add(v);
    }
    for (const r of [this.round - 1, this.round]) {
      const rv = this.votes.round(r);
      if (rv !== undefined) for (const v of [...rv.prevotes.all(), ...rv.precommits.all()]) add(v);
    }
    return [...out.values()];
  }

  status(): EngineStatus {
    const started = this.step !== 'unstarted';
    return {
      height: this.height, round: this.round, step: this.step,
      lockedRound: this.lockedRound, lockedBlockHash: this.lockedHash,
      validRound: this.validRound, validBlockHash: this.validHash,
      proposer: started ? proposerOf(this.validators, this.height, this.round) : null,
      validators: this.validators.length,
      isValidator: this.self !== null && this.validatorSet.has(this.self),
    };
  }

  // ---------------------------------------------------------------- message intake

  private handleVote(v: Vote): void {
    if (this.step === 'unstarted') return;
    if (v.height > this.height) {
      this.buffer.add(this.height, v.height, { kind: 'vote', vote: v });
      return;
    }
    if (v.height < this.height || this.step === 'committed') return;
    if (!this.validatorSet.has(v.validator)) {
      this.log.debug({ validator: v.validator }, 'consensus: vote from a non-validator dropped');
      return;
    }
    const relevant = v.blockHash === null || this.proposals.has(v.round, v.blockHash) || this.proposals.claimsPol(v.round, v.blockHash);
    const res = this.votes.add(v, this.round, relevant);
    if (res.kind === 'conflict') {
      const k = `${v.validator}/${v.round}/${v.type}`;
      if (!this.evidenceSeen.has(k)) {
        this.evidenceSeen.add(k);
        this.log.warn({ validator: v.validator, height: v.height, round: v.round, type: v.type }, 'consensus: equivocation');
        this.emit({ type: 'evidence', a: res.existing, b: v });
      }
      if (!res.counted) return;
    } else if (res.kind !== 'added') return;
    if (this.step === 'idle') this.wake();
    if (v.validator === this.self) this.ownVote(v);
    this.progress();
  }

  /** A vote signed before a restart, from the signing record: counted and marked asked, without waking the height. */
  private restoreOwnVote(v: Vote): void {
    if (v.validator !== this.self || v.height !== this.height || !this.validatorSet.has(v.validator)) {
      this.log.warn({ validator: v.validator, height: v.height }, 'consensus: restored vote is not ours at this height; ignored');
      return;
    }
    const res = this.votes.add(v, this.round);
    if (res.kind === 'added') this.ownVote(v);
  }

  /** A vote we signed earlier (replayed or gossiped back after a restart): never ask for another. */
  private ownVote(v: Vote): void {
    if (!this.asked.has(`${v.round}/${v.type}`)) this.asked.set(`${v.round}/${v.type}`, v.blockHash);
    if (v.type === 'precommit' && v.blockHash !== null && v.round > this.lockedRound) {
      this.lockedRound = v.round;
      this.lockedHash = v.blockHash;
      if (v.round > this.validRound) [this.validRound, this.validHash] = [v.round, v.blockHash];
    }
    if (v.round !== this.round) return;
    if (v.type === 'prevote' && this.step === 'propose') this.step = 'prevote';
    if (v.type === 'precommit' && (this.step === 'propose' || this.step === 'prevote')) this.step = 'precommit';
  }

  /** Idle -> running: first message or txs for this height. */
  private wake(): void {
    this.startRound(this.round, true);
  }

  // ---------------------------------------------------------------- step functions

  /** StartRound(r). */
  private startRound(r: number, fromIdle = false): void {
    if (this.step === 'unstarted' || this.step === 'committed') return;
    if (fromIdle ? this.step !== 'idle' || r < this.round : r <= this.round) return; // stale
    this.round = r;
    this.step = 'propose';
    this.awaitingBuild = -1;
    this.votes.enteredRound(r);
    this.log.debug({ height: this.height, round: r }, 'consensus: new round');
    this.schedule('propose', r);
    if (this.self === null || proposerOf(this.validators, this.height, r) !== this.self) return;
    if (this.proposals.primary(r) !== undefined) return; // our own proposal, replayed after a restart
    if (this.validHash === null) {
      this.awaitingBuild = r;
      this.emit({ type: 'buildBlock', height: this.height, round: r });
      return;
    }
    const block = this.proposals.block(this.validHash);
    if (block === undefined) {
      this.log.warn({ height: this.height, round: r, validBlockHash: this.validHash }, 'consensus: proposer without its valid block, not proposing');
      return;
    }
    this.propose({ height: this.height, round: r, polRound: this.validRound, block, blockHash: this.validHash, proposer: this.self, sig: '' });
  }

  /**
   * A stored proposal makes conflicting votes for its block count: in its round, and in its
   * polRound, whose prevotes justify it (or an equivocator could hide a lock's proof from
   * this node forever; the simulation found such a run, seed 9161 with n = 4).
   */
  private countVotesFor(p: Proposal): void {
    this.votes.proposed(p.round, p.blockHash);
    if (p.polRound >= 0) this.votes.proposed(p.polRound, p.blockHash);
  }

  private propose(p: Proposal): void {
    this.proposals.add(p, true, this.round);
    this.countVotesFor(p);
    this.emit({ type: 'signProposal', proposal: p });
  }

  private enterPrevote(r: number, hash: string | null): void {
    if (r !== this.round || this.step !== 'propose') return; // stale
    this.step = 'prevote';
    this.castVote('prevote', hash);
  }

  private enterPrecommit(r: number, hash: string | null): void {
    if (r !== this.round || this.step !== 'prevote') return; // stale
    this.step = 'precommit';
    if (hash !== null) {
      this.lockedRound = r;
      this.lockedHash = hash;
    }
    this.castVote('precommit', hash);
  }

  /** L49: returns true once decided. */
  private enterCommit(r: number, hash: string): boolean {
    if (this.step === 'committed' || this.step === 'unstarted') return false; // stale
    const block = this.proposals.block(hash);
    if (block === undefined) {
      const k = `${r}/${hash}`;
      if (!this.missingSeen.has(k)) {
        this.missingSeen.add(k);
        this.log.info({ height: this.height, round: r, blockHash: hash }, 'consensus: commit quorum for a block we do not hold');
        this.emit({ type: 'missingBlock', height: this.height, round: r, blockHash: hash });
      }
      return false;
    }
    const signatures = this.votes.certificate(r, hash, this.validators);
    this.step = 'committed';
    this.log.info({ height: this.height, round: r, blockHash: hash, signatures: signatures.length }, 'consensus: commit');
    this.emit({ type: 'commit', block, blockHash: hash, commit: { height: this.height, round: r, blockHash: hash, signatures } });
    return true;
  }

  private castVote(type: VoteType, hash: string | null): void {
    if (this.self === null || !this.validatorSet.has(this.self)) return;
    const k = `${this.round}/${type}`;
    if (this.asked.has(k)) {
      if (this.asked.get(k) !== hash) this.log.warn({ round: this.round, type }, 'consensus: refusing to ask for a second, different vote');
      return;
    }
    this.asked.set(k, hash);
    this.emit({ type: 'signVote', vote: { type, height: this.height, round: this.round, blockHash: hash, validator: this.self, sig: '' } });
  }

  // ---------------------------------------------------------------- upon-rules

  /** Re-evaluates the upon-rules until none fires. */
  private progress(): void {
    const n = this.validators.length;
    const q = quorumSize(n);
    for (;;) {
      if (this.step === 'unstarted' || this.step === 'idle' || this.step === 'committed') return;
      if (this.tryCommit(q)) return;
      const skip = this.votes.highestRoundAbove(this.round, maxFaulty(n) + 1); // L55
      if (skip > this.round) {
        this.startRound(skip);
        continue;
      }
      if (this.step === 'propose' && this.tryPrevote(q)) continue;
      if (this.tryPolka(q)) continue;
      if (this.step === 'prevote' && this.votes.round(this.round)?.prevotes.quorumValue(q) === null) {
        this.enterPrecommit(this.round, null); // L44
        continue;
      }
      this.scheduleRoundTimeouts(q);
      return;
    }
  }

  /** L49, any round: 2f+1 precommits for a block. */
  private tryCommit(q: number): boolean {
    for (const r of this.votes.roundNumbers()) {
      const hash = this.votes.round(r)!.precommits.quorumValue(q);
      if (typeof hash === 'string' && this.enterCommit(r, hash)) return true;
    }
    return false;
  }

  /** L22 / L28 on the round's first proposal. */
  private tryPrevote(q: number): boolean {
    const sp = this.proposals.primary(this.round);
    if (sp === undefined) return false;
    const p = sp.proposal;
    if (!sp.valid) {
      this.enterPrevote(this.round, null);
      return true;
    }
    if (p.polRound === -1) {
      const ok = this.lockedRound === -1 || this.lockedHash === p.blockHash;
      this.enterPrevote(this.round, ok ? p.blockHash : null);
      return true;
    }
    if (this.lockedHash === p.blockHash) {
      // Our locked block: always safe to prevote (as in L22); after a restart its POL may be gone.
      this.enterPrevote(this.round, p.blockHash);
      return true;
    }
    if ((this.votes.round(p.polRound)?.prevotes.count(p.blockHash) ?? 0) < q) return false; // wait for the POL
    const ok = this.lockedRound <= p.polRound || this.lockedHash === p.blockHash;
    this.enterPrevote(this.round, ok ? p.blockHash : null);
    return true;
  }

  /** L36: a valid proposal of this round with 2f+1 prevotes, first time, step >= prevote. */
  private tryPolka(q: number): boolean {
    if (this.step !== 'prevote' && this.step !== 'precommit') return false;
    const f = this.flags.of(this.round);
    if (f.polka) return false;
    const hash = this.votes.round(this.round)?.prevotes.quorumValue(q);
    if (typeof hash !== 'string' || !this.proposals.hasValid(this.round, hash)) return false;
    f.polka = true;
    const wasPrevote = this.step === 'prevote';
    if (wasPrevote) this.enterPrecommit(this.round, hash);
    this.validRound = this.round;
    this.validHash = hash;
    return wasPrevote;
  }

  /** L34 and L47: arm the prevote / precommit timeouts once per round. */
  private scheduleRoundTimeouts(q: number): void {
    const rv = this.votes.round(this.round);
    if (rv === undefined) return;
    const f = this.flags.of(this.round);
    if (this.step === 'prevote' && !f.prevoteTimeout && rv.prevotes.size >= q) {
      f.prevoteTimeout = true;
      this.schedule('prevote', this.round);
    }
    if (!f.precommitTimeout && rv.precommits.size >= q) {
      f.precommitTimeout = true;
      this.schedule('precommit', this.round);
    }
  }

  // ---------------------------------------------------------------- helpers

  private schedule(step: TimeoutStep, round: number): void {
    this.emit({ type: 'scheduleTimeout', timeout: { height: this.height, round, step }, delayMs: timeoutDelay(this.timeouts, step, round) });
  }

  private emit(a: Action): void {
    this.out.push(a);
  }

  private flush(): Action[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}
