import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { generateKeyPair, sign } from '../chain/ed25519.js';

/**
 * Ed25519 verifications per second on one core: node:crypto with a cached KeyObject,
 * a 32-byte message (a tx hash), as the node verifies. Runs on the calling thread for
 * about `durationMs` after a short warm-up.
 */
export function measureVerifyRate(durationMs = 1000): number {
  const kp = generateKeyPair();
  const msg = randomBytes(32);
  const sig = Buffer.from(sign(kp.secretKey, msg), 'hex');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(kp.account, 'hex').toString('base64url') }, format: 'jwk' });
  for (let i = 0; i < 300; i++) if (!verify(null, msg, key, sig)) throw new Error('Ed25519 self-check failed');
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 200; i++) verify(null, msg, key, sig);
    n += 200;
    now = performance.now();
  }
  return Math.round((n * 1000) / (now - start));
}
