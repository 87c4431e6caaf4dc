import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { checkPublicKey, generateKeyPair, publicKeyOf, sign, verify, verifyStrictNoble, verifyWellFormed } from '../../../src/chain/ed25519.js';

const L = ed25519.Point.Fn.ORDER;

function leToBigInt(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

function bigIntToLe32(x: bigint): string {
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out.toString('hex');
}

/** Seeded bytes, so a failure names a reproducible case. */
function bytes(seed: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('ed25519 verify (libsodium) against the strict reference (@noble/curves)', () => {
  it('accepts a signature made by sign, refuses it for another message or key', () => {
    const kp = generateKeyPair();
    const msg = bytes(1, 32);
    const sig = sign(kp.secretKey, msg);
    expect(verify(kp.account, msg, sig)).toBe(true);
    expect(verify(kp.account, bytes(2, 32), sig)).toBe(false);
    expect(verify(generateKeyPair().account, msg, sig)).toBe(false);
  });

  it('verifyWellFormed (inputs checked by the caller) still never throws on a wrong length', () => {
    const kp = generateKeyPair();
    const msg = bytes(1, 32);
    const sig = sign(kp.secretKey, msg);
    expect(verifyWellFormed(kp.account, msg, sig)).toBe(true);
    expect(verifyWellFormed(kp.account, msg, sig.slice(0, 126))).toBe(false);
    expect(verifyWellFormed(kp.account.slice(0, 62), msg, sig)).toBe(false);
    expect(verifyWellFormed(kp.account, msg, '')).toBe(false);
  });

  it('gives the reference verdict on valid, tampered and non-canonical signatures', () => {
    for (let seed = 0; seed < 40; seed++) {
      const secretKey = bytes(seed, 32).toString('hex');
      const account = publicKeyOf(secretKey);
      const msg = bytes(seed + 1000, 32);
      const sig = sign(secretKey, msg);
      const s = leToBigInt(Buffer.from(sig.slice(64), 'hex'));
      const flipped = Buffer.from(sig, 'hex');
      flipped[seed % 64]! ^= 1 << (seed % 8);
      const cases = [
        sig,
        flipped.toString('hex'),
        sig.slice(0, 64) + bigIntToLe32(s + L), // same S mod L, not canonical
        sig.slice(0, 64) + bigIntToLe32((s + 1n) % L),
      ];
      for (const c of cases) {
        const want = verifyStrictNoble(account, msg, c);
        expect({ seed, c, got: verify(account, msg, c) }).toEqual({ seed, c, got: want });
        expect({ seed, c, got: verifyWellFormed(account, msg, c) }).toEqual({ seed, c, got: want });
      }
      expect(verify(account, msg, cases[0]!)).toBe(true);
      expect(verify(account, msg, cases[2]!)).toBe(false);
    }
  });

  it('refuses R of small order even with S = h·a, which RFC 8032 alone would accept', () => {
    const secretKey = bytes(7, 32).toString('hex');
    const account = publicKeyOf(secretKey);
    const msg = bytes(8, 32);
    const { scalar } = ed25519.utils.getExtendedPublicKey(Buffer.from(secretKey, 'hex'));
    const rIdentity = '01' + '00'.repeat(31);
    const h = leToBigInt(sha512(Buffer.concat([Buffer.from(rIdentity, 'hex'), Buffer.from(account, 'hex'), msg]))) % L;
    const forged = rIdentity + bigIntToLe32((h * scalar) % L);
    // The bare RFC 8032 equation holds ([S]B = R + [h]A with R = identity) ...
    expect(ed25519.verify(Buffer.from(forged, 'hex'), msg, Buffer.from(account, 'hex'), { zip215: false })).toBe(true);
    // ... and both verifiers the chain knows refuse it: one verdict on every node.
    expect(verify(account, msg, forged)).toBe(false);
    expect(verifyStrictNoble(account, msg, forged)).toBe(false);
  });

  it('refuses malformed input without throwing', () => {
    const kp = generateKeyPair();
    const msg = bytes(3, 32);
    const sig = sign(kp.secretKey, msg);
    for (const [account, s] of [
      [kp.account, sig.slice(2)],
      [kp.account, sig.toUpperCase()],
      [kp.account, 'zz' + sig.slice(2)],
      [kp.account.slice(2), sig],
      ['', sig],
      ['ff'.repeat(32), sig], // not a point
    ] as const) {
      expect(verify(account, msg, s)).toBe(false);
      expect(verifyStrictNoble(account, msg, s)).toBe(false);
    }
  });

  it('checkPublicKey refuses small-order and off-curve keys, accepts real ones', () => {
    expect(checkPublicKey(generateKeyPair().account)).toBeNull();
    expect(checkPublicKey('01' + '00'.repeat(31))).toMatch(/small-order/);
    expect(checkPublicKey('02' + 'ff'.repeat(31))).toMatch(/not a valid/);
    expect(checkPublicKey('AB'.repeat(32))).toMatch(/hex/);
  });
});
