/** Deterministic accounts, fake blocks and fake signatures for consensus tests. */
import { blockHash, validatorsHash, ZERO_HASH } from '../../../../src/chain/block.js';
import { sha256Hex } from '../../../../src/chain/hash.js';
import type { Block } from '../../../../src/chain/types.js';
import { proposalSignBytes, voteSignBytes } from '../../../../src/consensus/index.js';
import type { Proposal, Vote } from '../../../../src/consensus/index.js';

export const CHAIN_ID = 'medledger-sim';

/** n distinct 64-hex "accounts" (not real keys: the sim signs with fakeSign). */
export function accounts(n: number, salt = 'validator'): string[] {
  return Array.from({ length: n }, (_, i) => sha256Hex(`${salt}-${i}`));
}

/**
 * A small block whose content (and so hash) differs per proposer, height, round and
 * `variant`, so conflicting blocks at one height are easy to make.
 */
export function fakeBlock(opts: { height: number; proposer: string; round: number; prevHash?: string; time?: number; validators: readonly string[]; variant?: string }): { block: Block; hash: string } {
  const tag = `${opts.proposer}/${opts.height}/${opts.round}/${opts.variant ?? ''}`;
  const vh = validatorsHash(opts.validators);
  const block: Block = {
    header: {
      chainId: CHAIN_ID, height: opts.height, prevHash: opts.prevHash ?? ZERO_HASH, time: opts.time ?? 1_700_000_000_000 + opts.height,
      txRoot: sha256Hex(`txs:${tag}`), stateRoot: sha256Hex(`state:${tag}`), proposer: opts.proposer,
      validatorsHash: vh, nextValidatorsHash: vh,
    },
    txs: [],
  };
  return { block, hash: blockHash(block.header) };
}

/** Fake signature: the signer's id followed by a digest of (id, message). 128 hex, like Ed25519. */
export function fakeSign(account: string, message: Uint8Array): string {
  return account + sha256Hex(Buffer.concat([Buffer.from(account, 'hex'), message]));
}

export function fakeVerify(account: string, message: Uint8Array, sig: string): boolean {
  return sig.length === 128 && sig.startsWith(account) && sig === fakeSign(account, message);
}

export function signVoteFake(v: Vote): Vote {
  return { ...v, sig: fakeSign(v.validator, voteSignBytes(CHAIN_ID, v)) };
}

/** Verified message objects: the sim relays the same object many times, so check each once. */
const verified = new WeakSet<object>();

export function verifyVoteFake(v: Vote): boolean {
  if (verified.has(v)) return true;
  const ok = fakeVerify(v.validator, voteSignBytes(CHAIN_ID, v), v.sig);
  if (ok) verified.add(v);
  return ok;
}

export function signProposalFake(p: Proposal): Proposal {
  return { ...p, sig: fakeSign(p.proposer, proposalSignBytes(CHAIN_ID, p)) };
}

export function verifyProposalFake(p: Proposal): boolean {
  if (verified.has(p)) return true;
  const ok = fakeVerify(p.proposer, proposalSignBytes(CHAIN_ID, p), p.sig);
  if (ok) verified.add(p);
  return ok;
}

const hashes = new WeakMap<object, string>();

/** blockHash(header), memoised per header object. */
export function headerHash(h: Block['header']): string {
  let x = hashes.get(h);
  if (x === undefined) hashes.set(h, (x = blockHash(h)));
  return x;
}

export function vote(type: Vote['type'], height: number, round: number, blockHash: string | null, validator: string): Vote {
  return signVoteFake({ type, height, round, blockHash, validator, sig: '' });
}

export function proposal(height: number, round: number, block: Block, hash: string, proposer: string, polRound = -1): Proposal {
  return signProposalFake({ height, round, polRound, block, blockHash: hash, proposer, sig: '' });
}
