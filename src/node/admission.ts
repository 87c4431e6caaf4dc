import { verifyTxSig } from '../chain/tx.js';
import type { DecodedTx } from '../chain/types.js';
import type { Mempool } from '../chain/mempool.js';
import type { StateMachine } from '../chain/state/index.js';
import { getAccount } from '../chain/state/keys.js';
import { AppError } from '../util/errors.js';
import type { ChainService } from './chain-service.js';
import type { VerifyPool } from './verify-pool.js';

/** Shape, size and decoding of one wire tx (chain/validate-tx.ts createTxDecoder). */
export type TxDecoder = (raw: unknown) => DecodedTx;

/**
 * Admission of one tx from outside (RPC or gossip), SPEC §3 in order: shape and size,
 * chain id, signature, sender registered and not revoked, role and state rules, then
 * nonce and mempool limits. Throws ParamError / AppError; on success the tx is pending.
 */
export class TxAdmission {
  /** Admissions waiting for their signature verdict, by tx hash (compact proposals wait for them). */
  private readonly inFlight = new Map<string, Promise<DecodedTx | undefined>>();

  constructor(
    private readonly chain: ChainService,
    private readonly mempool: Mempool,
    private readonly machine: StateMachine,
    private readonly decode: TxDecoder,
    private readonly pool: VerifyPool | null = null,
  ) {}

  /** Admits a tx, verifying its signature inline. */
  admit(raw: unknown): DecodedTx {
    const d = this.precheck(raw);
    return this.verifyAndEnter(d, verifyTxSig(d));
  }

  /**
   * Admits a tx: inline without a verify pool (the result, or a synchronous throw: no
   * promise per tx), else through `admitAsync`.
   */
  admitAny(raw: unknown): DecodedTx | Promise<DecodedTx> {
    return this.pool ? this.admitAsync(raw) : this.admit(raw);
  }

  /** Admits a tx, verifying its signature on the pool's worker threads. */
  async admitAsync(raw: unknown): Promise<DecodedTx> {
    const d = this.precheck(raw);
    if (!this.pool) return this.verifyAndEnter(d, verifyTxSig(d));
    const admitted = this.pool.verifyTx(d).then((ok) => this.verifyAndEnter(d, ok));
    const outcome = admitted.then((x) => x, () => undefined);
    this.inFlight.set(d.hash, outcome);
    try {
      return await admitted;
    } finally {
      if (this.inFlight.get(d.hash) === outcome) this.inFlight.delete(d.hash);
    }
  }

  /**
   * The outcome of an admission still under way (signature on a worker thread) for a tx
   * with this hash: the pending tx, or undefined when it was refused. Undefined when no
   * admission of that hash is under way.
   */
  pending(hash: string): Promise<DecodedTx | undefined> | undefined {
    return this.inFlight.get(hash);
  }

  private verifyAndEnter(d: DecodedTx, ok: boolean): DecodedTx {
    if (!ok) throw badSignature();
    d.verified = true;
    return this.enter(d);
  }

  /** Shape, size, chain id and duplicates: everything cheaper than the signature. */
  private precheck(raw: unknown): DecodedTx {
    const d = this.decode(raw);
    const chainId = this.chain.genesis.chainId;
    if (d.tx.chainId !== chainId) throw new AppError('wrong_chain', `tx is for chain "${d.tx.chainId}", this node runs "${chainId}"`);
    if (this.mempool.has(d.hash)) throw new AppError('duplicate', `tx ${d.hash} is already pending`, { hash: d.hash });
    return d;
  }

  /** State rules against the head, then the mempool (nonces and limits). */
  private enter(d: DecodedTx): DecodedTx {
    const state = this.chain.stateReader;
    const head = this.chain.head;
    const chainId = this.chain.genesis.chainId;
    const account = getAccount(state, d.tx.from);
    // Replays and nonce gaps first: a replayed tx is nonce_too_low, whatever its state rules now say.
    if (account) this.mempool.checkNonce(d, account.nonce);
    this.machine.admit(state, d, { chainId, height: head.height + 1, time: Math.max(Date.now(), head.header.time + 1) });
    this.mempool.add(d, account!.nonce);
    return d;
  }
}

function badSignature(): AppError {
  return new AppError('bad_signature', 'signature does not verify for tx.from over sha256(JCS(body))');
}
