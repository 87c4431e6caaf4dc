import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../../src/chain/ed25519.js';
import { createTxValidator } from '../../../../src/chain/validate-tx.js';
import { signTx } from '../../../../src/chain/tx.js';
import { chainHandlers, getOrg } from '../../../../src/chain/state/index.js';
import { ParamError } from '../../../../src/util/errors.js';
import { loadVector } from '../../../support/vectors.js';
import { CHAIN_ID, TestChain, expectOk, expectRejected } from './fixtures.js';

const edge = loadVector('ed25519-edge.json').cases as Array<{ name: string; account: string; keyMustBeRefused?: boolean }>;
const smallOrder = edge.find((c) => c.name.startsWith('small-order'))!.account;
const offCurve = edge.find((c) => c.name.includes('not on the curve'))!.account;

describe('member.register', () => {
  it('registers a clinician of the sender org with its name, and emits a member event', () => {
    const c = new TestChain();
    const m = generateKeyPair();
    const r = c.one(c.tx(c.north, 'member.register', { account: m.account, role: 'clinician', name: 'Dr Who' }));
    expectOk(r);
    expect(c.account(m)).toEqual({ account: m.account, role: 'clinician', org: 'north', name: 'Dr Who', nonce: 0, revoked: false, height: 1 });
    expect(r.events).toEqual([{ kind: 'member', account: m.account, role: 'clinician', org: 'north' }]);
  });
  it('registers a patient with no org, remembering the registering org', () => {
    const c = new TestChain();
    const p = generateKeyPair();
    const r = c.one(c.tx(c.south, 'member.register', { account: p.account, role: 'patient' }));
    expectOk(r);
    expect(c.account(p)).toEqual({ account: p.account, role: 'patient', org: null, registeredBy: 'south', nonce: 0, revoked: false, height: 1 });
    expect(r.events).toEqual([{ kind: 'member', account: p.account, role: 'patient', org: null }]);
  });
  it("a new admin joins the org's active admins and can act at once", () => {
    const c = new TestChain();
    const a2 = generateKeyPair();
    const m = generateKeyPair();
    c.block(c.tx(c.north, 'member.register', { account: a2.account, role: 'admin' }), c.tx(a2, 'member.register', { account: m.account, role: 'service' }));
    expect(getOrg(c.state, 'north')!.admins).toEqual([c.north.account, a2.account]);
    expect(c.account(m)!.org).toBe('north');
  });
  it('account_exists: an existing account (also revoked, also in the same block) is rejected', () => {
    const c = new TestChain();
    const m = generateKeyPair();
    const rs = c.block(
      c.tx(c.north, 'member.register', { account: m.account, role: 'clinician' }),
      c.tx(c.south, 'member.register', { account: m.account, role: 'patient' }),
      c.tx(c.north, 'member.register', { account: c.auths[0]!.account, role: 'auditor' }),
    );
    expectOk(rs[0]!);
    expectRejected(rs[1]!, 'account_exists');
    expectRejected(rs[2]!, 'account_exists');
    c.one(c.tx(c.north, 'member.revoke', { account: m.account }));
    expectRejected(c.one(c.tx(c.north, 'member.register', { account: m.account, role: 'clinician' })), 'account_exists');
  });
  it('invalid_key: a small-order or off-curve key in a block is rejected even if it skipped the edge check', () => {
    const c = new TestChain();
    expectRejected(c.one(c.tx(c.north, 'member.register', { account: smallOrder, role: 'patient' })), 'invalid_key');
    expectRejected(c.one(c.tx(c.north, 'member.register', { account: offCurve, role: 'patient' })), 'invalid_key');
    expect(c.account(smallOrder)).toBeUndefined();
  });
  it('invalid_role: authority cannot be registered by an admin', () => {
    const c = new TestChain();
    expectRejected(c.one(c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'authority' })), 'invalid_role');
  });
  it('role_not_allowed: only admins register', () => {
    const c = new TestChain();
    const m = generateKeyPair();
    c.one(c.tx(c.north, 'member.register', { account: m.account, role: 'clinician' }));
    expectRejected(c.one(c.tx(m, 'member.register', { account: generateKeyPair().account, role: 'patient' })), 'role_not_allowed');
  });

  describe('edge (validate-tx + checkShape)', () => {
    const validate = createTxValidator(chainHandlers, { maxTxBytes: 65536 });
    const wire = (payload: Record<string, unknown>) => {
      const k = generateKeyPair();
      return signTx({ chainId: CHAIN_ID, type: 'member.register', from: k.account, nonce: 0, payload }, k.secretKey);
    };
    const paramErr = (payload: Record<string, unknown>): ParamError => {
      try {
        validate(wire(payload));
      } catch (e) {
        return e as ParamError;
      }
      throw new Error('expected a ParamError');
    };
    it('a patient with a name is a ParamError on tx.payload.name', () => {
      const e = paramErr({ account: generateKeyPair().account, role: 'patient', name: 'Jane Doe' });
      expect(e).toBeInstanceOf(ParamError);
      expect(e.field).toBe('tx.payload.name');
    });
    it('the small-order key of the edge vectors is refused on tx.payload.account', () => {
      const e = paramErr({ account: smallOrder, role: 'clinician' });
      expect(e).toMatchObject({ field: 'tx.payload.account', problem: 'is a small-order Ed25519 point' });
      expect(paramErr({ account: offCurve, role: 'clinician' }).field).toBe('tx.payload.account');
    });
    it('role authority, an empty or long name, and unknown fields are refused', () => {
      expect(paramErr({ account: generateKeyPair().account, role: 'authority' })).toMatchObject({ field: 'tx.payload.role', problem: 'must be one of admin, clinician, service, auditor, patient' });
      expect(paramErr({ account: generateKeyPair().account, role: 'clinician', name: '' }).field).toBe('tx.payload.name');
      expect(paramErr({ account: generateKeyPair().account, role: 'clinician', name: 'x'.repeat(129) }).problem).toBe('must be at most 128 characters');
      expect(paramErr({ account: generateKeyPair().account, role: 'clinician', org: 'south' })).toMatchObject({ field: 'tx.payload.org', problem: 'unknown field' });
    });
    it('a valid clinician with a name passes', () => {
      expect(() => validate(wire({ account: generateKeyPair().account, role: 'clinician', name: 'Dr B' }))).not.toThrow();
    });
  });
});
