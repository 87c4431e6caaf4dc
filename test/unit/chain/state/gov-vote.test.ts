import { describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../../../src/chain/ed25519.js';
import { jcsHashHex } from '../../../../src/chain/hash.js';
import { signTx } from '../../../../src/chain/tx.js';
import { createTxValidator } from '../../../../src/chain/validate-tx.js';
import { chainHandlers, getAuthorities, getNodes, getOrg, getTally, proposalId, quorum, type Proposal } from '../../../../src/chain/state/index.js';
import type { ParamError } from '../../../../src/util/errors.js';
import { loadVector } from '../../../support/vectors.js';
import { CHAIN_ID, TestChain, expectOk, expectRejected, peerId } from './fixtures.js';

const smallOrder = (loadVector('ed25519-edge.json').cases as Array<{ name: string; account: string }>).find((c) => c.name.startsWith('small-order'))!.account;

const vote = (c: TestChain, k: KeyPair, proposal: Proposal) => c.tx(k, 'gov.vote', { proposal });
const addOrg = (org = 'east', admin = generateKeyPair().account): Proposal => ({ action: 'addOrg', org, name: 'East Clinic', admin });

describe('gov.vote', () => {
  it('quorum is floor(2n/3)+1', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorum)).toEqual([1, 2, 3, 3, 4, 5, 5]);
  });

  it('addOrg with n=1 applies at once: org, admin account, member event, no tally', () => {
    const c = new TestChain();
    const p = addOrg();
    const r = c.one(vote(c, c.auths[0]!, p));
    expectOk(r);
    expect(getOrg(c.state, 'east')).toEqual({ org: 'east', name: 'East Clinic', admins: [(p as { admin: string }).admin] });
    expect(c.account((p as { admin: string }).admin)).toMatchObject({ role: 'admin', org: 'east', nonce: 0, revoked: false, height: 1 });
    expect(r.events).toEqual([{ kind: 'member', account: (p as { admin: string }).admin, role: 'admin', org: 'east' }]);
    expect([...c.lastResult!.writes.keys()].some((k) => k.startsWith('gov/'))).toBe(false);
    expect(c.lastResult!.nextAuthorities).toBeNull();
  });

  it('with n=4 the proposal applies at the 3rd vote, not the 2nd, and its tally is cleared', () => {
    const c = new TestChain({ authorities: 4 });
    const p = addOrg();
    const id = proposalId(p);
    expect(id).toBe(jcsHashHex(p));
    c.block(vote(c, c.auths[0]!, p), vote(c, c.auths[1]!, p));
    expect(getOrg(c.state, 'east')).toBeUndefined();
    expect(getTally(c.state, id)).toEqual({ proposal: p, votes: [c.auths[0]!.account, c.auths[1]!.account] });
    expectOk(c.one(vote(c, c.auths[2]!, p)));
    expect(getOrg(c.state, 'east')).toBeDefined();
    expect(getTally(c.state, id)).toBeUndefined();
    expect(c.lastResult!.writes.get(`gov/${id}`)).toBeNull();
  });

  it('duplicate_vote: an authority votes once per proposal', () => {
    const c = new TestChain({ authorities: 4 });
    const p = addOrg();
    c.one(vote(c, c.auths[0]!, p));
    expectRejected(c.one(vote(c, c.auths[0]!, p)), 'duplicate_vote');
    expect(getTally(c.state, proposalId(p))!.votes).toEqual([c.auths[0]!.account]);
  });

  it('addAuthority changes nextAuthorities and takes effect from the next block', () => {
    const c = new TestChain();
    const a0 = c.auths[0]!;
    const nu = generateKeyPair();
    const p: Proposal = { action: 'addAuthority', org: 'south', account: nu.account, nodeId: peerId(100) };
    const rs = c.block(vote(c, a0, p), vote(c, nu, addOrg('west')), vote(c, a0, addOrg('east')));
    expectOk(rs[0]!);
    // Not yet a voter in the block that added it.
    expectRejected(rs[1]!, 'not_authority');
    // Still n=1 in this block: a0 alone applies a proposal.
    expectOk(rs[2]!);
    expect(getOrg(c.state, 'east')).toBeDefined();
    const expected = [{ account: a0.account, org: 'north', nodeId: peerId(0) }, { account: nu.account, org: 'south', nodeId: peerId(100) }]
      .sort((x, y) => (x.account < y.account ? -1 : 1));
    expect(c.lastResult!.nextAuthorities).toEqual(expected);
    expect(getAuthorities(c.state)).toEqual(expected);
    expect(getNodes(c.state)).toContainEqual({ nodeId: peerId(100), org: 'south' });
    expect(c.account(nu)).toMatchObject({ role: 'authority', org: 'south', nonce: 1 });
    // Next block: n=2, quorum 2, so one vote no longer applies a proposal.
    const q = addOrg('west');
    expectOk(c.one(vote(c, a0, q)));
    expect(getOrg(c.state, 'west')).toBeUndefined();
    expect(c.lastResult!.nextAuthorities).toBeNull();
    expectOk(c.one(vote(c, nu, q)));
    expect(getOrg(c.state, 'west')).toBeDefined();
  });

  it('removeAuthority shrinks the set from the next block; the account stays but can no longer vote', () => {
    const c = new TestChain({ authorities: 2 });
    const [a0, a1] = c.auths as [KeyPair, KeyPair];
    const p: Proposal = { action: 'removeAuthority', account: a1.account };
    c.block(vote(c, a0, p), vote(c, a1, p));
    expect(c.lastResult!.nextAuthorities).toEqual([{ account: a0.account, org: 'north', nodeId: peerId(0) }]);
    expect(c.account(a1)).toMatchObject({ role: 'authority', revoked: false });
    expect(getNodes(c.state)).toContainEqual({ nodeId: peerId(1), org: 'south' });
    expectRejected(c.one(vote(c, a1, addOrg())), 'not_authority');
    expectOk(c.one(vote(c, a0, addOrg())));
  });

  it('votes of authorities no longer in the set do not count', () => {
    const c = new TestChain({ authorities: 4 });
    const [a0, a1, a2, a3] = c.auths as [KeyPair, KeyPair, KeyPair, KeyPair];
    const p = addOrg();
    c.one(vote(c, a3, p));
    const rm: Proposal = { action: 'removeAuthority', account: a3.account };
    c.block(vote(c, a0, rm), vote(c, a1, rm), vote(c, a2, rm));
    expect(getAuthorities(c.state)).toHaveLength(3);
    c.block(vote(c, a0, p), vote(c, a1, p));
    expect(getOrg(c.state, 'east')).toBeUndefined(); // a3's vote + 2 = 3 votes, but only 2 count of n=3
    expectOk(c.one(vote(c, a2, p)));
    expect(getOrg(c.state, 'east')).toBeDefined();
  });

  it('not_authority', () => {
    const c = new TestChain({ authorities: 2 });
    const rm: Proposal = { action: 'removeAuthority', account: c.auths[1]!.account };
    c.block(vote(c, c.auths[0]!, rm), vote(c, c.auths[1]!, rm));
    expectRejected(c.one(vote(c, c.auths[1]!, addOrg())), 'not_authority');
  });
  it('last_authority: the set never becomes empty', () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.auths[0]!, { action: 'removeAuthority', account: c.auths[0]!.account })), 'last_authority');
    expect(getAuthorities(c.state)).toHaveLength(1);
  });
  it('unknown_authority', () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.auths[0]!, { action: 'removeAuthority', account: c.north.account })), 'unknown_authority');
  });
  it('org_exists', () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.auths[0]!, addOrg('north'))), 'org_exists');
  });
  it('unknown_org', () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.auths[0]!, { action: 'addNode', org: 'nowhere', nodeId: peerId(200) })), 'unknown_org');
    expectRejected(c.one(vote(c, c.auths[0]!, { action: 'addAuthority', org: 'nowhere', account: generateKeyPair().account, nodeId: peerId(201) })), 'unknown_org');
  });
  it('account_exists', () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.auths[0]!, addOrg('east', c.south.account))), 'account_exists');
    expectRejected(c.one(vote(c, c.auths[0]!, { action: 'addAuthority', org: 'north', account: c.north.account, nodeId: peerId(300) })), 'account_exists');
  });
  it('invalid_key: a small-order key in a proposal is rejected even if it skipped the edge check', () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.auths[0]!, addOrg('east', smallOrder))), 'invalid_key');
    expectRejected(c.one(vote(c, c.auths[0]!, { action: 'addAuthority', org: 'north', account: smallOrder, nodeId: peerId(301) })), 'invalid_key');
  });
  it('node_exists', () => {
    const c1 = new TestChain();
    expectRejected(c1.one(vote(c1, c1.auths[0]!, { action: 'addNode', org: 'south', nodeId: peerId(0) })), 'node_exists');
    // A node listed for another org, or already running an authority, cannot host a new one.
    expectRejected(c1.one(vote(c1, c1.auths[0]!, { action: 'addAuthority', org: 'south', account: generateKeyPair().account, nodeId: peerId(0) })), 'node_exists');
    expectRejected(c1.one(vote(c1, c1.auths[0]!, { action: 'addAuthority', org: 'north', account: generateKeyPair().account, nodeId: peerId(0) })), 'node_exists');
  });
  it("addNode then addAuthority on that node of the same org; removeNode of a non-authority node", () => {
    const c = new TestChain();
    const a0 = c.auths[0]!;
    expectOk(c.one(vote(c, a0, { action: 'addNode', org: 'south', nodeId: peerId(400) })));
    expect(getNodes(c.state)).toEqual([{ nodeId: peerId(0), org: 'north' }, { nodeId: peerId(400), org: 'south' }]);
    expectOk(c.one(vote(c, a0, { action: 'addNode', org: 'north', nodeId: peerId(401) })));
    expectOk(c.one(vote(c, a0, { action: 'removeNode', nodeId: peerId(401) })));
    expect(getNodes(c.state).map((n) => n.nodeId)).toEqual([peerId(0), peerId(400)]);
    const nu = generateKeyPair();
    expectOk(c.one(vote(c, a0, { action: 'addAuthority', org: 'south', account: nu.account, nodeId: peerId(400) })));
    expect(getNodes(c.state)).toHaveLength(2);
    expect(getAuthorities(c.state).map((a) => a.nodeId).sort()).toEqual([peerId(0), peerId(400)]);
  });
  it('unknown_node', () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.auths[0]!, { action: 'removeNode', nodeId: peerId(500) })), 'unknown_node');
  });
  it("node_has_authority: a current authority's node cannot be removed", () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.auths[0]!, { action: 'removeNode', nodeId: peerId(0) })), 'node_has_authority');
  });
  it('admission applies the same rules against the head state (unauthorized with the code)', () => {
    const c = new TestChain({ authorities: 4 });
    const head = { chainId: CHAIN_ID, height: c.height, time: c.time };
    const p = addOrg();
    c.one(vote(c, c.auths[0]!, p));
    expect(() => c.sm.admit(c.state, vote(c, c.auths[1]!, p), head)).not.toThrow();
    expect(() => c.sm.admit(c.state, vote(c, c.auths[0]!, p), head)).toThrow(expect.objectContaining({ reason: 'unauthorized', data: { code: 'duplicate_vote' } }));
    expect(() => c.sm.admit(c.state, vote(c, c.auths[2]!, addOrg('north')), head)).toThrow(expect.objectContaining({ data: { code: 'org_exists' } }));
    expect(() => c.sm.admit(c.state, vote(c, c.north, p), head)).toThrow(expect.objectContaining({ data: { code: 'role_not_allowed' } }));
  });
  it('role_not_allowed: an admin cannot vote', () => {
    const c = new TestChain();
    expectRejected(c.one(vote(c, c.north, addOrg())), 'role_not_allowed');
  });
  it('a vote for a proposal that can no longer apply is rejected and leaves its tally as it was', () => {
    const c = new TestChain({ authorities: 4 });
    const [a0, a1, a2, a3] = c.auths as [KeyPair, KeyPair, KeyPair, KeyPair];
    const p1 = addOrg('east');
    const p2 = addOrg('east');
    c.one(vote(c, a3, p2));
    c.block(vote(c, a0, p1), vote(c, a1, p1), vote(c, a2, p1));
    expect(getOrg(c.state, 'east')).toBeDefined();
    const r = c.one(vote(c, a0, p2));
    expectRejected(r, 'org_exists');
    expect([...c.lastResult!.writes.keys()]).toEqual([`acct/${a0.account}`]);
    expect(getTally(c.state, proposalId(p2))!.votes).toEqual([a3.account]);
  });

  describe('edge (validate-tx)', () => {
    const validate = createTxValidator(chainHandlers, { maxTxBytes: 65536 });
    const err = (proposal: unknown): ParamError => {
      const k = generateKeyPair();
      try {
        validate(signTx({ chainId: CHAIN_ID, type: 'gov.vote', from: k.account, nonce: 0, payload: { proposal } as Record<string, unknown> }, k.secretKey));
      } catch (e) {
        return e as ParamError;
      }
      throw new Error('expected a ParamError');
    };
    it('each of the five shapes passes', () => {
      const k = generateKeyPair().account;
      for (const p of [addOrg(), { action: 'addAuthority', org: 'ab', account: k, nodeId: peerId(1) }, { action: 'removeAuthority', account: k },
        { action: 'addNode', org: 'ab', nodeId: peerId(1) }, { action: 'removeNode', nodeId: peerId(1) }]) {
        const kp = generateKeyPair();
        expect(() => validate(signTx({ chainId: CHAIN_ID, type: 'gov.vote', from: kp.account, nonce: 0, payload: { proposal: p } }, kp.secretKey))).not.toThrow();
      }
    });
    it('names the bad field', () => {
      expect(err({ action: 'dropTables' })).toMatchObject({ field: 'tx.payload.proposal.action', problem: 'must be one of addOrg, addAuthority, removeAuthority, addNode, removeNode' });
      expect(err({ org: 'ab' })).toMatchObject({ field: 'tx.payload.proposal.action', problem: 'is required' });
      expect(err({ action: 'addNode', org: 'ab' })).toMatchObject({ field: 'tx.payload.proposal.nodeId', problem: 'is required' });
      expect(err({ action: 'removeNode', nodeId: peerId(1), org: 'ab' })).toMatchObject({ field: 'tx.payload.proposal.org', problem: 'unknown field' });
      expect(err({ action: 'removeNode', nodeId: 'not a peer id' })).toMatchObject({ field: 'tx.payload.proposal.nodeId' });
      expect(err({ action: 'addNode', org: 'A', nodeId: peerId(1) })).toMatchObject({ field: 'tx.payload.proposal.org', problem: 'must be 2-32 characters of [a-z0-9-]' });
      expect(err('addOrg')).toMatchObject({ field: 'tx.payload.proposal', problem: 'must be an object' });
    });
    it('a small-order key is refused in addOrg.admin and addAuthority.account', () => {
      expect(err(addOrg('east', smallOrder))).toMatchObject({ field: 'tx.payload.proposal.admin', problem: 'is a small-order Ed25519 point' });
      expect(err({ action: 'addAuthority', org: 'ab', account: smallOrder, nodeId: peerId(1) })).toMatchObject({ field: 'tx.payload.proposal.account' });
    });
  });
});
