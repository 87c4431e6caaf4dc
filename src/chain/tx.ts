import { canonicalBytes, canonicalize } from './jcs.js';
import { sha256, sha256Hex } from './hash.js';
import { sign, verify } from './ed25519.js';
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
  const tail = ',"type":' + JSON.stringify(tx.type) + '}';
  const wire = Buffer.from(head + ',"sig":' + JSON.stringify(tx.sig) + tail, 'utf8');
  return { tx, hash: sha256Hex(head + tail), wire };
}

export function verifyTxSig(d: DecodedTx): boolean {
  return verify(d.tx.from, Buffer.from(d.hash, 'hex'), d.tx.sig);
}
