import { commitProblem } from '../../../src/chain/commit.js';
import { describe, expect, it } from 'vitest';
import { precommitSignBytes } from '../../../src/chain/block.js';
import { sha256 } from '../../../src/chain/hash.js';
import { canonicalBytes } from '../../../src/chain/jcs.js';
import {
  checkProofOfLock, ConsensusMessageError, parseWireMessage, proposalSignBytes, signProposal, signVote, validateProposalMessage,
  validateVoteMessage, verifyProposal, verifyVote, voteSignBytes,
} from '../../../src/consensus/index.js';
import { proposalJson } from '../../../src/consensus/messages.js';
import type { Proposal } from '../../../src/consensus/index.js';
import type { Vote } from '../../../src/consensus/index.js';
import { loadVector } from '../../support/vectors.js';
import { generateKeyPair } from '../../../src/chain/ed25519.js';

const v = loadVector('block.json');
const { chainId, height, round, blockHash } = v.precommit as { chainId: string; height: number; round: number; blockHash: string };
const { account, secretKey } = v.authority as { account: string; secretKey: string };

describe('sign bytes and signatures', () => {
  it('a precommit signs exactly precommitSignBytes and reproduces the block.json vector', () => {
    const bytes = voteSignBytes(chainId, { type: 'precommit', height, round, blockHash });
    expect(bytes.toString('hex')).toBe(v.precommitHash);
    expect(bytes).toEqual(precommitSignBytes(chainId, height, round, blockHash));
    const signed = signVote(chainId, { type: 'precommit', height, round, blockHash, validator: account }, secretKey);
    expect(signed.sig).toBe(v.signature);
    expect(verifyVote(chainId, signed)).toBe(true);
    expect(verifyVote(chainId, { ...signed, round: 1 })).toBe(false);
    expect(verifyVote(chainId, { ...signed, type: 'prevote' })).toBe(false);
    expect(verifyVote('other-chain', signed)).toBe(false);
  });

  it('prevotes and nil votes use the same shape (type "prevote", blockHash JSON null)', () => {
    const pv = voteSignBytes(chainId, { type: 'prevote', height, round, blockHash });
    expect(pv).toEqual(sha256(canonicalBytes({ chainId, height, round, type: 'prevote', blockHash })));
    const nil = voteSignBytes(chainId, { type: 'precommit', height, round, blockHash: null });
    expect(nil).toEqual(sha256(Buffer.from(`{"blockHash":null,"chainId":"${chainId}","height":${height},"round":${round},"type":"precommit"}`)));
    const s = signVote(chainId, { type: 'prevote', height, round, blockHash: null, validator: account, sig: 'ignored' }, secretKey);
    expect(verifyVote(chainId, s)).toBe(true);
    expect(verifyVote(chainId, { ...s, blockHash })).toBe(false);
  });

  it('proposals sign sha256(JCS({chainId,height,round,type:"proposal",polRound,blockHash}))', () => {
    const base = { height, round: 2, polRound: 1, block: { header: v.header, txs: [] }, blockHash, proposer: account };
    expect(proposalSignBytes(chainId, base)).toEqual(sha256(canonicalBytes({ chainId, height, round: 2, type: 'proposal', polRound: 1, blockHash })));
    const p = signProposal(chainId, base, secretKey);
    expect(p.sig).toMatch(/^[0-9a-f]{128}$/);
    expect(verifyProposal(chainId, p)).toBe(true);
    expect(verifyProposal(chainId, { ...p, polRound: -1 })).toBe(false);
    expect(verifyProposal(chainId, { ...p, proposer: 'ab'.repeat(32) })).toBe(false);
  });

  it('commitProblem accepts the vector certificate and names what is wrong otherwise', () => {
    const commit = { height, round, blockHash, signatures: [{ validator: account, sig: v.signature }] };
    expect(commitProblem(chainId, height, blockHash, commit, [account])).toBeNull();
    expect(commitProblem(chainId, height, 'ab'.repeat(32), commit, [account])).toMatch(/another block/);
    expect(commitProblem(chainId, height, blockHash, { ...commit, round: 1 }, [account])).toMatch(/bad precommit signature/);
    expect(commitProblem(chainId, height, blockHash, commit, [account, 'ab'.repeat(32)])).toMatch(/1 of 2 precommits, 2 needed/);
    expect(commitProblem(chainId, height, blockHash, { ...commit, signatures: [...commit.signatures, ...commit.signatures] }, [account])).toMatch(/twice/);
    expect(commitProblem(chainId, height, blockHash, commit, ['ab'.repeat(32)])).toMatch(/not an authority/);
  });
});

describe('inbound message validation', () => {
  const good: Vote = { type: 'prevote', height: 3, round: 0, blockHash: null, validator: 'a'.repeat(64), sig: 'b'.repeat(128) };

  function fieldOf(fn: () => unknown): string {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ConsensusMessageError);
      return (e as ConsensusMessageError).field;
    }
    throw new Error('did not throw');
  }

  it('parses the gossip envelope {kind, vote | proposal, resend?} and says what is wrong with anything else', () => {
    const bytes = (v: unknown): Uint8Array => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
    expect(parseWireMessage(bytes({ kind: 'vote', vote: good, resend: 2 }), 10)).toEqual({ kind: 'vote', vote: good });
    expect(() => parseWireMessage(bytes('{"kind":'), 10)).toThrow(SyntaxError);
    expect(() => parseWireMessage(bytes('null'), 10)).toThrow('message must be a JSON object');
    expect(() => parseWireMessage(bytes([good]), 10)).toThrow('message must be a JSON object');
    expect(() => parseWireMessage(bytes({ kind: 'vote', vote: good, resend: 1.5 }), 10)).toThrow('resend must be an integer');
    expect(() => parseWireMessage(bytes({ kind: 'vote', vote: good, extra: 1 }), 10)).toThrow('unknown field "extra"');
    expect(() => parseWireMessage(bytes({ kind: 'commit', vote: good }), 10)).toThrow('kind must be "vote" or "proposal"');
    expect(fieldOf(() => parseWireMessage(bytes({ kind: 'vote', vote: { ...good, round: -1 } }), 10))).toBe('vote.round');
  });

  it('accepts a well-formed vote and returns a fresh copy', () => {
    const out = validateVoteMessage(JSON.parse(JSON.stringify(good)));
    expect(out).toEqual(good);
    expect(validateVoteMessage({ ...good, blockHash: 'c'.repeat(64), type: 'precommit' }).blockHash).toBe('c'.repeat(64));
  });

  it.each([
    ['not an object', null, 'vote'],
    ['an array', [], 'vote'],
    ['extra field', { ...good, extra: 1 }, 'vote.extra'],
    ['missing field', { ...good, sig: undefined }, 'vote.sig'],
    ['bad type', { ...good, type: 'commit' }, 'vote.type'],
    ['height 0', { ...good, height: 0 }, 'vote.height'],
    ['fractional height', { ...good, height: 1.5 }, 'vote.height'],
    ['height as string', { ...good, height: '3' }, 'vote.height'],
    ['negative round', { ...good, round: -1 }, 'vote.round'],
    ['round too large', { ...good, round: 2 ** 31 }, 'vote.round'],
    ['short blockHash', { ...good, blockHash: 'ab' }, 'vote.blockHash'],
    ['uppercase blockHash', { ...good, blockHash: 'A'.repeat(64) }, 'vote.blockHash'],
    ['bad validator', { ...good, validator: 'xyz' }, 'vote.validator'],
    ['short sig', { ...good, sig: 'b'.repeat(126) }, 'vote.sig'],
  ])('rejects a vote with %s', (_name, raw, field) => {
    const r = raw as Record<string, unknown> | null;
    if (r !== null && 'sig' in r && r.sig === undefined) delete r.sig;
    expect(fieldOf(() => validateVoteMessage(r))).toBe(field);
  });

  const goodP = { height: 3, round: 2, polRound: -1, block: { header: v.header, txs: [] }, blockHash: 'c'.repeat(64), proposer: 'a'.repeat(64), sig: 'b'.repeat(128) };

  it('accepts a well-formed proposal', () => {
    expect(validateProposalMessage(goodP)).toEqual(goodP);
    expect(validateProposalMessage({ ...goodP, polRound: 1 }).polRound).toBe(1);
  });

  it.each([
    ['polRound below -1', { ...goodP, polRound: -2 }, 'proposal.polRound'],
    ['polRound not below round', { ...goodP, polRound: 2 }, 'proposal.polRound'],
    ['block not an object', { ...goodP, block: 'x' }, 'proposal.block'],
    ['block with extra field', { ...goodP, block: { header: {}, txs: [], x: 1 } }, 'proposal.block.x'],
    ['header not an object', { ...goodP, block: { header: [], txs: [] } }, 'proposal.block.header'],
    ['txs not an array', { ...goodP, block: { header: {}, txs: {} } }, 'proposal.block.txs'],
    ['bad blockHash', { ...goodP, blockHash: null }, 'proposal.blockHash'],
    ['bad proposer', { ...goodP, proposer: 'A'.repeat(64) }, 'proposal.proposer'],
    ['bad sig', { ...goodP, sig: '' }, 'proposal.sig'],
    ['extra field', { ...goodP, type: 'proposal' }, 'proposal.type'],
    ['round negative', { ...goodP, round: -1 }, 'proposal.round'],
  ])('rejects a proposal with %s', (_name, raw, field) => {
    expect(fieldOf(() => validateProposalMessage(raw))).toBe(field);
  });
});

describe('proposalJson', () => {
  it('writes the block txs from their wire bytes: parses to the proposal itself', () => {
    const txs = [{ type: 'access.log', chainId, from: account, nonce: 3, payload: { note: 'caf\u00e9 "q"', n: 1.5 }, sig: 'ab'.repeat(64) }, { b: 2, a: [1, { c: null }] }];
    const p = {
      height: 7, round: 1, polRound: 0, blockHash, proposer: account, sig: 'cd'.repeat(64),
      block: { header: { height: 7, chainId, prevHash: blockHash }, txs },
    } as unknown as Proposal;
    const json = proposalJson(p, txs.map((t) => canonicalBytes(t)));
    expect(JSON.parse(json.toString('utf8'))).toEqual(JSON.parse(JSON.stringify(p)));
    // What a restarted node reads back from its signer file passes the proposal check.
    expect(validateProposalMessage(JSON.parse(json.toString('utf8')))).toEqual(validateProposalMessage(JSON.parse(JSON.stringify(p))));
    expect(() => proposalJson(p, [canonicalBytes(txs[0])])).toThrow(/1 tx wires for 2 txs/);
  });
});

describe('checkProofOfLock (a lock\'s prevotes read back from disk)', () => {
  const keys = [0, 1, 2, 3].map(() => generateKeyPair());
  const authorities = keys.map((k) => k.account);
  const lock = { height: 5, round: 2, blockHash: 'ab'.repeat(32) };
  const prevote = (i: number, over: Partial<Vote> = {}) =>
    signVote(chainId, { type: 'prevote', height: 5, round: 2, blockHash: lock.blockHash, validator: keys[i]!.account, ...over }, keys[i]!.secretKey);

  it('keeps the well-formed, signed prevotes of authorities for the lock\'s height, round and block', () => {
    const good = [prevote(0), prevote(1), prevote(2)];
    expect(checkProofOfLock(chainId, lock, good, authorities)).toEqual({ votes: good, skipped: [] });
    expect(checkProofOfLock(chainId, lock, undefined, authorities)).toEqual({ votes: [], skipped: [] }); // a record of an earlier version
  });

  it('skips, each with its reason, every vote that is not such a prevote', () => {
    const outsider = generateKeyPair();
    const precommit = signVote(chainId, { type: 'precommit', height: 5, round: 2, blockHash: lock.blockHash, validator: keys[0]!.account }, keys[0]!.secretKey);
    const stored = [
      prevote(0),
      precommit,
      prevote(1, { round: 1 }),
      prevote(1, { height: 6 }),
      prevote(2, { blockHash: 'cd'.repeat(32) }),
      prevote(3, { blockHash: null }),
      signVote(chainId, { type: 'prevote', ...lock, validator: outsider.account }, outsider.secretKey),
      { ...prevote(3), sig: prevote(0).sig },
      { ...prevote(3), extra: 1 },
      'junk',
    ];
    const { votes, skipped } = checkProofOfLock(chainId, lock, stored, authorities);
    expect(votes).toEqual([prevote(0)]);
    expect(skipped).toHaveLength(stored.length - 1);
    expect(skipped[0]).toMatch(/^\[1\]: not a prevote/);
    expect(skipped[1]).toMatch(/^\[2\]: for 5\/1, not the lock's 5\/2/);
    expect(skipped[2]).toMatch(/^\[3\]: for 6\/2/);
    expect(skipped[3]).toMatch(/^\[4\]: for another block/);
    expect(skipped[4]).toMatch(/^\[5\]: for another block/);
    expect(skipped[5]).toMatch(/^\[6\]: by a validator that is not an authority/);
    expect(skipped[6]).toMatch(/^\[7\]: signature does not verify/);
    expect(skipped[7]).toMatch(/^\[8\]: /);
    expect(skipped[8]).toMatch(/^\[9\]: /);
    expect(checkProofOfLock(chainId, lock, { 0: prevote(0) }, authorities)).toEqual({ votes: [], skipped: ['not an array'] });
  });
});
