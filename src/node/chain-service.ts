import type { Logger } from '../util/logger.js';
import { blockHash, txRootOf, validatorsHash } from '../chain/block.js';
import { verifyTxSig } from '../chain/tx.js';
import type { TxDecoder } from './admission.js';
import type { Authority, Block, Commit, DecodedTx, Genesis, Header, Tx } from '../chain/types.js';
import type { BlockResult } from '../chain/state/interface.js';
import type { StateMachine } from '../chain/state/index.js';
import { getAuthorities } from '../chain/state/keys.js';
import { MapState } from '../chain/state/overlay.js';
import type { Mempool } from '../chain/mempool.js';
import { storedBlockBytes, type BlockCommit, type ChainStore, type Head } from '../storage/store.js';
import type { BlockWriteFailPoint } from '../util/fail-point.js';
import type { BlockLog } from '../storage/block-log.js';
import { replayBlockLog } from './block-log-replay.js';
import { commitProblem } from '../chain/commit.js';
import { parseCommit, parseHeader } from './commit-verify.js';

export class InvalidBlockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidBlockError';
  }
}

/** The txs do not hash to the header's txRoot (with assembled txs: perhaps a same-hash tx with another signature). */
export class TxRootMismatchError extends InvalidBlockError {
  constructor(message: string) {
    super(message);
    this.name = 'TxRootMismatchError';
  }
}

/** A block executed against the current head, kept until committed or superseded. */
export interface Executed {
  block: Block;
  hash: string;
  decoded: DecodedTx[];
  result: BlockResult;
}

export interface HeadInfo extends Head {
  header: Header;
}

export interface ValidateOptions {
  /** Refuse a block whose time is more than this far from `now` (SPEC: 2 s); null = skip (sync, re-proposals). */
  maxClockDriftMs: number | null;
  now: number;
  /** Expected proposer (engine decides); null = any authority. */
  proposer: string | null;
}

/** Committed blocks kept in memory for peers' block requests (ChainService.servableBlock). */
const RECENT_COMMITS = 4;

/** A block as peers fetch it: its header and its txs' wire bytes (JCS). */
export interface ServableBlock {
  header: Header;
  wires: readonly Buffer[];
}

/**
 * Owns the committed head, the in-memory world state and the block pipeline: build a
 * proposal from the mempool, validate a peer's block (signatures, admission, execution,
 * roots), and commit a final block with one atomic LevelDB batch. Every mutation goes
 * through `commit`, which the node calls from its single consensus loop.
 *
 * A commit is pipelined: the block takes effect in memory at once (head, state, mempool),
 * so the next height can start, while its batch is written behind it, one block at a time
 * in order. `head` is the latest final block (what consensus and admission build on);
 * `durableHead` the latest one written, which is what readers of the store (RPC, sync)
 * must use. A block is final because a quorum precommitted it, not because this node
 * wrote it: a node killed before its write lands restarts at the block before (atomic
 * batches). With a block log, each final block and its certificate are also appended to
 * it (a small synced file, long before the batch lands) and replayed at open, so a
 * restart comes back to `recoverableHead`. The consensus host signs nothing at a height
 * before the block below it is recoverable (`whenRecoverable`), so a restarted node has
 * signed nothing above the block it comes back to and can sign the next one. A failed
 * write stops all further commits and is reported to `onFatal` listeners.
 */
export class ChainService {
  private headInfo!: HeadInfo;
  private durableInfo!: HeadInfo;
  /** The write of the last block committed in memory: resolves once it is durable (never rejects). */
  private writing: Promise<void> = Promise.resolve();
  /** The latest block a restart comes back to: in the store or in the block log. */
  private recoverableInfo!: HeadInfo;
  /** Append final blocks to the block log (set after its replay at open; false on a node that signs nothing). */
  private logBlocks = false;
  /** A storage failure point for tests (util/fail-point.ts); undefined in every real deployment. */
  private failPoint: BlockWriteFailPoint | undefined;
  private writeFailure: Error | null = null;
  /** Txs of blocks committed in memory whose batch is not written yet, by hash. */
  private readonly unwritten = new Map<string, Tx>();
  private readonly fatalListeners: Array<(err: Error) => void> = [];
  private authorities: Authority[] = [];
  private readonly executed = new Map<string, Executed>();
  /** The last few blocks committed here, by hash, as header and tx wire bytes only (see `servableBlock`). */
  private readonly recentCommits = new Map<string, ServableBlock>();
  private readonly commitListeners: Array<(e: Executed, commit: Commit) => void> = [];
  /** Txs committed since start, and those among them whose signature this node did not verify (must stay 0). */
  committedTxs = 0;
  committedUnverified = 0;

  private constructor(
    readonly genesis: Genesis,
    private readonly store: ChainStore,
    private readonly state: MapState,
    private readonly machine: StateMachine,
    private readonly decode: TxDecoder,
    private readonly mempool: Mempool,
    private readonly log: Logger,
    private readonly blockLog: BlockLog | null,
  ) {}

  /**
   * Opens the chain at the store's head, then replays the block log's blocks above it.
   * `logBlocks` (default true with a block log): append each final block to it; a node
   * that signs nothing may skip the appends (it recovers lost blocks from its peers).
   */
  static async open(deps: { genesis: Genesis; store: ChainStore; machine: StateMachine; decode: TxDecoder; mempool: Mempool; logger: Logger; blockLog?: BlockLog | null; logBlocks?: boolean; failPoint?: BlockWriteFailPoint }): Promise<ChainService> {
    const state = new MapState(await deps.store.loadState());
    const blockLog = deps.blockLog ?? null;
    const svc = new ChainService(deps.genesis, deps.store, state, deps.machine, deps.decode, deps.mempool, deps.logger.child({ module: 'chain' }), blockLog);
    svc.failPoint = deps.failPoint;
    const head = await deps.store.head();
    if (!head) throw new Error('no chain in the data directory');
    const stored = await deps.store.getBlock(head.height);
    if (!stored) throw new Error(`data directory is inconsistent: head ${head.height} has no block`);
    if (stored.header.chainId !== deps.genesis.chainId) throw new Error(`data directory holds chain ${stored.header.chainId}, genesis says ${deps.genesis.chainId}`);
    svc.headInfo = { ...head, header: stored.header };
    svc.durableInfo = svc.headInfo;
    svc.recoverableInfo = svc.headInfo;
    svc.authorities = [...getAuthorities(state)];
    if (blockLog) {
      await replayBlockLog(svc, blockLog, svc.log);
      svc.logBlocks = deps.logBlocks ?? true;
    }
    return svc;
  }

  /** The latest final block, in memory (its write may still be under way). */
  get head(): HeadInfo {
    return this.headInfo;
  }

  /** The latest block whose batch is written: the store holds it and everything below. */
  get durableHead(): HeadInfo {
    return this.durableInfo;
  }

  /** A tx of a final block whose batch is still being written (the store does not have it yet). */
  unwrittenTx(hash: string): Tx | undefined {
    return this.unwritten.get(hash);
  }

  /** The latest block a restart comes back to: written to the store, or to the block log. */
  get recoverableHead(): HeadInfo {
    return this.recoverableInfo;
  }

  /** Resolves when every block committed so far is recoverable (or a write failed: see onFatal). */
  whenRecoverable(): Promise<void> {
    // Blocks appended to the block log (synchronously, in commit) are recoverable already.
    return this.recoverableInfo.height >= this.headInfo.height ? Promise.resolve() : this.writing;
  }

  /** Resolves when every block committed so far is written (or a write failed: see onFatal). */
  flush(): Promise<void> {
    return this.writing;
  }

  /** Told once when a block's write fails: the node can no longer commit and should stop. */
  onFatal(listener: (err: Error) => void): void {
    this.fatalListeners.push(listener);
  }

  get stateReader(): MapState {
    return this.state;
  }

  /** Authorities that sign the next block (head + 1). */
  get currentAuthorities(): readonly Authority[] {
    return this.authorities;
  }

  onCommit(listener: (e: Executed, commit: Commit) => void): void {
    this.commitListeners.push(listener);
  }

  /** Builds the next block from ready mempool txs; txs that became inadmissible are dropped from the mempool. */
  buildBlock(proposer: string, now: number): Executed {
    const parent = this.headInfo;
    const height = parent.height + 1;
    const time = Math.max(now, parent.header.time + 1);
    const exec = this.machine.begin(this.state, parent.header.stateRoot, { chainId: this.genesis.chainId, height, time });
    const decoded: DecodedTx[] = [];
    let bytes = 0;
    for (const d of this.mempool.reap(this.genesis.params.maxBlockTxs)) {
      if (bytes + d.wire.length > this.genesis.params.maxBlockBytes) break;
      const r = exec.apply(d);
      if ('inadmissible' in r) {
        this.log.debug({ tx: d.hash, reason: r.inadmissible.message }, 'dropping inadmissible tx from mempool');
        this.mempool.drop(d.hash);
        continue;
      }
      bytes += d.wire.length;
      decoded.push(d);
    }
    const result = exec.finish();
    const header: Header = {
      chainId: this.genesis.chainId,
      height,
      prevHash: parent.hash,
      time,
      txRoot: txRootOf(decoded.map((d) => d.wire)),
      stateRoot: result.stateRoot,
      proposer,
      validatorsHash: validatorsHash(this.authorities.map((a) => a.account)),
      nextValidatorsHash: validatorsHash((result.nextAuthorities ?? this.authorities).map((a) => a.account)),
    };
    const block: Block = { header, txs: decoded.map((d) => d.tx) };
    const e: Executed = { block, hash: blockHash(header), decoded, result };
    this.remember(e);
    return e;
  }

  /**
   * Validates a block proposed for head + 1 (pure with respect to chain state: nothing
   * changes until commit). Every tx is shape-checked and its signature verified, except
   * txs this node already verified into its mempool with the very same signature.
   */
  validateBlock(raw: Block, opts: ValidateOptions): Executed {
    if (typeof raw !== 'object' || raw === null || !Array.isArray(raw.txs) || Object.keys(raw).length !== 2) throw new InvalidBlockError('block must be exactly {header, txs}');
    const { h, hash, cached } = this.headerOf(raw.header, opts);
    if (cached) return cached;
    if (raw.txs.length > this.genesis.params.maxBlockTxs) this.fail(h, hash, 'too many txs');
    const decoded: DecodedTx[] = [];
    for (let i = 0; i < raw.txs.length; i++) {
      let d: DecodedTx;
      try {
        d = this.decode(raw.txs[i]);
      } catch (err) {
        return this.fail(h, hash, `tx ${i}: ${(err as Error).message}`);
      }
      // The hash covers the body, not the signature: reuse the mempool's verdict only for the very same signature.
      const held = this.mempool.get(d.hash);
      if (held?.verified && held.tx.sig === d.tx.sig) d.verified = true;
      else if (verifyTxSig(d)) d.verified = true;
      else this.fail(h, hash, `tx ${i} ${d.hash}: bad signature`);
      decoded.push(d);
    }
    return this.execute(h, hash, decoded);
  }

  /**
   * Validates a block for head + 1 assembled from txs this node already decoded and
   * verified (a compact proposal rebuilt from the mempool): the same checks as
   * validateBlock without decoding or verifying again. Every tx must be verified.
   * A txRoot mismatch throws TxRootMismatchError: a tx with the same hash but another
   * signature may be in the proposer's block, and only the full block can tell.
   */
  validateAssembled(header: unknown, decoded: readonly DecodedTx[], opts: ValidateOptions): Executed {
    const { h, hash, cached } = this.headerOf(header, opts);
    if (cached) return cached;
    if (decoded.length > this.genesis.params.maxBlockTxs) this.fail(h, hash, 'too many txs');
    decoded.forEach((d, i) => {
      if (d.verified !== true) this.fail(h, hash, `tx ${i} ${d.hash}: signature not verified`);
    });
    return this.execute(h, hash, [...decoded]);
  }

  /** The executed block for head + 1 with this hash (built or validated here), if any. */
  executedBlock(hash: string): Executed | undefined {
    return this.executed.get(hash);
  }

  /**
   * A block peers may ask for by hash on the `proposal` protocol: one executed for head + 1,
   * or one of the last RECENT_COMMITS committed here. A validator that lacked a tx of a
   * compact proposal asks for its block, and under load the other nodes have often
   * committed it by then (the quorum precommitted without it): from memory, as the batch
   * may not be written yet.
   */
  servableBlock(hash: string): ServableBlock | undefined {
    const e = this.executed.get(hash);
    return e ? { header: e.block.header, wires: e.decoded.map((d) => d.wire) } : this.recentCommits.get(hash);
  }

  /** Header rules that do not depend on the txs; a cached execution when this block was executed already. */
  private headerOf(raw: unknown, opts: ValidateOptions): { h: Header; hash: string; cached?: Executed } {
    const parent = this.headInfo;
    let h: Header;
    try {
      h = parseHeader(raw);
    } catch (err) {
      throw new InvalidBlockError(`block at ${parent.height + 1}: ${(err as Error).message}`);
    }
    const hash = blockHash(h);
    const cached = this.executed.get(hash);
    // A cached execution skips re-execution, not the checks that depend on how the block arrived.
    if (cached && (opts.maxClockDriftMs === null || Math.abs(h.time - opts.now) <= opts.maxClockDriftMs) && (opts.proposer === null || h.proposer === opts.proposer)) return { h, hash, cached };
    const fail = (why: string): never => this.fail(h, hash, why);
    if (h.chainId !== this.genesis.chainId) fail(`chainId ${h.chainId} is not ${this.genesis.chainId}`);
    if (h.height !== parent.height + 1) fail(`height ${h.height} does not follow head ${parent.height}`);
    if (h.prevHash !== parent.hash) fail('prevHash does not match the head');
    if (!(h.time > parent.header.time)) fail('time is not after the parent block time');
    if (opts.maxClockDriftMs !== null && Math.abs(h.time - opts.now) > opts.maxClockDriftMs) fail(`time is ${h.time - opts.now} ms away from this node's clock`);
    if (!this.authorities.some((a) => a.account === h.proposer)) fail('proposer is not an authority');
    if (opts.proposer !== null && h.proposer !== opts.proposer) fail(`proposer ${h.proposer} is not the round's proposer`);
    if (h.validatorsHash !== validatorsHash(this.authorities.map((a) => a.account))) fail('validatorsHash does not match the current authority set');
    return { h, hash };
  }

  /** Size and txRoot of verified txs, then execution against the head: stateRoot and nextValidatorsHash must match. */
  private execute(h: Header, hash: string, decoded: DecodedTx[]): Executed {
    const parent = this.headInfo;
    let bytes = 0;
    for (const d of decoded) bytes += d.wire.length;
    if (bytes > this.genesis.params.maxBlockBytes) this.fail(h, hash, `txs exceed ${this.genesis.params.maxBlockBytes} bytes`);
    if (txRootOf(decoded.map((d) => d.wire)) !== h.txRoot) throw new TxRootMismatchError(`block ${h.height} ${hash.slice(0, 12)}: txRoot does not match the txs`);
    const exec = this.machine.begin(this.state, parent.header.stateRoot, { chainId: h.chainId, height: h.height, time: h.time });
    decoded.forEach((d, i) => {
      const r = exec.apply(d);
      if ('inadmissible' in r) this.fail(h, hash, `tx ${i} ${d.hash}: ${r.inadmissible.message}`);
    });
    const result = exec.finish();
    if (result.stateRoot !== h.stateRoot) this.fail(h, hash, 'stateRoot does not match execution');
    if (validatorsHash((result.nextAuthorities ?? this.authorities).map((a) => a.account)) !== h.nextValidatorsHash) this.fail(h, hash, 'nextValidatorsHash does not match execution');
    const e: Executed = { block: { header: h, txs: decoded.map((d) => d.tx) }, hash, decoded, result };
    this.remember(e);
    return e;
  }

  private fail(h: Header, hash: string, why: string): never {
    throw new InvalidBlockError(`block ${h.height} ${hash.slice(0, 12)}: ${why}`);
  }

  /** Executed blocks for head + 1, bounded: a faulty authority cannot make this grow. */
  private remember(e: Executed): void {
    if (this.executed.size >= 16) this.executed.delete(this.executed.keys().next().value as string);
    this.executed.set(e.hash, e);
  }

  /** Checks a commit certificate for the block at head + 1 against the current authority set. */
  checkCommit(hash: string, raw: Commit): void {
    let commit: Commit;
    try {
      commit = parseCommit(raw);
    } catch (err) {
      throw new InvalidBlockError(`commit for block ${this.headInfo.height + 1}: ${(err as Error).message}`);
    }
    const why = commitProblem(this.genesis.chainId, this.headInfo.height + 1, hash, commit, this.authorities.map((a) => a.account));
    if (why) throw new InvalidBlockError(`commit for block ${this.headInfo.height + 1}: ${why}`);
  }

  /**
   * Makes a validated block final. Before this returns: appended to the block log (when
   * logging), and in effect in memory: head, state, authorities, mempool. Its one atomic
   * batch is written after the previous block's; the promise resolves when it is durable
   * (then the commit listeners run) and rejects if that write failed. Throws at once for a
   * block that does not extend the head, when the block log's append fails (fatal, nothing
   * changed), and once a write has failed. `log: false` skips the block log (sync: the
   * caller awaits each block's write, and peers hold the blocks).
   */
  commit(e: Executed, commit: Commit, opts: { log?: boolean } = {}): Promise<void> {
    if (this.writeFailure) throw new Error(`storage failed (${this.writeFailure.message}): this node commits no more blocks; restart it`);
    if (e.block.header.height !== this.headInfo.height + 1 || e.block.header.prevHash !== this.headInfo.hash) {
      throw new InvalidBlockError(`commit of block ${e.block.header.height} does not extend head ${this.headInfo.height}`);
    }
    const txHashes = e.decoded.map((d) => d.hash);
    const txWires = e.decoded.map((d) => d.wire);
    const c: BlockCommit = {
      block: e.block, hash: e.hash, commit: parseCommit(commit), txHashes, txWires, stored: storedBlockBytes({ block: e.block, hash: e.hash, txHashes }, txWires),
      results: e.result.results, writes: e.result.encodedWrites, nextAuthorities: e.result.nextAuthorities,
    };
    const head: HeadInfo = { height: e.block.header.height, hash: e.hash, header: e.block.header };
    if (this.blockLog && this.logBlocks && opts.log !== false) {
      try {
        this.blockLog.append(head.height, c.stored!.bytes, c.commit);
      } catch (err) {
        this.writeFailed(err as Error, head.height);
        throw err;
      }
      // Recoverable if everything below is (a block applied without the log is awaited by its caller).
      if (this.recoverableInfo.height === this.headInfo.height) this.recoverableInfo = head;
    }
    const written = this.writing.then(() => {
      if (this.writeFailure) throw this.writeFailure;
      return this.failPoint ? this.failPoint(head.height, () => this.store.commitBlock(c)) : this.store.commitBlock(c);
    });
    this.writing = written.then(() => this.written(e, commit, head), (err: unknown) => this.writeFailed(err as Error, head.height));
    this.state.apply(e.result.writes);
    this.headInfo = head;
    if (e.result.nextAuthorities) this.authorities = [...e.result.nextAuthorities];
    this.executed.clear();
    if (this.recentCommits.size >= RECENT_COMMITS) this.recentCommits.delete(this.recentCommits.keys().next().value as string);
    this.recentCommits.set(e.hash, { header: e.block.header, wires: txWires });
    const nonces = new Map<string, number>();
    for (const d of e.decoded) {
      nonces.set(d.tx.from, d.tx.nonce + 1);
      this.unwritten.set(d.hash, d.tx);
    }
    this.mempool.committed(nonces);
    this.committedTxs += e.decoded.length;
    this.committedUnverified += e.decoded.filter((d) => d.verified !== true).length;
    this.log.debug({ height: head.height, hash: e.hash, txs: e.decoded.length }, 'block committed');
    return written;
  }

  /** A block's batch is durable: readers of the store may see it, listeners hear of it; its block-log record goes. */
  private written(e: Executed, commit: Commit, head: HeadInfo): void {
    this.durableInfo = head;
    if (head.height > this.recoverableInfo.height) this.recoverableInfo = head;
    if (this.blockLog && this.logBlocks) {
      this.blockLog.drop(head.height).catch((err: unknown) => this.log.warn({ err, height: head.height }, 'block log: could not remove a record'));
    }
    for (const d of e.decoded) this.unwritten.delete(d.hash);
    for (const l of this.commitListeners) {
      try {
        l(e, commit);
      } catch (err) {
        this.log.error({ err, height: head.height }, 'commit listener failed');
      }
    }
  }

  private writeFailed(err: Error, height: number): void {
    if (this.writeFailure) return;
    this.writeFailure = err;
    this.log.fatal({ err, height }, 'writing a final block failed: this node commits no more blocks and stops');
    for (const l of this.fatalListeners) {
      try {
        l(err);
      } catch (e) {
        this.log.error({ err: e }, 'fatal listener failed');
      }
    }
  }
}
