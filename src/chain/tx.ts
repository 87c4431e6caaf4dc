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
 * Decodes an already shape-validated tx: its hash and wire bytes, canonicalising once.
 * JCS sorts keys, so the wire form is the body's JCS with `"sig"` inserted before the
 * last key `"type"` (payload, whatever it holds, sorts before both).
 */
export function decodeTx(tx: Tx): DecodedTx {
  const body = canonicalize(txBody(tx));
  const at = body.lastIndexOf(',"type":');
  const wire = Buffer.from(body.slice(0, at) + ',"sig":' + JSON.stringify(tx.sig) + body.slice(at), 'utf8');
  return { tx, hash: sha256Hex(body), wire };
}

export function verifyTxSig(d: DecodedTx): boolean {
  return verify(d.tx.from, Buffer.from(d.hash, 'hex'), d.tx.sig);
}
