import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import sodium from 'sodium-native';
import { isHex } from '../util/hex.js';

/**
 * Ed25519 for accounts and validators.
 *
 * Hot path: verification with libsodium (sodium-native), measured 1.75-2.7x node:crypto's
 * OpenSSL 3.0 and ~30x @noble/curves on the development machine (docs/bench.md). Its
 * verdict is strict: S must be canonical (< L), the public key canonical and not of
 * small order, R not of small order, and R must equal the recomputed point byte for
 * byte (cofactorless). `verifyStrictNoble` states the same rule with @noble/curves and
 * the tests hold the two to the same verdicts. Keys are still checked where they enter
 * the chain (`checkPublicKey`, SPEC §3), so no small-order key is ever registered.
 * Signing (votes, proposals, the bench's load) is libsodium's too: Ed25519 signatures are
 * deterministic, so it gives the same bytes as any RFC 8032 signer (the signing vectors
 * check it), at ~1.7x the rate of node:crypto (`npx vitest bench --run bench/tx.bench.ts`).
 */

const KEY_CACHE_MAX = 100_000;
const keyCache = new Map<string, Buffer>();

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

/** The account's public key bytes, decoded once per account (accounts are few and long-lived). */
function publicKeyBytes(account: string): Buffer {
  let key = keyCache.get(account);
  if (key === undefined) {
    key = Buffer.from(account, 'hex');
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(account, key);
  }
  return key;
}

/**
 * Verifies an Ed25519 signature over `message` (here always a 32-byte hash), strictly
 * (see above). Never throws: malformed keys or signatures give false.
 */
export function verify(account: string, message: Uint8Array, sigHex: string): boolean {
  if (!isHex(sigHex, 64) || !isHex(account, 32)) return false;
  return verifyWellFormed(account, message, sigHex);
}

/**
 * `verify` for a key and a signature the caller already checked are lowercase hex of
 * 32 and 64 bytes (a decoded tx: the tx schema checked both), without testing them
 * again (~1 us per tx per node). Never throws; a wrong length gives false.
 */
export function verifyWellFormed(account: string, message: Uint8Array, sigHex: string): boolean {
  try {
    return sodium.crypto_sign_verify_detached(Buffer.from(sigHex, 'hex'), message, publicKeyBytes(account));
  } catch {
    return false;
  }
}

/**
 * The same rule as `verify`, written with @noble/curves: RFC 8032 without ZIP-215 leniency
 * (canonical S, canonical point encodings, cofactorless equation), a key of small order
 * refused, and an R of small order refused (libsodium's rule; RFC 8032 alone would accept
 * R = identity with S = h·a, which only the key's owner can make). Slow: for tests.
 */
export function verifyStrictNoble(account: string, message: Uint8Array, sigHex: string): boolean {
  if (!isHex(sigHex, 64) || !isHex(account, 32)) return false;
  try {
    if (ed25519.Point.fromHex(account, false).isSmallOrder()) return false;
    if (ed25519.Point.fromHex(sigHex.slice(0, 64), false).isSmallOrder()) return false;
    return ed25519.verify(Buffer.from(sigHex, 'hex'), message, Buffer.from(account, 'hex'), { zip215: false });
  } catch {
    return false;
  }
}

/** libsodium's signing keys (seed || public key, 64 bytes) by seed hex, derived once per key. */
const signerCache = new Map<string, { secret: Buffer; account: string }>();

function signingKey(secretKey: string): { secret: Buffer; account: string } {
  let key = signerCache.get(secretKey);
  if (key === undefined) {
    if (!isHex(secretKey, 32)) throw new Error('secret key must be 64 lowercase hex characters (a 32-byte seed)');
    const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
    const secret = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
    sodium.crypto_sign_seed_keypair(publicKey, secret, Buffer.from(secretKey, 'hex'));
    key = { secret, account: publicKey.toString('hex') };
    if (signerCache.size > 10_000) signerCache.clear();
    signerCache.set(secretKey, key);
  }
  return key;
}

export function sign(secretKey: string, message: Uint8Array): string {
  const sig = Buffer.alloc(sodium.crypto_sign_BYTES);
  sodium.crypto_sign_detached(sig, message, signingKey(secretKey).secret);
  return sig.toString('hex');
}

export function publicKeyOf(secretKey: string): string {
  return signingKey(secretKey).account;
}

export function generateKeyPair(): KeyPair {
  const secretKey = randomBytes(32).toString('hex');
  return { account: publicKeyOf(secretKey), secretKey };
}
