import { describe, expect, it } from 'vitest';
import { FutureBuffer } from '../../../src/consensus/buffer.js';
import { MAX_PROPOSALS_PER_ROUND, ProposalStore } from '../../../src/consensus/proposals.js';
import { HeightVotes, MAX_FUTURE_ROUNDS_PER_AUTHOR, MAX_PENDING_PER_AUTHOR, maxFaulty, quorumSize, VoteSet } from '../../../src/consensus/round-state.js';
import { accounts, fakeBlock, proposal, vote } from './sim/fixtures.js';

const V = accounts(4);
const H = (c: string) => c.repeat(64);

describe('quorum arithmetic', () => {
  it('2f+1 = floor(2n/3)+1 and f = floor((n-1)/3) for n = 1..10', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(quorumSize)).toEqual([1, 2, 3, 3, 4, 5, 5, 6, 7, 7]);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(maxFaulty)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
    // Two quorums always share more than f authorities.
    for (let n = 1; n <= 50; n++) expect(2 * quorumSize(n) - n).toBeGreaterThan(maxFaulty(n));
  });
});

describe('VoteSet', () => {
  it('keys votes by author: duplicates ignored, first vote is the one for any-thresholds', () => {
    const s = new VoteSet();
    expect(s.add(vote('prevote', 1, 0, H('a'), V[0]!)).kind).toBe('added');
    expect(s.add(vote('prevote', 1, 0, H('a'), V[0]!)).kind).toBe('duplicate');
    expect(s.add(vote('prevote', 1, 0, null, V[1]!)).kind).toBe('added');
    expect(s.size).toBe(2);
    expect(s.count(H('a'))).toBe(1);
    expect(s.count(null)).toBe(1);
    expect(s.quorumValue(2)).toBeUndefined();
    s.add(vote('prevote', 1, 0, null, V[2]!));
    expect(s.quorumValue(2)).toBeNull();
  });

  it('an equivocating author counts once per value, only for relevant values; others wait for promote', () => {
    const s = new VoteSet();
    const first = vote('prevote', 1, 0, H('a'), V[0]!);
    s.add(first);
    const r = s.add(vote('prevote', 1, 0, null, V[0]!), true);
    expect(r).toEqual({ kind: 'conflict', existing: first, counted: true });
    expect([s.size, s.count(null), s.count(H('a'))]).toEqual([1, 1, 1]);
    // Values nobody proposed in this round wait (a bounded few) and count once proposed.
    for (const c of ['b', 'c', 'd']) expect(s.add(vote('prevote', 1, 0, H(c), V[0]!), false)).toMatchObject({ kind: 'conflict', counted: false });
    expect(MAX_PENDING_PER_AUTHOR).toBe(2);
    s.promote(H('b'));
    s.promote(H('d')); // was beyond the pending bound: dropped
    expect([s.count(H('b')), s.count(H('c')), s.count(H('d'))]).toEqual([1, 0, 0]);
    expect(s.votesFor(H('b')).map((x) => x.validator)).toEqual([V[0]]);
  });
});

describe('HeightVotes', () => {
  it('lets one author open only a bounded number of future rounds', () => {
    const h = new HeightVotes();
    for (let r = 1; r <= MAX_FUTURE_ROUNDS_PER_AUTHOR; r++) expect(h.add(vote('prevote', 1, r * 10, null, V[0]!), 0).kind).toBe('added');
    expect(h.add(vote('prevote', 1, 99, null, V[0]!), 0).kind).toBe('rejected');
    expect(h.add(vote('prevote', 1, 99, null, V[1]!), 0).kind).toBe('added'); // another author may
    expect(h.add(vote('precommit', 1, 10, null, V[0]!), 0).kind).toBe('added'); // an open round is open to all
    h.enteredRound(10);
    expect(h.add(vote('prevote', 1, 77, null, V[0]!), 10).kind).toBe('added'); // budget freed
    expect(h.add(vote('prevote', 1, 3, null, V[0]!), 10).kind).toBe('added'); // past rounds are always open
  });

  it('finds the highest round above the current one with enough distinct voters', () => {
    const h = new HeightVotes();
    h.add(vote('prevote', 1, 4, null, V[0]!), 0);
    h.add(vote('precommit', 1, 4, null, V[0]!), 0);
    h.add(vote('prevote', 1, 6, null, V[1]!), 0);
    expect(h.highestRoundAbove(0, 2)).toBe(-1);
    h.add(vote('prevote', 1, 4, null, V[2]!), 0);
    expect(h.highestRoundAbove(0, 2)).toBe(4);
    expect(h.highestRoundAbove(4, 2)).toBe(-1);
  });
});

describe('FutureBuffer', () => {
  it('bounds heights ahead, messages per author, drops duplicates and lower heights', () => {
    const b = new FutureBuffer({ heightsAhead: 2, perAuthor: 3, perHeight: 5 });
    expect(b.add(1, 2, { kind: 'vote', vote: vote('prevote', 2, 0, null, V[0]!) })).toBe(true);
    expect(b.add(1, 2, { kind: 'vote', vote: vote('prevote', 2, 0, null, V[0]!) })).toBe(false); // duplicate
    expect(b.add(1, 4, { kind: 'vote', vote: vote('prevote', 4, 0, null, V[0]!) })).toBe(false); // too far
    expect(b.add(1, 1, { kind: 'vote', vote: vote('prevote', 1, 0, null, V[0]!) })).toBe(false); // not future
    expect(b.add(1, 2, { kind: 'vote', vote: vote('prevote', 2, 1, null, V[0]!) })).toBe(true);
    expect(b.add(1, 2, { kind: 'vote', vote: vote('prevote', 2, 2, null, V[0]!) })).toBe(true);
    expect(b.add(1, 2, { kind: 'vote', vote: vote('prevote', 2, 3, null, V[0]!) })).toBe(false); // per author
    expect(b.add(1, 2, { kind: 'vote', vote: vote('prevote', 2, 0, null, V[1]!) })).toBe(true);
    expect(b.add(1, 2, { kind: 'vote', vote: vote('prevote', 2, 1, null, V[1]!) })).toBe(true);
    expect(b.add(1, 2, { kind: 'vote', vote: vote('prevote', 2, 0, null, V[2]!) })).toBe(false); // per height
    expect(b.add(1, 3, { kind: 'vote', vote: vote('prevote', 3, 0, null, V[2]!) })).toBe(true);
    expect(b.size).toBe(6);
    expect(b.take(3).length).toBe(1); // height 2 dropped on the way
    expect(b.size).toBe(0);
  });
});

describe('ProposalStore', () => {
  it('keeps the first proposal of a round as primary, a few conflicting ones, and valid blocks by hash', () => {
    const s = new ProposalStore();
    const mk = (variant: string, valid = true) => {
      const b = fakeBlock({ height: 1, round: 0, proposer: V[1]!, validators: V, variant });
      return { p: proposal(1, 0, b.block, b.hash, V[1]!), valid };
    };
    const a = mk('a'), b = mk('b', false), c = mk('c'), d = mk('d');
    expect(s.add(a.p, true, 0)).toBe('added');
    expect(s.add(a.p, true, 0)).toBe('duplicate');
    expect(s.add(b.p, false, 0)).toBe('conflict');
    expect(s.add(c.p, true, 0)).toBe('conflict');
    expect(MAX_PROPOSALS_PER_ROUND).toBe(3);
    expect(s.add(d.p, true, 0)).toBe('rejected');
    expect(s.primary(0)?.proposal).toBe(a.p);
    expect([s.hasValid(0, a.p.blockHash), s.hasValid(0, b.p.blockHash), s.has(0, b.p.blockHash)]).toEqual([true, false, true]);
    expect(s.block(c.p.blockHash)).toBe(c.p.block);
    expect(s.block(b.p.blockHash)).toBeUndefined();
  });
});
