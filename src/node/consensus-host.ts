import type { Logger } from '../util/logger.js';
import { ConsensusEngine } from '../consensus/engine.js';
import { compactProposal, parseWireMessage, proposalSignBytes, verifyProposal, verifyVote, voteSignBytes, type WireMessage, type WireProposal } from '../consensus/messages.js';
import type { Action, Proposal, Vote } from '../consensus/types.js';
import type { Mempool } from '../chain/mempool.js';
import { blockHash } from '../chain/block.js';
import type { Block, Commit, DecodedTx, Header } from '../chain/types.js';
import type { GossipVerdict, Network } from '../p2p/interface.js';
import { ChainService, InvalidBlockError, TxRootMismatchError, type Executed, type ValidateOptions } from './chain-service.js';
import { ProposalAssembly, type AssembledBlock } from './proposal-assembly.js';
import { ProposalGate } from './proposal-gate.js';
import { SerialInputs } from './serial-inputs.js';
import { DoubleSignError, type LockEvidence, type Signer } from './signer.js';
import { resumeAt } from './resume.js';
import { HeightTiming } from './height-timing.js';
import { WakeTimers } from './wake-timers.js';
import { Rebroadcaster } from './rebroadcast.js';

export interface ConsensusHostOptions {
  timeouts: { proposeMs: number; prevoteMs: number; precommitMs: number; deltaMs: number };
  /** The batching window: how long the oldest ready tx waits for more before a height starts (wake-timers.ts). */
  blockWindowMs: number;
  /** Cut an empty block after this much idle time; 0 = never. */
  emptyBlockIntervalMs: number;
  /** Least time from the head block's time to this node's next proposal (wake-timers.ts); 0 or absent = none. */
  minBlockIntervalMs?: number;
  /** SPEC §4: refuse proposals whose time is further than this from our clock. */
  maxClockDriftMs: number;
  /** While a height is not progressing, re-publish our own messages this often (rebroadcast.ts). */
  rebroadcastMs: number;
  /**
   * A quorum's precommits for a block whose proposal has not arrived yet (small votes can
   * overtake a large proposal) wait this long for it before the node syncs; 0 = sync at once.
   */
  missingBlockGraceMs: number;
}

export interface ConsensusHostDeps {
  chain: ChainService;
  mempool: Mempool;
  signer: Signer | null;
  network: Network | null;
  logger: Logger;
  now?: () => number;
  /** Called when this node looks behind (a quorum for a block it lacks, a future-height message): sync. */
  onBehind?: () => void;
  /** An admission under way for a tx hash (compact proposals wait for it rather than fetch the block). */
  pendingTx?: (hash: string) => Promise<DecodedTx | undefined> | undefined;
  /** Called before our proposal is broadcast: send queued txs first, so peers hold the block's txs. */
  beforePropose?: () => void;
}

/**
 * Drives the pure consensus engine: one serial input queue (gossip, timers, mempool
 * readiness), performing each action the engine returns (build, sign through the
 * double-sign guard, broadcast, schedule, commit). Nothing else touches the engine.
 */
export class ConsensusHost {
  private readonly engine: ConsensusEngine;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Engine inputs, performed one at a time (with the actions they lead to). */
  private readonly inputs: SerialInputs<() => Action[] | Promise<Action[]>>;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** When an idle height starts: the batching window and the empty-block interval. */
  private readonly wakes: WakeTimers;
  /** Our signed proposal and votes at the current height, re-sent while it does not progress. */
  private readonly resender: Rebroadcaster<WireMessage>;
  /** Proposals seen at the current height by block hash: the one we precommit is persisted as our lock. */
  private proposals = new Map<string, Proposal>();
  /** Which gossiped proposals get block work now, later, or never. */
  private readonly gate = new ProposalGate();
  private readonly assembly: ProposalAssembly;
  /** Compact proposals whose block is being rebuilt or fetched, by block hash: settle once its validation is queued. */
  private readonly assembling = new Map<string, Promise<void>>();
  /** The height and round this node resumed in after a restart, if it had signed there. */
  private restoredAt: { height: number; round: number } | undefined;
  /** Where each height's wall time goes (metrics). */
  readonly timing = new HeightTiming();

  constructor(private readonly opts: ConsensusHostOptions, private readonly deps: ConsensusHostDeps) {
    this.log = deps.logger.child({ module: 'consensus' });
    this.now = deps.now ?? Date.now;
    this.inputs = new SerialInputs(async (input) => {
      try {
        await this.perform(await input());
      } catch (err) {
        this.log.error({ err }, 'consensus input failed');
      }
      this.markAwake(); // a proposal can also start an idle height
    });
    this.engine = new ConsensusEngine({ chainId: deps.chain.genesis.chainId, self: deps.signer?.account ?? null, timeouts: opts.timeouts }, this.log);
    this.wakes = new WakeTimers(
      { blockWindowMs: opts.blockWindowMs, emptyBlockIntervalMs: opts.emptyBlockIntervalMs, maxBlockTxs: deps.chain.genesis.params.maxBlockTxs, minBlockIntervalMs: opts.minBlockIntervalMs ?? 0 },
      {
        mempool: deps.mempool, now: this.now, headTime: () => deps.chain.head.header.time,
        // Decided when the input runs, not when the timer fires: a commit queued ahead of it
        // may take the txs, and waking with nothing to propose would make an empty block.
        fire: (empty) => this.enqueue(() => (empty || this.deps.mempool.readyCount > 0 ? this.wake() : [])),
      },
    );
    deps.mempool.onReady(() => this.wakes.onReady());
    this.resender = new Rebroadcaster<WireMessage>(opts.rebroadcastMs, {
      publish: (m) => this.deps.network?.publish('consensus', Buffer.from(JSON.stringify(m))),
      // The proof behind our lock and valid block, and the votes of this round and the last (engine.votesToShare).
      alsoResend: () => this.engine.votesToShare().map((vote) => ({ kind: 'vote', vote })),
      active: () => !['idle', 'committed', 'unstarted'].includes(this.engine.status().step),
      now: Date.now,
      onResend: (messages) => this.log.debug({ height: this.deps.chain.head.height + 1, messages }, 'height not progressing; re-broadcast consensus messages'),
    });
    this.assembly = new ProposalAssembly({ chain: deps.chain, mempool: deps.mempool, pending: deps.pendingTx ?? (() => undefined), network: deps.network, logger: deps.logger });
  }

  get status() {
    return this.engine.status();
  }

  start(): void {
    this.enqueue(() => this.startNextHeight());
    this.resender.start();
  }

  /** Stops taking inputs and waits for the one in progress (a commit) to finish, so storage can close. */
  async stop(): Promise<void> {
    const current = this.inputs.stop();
    this.resender.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wakes.stop();
    await current;
  }

  /** Resolves when every queued input has been processed (tests, shutdown). */
  idle(): Promise<void> {
    return this.inputs.idle();
  }

  private startNextHeight(): Action[] {
    const height = this.deps.chain.head.height + 1;
    this.timing.start(height, this.now());
    const validators = this.deps.chain.currentAuthorities.map((a) => a.account);
    this.resender.newHeight();
    this.proposals = new Map();
    for (const f of this.gate.startHeight(height)) this.receiveProposal(f.p, f.from);
    const resume = this.deps.signer ? resumeAt(this.deps.signer, height, this.deps.chain.genesis.chainId, validators) : undefined;
    if (resume && resume.skipped.length > 0) this.log.warn({ height, skipped: resume.skipped }, 'parts of the signing record skipped at restart');
    this.restoredAt = resume && { height, round: resume.restore.round };
    const actions = this.engine.startHeight(height, validators, resume?.restore);
    // What we signed here before a restart goes out again (our list of messages starts empty).
    for (const vote of resume?.restore.ownVotes ?? []) this.resender.send({ kind: 'vote', vote });
    // While locked: hand the engine the locked proposal again, so it can prevote it and, as
    // proposer, re-propose it (its time is old: no clock check)...
    const p = resume?.lockProposal;
    if (p) {
      this.proposals.set(p.blockHash, p);
      actions.push(...this.engine.onProposal(p, this.checkProposal(p, false)));
    }
    // ...and the prevotes behind the lock, which peers may not hold (one Byzantine prevote
    // seen only here): without them no one could justify the lock again.
    for (const v of resume?.lockProof ?? []) actions.push(...this.engine.onVote(v));
    if (this.wakes.atHeightStart()) actions.push(...this.wake());
    return actions;
  }

  /** Leaves idle (txs to propose): the engine's first actions of the height. */
  private wake(): Action[] {
    const actions = this.engine.onTxsAvailable();
    this.markAwake();
    return actions;
  }

  private markAwake(): void {
    const st = this.engine.status();
    if (st.step !== 'idle' && st.step !== 'unstarted') this.timing.mark(st.height, 'awake', this.now());
  }

  /** Queues an input for the single writer; false once stopped. */
  private enqueue(input: () => Action[] | Promise<Action[]>): boolean {
    return this.inputs.push(input);
  }

  private async perform(actions: Action[]): Promise<void> {
    for (const a of actions) {
      if (this.inputs.stopped) return;
      const more = await this.act(a);
      if (more.length > 0) await this.perform(more);
    }
  }

  private async act(a: Action): Promise<Action[]> {
    const chainId = this.deps.chain.genesis.chainId;
    switch (a.type) {
      case 'buildBlock': {
        if (a.height !== this.deps.chain.head.height + 1 || !this.deps.signer) return [];
        const e = this.deps.chain.buildBlock(this.deps.signer.account, this.now());
        return this.engine.onBlockBuilt(a.height, a.round, e.block, e.hash);
      }
      case 'signProposal': {
        const p = a.proposal;
        const sig = await this.sign(p.height, p.round, 'proposal', p.blockHash, proposalSignBytes(chainId, p));
        if (sig) {
          const signed = { ...p, sig };
          this.proposals.set(p.blockHash, signed);
          this.deps.beforePropose?.();
          this.resender.send({ kind: 'proposal', proposal: compactProposal(signed, this.assembly.txHashesOf(signed)) });
          // A re-proposal: its proof-of-lock goes with it, for peers that missed some of those prevotes.
          if (p.polRound >= 0) for (const vote of this.engine.prevotesFor(p.polRound, p.blockHash)) this.resender.send({ kind: 'vote', vote });
        }
        return [];
      }
      case 'signVote': {
        const v = a.vote;
        const sig = await this.sign(v.height, v.round, v.type, v.blockHash, voteSignBytes(chainId, v), this.lockEvidence(v));
        if (!sig) return [];
        const signed = { ...v, sig };
        this.timing.mark(v.height, v.type === 'prevote' ? 'prevoted' : 'precommitted', this.now());
        this.resender.send({ kind: 'vote', vote: signed });
        return this.engine.onVoteSigned(signed);
      }
      case 'scheduleTimeout':
        this.schedule(a.delayMs, () => this.engine.onTimeout(a.timeout));
        return [];
      case 'validateProposal':
        this.proposals.set(a.proposal.blockHash, a.proposal);
        return this.engine.onProposal(a.proposal, this.checkProposal(a.proposal, true));
      case 'commit': {
        this.timing.mark(a.block.header.height, 'committing', this.now());
        // Defense in depth: the certificate must hold a verified quorum whatever the engine says.
        this.deps.chain.checkCommit(a.blockHash, a.commit);
        const e = this.deps.chain.validateBlock(a.block, { maxClockDriftMs: null, now: this.now(), proposer: null });
        // Final in memory now; its batch is written behind the next height (a failed write is
        // reported through ChainService.onFatal and stops the node).
        this.deps.chain.commit(e, a.commit).catch(() => undefined);
        this.timing.mark(e.block.header.height, 'committed', this.now());
        return this.startNextHeight();
      }
      case 'missingBlock':
        return this.onMissingBlock(a, this.opts.missingBlockGraceMs);
      case 'evidence':
        this.log.warn({ validator: a.a.validator, height: a.a.height, round: a.a.round, type: a.a.type, a: a.a.blockHash, b: a.b.blockHash, sigA: a.a.sig, sigB: a.b.sig }, 'EVIDENCE: authority signed two different votes');
        return [];
    }
  }

  /** For a non-nil precommit (a lock): the block's proposal and the prevotes that justify it, persisted with it. */
  private lockEvidence(v: Vote): LockEvidence | undefined {
    if (v.type !== 'precommit' || v.blockHash === null) return undefined;
    const proposal = this.proposals.get(v.blockHash);
    return { proposal, proposalJson: proposal && this.assembly.jsonOf(proposal), pol: this.engine.prevotesFor(v.round, v.blockHash) };
  }

  private async sign(height: number, round: number, step: 'proposal' | 'prevote' | 'precommit', blockHash: string | null, bytes: Uint8Array, evidence?: LockEvidence): Promise<string | null> {
    if (!this.deps.signer) return null;
    // Nothing is signed at a height before the block below is recoverable (store or block
    // log): a crashed node restarts at a block it may build on (its signer refuses the heights
    // it signed in), so even a lone authority cannot be left unable to sign the block it lost.
    if (height > this.deps.chain.recoverableHead.height + 1) {
      await this.deps.chain.whenRecoverable();
      if (height > this.deps.chain.recoverableHead.height + 1) {
        this.log.error({ height, step }, 'not signing: the block below this height is neither written nor in the block log');
        return null;
      }
    }
    try {
      return await this.deps.signer.sign(height, round, step, blockHash, bytes, evidence);
    } catch (err) {
      if (err instanceof DoubleSignError) {
        // Expected once after a restart in a round where this node had proposed: the block
        // it builds now differs from the one it signed; the round goes on without it.
        const restored = this.restoredAt;
        if (step === 'proposal' && restored?.height === height && restored.round === round) this.log.warn({ height, round, err: err.message }, 'not proposing: another proposal was signed at this round before a restart');
        else this.log.error({ err: err.message }, 'refused to sign (double-sign protection)');
        return null;
      }
      throw err;
    }
  }

  /**
   * Block validity of a proposal for head + 1 (the engine checks proposer and rounds).
   * A re-proposed (POL) block names the proposer and time of the round that first
   * proposed it: SPEC's 2 s clock rule and the proposer match apply to fresh proposals.
   */
  private checkProposal(p: Proposal, fresh: boolean): boolean {
    try {
      const e = this.deps.chain.validateBlock(p.block, this.validationOpts(p, fresh));
      if (e.hash !== p.blockHash) throw new InvalidBlockError('blockHash does not match the header');
      return true;
    } catch (err) {
      this.log.warn({ height: p.height, round: p.round, proposer: p.proposer, err: (err as Error).message }, 'invalid proposal');
      return false;
    }
  }

  /**
   * A fresh proposal of a new block (polRound < 0, arriving now) must carry a time near
   * this node's clock and come from the round's proposer; a re-proposal of a locked block
   * (or our own lock restored after a restart) keeps its old time and is not held to either.
   */
  private validationOpts(p: Pick<Proposal, 'polRound' | 'proposer'>, fresh: boolean): ValidateOptions {
    const first = fresh && p.polRound < 0;
    return { maxClockDriftMs: first ? this.opts.maxClockDriftMs : null, now: this.now(), proposer: first ? p.proposer : null };
  }

  /**
   * A quorum precommitted a block at this height that this node does not hold. If its
   * proposal is being assembled (rebuilt or fetched, often from a peer that has committed
   * it), the quorum's precommits commit it once it arrives; if the proposal has not come
   * yet, it gets `graceMs` to come. The node syncs only if the block does not arrive.
   */
  private onMissingBlock(a: { height: number; round: number; blockHash: string }, graceMs: number): Action[] {
    if (this.deps.chain.head.height >= a.height) return [];
    const assembling = this.assembling.get(a.blockHash);
    if (assembling) {
      this.log.debug({ height: a.height, round: a.round, block: a.blockHash }, 'quorum precommitted a block being fetched; waiting for it');
      void assembling.then(() => this.enqueue(() => this.syncIfLacking(a)));
      return [];
    }
    if (graceMs > 0) {
      this.log.debug({ height: a.height, round: a.round, block: a.blockHash, graceMs }, 'quorum precommitted a block whose proposal has not arrived; waiting for it');
      this.schedule(graceMs, () => this.onMissingBlock(a, 0));
      return [];
    }
    return this.syncIfLacking(a);
  }

  /** Queues `input` after `delayMs` (cancelled by stop). */
  private schedule(delayMs: number, input: () => Action[]): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(input);
    }, delayMs);
    this.timers.add(t);
  }

  /** Sync, unless the block at this height has been committed meanwhile. */
  private syncIfLacking(a: { height: number; round: number; blockHash: string }): Action[] {
    if (this.deps.chain.head.height >= a.height) return [];
    this.log.warn({ height: a.height, round: a.round, block: a.blockHash }, 'quorum precommitted a block this node lacks; syncing');
    this.deps.onBehind?.();
    return [];
  }

  /** Rebuilds a compact proposal's block (mempool, else fetched) outside the queue, then validates it in the queue. */
  private receiveProposal(p: WireProposal, from: string): void {
    const done: Promise<void> = this.assemble(p, from).finally(() => {
      if (this.assembling.get(p.blockHash) === done) this.assembling.delete(p.blockHash);
    });
    this.assembling.set(p.blockHash, done);
  }

  private async assemble(p: WireProposal, from: string): Promise<void> {
    let got: AssembledBlock | null;
    try {
      got = await this.assembly.assemble(p, from);
    } catch (err) {
      this.log.warn({ height: p.height, round: p.round, err: (err as Error).message }, 'could not assemble proposal');
      return;
    }
    if (got) this.enqueue(() => this.onAssembled(p, got, from));
  }

  /** A compact proposal with its block: validate (as checkProposal does for a fresh one) and hand it to the engine. */
  private onAssembled(p: WireProposal, got: AssembledBlock, from: string): Action[] {
    if (p.height !== this.deps.chain.head.height + 1) return [];
    const opts = this.validationOpts(p, true);
    let e: Executed | null = null;
    try {
      if (got.kind === 'invalid') throw new InvalidBlockError(got.why);
      e = got.kind === 'assembled' ? this.deps.chain.validateAssembled(got.header, got.decoded, opts) : this.deps.chain.validateBlock(got.block, opts);
      if (e.hash !== p.blockHash) throw new InvalidBlockError('blockHash does not match the header');
    } catch (err) {
      if (err instanceof TxRootMismatchError && got.kind === 'assembled') {
        // A tx here has the proposal's tx hash but another signature: only the proposer's block can tell which.
        this.log.info({ height: p.height, round: p.round }, 'proposal txRoot differs from the txs held here: fetching the block');
        void this.assembly.fetch(p, from).then((f) => {
          if (f) this.enqueue(() => this.onAssembled(p, f, from));
        });
        return [];
      }
      this.log.warn({ height: p.height, round: p.round, proposer: p.proposer, err: (err as Error).message }, 'invalid proposal');
      e = null;
    }
    const full: Proposal = { ...p, block: e ? e.block : { header: p.block.header as unknown as Header, txs: [] } };
    if (e) this.proposals.set(p.blockHash, full);
    return this.engine.onProposal(full, e !== null);
  }

  /**
   * Applies blocks fetched by sync, in order, through this single writer: each block's
   * commit certificate is checked against the authority set, the block is re-executed
   * and committed. Returns how many were applied; the first invalid one throws.
   */
  applySynced(blocks: Array<{ block: Block; commit: Commit }>): Promise<number> {
    return new Promise((resolve, reject) => {
      const queued = this.enqueue(async () => {
        let applied = 0;
        try {
          for (const { block, commit } of blocks) {
            const height = block.header?.height;
            if (typeof height !== 'number' || height <= this.deps.chain.head.height) continue;
            if (height !== this.deps.chain.head.height + 1) break;
            this.deps.chain.checkCommit(blockHash(block.header), commit);
            const e = this.deps.chain.validateBlock(block, { maxClockDriftMs: null, now: this.now(), proposer: null });
            await this.deps.chain.commit(e, commit, { log: false }); // written before the next: no block log
            applied++;
          }
          resolve(applied);
        } catch (err) {
          reject(err);
        }
        return applied > 0 ? this.startNextHeight() : [];
      });
      if (!queued) reject(new Error('node is stopping'));
    });
  }

  /** Edge validation of a consensus gossip message: shape, membership, signature. */
  handleGossip(data: Uint8Array, from: string): GossipVerdict {
    let m: WireMessage;
    try {
      m = parseWireMessage(data, this.deps.chain.genesis.params.maxBlockTxs);
    } catch (err) {
      this.log.debug({ from, err: (err as Error).message }, 'malformed consensus message');
      return 'reject';
    }
    const chainId = this.deps.chain.genesis.chainId;
    const head = this.deps.chain.head.height;
    const validators = this.deps.chain.currentAuthorities.map((a) => a.account);
    const set = new Set(validators);
    if (m.kind === 'vote') {
      const v = m.vote;
      if (v.height <= head) return 'ignore';
      if (!set.has(v.validator)) return v.height === head + 1 ? 'reject' : 'ignore';
      if (!verifyVote(chainId, v)) return 'reject';
      if (v.height > head + 1) this.deps.onBehind?.(); // an authority is ahead of us: sync
      this.enqueue(() => this.engine.onVote(v));
      return 'accept';
    }
    const p = m.proposal;
    if (p.height <= head) return 'ignore';
    if (!set.has(p.proposer)) return p.height === head + 1 ? 'reject' : 'ignore';
    if (!verifyProposal(chainId, p)) return 'reject';
    const verdict = this.gate.admit(p, from, { height: head + 1, round: this.engine.status().round, validators });
    switch (verdict) {
      case 'now':
        this.receiveProposal(p, from);
        return 'accept';
      case 'kept': // for a later height: this node is behind
        this.deps.onBehind?.();
        return 'accept';
      default:
        return verdict;
    }
  }
}
