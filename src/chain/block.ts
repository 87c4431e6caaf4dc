import { canonicalBytes } from './jcs.js';
import { jcsHashHex, sha256 } from './hash.js';
import { merkleRootHex } from './merkle.js';
import type { Header } from './types.js';

/** SPEC §4: block hash = sha256(JCS(header)). */
export function blockHash(header: Header): string {
  return jcsHashHex(headerOnly(header));
}

function headerOnly(h: Header): Header {
  return {
    chainId: h.chainId, height: h.height, prevHash: h.prevHash, time: h.time, txRoot: h.txRoot,
    stateRoot: h.stateRoot, proposer: h.proposer, validatorsHash: h.validatorsHash, nextValidatorsHash: h.nextValidatorsHash,
  };
}

/** Bytes a precommit signs: sha256(JCS({chainId, height, round, type:"precommit", blockHash})). */
export function precommitSignBytes(chainId: string, height: number, round: number, hash: string): Buffer {
  return sha256(canonicalBytes({ chainId, height, round, type: 'precommit', blockHash: hash }));
}

/** sha256(JCS(sorted authority account ids)). */
export function validatorsHash(accounts: readonly string[]): string {
  return jcsHashHex([...accounts].sort());
}

/** RFC 6962 root over the JCS wire bytes of each tx, in block order. */
export function txRootOf(wires: readonly Uint8Array[]): string {
  return merkleRootHex(wires);
}

export const ZERO_HASH = '0'.repeat(64);
