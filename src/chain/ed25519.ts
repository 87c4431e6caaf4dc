import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { isHex } from '../util/hex.js';

/**
 * Ed25519 for accounts and validators.
 *
 * Hot path: node:crypto (OpenSSL) verify with a cached KeyObject per account, ~10x
 * @noble/curves here (STACK.md). OpenSSL accepts forged signatures under small-order
 * public keys, so every key that enters the chain passes `checkPublicKey` first
 * (strict decoding, on the curve, not of small order): with such keys refused, OpenSSL
 * and a strict verifier agree (test/unit/chain/ed25519.test.ts).
 */

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const KEY_CACHE_MAX = 100_000;
const keyCache = new Map<string, KeyObject>();

export interface KeyPair {
  /** 64-hex public key = account id. */
  account: string;
  /** 64-hex 32-byte seed. */
  secretKey: string;
}

/** Why a public key is unfit for the chain, or null when it is fine. */
export function checkPublicKey(account: string): string | null {
  if (!isHex(account, 32)) return 'must be 64 lowercase hex characters';
  let point;
  try {
    point = ed25519.Point.fromHex(account, false);
  } catch {
    return 'is not a valid Ed25519 point';
  }
  if (point.isSmallOrder()) return 'is a small-order Ed25519 point';
  return null;
}

function publicKeyObject(account: string): KeyObject {
  let key = keyCache.get(account);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(account, 'hex').toString('base64url') }, format: 'jwk' });
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(account, key);
  }
  return key;
}

/**
 * Verifies an Ed25519 signature over `message` (here always a 32-byte hash).
 * Never throws: malformed keys or signatures give false. Callers must only pass keys
 * that passed `checkPublicKey` when registered (the chain enforces this).
 */
export function verify(account: string, message: Uint8Array, sigHex: string): boolean {
  if (!isHex(sigHex, 64) || !isHex(account, 32)) return false;
  try {
    return nodeVerify(null, message, publicKeyObject(account), Buffer.from(sigHex, 'hex'));
  } catch {
    return false;
  }
}

/** Reference strict verifier (RFC 8032, no ZIP-215 leniency), used to cross-check node:crypto. */
export function verifyStrictNoble(account: string, message: Uint8Array, sigHex: string): boolean {
  if (!isHex(sigHex, 64) || !isHex(account, 32)) return false;
  try {
    return ed25519.verify(Buffer.from(sigHex, 'hex'), message, Buffer.from(account, 'hex'), { zip215: false });
  } catch {
    return false;
  }
}

const signerCache = new Map<string, KeyObject>();

function privateKeyObject(secretKey: string): KeyObject {
  let key = signerCache.get(secretKey);
  if (key === undefined) {
    if (!isHex(secretKey, 32)) throw new Error('secret key must be 64 lowercase hex characters (a 32-byte seed)');
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(secretKey, 'hex')]), format: 'der', type: 'pkcs8' });
    if (signerCache.size > 10_000) signerCache.clear();
    signerCache.set(secretKey, key);
  }
  return key;
}

export function sign(secretKey: string, message: Uint8Array): string {
  return nodeSign(null, message, privateKeyObject(secretKey)).toString('hex');
}

export function publicKeyOf(secretKey: string): string {
  const jwk = createPublicKey(privateKeyObject(secretKey)).export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url').toString('hex');
}

export function generateKeyPair(): KeyPair {
  const secretKey = randomBytes(32).toString('hex');
  return { account: publicKeyOf(secretKey), secretKey };
}
