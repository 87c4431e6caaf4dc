/**
 * A simulated authority: the real ConsensusEngine plus a host stub that carries out its
 * actions (build blocks, sign through an in-memory privval, broadcast, timers, commit,
 * sync). The privval and the committed chain survive a crash; the engine does not.
 * `ByzantineNode` swaps the signing step for an equivocating one (CometBFT's
 * byzantine_test.go approach): the engine is honest, what leaves the node is not.
 */
import { blockHash, ZERO_HASH } from '../../../../src/chain/block.js';
import type { Block, Commit } from '../../../../src/chain/types.js';
import { ConsensusEngine } from '../../../../src/consensus/index.js';
import { commitProblem } from '../../../../src/chain/commit.js';
import type { Action, Proposal, RestoreState, Timeouts, Vote } from '../../../../src/consensus/index.js';
import { CHAIN_ID, fakeBlock, headerHash, fakeVerify, signProposalFake, signVoteFake, verifyProposalFake, verifyVoteFake } from './fixtures.js';
import type { Rng } from './prng.js';

export interface ChainEntry {
  block: Block;
  hash: string;
  commit: Commit;
}

export type Msg =
  | { kind: 'proposal'; p: Proposal }
  | { kind: 'vote'; v: Vote }
  | { kind: 'status'; committed: number }
  | { kind: 'syncReq'; fromHeight: number }
  | { kind: 'syncResp'; entries: ChainEntry[] };

/** What the node needs from the simulated world. */
export interface World {
  readonly now: number;
  readonly rng: Rng;
  readonly validators: readonly string[];
  readonly timeouts: Timeouts;
  /** Restart and gossip as medledger's host does (Scenario.hostLike). */
  readonly hostLike: boolean;
  send(from: number, to: number, msg: Msg): void;
  /** Run `fn` on node `node` after `delayMs`, unless it crashed (or restarted) meanwhile. */
  later(node: SimNode, delayMs: number, fn: () => void): void;
  hasTxs(node: number, height: number): boolean;
  /** An honest node precommitted `hash` at `height` (for coverage statistics). */
  noteLock(height: number, hash: string): void;
  recordCommit(node: number, height: number, hash: string, via: 'consensus' | 'sync'): void;
  violation(what: string): void;
  readonly stats: SimStats;
}

export interface SimStats {
  messages: number;
  refusals: number;
  evidence: number;
  syncs: number;
  missing: number;
  maxRound: number;
  /** Runs where honest nodes precommitted different blocks at one height (the interesting ones). */
  splitLocks: number;
  /** Restarts that resumed with a lock from the privval. */
  lockRestores: number;
}

/** The signing record: survives crashes. One height at a time, like CometBFT's last-sign state. */
interface PrivVal {
  height: number;
  votes: Map<string, { vote: Vote; inc: number }>;
  proposals: Map<number, { proposal: Proposal; inc: number }>;
  lastRound: number;
  lockedRound: number;
  lockedHash: string | null;
  /** The proposal of the locked block, persisted with the precommit (the node's signer keeps it too). */
  lockedProposal: Proposal | null;
  /** The 2f+1 prevotes behind the lock, persisted with it. */
  lockedPol: Vote[];
}

/** How long gossipsub keeps offering a seen message to peers (3 heartbeats of 1 s). */
const GOSSIP_HISTORY_MS = 3_000;
/** The host's re-send interval: its messages go out again after this long without a new one (node.ts rebroadcastMs). */
const HOST_RESEND_MS = 1_000;

export class SimNode {
  engine: ConsensusEngine | null = null;
  /** Incarnation: bumped by crash and restart so the old engine's timers and callbacks die. */
  inc = 0;
  readonly chain: ChainEntry[] = [];
  protected readonly privval: PrivVal = { height: 0, votes: new Map(), proposals: new Map(), lastRound: -1, lockedRound: -1, lockedHash: null, lockedProposal: null, lockedPol: [] };
  /** Proposals received or made at the current height, by block hash: the one precommitted becomes the lock's. */
  private readonly proposalsAt = new Map<string, Proposal>();
  private lastSyncAt = -1e9;
  /** When this node last signed a message (hostLike re-sends wait a second after it). */
  private lastSignedAt = -1e9;
  /**
   * Peer messages by height: relayed by gossip (the paper's gossip property needs relays,
   * not just own votes) and kept across a crash, like CometBFT's WAL.
   */
  private readonly seen = new Map<number, Map<string, { msg: Msg; at: number }>>();

  constructor(readonly index: number, readonly id: string, protected readonly world: World) {}

  get byzantine(): boolean {
    return false;
  }

  get nextHeight(): number {
    return this.chain.length + 1;
  }

  get headHash(): string {
    return this.chain.length === 0 ? ZERO_HASH : this.chain[this.chain.length - 1]!.hash;
  }

  get alive(): boolean {
    return this.engine !== null;
  }

  boot(replayOwnVotes = true): void {
    this.inc++;
    this.engine = new ConsensusEngine({ chainId: CHAIN_ID, self: this.id, timeouts: this.world.timeouts });
    this.startNext();
    // Like the node (consensus-host.ts): a restart while locked hands the engine the locked
    // proposal again, from the privval, so it can prevote it and, as proposer, re-propose it.
    const locked = this.privval.height === this.nextHeight ? this.privval.lockedProposal : null;
    if (locked !== null) this.feedProposal(locked);
    if (this.privval.height === this.nextHeight) for (const v of this.privval.lockedPol) this.apply(this.engine.onVote(v));
    // WAL replay (CometBFT style): what we signed (with our proposed block, which nobody else
    // may hold) and what we received at this height. Without it a
    // restarted node keeps its lock but loses the proof-of-lock votes behind it; if only
    // crashed nodes and a Byzantine one had seen them, the lock can never be justified again.
    const pv = this.privval;
    if (pv.height === this.nextHeight) {
      if (!this.world.hostLike) for (const { proposal } of pv.proposals.values()) this.apply(this.engine.onProposal(proposal, true));
      if (replayOwnVotes && !this.world.hostLike) for (const { vote } of pv.votes.values()) this.apply(this.engine.onVoteSigned(vote));
    }
    for (const { msg } of this.seen.get(this.nextHeight)?.values() ?? []) {
      if (!this.alive) return;
      if (msg.kind === 'vote') this.apply(this.engine.onVote(msg.v));
      else if (msg.kind === 'proposal') this.feedProposal(msg.p);
    }
  }

  /** A proposal to the engine, kept by block hash at its height (the one precommitted becomes the lock's). */
  private feedProposal(p: Proposal): void {
    const valid = this.isValid(p);
    if (valid && p.height === this.nextHeight && !this.proposalsAt.has(p.blockHash)) this.proposalsAt.set(p.blockHash, p);
    this.apply(this.engine!.onProposal(p, valid));
  }

  /** The WAL is fsynced lazily: a crash loses what arrived in the last `walLagMs`. */
  crash(walLagMs: number): void {
    this.inc++;
    this.engine = null;
    for (const m of this.seen.values()) for (const [k, x] of m) if (x.at > this.world.now - walLagMs) m.delete(k);
  }

  protected startNext(): void {
    const h = this.nextHeight;
    this.proposalsAt.clear();
    for (const k of [...this.seen.keys()]) if (k < h) this.seen.delete(k);
    const pv = this.privval;
    // The host resumes in the round of the last thing it signed (a proposal too).
    const last = this.world.hostLike ? Math.max(pv.lastRound, ...pv.proposals.keys()) : pv.lastRound;
    const restore: RestoreState | undefined = pv.height === h && last >= 0
      ? { round: last, lockedRound: pv.lockedRound, lockedBlockHash: pv.lockedHash, ...(this.world.hostLike ? { ownVotes: [...pv.votes.values()].map((x) => x.vote) } : {}) }
      : undefined;
    if (restore !== undefined && restore.lockedRound >= 0) this.world.stats.lockRestores++;
    this.onNewHeight();
    this.lastSignedAt = this.world.now; // the host's re-send clock restarts with each height
    this.apply(this.engine!.startHeight(h, [...this.world.validators], restore));
    // The host sends the votes it restored at once.
    for (const v of restore?.ownVotes ?? []) this.broadcast({ kind: 'vote', v });
    if (this.world.hasTxs(this.index, h)) {
      this.world.later(this, this.world.rng.int(0, 50), () => this.apply(this.engine!.onTxsAvailable()));
    }
  }

  protected onNewHeight(): void {}

  // ------------------------------------------------------------------ engine actions

  apply(actions: Action[]): void {
    for (const a of actions) {
      if (!this.alive) return;
      switch (a.type) {
        case 'buildBlock': {
          const { block, hash } = fakeBlock({ height: a.height, round: a.round, proposer: this.id, prevHash: this.headHash, time: this.world.now, validators: this.world.validators });
          this.world.later(this, 1, () => this.apply(this.engine!.onBlockBuilt(a.height, a.round, block, hash)));
          break;
        }
        case 'signProposal':
          this.doSignProposal(a.proposal);
          break;
        case 'signVote':
          this.doSignVote(a.vote);
          break;
        case 'scheduleTimeout':
          if (a.timeout.round > this.world.stats.maxRound) this.world.stats.maxRound = a.timeout.round;
          this.world.later(this, a.delayMs, () => this.apply(this.engine!.onTimeout(a.timeout)));
          break;
        case 'commit':
          this.onCommit({ block: a.block, hash: a.blockHash, commit: a.commit }, 'consensus');
          break;
        case 'missingBlock':
          this.world.stats.missing++;
          this.requestSync(null, true);
          break;
        case 'evidence':
          this.world.stats.evidence++;
          this.checkEvidence(a.a, a.b);
          break;
        case 'validateProposal': // a proposal buffered for this height: kept by block hash too, as the host keeps it
          this.world.later(this, 0, () => this.feedProposal(a.proposal));
          break;
      }
    }
  }

  private pv(height: number): PrivVal {
    const pv = this.privval;
    if (height < pv.height) this.world.violation(`node ${this.index}: asked to sign at height ${height} below privval height ${pv.height}`);
    if (height > pv.height) {
      pv.height = height;
      pv.votes.clear();
      pv.proposals.clear();
      pv.lastRound = -1;
      pv.lockedRound = -1;
      pv.lockedHash = null;
      pv.lockedProposal = null;
      pv.lockedPol = [];
    }
    return pv;
  }

  protected doSignProposal(p: Proposal): void {
    const pv = this.pv(p.height);
    const prev = pv.proposals.get(p.round);
    if (prev !== undefined && prev.proposal.blockHash !== p.blockHash) {
      if (prev.inc === this.inc) this.world.violation(`node ${this.index}: engine asked for two proposals at ${p.height}/${p.round}`);
      this.world.stats.refusals++;
      return;
    }
    const signed = prev?.proposal ?? signProposalFake(p);
    pv.proposals.set(p.round, { proposal: signed, inc: this.inc });
    this.proposalsAt.set(signed.blockHash, signed);
    this.lastSignedAt = this.world.now;
    this.broadcast({ kind: 'proposal', p: signed });
    // As the host does: a re-proposal goes out with its proof-of-lock.
    if (signed.polRound >= 0) for (const v of this.engine!.prevotesFor(signed.polRound, signed.blockHash)) this.broadcast({ kind: 'vote', v });
  }

  protected doSignVote(v: Vote): void {
    const pv = this.pv(v.height);
    const key = `${v.round}/${v.type}`;
    const prev = pv.votes.get(key);
    if (v.round < pv.lastRound && prev === undefined) this.world.violation(`node ${this.index}: asked to sign round ${v.round} after round ${pv.lastRound}`);
    let signed: Vote;
    if (prev !== undefined) {
      if (prev.vote.blockHash !== v.blockHash) {
        if (prev.inc === this.inc) this.world.violation(`node ${this.index}: engine asked for two different ${v.type}s at ${v.height}/${v.round}`);
        this.world.stats.refusals++;
      }
      signed = prev.vote; // refuse the new one; re-issue what we already signed
    } else {
      signed = signVoteFake(v);
      pv.votes.set(key, { vote: signed, inc: this.inc }); // persisted before it leaves the node
      pv.lastRound = Math.max(pv.lastRound, v.round);
      if (v.type === 'precommit' && v.blockHash !== null) {
        pv.lockedRound = v.round;
        pv.lockedHash = v.blockHash;
        pv.lockedProposal = this.proposalsAt.get(v.blockHash) ?? null;
        pv.lockedPol = this.engine!.prevotesFor(v.round, v.blockHash);
      }
    }
    this.lastSignedAt = this.world.now;
    this.broadcast({ kind: 'vote', v: signed });
    if (v.type === 'precommit' && v.blockHash !== null) {
      this.world.noteLock(v.height, v.blockHash);
      this.onLock();
    }
    this.world.later(this, 0, () => this.apply(this.engine!.onVoteSigned(signed)));
  }

  private checkEvidence(a: Vote, b: Vote): void {
    const byz = this.world.validators.indexOf(a.validator);
    if (a.validator !== b.validator || a.height !== b.height || a.round !== b.round || a.type !== b.type || a.blockHash === b.blockHash) {
      this.world.violation(`node ${this.index}: malformed evidence`);
    }
    if (!verifyVoteFake(a) || !verifyVoteFake(b)) this.world.violation(`node ${this.index}: evidence with bad signatures`);
    this.onEvidence(byz);
  }

  /** Fault-injection hook: called right after this node broadcast a non-nil precommit. */
  onLock: () => void = () => {};

  /** Overridden by the world to check evidence only ever names Byzantine validators. */
  onEvidence: (validatorIndex: number) => void = () => {};

  protected onCommit(e: ChainEntry, via: 'consensus' | 'sync'): boolean {
    const h = this.nextHeight;
    const problem = e.commit.height !== h ? `height ${e.commit.height}, expected ${h}`
      : e.block.header.height !== h ? 'block height mismatch'
      : blockHash(e.block.header) !== e.hash ? 'block hash mismatch'
      : e.block.header.prevHash !== this.headHash ? 'prevHash does not extend our chain'
      : commitProblem(CHAIN_ID, h, e.hash, e.commit, this.world.validators, fakeVerify);
    if (problem !== null) {
      if (via === 'consensus') this.world.violation(`node ${this.index}: engine committed a bad block/certificate at ${h}: ${problem}`);
      return false;
    }
    this.world.recordCommit(this.index, h, e.hash, via);
    this.chain.push(e);
    if (via === 'consensus') this.startNext();
    return true;
  }

  // ------------------------------------------------------------------ network

  protected broadcast(msg: Msg): void {
    for (let i = 0; i < this.world.validators.length; i++) if (i !== this.index) this.world.send(this.index, i, msg);
  }

  isValid(p: Proposal): boolean {
    const h = p.block.header;
    // A re-proposed block (polRound >= 0) keeps its header, built by an earlier round's proposer.
    const builder = p.polRound === -1 ? h.proposer === p.proposer : this.world.validators.includes(h.proposer);
    return h.chainId === CHAIN_ID && h.height === p.height && builder && headerHash(h) === p.blockHash
      && (p.height !== this.nextHeight || h.prevHash === this.headHash);
  }

  receive(from: number, msg: Msg): void {
    const engine = this.engine;
    if (engine === null) return;
    switch (msg.kind) {
      case 'proposal':
        if (!verifyProposalFake(msg.p)) return this.world.violation(`node ${this.index}: forged proposal in flight`);
        this.remember(msg.p.height, `p/${msg.p.round}/${msg.p.blockHash}/${msg.p.polRound}`, msg);
        this.onPeerProposal(msg.p);
        this.feedProposal(msg.p);
        if (msg.p.height > this.nextHeight) this.requestSync(from, false);
        return;
      case 'vote':
        if (!verifyVoteFake(msg.v)) return this.world.violation(`node ${this.index}: forged vote in flight`);
        this.remember(msg.v.height, `v/${msg.v.round}/${msg.v.type}/${msg.v.validator}/${msg.v.blockHash}`, msg);
        this.apply(engine.onVote(msg.v));
        if (msg.v.height > this.nextHeight) this.requestSync(from, false);
        return;
      case 'status':
        if (msg.committed > this.chain.length) this.requestSync(from, false);
        return;
      case 'syncReq':
        if (msg.fromHeight <= this.chain.length) this.world.send(this.index, from, { kind: 'syncResp', entries: this.chain.slice(msg.fromHeight - 1, msg.fromHeight + 9) });
        return;
      case 'syncResp': {
        let applied = 0;
        for (const e of msg.entries) {
          if (e.commit.height !== this.nextHeight) continue;
          if (!this.onCommit(e, 'sync')) break;
          applied++;
        }
        if (applied > 0) {
          this.world.stats.syncs++;
          this.startNext();
        }
        return;
      }
    }
  }

  protected onPeerProposal(_p: Proposal): void {}

  private remember(height: number, key: string, msg: Msg): void {
    if (height < this.nextHeight || height > this.nextHeight + 1) return;
    let m = this.seen.get(height);
    if (m === undefined) this.seen.set(height, (m = new Map()));
    if (m.size < 2000 && !m.has(key)) m.set(key, { msg, at: this.world.now });
  }

  /** Simulated block sync: ask a peer for the blocks (with certificates) we are missing. */
  private requestSync(peer: number | null, retry: boolean): void {
    const w = this.world;
    if (w.now - this.lastSyncAt < 100) return;
    this.lastSyncAt = w.now;
    const n = w.validators.length;
    const to = peer ?? (this.index + 1 + w.rng.int(0, n - 2)) % n;
    w.send(this.index, to, { kind: 'syncReq', fromHeight: this.nextHeight });
    if (retry) {
      const h = this.nextHeight;
      w.later(this, 300, () => {
        if (this.nextHeight === h) this.requestSync(null, true);
      });
    }
  }

  /** Periodic re-gossip of what we signed at the current height (stands in for CometBFT's gossip routines). */
  gossip(): void {
    const pv = this.privval;
    if (!this.alive) return;
    this.broadcast({ kind: 'status', committed: this.chain.length }); // lets a lagging peer notice and sync
    // The host re-sends what this incarnation signed (its list starts empty at a restart) and
    // the votes it restored, only once a second has passed without a signature of its own,
    // and not while the height is idle (rebroadcast.ts).
    const step = this.engine!.status().step;
    const resend = !this.world.hostLike || (this.world.now - this.lastSignedAt >= HOST_RESEND_MS && step !== 'idle' && step !== 'committed');
    const current = pv.height === this.nextHeight && resend;
    for (const x of pv.proposals.values()) if (current && (!this.world.hostLike || x.inc === this.inc)) this.broadcast({ kind: 'proposal', p: x.proposal });
    for (const x of pv.votes.values()) if (current) this.broadcast({ kind: 'vote', v: x.vote });
    if (resend) for (const v of this.engine!.votesToShare()) this.broadcast({ kind: 'vote', v });
    const relay = this.seen.get(this.nextHeight);
    if (relay === undefined) return;
    const n = this.world.validators.length;
    const to = (this.index + 1 + this.world.rng.int(0, n - 2)) % n;
    // gossipsub offers a peer (IHAVE) only the messages of its last 3 heartbeats (3 s).
    const since = this.world.hostLike ? this.world.now - GOSSIP_HISTORY_MS : -Infinity;
    for (const { msg, at } of relay.values()) if (at >= since) this.world.send(this.index, to, msg);
  }
}

/**
 * Equivocating authority: runs an honest engine but, whenever it signs, makes a
 * conflicting twin (another block, nil, a fake POL round) and sends each peer one of the
 * two, or both. It ignores its privval and never re-gossips.
 */
export class ByzantineNode extends SimNode {
  private known: string[] = [];

  override get byzantine(): boolean {
    return true;
  }

  /** Which of the two twins each peer gets this height (a consistent split hurts most). */
  private side: boolean[] = [];

  /** Withholding strategy this height: block precommits go to `victim` only. */
  private withhold = false;
  private victim = -1;

  protected override onNewHeight(): void {
    const w = this.world;
    this.known = [];
    this.side = w.validators.map(() => w.rng.chance(0.5));
    this.withhold = w.rng.chance(0.5);
    this.victim = (this.index + 1 + w.rng.int(0, w.validators.length - 2)) % w.validators.length;
  }

  protected override onPeerProposal(p: Proposal): void {
    if (p.height === this.nextHeight && !this.known.includes(p.blockHash) && this.known.length < 8) this.known.push(p.blockHash);
  }

  protected override doSignProposal(p: Proposal): void {
    const w = this.world;
    const signed = signProposalFake(p);
    const { block, hash } = fakeBlock({ height: p.height, round: p.round, proposer: this.id, prevHash: this.headHash, time: w.now, validators: w.validators, variant: `evil-${w.rng.int(0, 1e9)}` });
    const polRound = p.round > 0 && w.rng.chance(0.3) ? w.rng.int(0, p.round - 1) : p.polRound;
    const twin = signProposalFake({ ...p, block, blockHash: hash, polRound });
    this.known.push(hash);
    this.split({ kind: 'proposal', p: signed }, { kind: 'proposal', p: twin });
  }

  /**
   * Each peer gets the engine's vote, a conflicting one (nil or another known block), or
   * all of them: the Byzantine node lends its vote to every quorum it can, to some peers.
   */
  protected override doSignVote(v: Vote): void {
    const w = this.world;
    const signed = signVoteFake(v);
    const values = [v.blockHash, null, ...this.known].filter((x, i, xs) => xs.indexOf(x) === i);
    const twins = values.map((x) => (x === v.blockHash ? signed : signVoteFake({ ...v, blockHash: x })));
    for (let i = 0; i < w.validators.length; i++) {
      if (i === this.index) continue;
      if (this.withhold) {
        // Prevote for everything to everyone; precommit a block to one victim only, nil to the rest.
        const out = v.type === 'prevote' ? twins : i === this.victim ? twins.filter((t) => t.blockHash !== null) : [twins[values.indexOf(null)]!];
        for (const t of out) w.send(this.index, i, { kind: 'vote', v: t });
        continue;
      }
      const x = w.rng.next();
      if (x < 0.25) for (const t of w.rng.shuffle([...twins])) w.send(this.index, i, { kind: 'vote', v: t });
      else w.send(this.index, i, { kind: 'vote', v: this.side[i] === x < 0.6 ? signed : w.rng.pick(twins) });
    }
    w.later(this, 0, () => this.apply(this.engine!.onVoteSigned(signed)));
  }

  private split(a: Msg, b: Msg): void {
    const w = this.world;
    for (let i = 0; i < w.validators.length; i++) {
      if (i === this.index) continue;
      const x = w.rng.next();
      if (x < 0.2) {
        w.send(this.index, i, a);
        w.send(this.index, i, b);
      } else w.send(this.index, i, (x < 0.3) !== this.side[i] ? a : b);
    }
  }

  override gossip(): void {}
}
