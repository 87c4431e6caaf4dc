import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalize } from '../../../src/chain/jcs.js';
import { decodeTx, txBody } from '../../../src/chain/tx.js';
import { sha256Hex } from '../../../src/chain/hash.js';
import type { Tx } from '../../../src/chain/types.js';

/** RFC 8785 in its plainest form: the reference the optimised canonicalize must equal. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(reference).join(',') + ']';
  const obj = value as Record<string, unknown>;
  return '{' + Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => JSON.stringify(k) + ':' + reference(obj[k])).join(',') + '}';
}

/** A seeded random JSON value with awkward keys and strings. */
function randomValue(next: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const words = ['', 'a', 'B', 'é', '\u20ac', '\r', '1', '\ufb33', '\ud83d\ude00', '\u0080', 'quote"back\\slash', 'tab\there', '\u2028', 'z'.repeat(40)];
  const r = next();
  if (depth > 3 || r < 0.35) return pick([null, true, false, 0, -0, 1, -17, 1.5, 1e21, 1e-7, 2 ** 53 - 1, pick(words)]);
  if (r < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 7); i > 0; i--) o[pick(words) + (next() < 0.3 ? pick(words) : '')] = next() < 0.1 ? undefined : randomValue(next, depth + 1);
  return o;
}

function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

describe('JCS (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const keys = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6'];
    const obj = Object.fromEntries(keys.map((k, i) => [k, i]));
    // (JSON.parse would list the integer-like key "1" first, so the text itself is compared.)
    const want = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) => `${JSON.stringify(k)}:${keys.indexOf(k)}`);
    expect(canonicalize(obj)).toBe(`{${want.join(',')}}`);
  });

  it('numbers in ECMAScript shortest form; non-finite numbers and non-JSON values refused', () => {
    expect(canonicalize([0, -0, 1e21, 1e-7, 0.1, 333333333.3333333, -5e-324])).toBe('[0,0,1e+21,1e-7,0.1,333333333.3333333,-5e-324]');
    expect(() => canonicalize(NaN)).toThrow(/non-finite/);
    expect(() => canonicalize({ a: Infinity })).toThrow(/non-finite/);
    expect(() => canonicalize({ a: () => 1 })).toThrow(/cannot encode function/);
    expect(() => canonicalize(10n)).toThrow(/cannot encode bigint/);
  });

  it('skips undefined members, escapes strings as JSON does', () => {
    expect(canonicalize({ b: undefined, a: 'x"\\\u0001\u2028' })).toBe('{"a":"x\\"\\\\\\u0001\u2028"}');
    expect(canonicalBytes({ é: 1 }).toString('utf8')).toBe('{"é":1}');
  });

  it('equals the plain reference on 2,000 seeded random values', () => {
    const next = seeded(20261121);
    for (let i = 0; i < 2000; i++) {
      const v = randomValue(next);
      expect(canonicalize(v), JSON.stringify(v)).toBe(reference(v));
    }
  });
});

describe('decodeTx writes the JCS forms directly', () => {
  it('wire = JCS(tx) and hash = sha256(JCS(body)) for txs of every shape of payload', () => {
    const next = seeded(7);
    for (let i = 0; i < 500; i++) {
      const payload = randomValue(next, 1);
      const tx = {
        chainId: 'medledger-test', type: i % 2 ? 'access.log' : 'record.anchor', from: 'ab'.repeat(32), nonce: i * 7919,
        payload: payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload : { v: payload }, sig: 'cd'.repeat(64),
      } as unknown as Tx;
      const d = decodeTx(tx);
      expect(d.wire.toString('utf8')).toBe(reference(tx));
      expect(d.hash).toBe(sha256Hex(reference(txBody(tx))));
    }
  });
});
