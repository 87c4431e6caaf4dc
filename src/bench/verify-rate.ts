import { randomBytes } from 'node:crypto';
import { generateKeyPair, sign, verify } from '../chain/ed25519.js';

/**
 * Ed25519 verifications per second on one core, with the verifier the node uses
 * (`chain/ed25519` `verify`: libsodium, key bytes cached per account) on a 32-byte
 * message (a tx hash), as the node verifies. Runs on the calling thread for about
 * `durationMs` after a short warm-up.
 */
export function measureVerifyRate(durationMs = 1000): number {
  const kp = generateKeyPair();
  const msg = randomBytes(32);
  const sig = sign(kp.secretKey, msg);
  for (let i = 0; i < 300; i++) if (!verify(kp.account, msg, sig)) throw new Error('Ed25519 self-check failed');
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 200; i++) verify(kp.account, msg, sig);
    n += 200;
    now = performance.now();
  }
  return Math.round((n * 1000) / (now - start));
}
