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

