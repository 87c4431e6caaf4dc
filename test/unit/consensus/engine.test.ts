import { describe, expect, it } from 'vitest';
import { ConsensusEngine, proposerOf, timeoutDelay } from '../../../src/consensus/index.js';
import { commitProblem } from '../../../src/chain/commit.js';
import { silentLogger } from '../../../src/util/logger.js';
import { blockAt, engineFor, one, only, signBack, TIMEOUTS, types } from './helpers.js';
import { accounts, CHAIN_ID, fakeBlock, fakeVerify, proposal, vote } from './sim/fixtures.js';

const V = accounts(4); // height 1: proposer of round r is V[(1 + r) % 4]
const OUTSIDER = accounts(1, 'outsider')[0]!;

/** An engine for V[0] at height 1, woken by txs, in round 0 step propose. */
function started(self: string | null = V[0]!): ConsensusEngine {
  const e = engineFor(self);
  e.startHeight(1, V);
  e.onTxsAvailable();
  return e;
}

/** Drives `e` (round r, step propose) to round r+1 with nil votes from V[1..3]. */
function nilRound(e: ConsensusEngine, r: number): void {
  e.onTimeout({ height: 1, round: r, step: 'propose' });
  for (const v of [V[1]!, V[2]!, V[3]!]) e.onVote(vote('prevote', 1, r, null, v));
  for (const v of [V[1]!, V[2]!, V[3]!]) e.onVote(vote('precommit', 1, r, null, v));
  e.onTimeout({ height: 1, round: r, step: 'precommit' });
  expect(e.status().round).toBe(r + 1);
}

describe('n = 1 (dev chain)', () => {
  it('the single authority proposes, prevotes, precommits and commits with a 1-signature certificate', () => {
    const [a] = accounts(1);
    const e = engineFor(a!);
    expect(e.startHeight(1, [a!])).toEqual([]);
    const s1 = e.onTxsAvailable();
    expect(types(s1)).toEqual(['scheduleTimeout', 'buildBlock']);
    expect(one(s1, 'buildBlock')).toEqual({ type: 'buildBlock', height: 1, round: 0 });
    const { block, hash } = fakeBlock({ height: 1, round: 0, proposer: a!, validators: [a!] });
    const s2 = e.onBlockBuilt(1, 0, block, hash);
    expect(types(s2)).toEqual(['signProposal', 'signVote']);
    expect(one(s2, 'signProposal').proposal).toMatchObject({ height: 1, round: 0, polRound: -1, blockHash: hash, proposer: a, sig: '' });
    expect(one(s2, 'signVote').vote).toEqual({ type: 'prevote', height: 1, round: 0, blockHash: hash, validator: a, sig: '' });
    const { out: s3 } = signBack(e, s2);
    expect(one(s3, 'signVote').vote).toMatchObject({ type: 'precommit', blockHash: hash });
    const { vote: pc, out: s4 } = signBack(e, s3);
    const c = one(s4, 'commit');
    expect(c.block).toBe(block);
    expect(c.commit).toEqual({ height: 1, round: 0, blockHash: hash, signatures: [{ validator: a, sig: pc.sig }] });
    expect(commitProblem(CHAIN_ID, 1, hash, c.commit, [a!], fakeVerify)).toBeNull();
    expect(e.status()).toMatchObject({ height: 1, step: 'committed' });
    // Done with height 1: nothing more happens there.
    expect(e.onTimeout({ height: 1, round: 0, step: 'propose' })).toEqual([]);
    expect(e.onVote(pc)).toEqual([]);
    // Height 2 starts idle again.
    expect(e.startHeight(2, [a!])).toEqual([]);
    expect(types(e.onTxsAvailable())).toEqual(['scheduleTimeout', 'buildBlock']);
  });
});

describe('proposer rotation and timeouts', () => {
  it('proposer of (h, r) is validators[(h + r) % n] in the order given', () => {
    expect([0, 1, 2, 3, 4].map((r) => proposerOf(V, 1, r))).toEqual([V[1], V[2], V[3], V[0], V[1]]);
    expect(proposerOf(V, 2, 0)).toBe(V[2]);
    expect(proposerOf([...V].reverse(), 1, 0)).toBe(V[2]);
  });

  it('only the round proposer asks for a block; a timed-out round hands over to the next one', () => {
    const p0 = engineFor(V[1]!);
    p0.startHeight(1, V);
    expect(one(p0.onTxsAvailable(), 'buildBlock')).toEqual({ type: 'buildBlock', height: 1, round: 0 });

    const e = engineFor(V[2]!);
    e.startHeight(1, V);
    expect(types(e.onTxsAvailable())).toEqual(['scheduleTimeout']);
    e.onTimeout({ height: 1, round: 0, step: 'propose' });
    for (const v of [V[0]!, V[1]!, V[3]!]) e.onVote(vote('prevote', 1, 0, null, v));
    for (const v of [V[0]!, V[1]!]) e.onVote(vote('precommit', 1, 0, null, v));
    expect(types(e.onVote(vote('precommit', 1, 0, null, V[3]!)))).toEqual(['scheduleTimeout']);
    const next = e.onTimeout({ height: 1, round: 0, step: 'precommit' });
    expect(one(next, 'buildBlock')).toEqual({ type: 'buildBlock', height: 1, round: 1 });
  });

  it('timeouts grow by deltaMs per round, for each step', () => {
    expect(timeoutDelay(TIMEOUTS, 'propose', 0)).toBe(1000);
    expect(timeoutDelay(TIMEOUTS, 'prevote', 2)).toBe(1000);
    expect(timeoutDelay(TIMEOUTS, 'precommit', 3)).toBe(1150);

    const e = started();
    const delays = (acts: ReturnType<ConsensusEngine['onVote']>) => only(acts, 'scheduleTimeout').map((a) => [a.timeout.step, a.timeout.round, a.delayMs]);
    nilRound(e, 0);
    // Skip to round 3 (f+1 = 2 voters there): propose timeout 1000 + 3 * 250.
    e.onVote(vote('prevote', 1, 3, null, V[1]!));
    expect(delays(e.onVote(vote('prevote', 1, 3, null, V[2]!)))).toEqual([['propose', 3, 1750]]);
    // 2f+1 prevotes of any kind once we prevoted: prevote timeout 500 + 750.
    e.onTimeout({ height: 1, round: 3, step: 'propose' });
    expect(delays(e.onVote(vote('prevote', 1, 3, 'ab'.repeat(32), V[3]!)))).toEqual([['prevote', 3, 1250]]);
    // 2f+1 precommits of any kind: precommit timeout 400 + 750.
    e.onVote(vote('precommit', 1, 3, null, V[1]!));
    e.onVote(vote('precommit', 1, 3, 'cd'.repeat(32), V[2]!));
    expect(delays(e.onVote(vote('precommit', 1, 3, null, V[3]!)))).toEqual([['precommit', 3, 1150]]);
  });
});

describe('locking and proof-of-lock', () => {
  /** V[0] locks on the round-0 block B; returns the engine in round 1 and B's hash. */
  function lockedOnB() {
    const e = started();
    const B = blockAt(V, 1, 0);
    const pre = e.onProposal(proposal(1, 0, B.block, B.hash, V[1]!), true);
    expect(one(pre, 'signVote').vote).toMatchObject({ type: 'prevote', blockHash: B.hash });
    signBack(e, pre);
    e.onVote(vote('prevote', 1, 0, B.hash, V[1]!));
    const pc = e.onVote(vote('prevote', 1, 0, B.hash, V[2]!));
    expect(one(pc, 'signVote').vote).toMatchObject({ type: 'precommit', round: 0, blockHash: B.hash });
    expect(e.status()).toMatchObject({ lockedRound: 0, lockedBlockHash: B.hash, validRound: 0, validBlockHash: B.hash });
    signBack(e, pc);
    e.onVote(vote('precommit', 1, 0, null, V[1]!));
    e.onVote(vote('precommit', 1, 0, null, V[2]!));
    e.onTimeout({ height: 1, round: 0, step: 'precommit' });
    expect(e.status().round).toBe(1);
    return { e, B };
  }

  it('prevotesFor gives the proof-of-lock behind the lock; votesToShare gives it and every vote of the current and previous round', () => {
    const { e, B } = lockedOnB(); // in round 1, locked on B in round 0
    expect(e.prevotesFor(0, B.hash).map((v) => v.validator).sort()).toEqual([V[0]!, V[1]!, V[2]!].sort());
    const key = (v: { type: string; round: number; validator: string; blockHash: string | null }) => `${v.type}/${v.round}/${v.validator}/${v.blockHash === B.hash ? 'B' : v.blockHash ?? 'nil'}`;
    expect(e.votesToShare().map(key).sort()).toEqual([
      ...[0, 1, 2].map((i) => `prevote/0/${V[i]}/B`),
      `precommit/0/${V[0]}/B`, `precommit/0/${V[1]}/nil`, `precommit/0/${V[2]}/nil`, // what ended round 0 here
    ].sort());
    // Two rounds later: the lock's proof still, the rounds before the previous one no longer.
    nilRound(e, 1);
    nilRound(e, 2);
    const shared = e.votesToShare();
    expect(shared.filter((v) => v.round === 0).map(key).sort()).toEqual([0, 1, 2].map((i) => `prevote/0/${V[i]}/B`).sort());
    expect(shared.some((v) => v.round === 1)).toBe(false);
    expect(shared.filter((v) => v.round === 2 && v.type === 'precommit').map((v) => v.validator).sort()).toEqual([V[1]!, V[2]!, V[3]!].sort());
  });

  it('a node locked on B prevotes nil for a different block proposed without a POL', () => {
    const { e, B } = lockedOnB();
    const C = blockAt(V, 1, 1);
    const out = e.onProposal(proposal(1, 1, C.block, C.hash, V[2]!), true);
    expect(one(out, 'signVote').vote).toMatchObject({ type: 'prevote', round: 1, blockHash: null });
    expect(e.status()).toMatchObject({ lockedRound: 0, lockedBlockHash: B.hash });
  });

  it('...and prevotes its locked block when it is proposed again', () => {
    const { e, B } = lockedOnB();
    const out = e.onProposal(proposal(1, 1, B.block, B.hash, V[2]!, 0), true);
    expect(one(out, 'signVote').vote).toMatchObject({ type: 'prevote', round: 1, blockHash: B.hash });
  });

  it('a POL for another block in a later round moves the lock (L36)', () => {
    const { e } = lockedOnB();
    const C = blockAt(V, 1, 1);
    e.onProposal(proposal(1, 1, C.block, C.hash, V[2]!), true); // we prevote nil (locked)
    for (const v of [V[1]!, V[2]!]) e.onVote(vote('prevote', 1, 1, C.hash, v));
    const out = e.onVote(vote('prevote', 1, 1, C.hash, V[3]!));
    expect(one(out, 'signVote').vote).toMatchObject({ type: 'precommit', round: 1, blockHash: C.hash });
    expect(e.status()).toMatchObject({ lockedRound: 1, lockedBlockHash: C.hash });
  });

  it('a re-proposal with polRound >= lockedRound and its POL gets our prevote (L28); an older POL does not', () => {
    const B = 'b0'.repeat(32);
    const C = blockAt(V, 1, 2);
    // Locked on B at round 0; C proposed in round 2 with a POL from round 1.
    const e = engineFor(V[0]!);
    e.startHeight(1, V, { round: 2, lockedRound: 0, lockedBlockHash: B });
    e.onTxsAvailable();
    expect(e.onProposal(proposal(1, 2, C.block, C.hash, V[3]!, 1), true)).toEqual([]); // waits for the POL
    e.onVote(vote('prevote', 1, 1, C.hash, V[1]!));
    e.onVote(vote('prevote', 1, 1, C.hash, V[2]!));
    const out = e.onVote(vote('prevote', 1, 1, C.hash, V[3]!));
    expect(one(out, 'signVote').vote).toMatchObject({ type: 'prevote', round: 2, blockHash: C.hash });

    // Locked on B at round 1; the POL for C is from round 0: prevote nil.
    const f = engineFor(V[0]!);
    f.startHeight(1, V, { round: 2, lockedRound: 1, lockedBlockHash: B });
    f.onTxsAvailable();
    for (const v of [V[1]!, V[2]!, V[3]!]) f.onVote(vote('prevote', 1, 0, C.hash, v));
    const out2 = f.onProposal(proposal(1, 2, C.block, C.hash, V[3]!, 0), true);
    expect(one(out2, 'signVote').vote).toMatchObject({ type: 'prevote', round: 2, blockHash: null });
  });

  it('without the POL it prevotes nil when the propose timeout fires', () => {
    const C = blockAt(V, 1, 2);
    const e = engineFor(V[0]!);
    e.startHeight(1, V, { round: 2, lockedRound: 0, lockedBlockHash: 'b0'.repeat(32) });
    e.onTxsAvailable();
    e.onVote(vote('prevote', 1, 1, C.hash, V[1]!));
    expect(e.onProposal(proposal(1, 2, C.block, C.hash, V[3]!, 1), true)).toEqual([]);
    const out = e.onTimeout({ height: 1, round: 2, step: 'propose' });
    expect(one(out, 'signVote').vote).toMatchObject({ type: 'prevote', round: 2, blockHash: null });
  });

  it('an invalid proposal gets a nil prevote, and a late proposal after the timeout no second prevote', () => {
    const e = started();
    const B = blockAt(V, 1, 0);
    expect(one(e.onProposal(proposal(1, 0, B.block, B.hash, V[1]!), false), 'signVote').vote.blockHash).toBeNull();
    const f = started();
    expect(one(f.onTimeout({ height: 1, round: 0, step: 'propose' }), 'signVote').vote.blockHash).toBeNull();
    expect(f.onProposal(proposal(1, 0, B.block, B.hash, V[1]!), true)).toEqual([]);
  });
});

describe('restore after a restart', () => {
  const B = blockAt(V, 1, 1);

  it('resumes at the restored round, keeps the lock, prevotes only for a proposal of the locked hash', () => {
    const restore = { round: 2, lockedRound: 1, lockedBlockHash: B.hash };
    const e = engineFor(V[0]!);
    expect(e.startHeight(1, V, restore)).toEqual([]); // still idle
    expect(e.status()).toMatchObject({ round: 2, step: 'idle', lockedRound: 1, lockedBlockHash: B.hash, validRound: 1, validBlockHash: B.hash });
    const C = blockAt(V, 1, 2);
    e.onTxsAvailable();
    expect(e.status()).toMatchObject({ round: 2, step: 'propose' });
    expect(one(e.onProposal(proposal(1, 2, C.block, C.hash, V[3]!), true), 'signVote').vote).toMatchObject({ round: 2, blockHash: null });

    const f = engineFor(V[0]!);
    f.startHeight(1, V, restore);
    f.onTxsAvailable();
    expect(one(f.onProposal(proposal(1, 2, B.block, B.hash, V[3]!, 1), true), 'signVote').vote).toMatchObject({ round: 2, blockHash: B.hash });
    // L22 too: a locked node prevotes its locked block even without a POL.
    const g = engineFor(V[0]!);
    g.startHeight(1, V, restore);
    g.onTxsAvailable();
    expect(one(g.onProposal(proposal(1, 2, B.block, B.hash, V[3]!), true), 'signVote').vote.blockHash).toBe(B.hash);
  });

  it('as proposer it proposes the locked block only if it holds it, never a fresh one', () => {
    // V[0] proposes round 3 at height 1.
    const restore = { round: 3, lockedRound: 1, lockedBlockHash: B.hash };
    const e = engineFor(V[0]!);
    e.startHeight(1, V, restore);
    expect(types(e.onTxsAvailable())).toEqual(['scheduleTimeout']);

    const f = engineFor(V[0]!);
    f.startHeight(1, V, restore);
    const out = f.onProposal(proposal(1, 1, B.block, B.hash, V[2]!), true); // B arrives (its own round 1): wakes us
    const p = one(out, 'signProposal').proposal;
    expect(p).toMatchObject({ height: 1, round: 3, polRound: 1, blockHash: B.hash, proposer: V[0], sig: '' });
    expect(p.block).toBe(B.block);
    expect(only(out, 'buildBlock')).toEqual([]);
  });

  it('resumes in the round it last signed in with its own votes there: counted, never asked for again, the remaining one still cast', () => {
    // V[0] prevoted B in round 1, then crashed; V[1] and V[2] prevoted B too, V[3] is silent.
    const own = vote('prevote', 1, 1, B.hash, V[0]!);
    const e = engineFor(V[0]!);
    expect(e.startHeight(1, V, { round: 1, lockedRound: -1, lockedBlockHash: null, ownVotes: [own] })).toEqual([]); // still idle
    expect(e.prevotesFor(1, B.hash)).toEqual([own]);
    e.onTxsAvailable();
    // B proposed in round 1 (by V[2]): no second prevote is asked for; the polka makes the precommit.
    expect(only(e.onProposal(proposal(1, 1, B.block, B.hash, V[2]!), true), 'signVote')).toEqual([]);
    e.onVote(vote('prevote', 1, 1, B.hash, V[1]!));
    const out = e.onVote(vote('prevote', 1, 1, B.hash, V[2]!));
    expect(one(out, 'signVote').vote).toMatchObject({ type: 'precommit', round: 1, blockHash: B.hash });
    // A vote that is not ours, or of another height, is ignored.
    const f = engineFor(V[0]!);
    f.startHeight(1, V, { round: 1, lockedRound: -1, lockedBlockHash: null, ownVotes: [vote('prevote', 1, 1, B.hash, V[1]!), vote('prevote', 2, 1, B.hash, V[0]!)] });
    expect(f.prevotesFor(1, B.hash)).toEqual([]);
  });

  it('rejects an inconsistent restore', () => {
    const e = engineFor(V[0]!);
    expect(() => e.startHeight(1, V, { round: 1, lockedRound: 2, lockedBlockHash: B.hash })).toThrow(/lockedRound/);
    expect(() => e.startHeight(1, V, { round: 1, lockedRound: 0, lockedBlockHash: null })).toThrow(/lockedBlockHash/);
    expect(() => e.startHeight(1, V, { round: 1, lockedRound: -1, lockedBlockHash: null, ownVotes: [vote('prevote', 1, 2, null, V[0]!)] })).toThrow(/ownVotes/);
  });
});

describe('message intake', () => {
  it('idle engine emits nothing until txs or a peer message', () => {
    const e = engineFor(V[1]!); // even the round-0 proposer waits
    expect(e.startHeight(1, V)).toEqual([]);
    expect(e.onTimeout({ height: 1, round: 0, step: 'propose' })).toEqual([]);
    expect(e.status()).toMatchObject({ height: 1, round: 0, step: 'idle' });
    expect(types(e.onVote(vote('prevote', 1, 0, null, V[2]!)))).toEqual(['scheduleTimeout', 'buildBlock']);

    const f = engineFor(V[0]!);
    f.startHeight(1, V);
    const B = blockAt(V, 1, 0);
    expect(types(f.onProposal(proposal(1, 0, B.block, B.hash, V[1]!), true))).toEqual(['scheduleTimeout', 'signVote']);
  });

  it('buffers votes and proposals for future heights and replays them at startHeight', () => {
    const e = engineFor(V[0]!);
    e.startHeight(1, V);
    const B2 = blockAt(V, 2, 0);
    const p2 = proposal(2, 0, B2.block, B2.hash, V[2]!);
    expect(e.onVote(vote('prevote', 2, 0, B2.hash, V[3]!))).toEqual([]);
    expect(e.onProposal(p2, true)).toEqual([]);
    expect(e.onVote(vote('prevote', 4, 0, null, V[3]!))).toEqual([]); // too far ahead: dropped
    expect(e.status()).toMatchObject({ height: 1, step: 'idle' });

    const out = e.startHeight(2, V);
    expect(one(out, 'validateProposal').proposal).toBe(p2);
    expect(e.status()).toMatchObject({ height: 2, round: 0, step: 'propose' }); // woken by the buffered vote
    expect(one(e.onProposal(p2, true), 'signVote').vote).toMatchObject({ height: 2, type: 'prevote', blockHash: B2.hash });

    const f = engineFor(V[0]!);
    f.startHeight(1, V);
    f.onVote(vote('prevote', 4, 0, null, V[3]!));
    f.startHeight(4, V);
    expect(f.status().step).toBe('idle');
  });

  it('drops messages of past heights', () => {
    const e = engineFor(V[0]!);
    e.startHeight(2, V);
    const B = blockAt(V, 1, 0);
    expect(e.onVote(vote('prevote', 1, 0, null, V[1]!))).toEqual([]);
    expect(e.onProposal(proposal(1, 0, B.block, B.hash, V[1]!), true)).toEqual([]);
    expect(e.status()).toMatchObject({ height: 2, step: 'idle' });
    expect(() => e.startHeight(2, V)).toThrow(/not above/);
  });

  it('ignores a duplicate vote', () => {
    const e = started();
    e.onTimeout({ height: 1, round: 0, step: 'propose' }); // we prevote nil (not fed back: not counted)
    expect(e.onVote(vote('prevote', 1, 0, null, V[1]!))).toEqual([]);
    expect(e.onVote(vote('prevote', 1, 0, null, V[1]!))).toEqual([]);
    expect(e.onVote(vote('prevote', 1, 0, null, V[2]!))).toEqual([]);
    expect(e.status().step).toBe('prevote');
    expect(one(e.onVote(vote('prevote', 1, 0, null, V[3]!)), 'signVote').vote).toMatchObject({ type: 'precommit', blockHash: null });
  });

  it('drops votes from non-validators and proposals from the wrong proposer', () => {
    const e = engineFor(V[0]!);
    e.startHeight(1, V);
    expect(e.onVote(vote('prevote', 1, 0, null, OUTSIDER))).toEqual([]);
    const B = blockAt(V, 1, 0);
    expect(e.onProposal(proposal(1, 0, B.block, B.hash, V[2]!), true)).toEqual([]);
    expect(e.status().step).toBe('idle');

    const f = started();
    f.onTimeout({ height: 1, round: 0, step: 'propose' });
    f.onVote(vote('prevote', 1, 0, null, V[1]!));
    f.onVote(vote('prevote', 1, 0, null, V[2]!));
    expect(f.onVote(vote('prevote', 1, 0, null, OUTSIDER))).toEqual([]);
    expect(f.status().step).toBe('prevote');
  });

  it('reports an equivocation once and counts the first vote for the any-thresholds', () => {
    const e = started();
    const B = blockAt(V, 1, 0);
    const first = vote('prevote', 1, 0, B.hash, V[1]!);
    const second = vote('prevote', 1, 0, null, V[1]!);
    e.onVote(first);
    expect(e.onVote(second)).toEqual([{ type: 'evidence', a: first, b: second }]);
    expect(e.onVote(vote('prevote', 1, 0, 'cc'.repeat(32), V[1]!))).toEqual([]);
    expect(e.onVote(second)).toEqual([]);
    expect(only(e.onVote(vote('precommit', 1, 0, null, V[1]!)), 'evidence')).toEqual([]); // other type: fine
    // Still one voter in round 0: two more are needed for 2f+1 prevotes.
    e.onTimeout({ height: 1, round: 0, step: 'propose' });
    expect(types(e.onVote(vote('prevote', 1, 0, null, V[2]!)))).toEqual([]);
  });

  it('counts an equivocator\'s prevote for a value a later proposal claims a proof-of-lock for (found by the simulation, seed 9161)', () => {
    // V[0] never saw round 0's proposal of X. The Byzantine V[1] showed it a prevote for Y
    // first, then one for X: a conflicting vote for a value not proposed in round 0 (here)
    // waits. Honest V[2] and V[3] prevoted X and locked on it. When V[2] proposes X in round 1
    // with polRound 0, V[0] must see that proof-of-lock (3 prevotes for X in round 0, V[1]'s
    // among them): otherwise it never prevotes X, the locked nodes never prevote anything
    // else, and the height never ends.
    const e = started();
    const X = blockAt(V, 1, 0);
    e.onVote(vote('prevote', 1, 0, 'cc'.repeat(32), V[1]!));
    e.onVote(vote('prevote', 1, 0, X.hash, V[1]!)); // conflict: waits for a proposal of X
    e.onVote(vote('prevote', 1, 0, X.hash, V[2]!));
    e.onVote(vote('prevote', 1, 0, X.hash, V[3]!));
    e.onVote(vote('precommit', 1, 1, null, V[2]!));
    e.onVote(vote('precommit', 1, 1, null, V[3]!)); // f+1 in round 1: skip there
    expect(e.status()).toMatchObject({ round: 1, step: 'propose' });
    const out = e.onProposal(proposal(1, 1, X.block, X.hash, V[2]!, 0), true);
    expect(one(out, 'signVote').vote).toMatchObject({ type: 'prevote', round: 1, blockHash: X.hash });
    // The claim alone makes later copies of such votes count too (a relay after the proposal).
    const f = started();
    f.onVote(vote('prevote', 1, 0, 'cc'.repeat(32), V[1]!));
    f.onVote(vote('prevote', 1, 0, X.hash, V[2]!));
    f.onVote(vote('prevote', 1, 0, X.hash, V[3]!));
    f.onVote(vote('precommit', 1, 1, null, V[2]!));
    f.onVote(vote('precommit', 1, 1, null, V[3]!));
    expect(only(f.onProposal(proposal(1, 1, X.block, X.hash, V[2]!, 0), true), 'signVote')).toEqual([]); // 2 of 3: waits
    expect(one(f.onVote(vote('prevote', 1, 0, X.hash, V[1]!)), 'signVote').vote).toMatchObject({ type: 'prevote', round: 1, blockHash: X.hash });
  });

  it('skips to a higher round on f+1 votes from distinct validators', () => {
    const e = started();
    expect(e.onVote(vote('prevote', 1, 5, null, V[2]!))).toEqual([]);
    expect(e.onVote(vote('precommit', 1, 5, null, V[2]!))).toEqual([]); // same validator: still one
    expect(e.status().round).toBe(0);
    const out = e.onVote(vote('precommit', 1, 5, null, V[3]!));
    expect(e.status()).toMatchObject({ round: 5, step: 'propose' });
    expect(one(out, 'scheduleTimeout').timeout).toEqual({ height: 1, round: 5, step: 'propose' });
  });

  it('commits only holding the block: missingBlock (once) before, commit when the proposal arrives', () => {
    const e = started();
    const B = blockAt(V, 1, 0);
    e.onVote(vote('precommit', 1, 0, B.hash, V[1]!));
    e.onVote(vote('precommit', 1, 0, B.hash, V[2]!));
    const out = e.onVote(vote('precommit', 1, 0, B.hash, V[3]!));
    expect(one(out, 'missingBlock')).toEqual({ type: 'missingBlock', height: 1, round: 0, blockHash: B.hash });
    expect(only(e.onVote(vote('prevote', 1, 0, null, V[3]!)), 'missingBlock')).toEqual([]);
    const c = one(e.onProposal(proposal(1, 0, B.block, B.hash, V[1]!), true), 'commit');
    expect(c.commit.signatures.map((s) => s.validator)).toEqual([V[1], V[2], V[3]]);
    expect(commitProblem(CHAIN_ID, 1, B.hash, c.commit, V, fakeVerify)).toBeNull();
  });

  it('an observer follows and commits without ever proposing or voting', () => {
    const e = started(null);
    const B = blockAt(V, 1, 0);
    const acts = [...e.onProposal(proposal(1, 0, B.block, B.hash, V[1]!), true)];
    for (const t of ['prevote', 'precommit'] as const) for (const v of [V[1]!, V[2]!, V[3]!]) acts.push(...e.onVote(vote(t, 1, 0, B.hash, v)));
    expect(acts.filter((a) => a.type === 'signVote' || a.type === 'signProposal' || a.type === 'buildBlock')).toEqual([]);
    expect(one(acts, 'commit').blockHash).toBe(B.hash);
    expect(e.status().isValidator).toBe(false);
  });

  it('ignores onVoteSigned with another validator\'s vote and stale onBlockBuilt', () => {
    const e = engineFor(V[1]!);
    e.startHeight(1, V);
    e.onTxsAvailable();
    expect(e.onVoteSigned(vote('prevote', 1, 0, null, V[2]!))).toEqual([]);
    const B = blockAt(V, 1, 0);
    expect(e.onBlockBuilt(1, 1, B.block, B.hash)).toEqual([]); // wrong round
    expect(types(e.onBlockBuilt(1, 0, B.block, B.hash))).toEqual(['signProposal', 'signVote']);
    expect(e.onBlockBuilt(1, 0, B.block, B.hash)).toEqual([]); // already proposed
  });
});

describe('construction and logging', () => {
  it('takes a pino logger or any {debug, info, warn}; validates its options', () => {
    expect(() => new ConsensusEngine({ chainId: CHAIN_ID, self: V[0]!, timeouts: TIMEOUTS }, silentLogger())).not.toThrow();
    const lines: string[] = [];
    const rec = { debug: () => {}, info: (_: object, m?: string) => lines.push(m ?? ''), warn: (_: object, m?: string) => lines.push(m ?? '') };
    const e = new ConsensusEngine({ chainId: CHAIN_ID, self: V[0]!, timeouts: TIMEOUTS }, rec);
    e.startHeight(1, V);
    e.onVote(vote('prevote', 1, 0, null, V[1]!));
    e.onVote(vote('prevote', 1, 0, 'ab'.repeat(32), V[1]!));
    expect(lines).toEqual(['consensus: equivocation']);
    expect(() => new ConsensusEngine({ chainId: CHAIN_ID, self: 'nope', timeouts: TIMEOUTS })).toThrow(/self/);
    expect(() => new ConsensusEngine({ chainId: CHAIN_ID, self: null, timeouts: { ...TIMEOUTS, deltaMs: -1 } })).toThrow(/deltaMs/);
    expect(() => engineFor(V[0]!).startHeight(1, [V[0]!, V[0]!])).toThrow(/distinct/);
    expect(engineFor(null).status()).toMatchObject({ step: 'unstarted', proposer: null });
  });

  it('adopts its own earlier vote (replayed or re-issued by the privval) and never asks for another', () => {
    const e = engineFor(V[0]!);
    e.startHeight(1, V, { round: 0, lockedRound: -1, lockedBlockHash: null });
    const B = blockAt(V, 1, 0);
    e.onVoteSigned(vote('prevote', 1, 0, null, V[0]!)); // signed before the crash
    expect(e.status().step).toBe('prevote');
    expect(e.onProposal(proposal(1, 0, B.block, B.hash, V[1]!), true)).toEqual([]); // no second prevote
    e.onVoteSigned(vote('precommit', 1, 0, B.hash, V[0]!));
    expect(e.status()).toMatchObject({ step: 'precommit', lockedRound: 0, lockedBlockHash: B.hash });
  });
});

describe('future-height proposals', () => {
  it('are handed back for validation at startHeight only when they come from the round proposer', () => {
    const V = ['a', 'b', 'c', 'd'].map((c) => c.repeat(64));
    const e = new ConsensusEngine({ chainId: CHAIN_ID, self: V[0]!, timeouts: { proposeMs: 1000, prevoteMs: 1000, precommitMs: 1000, deltaMs: 0 } });
    e.startHeight(1, V);
    const block = { header: { height: 2 }, txs: [] } as never;
    const right = { height: 2, round: 0, polRound: -1, block, blockHash: 'f'.repeat(64), proposer: proposerOf(V, 2, 0), sig: 's' };
    const wrong = { ...right, blockHash: 'e'.repeat(64), proposer: V.find((v) => v !== proposerOf(V, 2, 0))! };
    e.onProposal(right, false);
    e.onProposal(wrong, false);
    const out = e.startHeight(2, V);
    expect(out.filter((a) => a.type === 'validateProposal').map((a) => (a as { proposal: { blockHash: string } }).proposal.blockHash)).toEqual(['f'.repeat(64)]);
  });
});
