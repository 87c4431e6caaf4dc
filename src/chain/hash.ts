import { hash as nodeHash } from 'node:crypto';
import { canonicalBytes } from './jcs.js';

/** SHA-256 via node:crypto's one-shot hash (fastest here, see STACK.md). */
export function sha256(data: Uint8Array | string): Buffer {
  return nodeHash('sha256', data, 'buffer') as unknown as Buffer;
}

export function sha256Hex(data: Uint8Array | string): string {
  return nodeHash('sha256', data, 'hex');
}

/** sha256(JCS(value)) as lowercase hex: block hashes, proposal ids, validator set hashes. */
export function jcsHashHex(value: unknown): string {
  return sha256Hex(canonicalBytes(value));
}
