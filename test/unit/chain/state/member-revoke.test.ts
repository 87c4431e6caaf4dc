import { describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../../../src/chain/ed25519.js';
import { getOrg } from '../../../../src/chain/state/index.js';
import type { Role } from '../../../../src/chain/types.js';
import { TestChain, expectInadmissible, expectOk, expectRejected } from './fixtures.js';

function register(c: TestChain, admin: KeyPair, role: Exclude<Role, 'authority'>): KeyPair {
  const k = generateKeyPair();
  expectOk(c.one(c.tx(admin, 'member.register', { account: k.account, role })));
  return k;
}

describe('member.revoke', () => {
  it('revokes a member of the sender org; the member can no longer send', () => {
    const c = new TestChain();
    const m = register(c, c.north, 'admin');
    const r = c.one(c.tx(c.north, 'member.revoke', { account: m.account }));
    expectOk(r);
    expect(c.account(m)!.revoked).toBe(true);
    expect(getOrg(c.state, 'north')!.admins).toEqual([c.north.account]);
    expectInadmissible(c.run([c.tx(m, 'member.revoke', { account: c.north.account })]).applied[0]!, 'revoked_account');
  });
  it('a patient is revoked by an admin of the org that registered them', () => {
    const c = new TestChain();
    const p = register(c, c.south, 'patient');
    expectRejected(c.one(c.tx(c.north, 'member.revoke', { account: p.account })), 'not_member_org');
    expectOk(c.one(c.tx(c.south, 'member.revoke', { account: p.account })));
  });
  it('unknown_member', () => {
    const c = new TestChain();
    expectRejected(c.one(c.tx(c.north, 'member.revoke', { account: generateKeyPair().account })), 'unknown_member');
  });
  it('already_revoked', () => {
    const c = new TestChain();
    const m = register(c, c.north, 'clinician');
    const rs = c.block(c.tx(c.north, 'member.revoke', { account: m.account }), c.tx(c.north, 'member.revoke', { account: m.account }));
    expectOk(rs[0]!);
    expectRejected(rs[1]!, 'already_revoked');
  });
  it('authority_account: authorities leave only through governance', () => {
    const c = new TestChain();
    expectRejected(c.one(c.tx(c.north, 'member.revoke', { account: c.auths[0]!.account })), 'authority_account');
  });
  it("not_member_org: an admin cannot revoke another org's member", () => {
    const c = new TestChain();
    const m = register(c, c.south, 'auditor');
    expectRejected(c.one(c.tx(c.north, 'member.revoke', { account: m.account })), 'not_member_org');
    expectRejected(c.one(c.tx(c.north, 'member.revoke', { account: c.south.account })), 'not_member_org');
  });
  it("last_admin: the org's last active admin cannot be revoked (not even by itself)", () => {
    const c = new TestChain();
    expectRejected(c.one(c.tx(c.north, 'member.revoke', { account: c.north.account })), 'last_admin');
    const a2 = register(c, c.north, 'admin');
    expectOk(c.one(c.tx(a2, 'member.revoke', { account: c.north.account })));
    expectRejected(c.one(c.tx(a2, 'member.revoke', { account: a2.account })), 'last_admin');
    expect(getOrg(c.state, 'north')!.admins).toEqual([a2.account]);
  });
  it('an admin may revoke itself while another admin remains; its nonce still advances', () => {
    const c = new TestChain();
    const a2 = register(c, c.north, 'admin');
    expectOk(c.one(c.tx(a2, 'member.revoke', { account: a2.account })));
    expect(c.account(a2)).toMatchObject({ revoked: true, nonce: 1 });
  });
  it('role_not_allowed: a clinician cannot revoke', () => {
    const c = new TestChain();
    const m = register(c, c.north, 'clinician');
    const m2 = register(c, c.north, 'clinician');
    expectRejected(c.one(c.tx(m, 'member.revoke', { account: m2.account })), 'role_not_allowed');
  });
});
