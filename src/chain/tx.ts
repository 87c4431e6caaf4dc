import { canonicalBytes, canonicalize } from './jcs.js';
import { sha256, sha256Hex } from './hash.js';
import { sign, verifyWellFormed } from './ed25519.js';
import type { DecodedTx, Tx, TxBody } from './types.js';

/** The signed body of a tx: everything but `sig` (the signature never signs itself). */
export function txBody(tx: TxBody): TxBody {
  return { chainId: tx.chainId, type: tx.type, from: tx.from, nonce: tx.nonce, payload: tx.payload };
}

/** SPEC §3: hash = sha256(UTF-8(JCS({chainId, type, from, nonce, payload}))). */
export function txHashBytes(tx: TxBody): Buffer {
  return sha256(canonicalBytes(txBody(tx)));
}

export function txHash(tx: TxBody): string {
  return txHashBytes(tx).toString('hex');
}

export function signTx(body: TxBody, secretKey: string): Tx {
  const b = txBody(body);
  return { ...b, sig: sign(secretKey, txHashBytes(b)) };
}

/**
 * Decodes an already shape-validated tx (exactly the envelope's six fields): its hash
 * and wire bytes. JCS sorts keys, and the envelope's keys sort as chainId < from <
 * nonce < payload < sig < type, so both forms are written directly around the
 * payload's JCS (the result is the same as `canonicalize`; the tests compare them).
 */
export function decodeTx(tx: Tx): DecodedTx {
  const head = '{"chainId":' + JSON.stringify(tx.chainId) + ',"from":' + JSON.stringify(tx.from) + ',"nonce":' + canonicalize(tx.nonce) + ',"payload":' + canonicalize(tx.payload);
  const sigMember = ',"sig":' + JSON.stringify(tx.sig);
  const tail = ',"type":' + JSON.stringify(tx.type) + '}';
  const wire = Buffer.from(head + sigMember + tail, 'utf8');
  // The body's JCS is the wire bytes without the sig member: hashed from a copy of the
  // two byte ranges around it, rather than from another string built and encoded again.
  const sigEnd = wire.length - Buffer.byteLength(tail);
  const sigStart = sigEnd - Buffer.byteLength(sigMember);
  return { tx, hash: sha256Hex(withoutRange(wire, sigStart, sigEnd)), wire };
}

/** Scratch space for `withoutRange` (synchronous use only; its contents never escape). */
let scratch = Buffer.allocUnsafe(4096);

/** The bytes of `b` before `from` followed by those from `to` on, in scratch space. */
function withoutRange(b: Buffer, from: number, to: number): Buffer {
  const n = b.length - (to - from);
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, 2 * scratch.length));
  b.copy(scratch, 0, 0, from);
  b.copy(scratch, from, to);
  return scratch.subarray(0, n);
}

/** Verifies a decoded tx's signature (its `from` and `sig` were checked by the tx schema). */
export function verifyTxSig(d: DecodedTx): boolean {
  return verifyWellFormed(d.tx.from, Buffer.from(d.hash, 'hex'), d.tx.sig);
}
