import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../src/chain/ed25519.js';
import { signVote } from '../../../src/consensus/index.js';
import type { Vote } from '../../../src/consensus/index.js';
import { resumeAt } from '../../../src/node/resume.js';
import type { SignRecord } from '../../../src/node/signer.js';

const CHAIN = 'resume-test';
const keys = [0, 1, 2, 3].map(() => generateKeyPair());
const authorities = keys.map((k) => k.account);
const me = keys[0]!;
const B = 'ab'.repeat(32);
const v = (i: number, type: Vote['type'], round: number, blockHash: string | null, height = 7) =>
  signVote(CHAIN, { type, height, round, blockHash, validator: keys[i]!.account }, keys[i]!.secretKey);

/** A signing record as the signer holds it: the last signature, the height's votes, the lock. */
function record(last: Pick<SignRecord, 'height' | 'round' | 'step'>, votes: unknown[] | undefined, lock: SignRecord['lock'] = null) {
  const rec = { ...last, blockHash: null, bytesHash: '', sig: '', votes, lock };
  return {
    account: me.account,
    lastSigned: () => rec,
    votesAt: (h: number) => (h === rec.height && Array.isArray(votes) ? votes : []),
    lockAt: (h: number) => (lock && lock.height === h ? lock : null),
  };
}

describe('resumeAt (where a restarted authority resumes)', () => {
  it('nothing signed at the height: a fresh start', () => {
    expect(resumeAt(record({ height: 6, round: 3, step: 3 }, []), 7, CHAIN, authorities)).toBeUndefined();
  });

  it('in the round it last signed in, with its votes there, when its last vote reads back', () => {
    const votes = [v(0, 'prevote', 0, null), v(0, 'precommit', 0, null), v(0, 'prevote', 1, B)];
    const r = resumeAt(record({ height: 7, round: 1, step: 2 }, votes), 7, CHAIN, authorities)!;
    expect(r.restore).toEqual({ round: 1, lockedRound: -1, lockedBlockHash: null, ownVotes: votes });
    expect(r.skipped).toEqual([]);
    // After a proposal only, the same round too (nothing voted there yet).
    expect(resumeAt(record({ height: 7, round: 2, step: 1 }, votes), 7, CHAIN, authorities)!.restore.round).toBe(2);
  });

  it('in the next round when its last vote does not read back (an earlier version\'s record, or a bad entry)', () => {
    expect(resumeAt(record({ height: 7, round: 1, step: 2 }, undefined), 7, CHAIN, authorities)!.restore).toMatchObject({ round: 2, ownVotes: [] });
    const forged = { ...v(0, 'prevote', 1, B), sig: v(0, 'prevote', 1, null).sig };
    const r = resumeAt(record({ height: 7, round: 1, step: 2 }, [forged, v(1, 'prevote', 1, B), v(0, 'precommit', 2, B), 'junk']), 7, CHAIN, authorities)!;
    expect(r.restore).toMatchObject({ round: 2, ownVotes: [] });
    expect(r.skipped).toEqual([
      expect.stringMatching(/^own vote \[0\]: signature does not verify/),
      expect.stringMatching(/^own vote \[1\]: not our vote/),
      expect.stringMatching(/^own vote \[2\]: after the last signature/),
      expect.stringMatching(/^own vote \[3\]: /),
    ]);
  });

  it('with the lock, its proposal and the usable part of its proof-of-lock', () => {
    const pol = [v(0, 'prevote', 1, B), v(1, 'prevote', 1, B), v(2, 'prevote', 0, B)];
    const votes = [v(0, 'prevote', 1, B), v(0, 'precommit', 1, B)];
    const r = resumeAt(record({ height: 7, round: 1, step: 3 }, votes, { height: 7, round: 1, blockHash: B, pol, proposal: { not: 'a proposal' } }), 7, CHAIN, authorities)!;
    expect(r.restore).toEqual({ round: 1, lockedRound: 1, lockedBlockHash: B, ownVotes: votes });
    expect(r.lockProof).toEqual(pol.slice(0, 2));
    expect(r.lockProposal).toBeNull();
    expect(r.skipped).toEqual([expect.stringMatching(/^lock proposal: /), expect.stringMatching(/^proof-of-lock vote \[2\]: for 7\/0/)]);
  });
});
