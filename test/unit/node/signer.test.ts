import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DoubleSignError, Signer } from '../../../src/node/signer.js';
import { generateKeyPair, verify } from '../../../src/chain/ed25519.js';

const kp = generateKeyPair();
const bytes = (s: string) => Buffer.from(s.padEnd(32, '.'));

describe('Signer (double-sign guard)', () => {
  it('signs forward, returns the same signature for the same bytes, refuses conflicts', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    const a = s.sign(5, 0, 'prevote', 'aa', bytes('A'));
    expect(verify(kp.account, bytes('A'), a)).toBe(true);
    expect(s.sign(5, 0, 'prevote', 'aa', bytes('A'))).toBe(a);
    expect(() => s.sign(5, 0, 'prevote', 'bb', bytes('B'))).toThrow(DoubleSignError);
    s.sign(5, 0, 'precommit', 'aa', bytes('C'));
    expect(() => s.sign(5, 0, 'prevote', 'aa', bytes('A'))).toThrow(DoubleSignError);
    s.sign(5, 1, 'prevote', null, bytes('D'));
    expect(() => s.sign(4, 9, 'precommit', 'aa', bytes('E'))).toThrow(DoubleSignError);
  });

  it('remembers across a restart (a new Signer on the same file)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    new Signer(path, kp.secretKey, kp.account).sign(7, 2, 'precommit', 'cc', bytes('X'));
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lastSigned()).toMatchObject({ height: 7, round: 2, step: 3, blockHash: 'cc' });
    expect(() => again.sign(7, 2, 'precommit', 'dd', bytes('Y'))).toThrow(DoubleSignError);
    expect(() => again.sign(7, 1, 'prevote', 'dd', bytes('Y'))).toThrow(DoubleSignError);
  });

  it('keeps the height precommit lock (with its proposal) across later signatures and a restart', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    s.sign(9, 0, 'prevote', 'aa', bytes('P0'));
    s.sign(9, 0, 'precommit', 'aa', bytes('C0'), { blockHash: 'aa', round: 0 });
    s.sign(9, 1, 'prevote', null, bytes('P1'));
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lockAt(9)).toEqual({ height: 9, round: 0, blockHash: 'aa', proposal: { blockHash: 'aa', round: 0 } });
    expect(again.lockAt(10)).toBeNull();
    again.sign(10, 0, 'prevote', 'bb', bytes('N'));
    expect(again.lockAt(10)).toBeNull();
  });
});
