import { describe, expect, it } from 'vitest';
import { txHash } from '../../../src/chain/tx.js';
import { consentStatus, consentView, getConsent, granteeConsents, patientGrantCount } from '../../../src/records/index.js';
import { CHAIN_ID, admitCode, grant, runTx, world } from './support.js';

describe('consent.grant', () => {
  it('creates a consent whose id is the tx hash, appended to its grantee list with its grant position, with an index event', () => {
    const w = world();
    const { st } = w;
    const r = grant(w, { grantee: w.southDoc.account, scope: { recordTypes: ['Observation'], recordIds: [] }, purpose: 'TREAT', expiresAt: st.time + 60_000 });
    expect(r.status).toBe('ok');
    expect(r.hash).toBe(txHash(r.tx));
    expect(getConsent(st, r.hash)).toEqual({
      consentId: r.hash,
      patient: w.alice.account,
      grantee: w.southDoc.account,
      scope: { recordTypes: ['Observation'] }, // empty lists are not stored
      purpose: 'TREAT',
      expiresAt: st.time + 60_000,
      revoked: false,
      height: st.height,
      time: st.time,
    });
    expect(r.events).toEqual([{ kind: 'consent', consentId: r.hash, patient: w.alice.account, height: st.height }]);
    const r2 = grant(w, { grantee: 'org:north', purpose: 'HPAYMT' });
    expect(r2.status).toBe('ok');
    expect(getConsent(st, r2.hash)).not.toHaveProperty('expiresAt');
    const r3 = grant(w, { grantee: w.southDoc.account, purpose: 'HPAYMT' });
    expect(granteeConsents(st, w.alice.account, w.southDoc.account)).toEqual([[0, r.hash], [2, r3.hash]]);
    expect(granteeConsents(st, w.alice.account, 'org:north')).toEqual([[1, r2.hash]]);
    expect(patientGrantCount(st, w.alice.account)).toBe(3);
    expect(granteeConsents(st, w.bob.account, w.southDoc.account)).toEqual([]);
    expect(patientGrantCount(st, w.bob.account)).toBe(0);
  });

  it('any registered, non-revoked account may be a grantee; org grantees name an existing org', () => {
    const w = world();
    for (const grantee of [w.southAuditor.account, w.northEhr.account, w.bob.account, 'org:south']) {
      expect(grant(w, { grantee }).status).toBe('ok');
    }
  });

  it('role_not_allowed: only patients grant', () => {
    const w = world();
    const payload = { grantee: w.southDoc.account, scope: {}, purpose: 'TREAT' };
    expect(admitCode(w.st, w.northAdmin, 'consent.grant', payload)).toBe('role_not_allowed');
    expect(runTx(w.st, w.northDoc, 'consent.grant', payload).error!.code).toBe('role_not_allowed');
  });

  it('unknown_grantee: no such account (execution only)', () => {
    const w = world();
    const payload = { grantee: 'f'.repeat(64), scope: {}, purpose: 'TREAT' };
    expect(admitCode(w.st, w.alice, 'consent.grant', payload)).toBeNull();
    const r = grant(w, { grantee: 'f'.repeat(64) });
    expect(r.error!.code).toBe('unknown_grantee');
    expect(getConsent(w.st, r.hash)).toBeUndefined();
    expect(granteeConsents(w.st, w.alice.account, 'f'.repeat(64))).toEqual([]);
    expect(patientGrantCount(w.st, w.alice.account)).toBe(0);
  });

  it('grantee_revoked: a revoked grantee account (admission and execution)', () => {
    const w = world();
    w.st.revoke(w.southDoc.account);
    expect(admitCode(w.st, w.alice, 'consent.grant', { grantee: w.southDoc.account, scope: {}, purpose: 'TREAT' })).toBe('grantee_revoked');
    expect(grant(w, { grantee: w.southDoc.account }).error!.code).toBe('grantee_revoked');
  });

  it('unknown_org: org:<id> names no org', () => {
    const w = world();
    expect(grant(w, { grantee: 'org:east' }).error!.code).toBe('unknown_org');
  });

  it('expires_in_past: expiresAt must be after the block time (equal is refused too)', () => {
    const w = world();
    const at = w.st.time;
    expect(admitCode(w.st, w.alice, 'consent.grant', { grantee: 'org:south', scope: {}, purpose: 'TREAT', expiresAt: at - 1 })).toBe('expires_in_past');
    expect(grant(w, { grantee: 'org:south', expiresAt: at }).error!.code).toBe('expires_in_past');
    expect(grant(w, { grantee: 'org:south', expiresAt: at - 1 }).error!.code).toBe('expires_in_past');
    expect(grant(w, { grantee: 'org:south', expiresAt: at + 1 }).status).toBe('ok');
  });

  it('duplicate_consent: a consent with this tx hash already exists', () => {
    const w = world();
    const payload = { grantee: 'org:south', scope: {}, purpose: 'TREAT' };
    const nonce = w.st.account(w.alice.account).nonce;
    const id = txHash({ chainId: CHAIN_ID, type: 'consent.grant', from: w.alice.account, nonce, payload });
    w.st.set(`cons/${id}`, { consentId: id });
    const r = runTx(w.st, w.alice, 'consent.grant', payload);
    expect(r.hash).toBe(id);
    expect(r.error!.code).toBe('duplicate_consent');
  });
});

describe('consent.revoke', () => {
  it('marks the consent revoked at this height, keeps it listed, emits consentRevoked', () => {
    const w = world();
    const g = grant(w, { grantee: 'org:south' });
    w.st.advance();
    const r = runTx(w.st, w.alice, 'consent.revoke', { consentId: g.hash });
    expect(r.status).toBe('ok');
    expect(getConsent(w.st, g.hash)).toMatchObject({ revoked: true, revokedHeight: w.st.height, height: w.st.height - 1 });
    expect(r.events).toEqual([{ kind: 'consentRevoked', consentId: g.hash, patient: w.alice.account, height: w.st.height }]);
    expect(granteeConsents(w.st, w.alice.account, 'org:south')).toEqual([[0, g.hash]]);
  });

  it('an expired consent may still be revoked; its status then reads revoked', () => {
    const w = world();
    const g = grant(w, { grantee: 'org:south', expiresAt: w.st.time + 10 });
    w.st.advance(100);
    expect(consentStatus(getConsent(w.st, g.hash)!, w.st.time)).toBe('expired');
    expect(runTx(w.st, w.alice, 'consent.revoke', { consentId: g.hash }).status).toBe('ok');
    expect(consentView(getConsent(w.st, g.hash)!, w.st.time)).toMatchObject({ status: 'revoked', expiresAt: g.tx.payload.expiresAt });
  });

  it('role_not_allowed: a clinician cannot revoke', () => {
    const w = world();
    const g = grant(w, { grantee: 'org:south' });
    expect(runTx(w.st, w.southDoc, 'consent.revoke', { consentId: g.hash }).error!.code).toBe('role_not_allowed');
  });

  it('unknown_consent: no such consent (execution only: a pending grant may create it)', () => {
    const w = world();
    const payload = { consentId: 'a'.repeat(64) };
    expect(admitCode(w.st, w.alice, 'consent.revoke', payload)).toBeNull();
    expect(runTx(w.st, w.alice, 'consent.revoke', payload).error!.code).toBe('unknown_consent');
  });

  it('not_consent_owner: only the granting patient revokes (admission and execution)', () => {
    const w = world();
    const g = grant(w, { grantee: 'org:south' });
    expect(admitCode(w.st, w.bob, 'consent.revoke', { consentId: g.hash })).toBe('not_consent_owner');
    expect(runTx(w.st, w.bob, 'consent.revoke', { consentId: g.hash }).error!.code).toBe('not_consent_owner');
    expect(getConsent(w.st, g.hash)!.revoked).toBe(false);
  });

  it('consent_already_revoked: a second revoke is rejected (admission and execution)', () => {
    const w = world();
    const g = grant(w, { grantee: 'org:south' });
    expect(runTx(w.st, w.alice, 'consent.revoke', { consentId: g.hash }).status).toBe('ok');
    w.st.advance();
    expect(admitCode(w.st, w.alice, 'consent.revoke', { consentId: g.hash })).toBe('consent_already_revoked');
    const r = runTx(w.st, w.alice, 'consent.revoke', { consentId: g.hash });
    expect(r.error!.code).toBe('consent_already_revoked');
    expect(getConsent(w.st, g.hash)!.revokedHeight).toBe(w.st.height - 1);
  });
});

describe('consentView (consent_get)', () => {
  it('judges status at the given time: active before expiresAt, expired from it', () => {
    const w = world();
    const g = grant(w, { grantee: 'org:south', expiresAt: w.st.time + 1000 });
    const c = getConsent(w.st, g.hash)!;
    expect(consentView(c, c.expiresAt! - 1).status).toBe('active');
    expect(consentView(c, c.expiresAt!).status).toBe('expired');
    const open = getConsent(w.st, grant(w, { grantee: 'org:south' }).hash)!;
    expect(consentView(open, Number.MAX_SAFE_INTEGER)).toMatchObject({ status: 'active', expiresAt: null });
  });
});
