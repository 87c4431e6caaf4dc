import type { AccessOutcome, Authority, DecodedTx, Receipt, TxType } from '../types.js';
import { canonicalize } from '../jcs.js';
import { isHex } from '../../util/hex.js';
import { AppError, ParamError, TxRuleError } from '../../util/errors.js';
import type {
  AccountState, BlockContext, BlockResult, IndexEvent, ReadEnv, StateReader, TxEnv, TxHandler, TxResult,
} from './interface.js';
import { fail } from './errors.js';
import { AUTHORITIES_KEY, getAccount, getAuthorities, putAccount, type StateWriter } from './keys.js';
import { Overlay, type ChildOverlay } from './overlay.js';
import { stateRootEncoded } from './root.js';

/** The head a tx is admitted against (tx_send): its chain id, height and time. */
export interface HeadInfo {
  chainId: string;
  height: number;
  time: number;
}

export type ApplyResult = TxResult | { inadmissible: AppError };

/** Executes one block: `apply` each tx in order, then `finish` once. */
export interface BlockExecutor {
  /**
   * Applies one tx against the state as of this point in the block. `inadmissible`: the
   * tx must be left out of the block (a peer's block carrying it is invalid) and nothing
   * changed. Otherwise the tx is in the block with an ok or rejected receipt.
   */
  apply(dtx: DecodedTx): ApplyResult;
  /** The block's writes, stateRoot, receipts and the next authority set if it changed. */
  finish(): BlockResult;
}

export interface StateMachineOptions {
  /** Told about a handler's unexpected exception (the tx gets a deterministic 'internal' rejection). */
  onInternalError?: (err: unknown, dtx: DecodedTx) => void;
}

/**
 * The state machine: pure and synchronous over a StateReader. Handlers are given by the
 * composition root (membership + governance + records). Shapes are NOT checked here:
 * every tx (from tx_send or in a peer's block) passes chain/validate-tx.ts first.
 */
export class StateMachine {
  private readonly handlers = new Map<TxType, TxHandler>();

  constructor(handlers: readonly TxHandler[], private readonly opts: StateMachineOptions = {}) {
    for (const h of handlers) {
      if (this.handlers.has(h.type)) throw new Error(`StateMachine: two handlers for ${h.type}`);
      this.handlers.set(h.type, h);
    }
  }

  handler(type: TxType): TxHandler | undefined {
    return this.handlers.get(type);
  }

  /**
   * Admission state checks (tx_send, and the mempool before it holds a tx): right chain,
   * sender registered and not revoked, the sender's role allowed for the type, and the
   * handler's `admit` rules against the head state. Nonces are the mempool's business.
   * Throws AppError (`wrong_chain`, `unknown_account`, `revoked_account`, `unauthorized`
   * with `data.code` = the rule's code) or ParamError for a type this node cannot run.
   */
  admit(state: StateReader, dtx: DecodedTx, head: HeadInfo): void {
    const { tx } = dtx;
    const sender = checkSender(state, dtx, head.chainId);
    if (sender instanceof AppError) throw sender;
    const h = this.handlers.get(tx.type);
    if (h === undefined) throw new ParamError('tx.type', `${tx.type} is not supported by this node`);
    if (!h.roles.includes(sender.role)) {
      throw new AppError('unauthorized', `a ${sender.role} may not send ${tx.type}`, { code: 'role_not_allowed' });
    }
    if (h.admit === undefined) return;
    const env: ReadEnv = {
      chainId: head.chainId, height: head.height, time: head.time, tx, hash: dtx.hash, sender,
      blockAuthorities: getAuthorities(state), get: (k) => state.get(k),
    };
    try {
      h.admit(env, tx.payload);
    } catch (e) {
      if (e instanceof TxRuleError) throw new AppError('unauthorized', e.message, { code: e.code });
      throw e;
    }
  }

  /** Starts executing a block over `state` (the state after the parent block). */
  begin(state: StateReader, prevStateRoot: string, ctx: BlockContext): BlockExecutor {
    if (!isHex(prevStateRoot, 32)) throw new Error('StateMachine.begin: prevStateRoot must be 64 lowercase hex characters');
    return new BlockRun(this.handlers, this.opts, state, prevStateRoot, ctx);
  }
}

/** Sender checks shared by admission and execution; an AppError when they fail. */
function checkSender(state: StateReader, dtx: DecodedTx, chainId: string): AccountState | AppError {
  const { tx } = dtx;
  // The tx is for this chain.
  if (tx.chainId !== chainId) return new AppError('wrong_chain', `tx is for chain ${tx.chainId}, this is ${chainId}`, { expected: chainId });
  const sender = getAccount(state, tx.from);
  // The sender is registered ...
  if (sender === undefined) return new AppError('unknown_account', `account ${tx.from} is not registered`, { account: tx.from });
  // ... and not revoked.
  if (sender.revoked) return new AppError('revoked_account', `account ${tx.from} is revoked`, { account: tx.from });
  return sender;
}

class BlockRun implements BlockExecutor {
  private readonly overlay: Overlay;
  /** The layer each tx runs in, reused (empty between txs), and its env functions. */
  private readonly txLayer: ChildOverlay;
  private readonly txGet: TxEnv['get'];
  private readonly txPut: TxEnv['put'];
  private readonly txDel: TxEnv['del'];
  /** The executor's own writes (nonce bumps): encoded once per key, at `finish`. */
  private readonly own: StateWriter;
  private readonly startAuthorities: readonly Authority[];
  private readonly results: TxResult[] = [];
  private finished: BlockResult | null = null;

  constructor(
    private readonly handlers: ReadonlyMap<TxType, TxHandler>,
    private readonly opts: StateMachineOptions,
    state: StateReader,
    private readonly prevStateRoot: string,
    private readonly ctx: BlockContext,
  ) {
    this.overlay = new Overlay(state);
    const overlay = this.overlay;
    const layer = overlay.child();
    this.txLayer = layer;
    this.txGet = (k) => layer.get(k);
    this.txPut = (k, v) => layer.put(k, v);
    this.txDel = (k) => layer.del(k);
    this.own = { put: (k, v) => overlay.putDeferred(k, v), del: (k) => overlay.del(k) };
    this.startAuthorities = getAuthorities(state);
  }

  apply(dtx: DecodedTx): ApplyResult {
    if (this.finished !== null) throw new Error('BlockExecutor.apply after finish');
    const { tx } = dtx;
    const acct = checkSender(this.overlay, dtx, this.ctx.chainId);
    if (acct instanceof AppError) return { inadmissible: acct };
    // The nonce is exactly the account's next one, as of this point in the block.
    if (tx.nonce !== acct.nonce) {
      const reason = tx.nonce < acct.nonce ? 'nonce_too_low' : 'nonce_too_high';
      return { inadmissible: new AppError(reason, `nonce ${tx.nonce}, expected ${acct.nonce}`, { expected: acct.nonce }) };
    }
    // Admitted: the tx consumes its nonce whatever its outcome.
    const sender: AccountState = { ...acct, nonce: acct.nonce + 1 };
    putAccount(this.own, sender);
    const result = this.execute(dtx, sender);
    this.results.push(result);
    return result;
  }

  /** Runs the handler in the tx layer: kept on success, dropped on any failure. */
  private execute(dtx: DecodedTx, sender: AccountState): TxResult {
    const { tx } = dtx;
    const child = this.txLayer;
    const events: IndexEvent[] = [];
    let outcome: AccessOutcome | undefined;
    const env: TxEnv = {
      chainId: this.ctx.chainId, height: this.ctx.height, time: this.ctx.time, tx, hash: dtx.hash, sender,
      blockAuthorities: this.startAuthorities,
      get: this.txGet,
      put: this.txPut,
      del: this.txDel,
      emit: (e) => void events.push(e),
      setOutcome: (o) => void (outcome = o),
    };
    let receipt: Receipt;
    try {
      const h = this.handlers.get(tx.type);
      // This node can run the type (all nodes run the same handlers).
      if (h === undefined) fail('unknown_type', `${tx.type} is not supported`);
      // The sender's role may send this type.
      if (!h.roles.includes(sender.role)) fail('role_not_allowed', `a ${sender.role} may not send ${tx.type}`);
      h.execute(env, tx.payload);
      child.commit();
      receipt = outcome === undefined ? { status: 'ok' } : { status: 'ok', outcome };
    } catch (e) {
      child.discard();
      events.length = 0;
      receipt = { status: 'rejected', error: this.errorOf(e, dtx) };
    }
    return { hash: dtx.hash, receipt, events };
  }

  /**
   * A rule's code and message; anything else (a handler bug, a mutated frozen value, a
   * non-JSON write) becomes 'internal' with a fixed message, the same on every node
   * whatever the exception's text.
   */
  private errorOf(e: unknown, dtx: DecodedTx): { code: string; message: string } {
    if (e instanceof TxRuleError) return { code: e.code, message: e.message };
    try {
      this.opts.onInternalError?.(e, dtx);
    } catch {
      // a failing observer must not change the outcome
    }
    return { code: 'internal', message: `internal error executing ${dtx.tx.type}` };
  }

  finish(): BlockResult {
    if (this.finished !== null) return this.finished;
    const encoded = this.overlay.encodedWrites();
    let nextAuthorities: Authority[] | null = null;
    if (encoded.has(AUTHORITIES_KEY)) {
      const end = getAuthorities(this.overlay);
      if (canonicalize(end) !== canonicalize(this.startAuthorities)) nextAuthorities = [...end];
    }
    this.finished = {
      results: this.results,
      writes: this.overlay.writes(),
      encodedWrites: encoded,
      stateRoot: stateRootEncoded(this.prevStateRoot, encoded),
      nextAuthorities,
    };
    return this.finished;
  }
}
