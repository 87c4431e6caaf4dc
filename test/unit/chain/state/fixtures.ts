import { expect } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../../../src/chain/ed25519.js';
import { decodeTx, signTx } from '../../../../src/chain/tx.js';
import { genesisBlock, genesisState, validateGenesis } from '../../../../src/chain/genesis.js';
import { chainHandlers, getAccount, MapState, StateMachine, type ApplyResult, type BlockResult, type TxHandler, type TxResult } from '../../../../src/chain/state/index.js';
import type { DecodedTx, Genesis, TxType } from '../../../../src/chain/types.js';
import { AppError } from '../../../../src/util/errors.js';

export const CHAIN_ID = 'medledger-test';
export const T0 = 1_700_000_000_000;

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** A syntactically valid libp2p peer id (52 base58 chars, like an Ed25519 one). */
export function peerId(i: number): string {
  return '12D3KooW' + 'A'.repeat(42) + B58[Math.floor(i / 58) % 58] + B58[i % 58];
}

export function keys(n: number): KeyPair[] {
  return Array.from({ length: n }, () => generateKeyPair());
}

export interface ChainOptions {
  authorities?: number;
  handlers?: readonly TxHandler[];
}

/**
 * A test chain: two orgs ("north" with admin `north`, "south" with admin `south`) and n
 * authorities alternating between them, a MapState advanced block by block, and nonces
 * tracked per sender so `tx()` signs the next one unless told otherwise.
 */
export class TestChain {
  readonly north = generateKeyPair();
  readonly south = generateKeyPair();
  readonly auths: KeyPair[];
  readonly genesis: Genesis;
  readonly state: MapState;
  readonly sm: StateMachine;
  root: string;
  height = 0;
  time = T0;
  lastResult: BlockResult | null = null;
  private readonly nonces = new Map<string, number>();

  constructor(opts: ChainOptions = {}) {
    this.auths = keys(opts.authorities ?? 1);
    this.genesis = validateGenesis({
      chainId: CHAIN_ID,
      time: T0,
      orgs: [
        { org: 'north', name: 'North Hospital', admins: [this.north.account] },
        { org: 'south', name: 'South Hospital', admins: [this.south.account] },
      ],
      authorities: this.auths.map((k, i) => ({ account: k.account, org: i % 2 === 0 ? 'north' : 'south', nodeId: peerId(i) })),
    });
    this.state = new MapState();
    this.state.apply(genesisState(this.genesis));
    this.root = genesisBlock(this.genesis).header.stateRoot;
    this.sm = new StateMachine(opts.handlers ?? chainHandlers);
  }

  /** A signed, decoded tx from `kp` with its next nonce (or `nonce`). */
  tx(kp: KeyPair, type: TxType, payload: Record<string, unknown>, opts: { nonce?: number; chainId?: string } = {}): DecodedTx {
    let nonce = opts.nonce;
    if (nonce === undefined) {
      nonce = this.nonces.get(kp.account) ?? getAccount(this.state, kp.account)?.nonce ?? 0;
      this.nonces.set(kp.account, nonce + 1);
    }
    return decodeTx(signTx({ chainId: opts.chainId ?? CHAIN_ID, type, from: kp.account, nonce, payload }, kp.secretKey));
  }

  /** A fresh state holding only this chain's genesis. */
  freshGenesisState(): MapState {
    const s = new MapState();
    s.apply(genesisState(this.genesis));
    return s;
  }

  /** Executes txs as a block over `state` (default: the chain's) without committing it. */
  run(txs: DecodedTx[], state: MapState = this.state, root = this.root): { applied: ApplyResult[]; result: BlockResult } {
    const ex = this.sm.begin(state, root, { chainId: CHAIN_ID, height: this.height + 1, time: this.time + 1000 });
    const applied = txs.map((t) => ex.apply(t));
    return { applied, result: ex.finish() };
  }

  /** Runs a block of txs and commits it; every tx must be admissible. Returns the tx results. */
  block(...txs: DecodedTx[]): TxResult[] {
    const { applied, result } = this.run(txs);
    for (const a of applied) if ('inadmissible' in a) throw a.inadmissible;
    this.state.apply(result.writes);
    this.root = result.stateRoot;
    this.height += 1;
    this.time += 1000;
    this.lastResult = result;
    return result.results;
  }

  /** Runs a one-tx block and returns its receipt. */
  one(t: DecodedTx): TxResult {
    return this.block(t)[0]!;
  }

  account(kp: KeyPair | string) {
    return getAccount(this.state, typeof kp === 'string' ? kp : kp.account);
  }
}

export function expectRejected(r: TxResult | ApplyResult, code: string): void {
  expect('inadmissible' in r ? r : r.receipt).toMatchObject({ status: 'rejected', error: { code } });
}

export function expectOk(r: TxResult | ApplyResult): void {
  expect('inadmissible' in r ? r : r.receipt).toMatchObject({ status: 'ok' });
}

export function expectInadmissible(r: ApplyResult, reason: string): void {
  expect('inadmissible' in r).toBe(true);
  const e = (r as { inadmissible: AppError }).inadmissible;
  expect(e).toBeInstanceOf(AppError);
  expect(e.reason).toBe(reason);
}
