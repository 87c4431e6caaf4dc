import { precommitSignBytes } from '../chain/block.js';
import { verify } from '../chain/ed25519.js';
import type { Commit, Header } from '../chain/types.js';
import { isHex } from '../util/hex.js';

const HEADER_KEYS = ['chainId', 'height', 'prevHash', 'time', 'txRoot', 'stateRoot', 'proposer', 'validatorsHash', 'nextValidatorsHash'];
const uint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function exactKeys(o: unknown, keys: readonly string[]): o is Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(o, k));
}

/**
 * A block header from outside, checked field by field and copied: exactly the nine SPEC
 * fields with their types (a loose field would be hashed one way and stored another).
 */
export function parseHeader(raw: unknown): Header {
  if (!exactKeys(raw, HEADER_KEYS)) throw new Error(`header must have exactly the fields ${HEADER_KEYS.join(', ')}`);
  const h = raw;
  if (typeof h.chainId !== 'string') throw new Error('header.chainId must be a string');
  if (!uint(h.height) || h.height < 1) throw new Error('header.height must be an integer >= 1');
  if (!uint(h.time)) throw new Error('header.time must be an integer (ms)');
  for (const k of ['prevHash', 'txRoot', 'stateRoot', 'proposer', 'validatorsHash', 'nextValidatorsHash']) {
    if (!isHex(h[k], 32)) throw new Error(`header.${k} must be 64 lowercase hex characters`);
  }
  return {
    chainId: h.chainId, height: h.height, prevHash: h.prevHash as string, time: h.time, txRoot: h.txRoot as string, stateRoot: h.stateRoot as string,
    proposer: h.proposer as string, validatorsHash: h.validatorsHash as string, nextValidatorsHash: h.nextValidatorsHash as string,
  };
}

/** A commit certificate from outside, checked for shape and copied with only its SPEC fields. */
export function parseCommit(raw: unknown): Commit {
  if (!exactKeys(raw, ['height', 'round', 'blockHash', 'signatures'])) throw new Error('commit must have exactly height, round, blockHash, signatures');
  const c = raw;
  if (!uint(c.height) || !uint(c.round) || !isHex(c.blockHash, 32) || !Array.isArray(c.signatures) || c.signatures.length > 1000) throw new Error('commit fields have the wrong types');
  const signatures = c.signatures.map((s: unknown) => {
    if (!exactKeys(s, ['validator', 'sig']) || !isHex(s.validator, 32) || !isHex(s.sig, 64)) throw new Error('commit signature entries must be exactly {validator, sig} in hex');
    return { validator: s.validator as string, sig: s.sig as string };
  });
  return { height: c.height, round: c.round, blockHash: c.blockHash as string, signatures };
}

/**
 * Why a commit certificate does not finalise `hash` at `height` under `authorities`, or
 * null when it does: > 2/3 (floor(2n/3)+1) distinct authorities' precommit signatures.
 */
export function verifyCommit(chainId: string, height: number, hash: string, commit: Commit, authorities: readonly string[]): string | null {
  if (typeof commit !== 'object' || commit === null) return 'missing';
  if (commit.height !== height) return `height ${commit.height} is not ${height}`;
  if (commit.blockHash !== hash) return 'blockHash does not match the block';
  if (!Number.isSafeInteger(commit.round) || commit.round < 0) return 'round is not a non-negative integer';
  if (!Array.isArray(commit.signatures)) return 'signatures is not a list';
  const set = new Set(authorities);
  const seen = new Set<string>();
  const bytes = precommitSignBytes(chainId, height, commit.round, hash);
  for (const s of commit.signatures) {
    if (typeof s !== 'object' || s === null || typeof s.validator !== 'string' || typeof s.sig !== 'string') return 'malformed signature entry';
    if (!set.has(s.validator)) return `signer ${s.validator} is not an authority of this block`;
    if (seen.has(s.validator)) return `signer ${s.validator} appears twice`;
    if (!verify(s.validator, bytes, s.sig)) return `bad signature by ${s.validator}`;
    seen.add(s.validator);
  }
  const need = Math.floor((2 * authorities.length) / 3) + 1;
  if (seen.size < need) return `${seen.size} of ${authorities.length} precommits, ${need} needed`;
  return null;
}
