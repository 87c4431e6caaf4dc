import { describe, expect, it } from 'vitest';
import { internedKey, internedKey2 } from '../../../../src/chain/state/interned-keys.js';
import { accountKey } from '../../../../src/chain/state/keys.js';
import { consentKey, granteeConsentsKey, patientGrantsKey, recordKey } from '../../../../src/records/keys.js';

// String identity is not observable in JS: what must hold is that a cached key is always
// the right key, before and after the cache starts again at its bound.
describe('internedKey', () => {
  it('builds prefix + id, the same for a repeated id, and other keys for other ids', () => {
    const k = internedKey('acct/');
    expect(k('ab')).toBe('acct/ab');
    expect(k('ab')).toBe('acct/ab');
    expect(k('cd')).toBe('acct/cd');
    expect(k('')).toBe('acct/');
  });

  it('stays correct across the bound (the cache starts again empty)', () => {
    const k = internedKey('rec/', 3);
    const ids = Array.from({ length: 10 }, (_, i) => `r${i}`);
    for (let round = 0; round < 3; round++) for (const id of ids) expect(k(id)).toBe(`rec/${id}`);
  });

  it('keeps separate builders apart', () => {
    const a = internedKey('a/');
    const b = internedKey('b/');
    expect(a('x')).toBe('a/x');
    expect(b('x')).toBe('b/x');
  });
});

describe('internedKey2', () => {
  it('builds prefix + a + sep + b; the pair decides, not the joined text', () => {
    const k = internedKey2('pgc/', '/');
    expect(k('p1', 'org:lab')).toBe('pgc/p1/org:lab');
    expect(k('p1', 'org:lab')).toBe('pgc/p1/org:lab');
    expect(k('p1', 'acct')).toBe('pgc/p1/acct');
    expect(k('p2', 'org:lab')).toBe('pgc/p2/org:lab');
  });

  it('stays correct across the bound', () => {
    const k = internedKey2('x/', '|', 4);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expect(k(`a${i}`, `b${j}`)).toBe(`x/a${i}|b${j}`);
    }
  });
});

describe('the state key layout is unchanged by interning', () => {
  it('gives the documented keys', () => {
    const acct = 'ab'.repeat(32);
    expect(accountKey(acct)).toBe(`acct/${acct}`);
    expect(recordKey('org0:Observation/p1-r0')).toBe('rec/org0:Observation/p1-r0');
    expect(consentKey('c1')).toBe('cons/c1');
    expect(patientGrantsKey(acct)).toBe(`pgn/${acct}`);
    expect(granteeConsentsKey(acct, 'org:org1')).toBe(`pgc/${acct}/org:org1`);
  });
});
