import { describe, expect, it } from 'vitest';
import { parseCommit, parseHeader } from '../../../src/node/commit-verify.js';

const hex = (c: string) => c.repeat(64);
const header = { chainId: 'c', height: 3, prevHash: hex('a'), time: 1_700_000_000_000, txRoot: hex('b'), stateRoot: hex('c'), proposer: hex('d'), validatorsHash: hex('e'), nextValidatorsHash: hex('f') };

describe('parseHeader: exactly the SPEC header, strictly typed', () => {
  it('accepts a well-formed header and returns a clean copy', () => {
    const h = parseHeader({ ...header });
    expect(h).toEqual(header);
  });
  it('refuses a string time (it would be hashed one way and added to as a string later)', () => {
    expect(() => parseHeader({ ...header, time: String(header.time) })).toThrow(/header.time/);
  });
  it('refuses unknown fields (nothing unhashed may be stored or served)', () => {
    expect(() => parseHeader({ ...header, junk: 'x'.repeat(1000) })).toThrow(/exactly the fields/);
  });
  it('refuses missing fields, bad hex and height 0', () => {
    const { proposer: _p, ...missing } = header;
    expect(() => parseHeader(missing)).toThrow(/exactly the fields/);
    expect(() => parseHeader({ ...header, txRoot: 'AB'.repeat(32) })).toThrow(/header.txRoot/);
    expect(() => parseHeader({ ...header, height: 0 })).toThrow(/header.height/);
    expect(() => parseHeader(null)).toThrow();
  });
});

describe('parseCommit', () => {
  const commit = { height: 3, round: 1, blockHash: hex('a'), signatures: [{ validator: hex('b'), sig: 'cd'.repeat(64) }] };
  it('accepts and copies', () => {
    expect(parseCommit(structuredClone(commit))).toEqual(commit);
  });
  it('refuses extra fields at either level and wrong types', () => {
    expect(() => parseCommit({ ...commit, note: 'x' })).toThrow(/exactly/);
    expect(() => parseCommit({ ...commit, signatures: [{ ...commit.signatures[0], extra: 1 }] })).toThrow(/exactly/);
    expect(() => parseCommit({ ...commit, round: -1 })).toThrow(/wrong types/);
    expect(() => parseCommit({ ...commit, signatures: 'none' })).toThrow(/wrong types/);
  });
});
