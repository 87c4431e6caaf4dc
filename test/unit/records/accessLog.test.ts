import { describe, expect, it } from 'vitest';
import type { AccessEvent } from '../../../src/chain/state/interface.js';
import { ParamError } from '../../../src/util/errors.js';
import { anchor, grant, log, runTx, world, type RunResult } from './support.js';

const eventOf = (r: RunResult): AccessEvent => {
  expect(r.status).toBe('ok');
  expect(r.events).toHaveLength(1);
  const e = r.events[0]!;
  if (e.kind !== 'access') throw new Error(`expected an access event, got ${e.kind}`);
  expect(e.event.outcome).toBe(r.outcome);
  return e.event;
};

function setup() {
  const w = world();
  expect(anchor(w, 'obs/1', 'Observation').status).toBe('ok');
  expect(anchor(w, 'rep/2', 'DiagnosticReport').status).toBe('ok');
  expect(anchor(w, 'bob/1', 'Observation', w.bob.account).status).toBe('ok');
  w.st.advance();
  return w;
}

describe('access.log outcomes (the tx is ok in all three)', () => {
  it('granted: the actor org is the custodian, whatever the purpose, no consent needed', () => {
    const w = setup();
    const before = new Map(w.st.map);
    const r = log(w, w.northDoc, { recordId: 'north:obs/1', purpose: 'HOPERAT', action: 'create' });
    expect(r.outcome).toBe('granted');
    expect(eventOf(r)).toEqual({
      txHash: r.hash,
      height: w.st.height,
      time: w.st.time,
      actor: w.northDoc.account,
      actorOrg: 'north',
      recordId: 'north:obs/1',
      patient: w.alice.account,
      action: 'create',
      purpose: 'HOPERAT',
      outcome: 'granted',
      emergency: false,
    });
    // access.log writes no state beyond the nonce: the event goes to the index.
    const changed = [...w.st.map.keys()].filter((k) => w.st.map.get(k) !== before.get(k));
    expect(changed).toEqual([`acct/${w.northDoc.account}`]);
  });

  it('granted: an active consent naming the actor, covering the record, same purpose (consentId recorded)', () => {
    const w = setup();
    const g = grant(w, { grantee: w.southDoc.account, purpose: 'TREAT' });
    const e = eventOf(log(w, w.southDoc, { recordId: 'north:obs/1', purpose: 'TREAT' }));
    expect(e).toMatchObject({ outcome: 'granted', consentId: g.hash, actorOrg: 'south' });
  });

  it('granted: an org grantee covers every member of that org (auditor and service too), not other orgs', () => {
    const w = setup();
    const g = grant(w, { grantee: 'org:south', purpose: 'HLEGAL' });
    for (const who of [w.southDoc2, w.southAuditor, w.southEhr, w.southAdmin]) {
      expect(eventOf(log(w, who, { recordId: 'north:obs/1', purpose: 'HLEGAL' }))).toMatchObject({ outcome: 'granted', consentId: g.hash });
    }
    const eastDoc = (w.st.addOrg('east'), w.st.addAccount('clinician', 'east'));
    expect(log(w, eastDoc, { recordId: 'north:obs/1', purpose: 'HLEGAL' }).outcome).toBe('denied');
  });

  it('granted also when emergency is set: the consent decides, the flag and reason are kept', () => {
    const w = setup();
    const g = grant(w, { grantee: w.southDoc.account, purpose: 'ETREAT' });
    const e = eventOf(log(w, w.southDoc, { recordId: 'north:obs/1', purpose: 'ETREAT', emergency: true, reason: 'urgent-care' }));
    expect(e).toMatchObject({ outcome: 'granted', emergency: true, reason: 'urgent-care', consentId: g.hash });
  });

  it('emergency: no custodianship nor consent, emergency: true with a reason', () => {
    const w = setup();
    const r = log(w, w.southDoc, { recordId: 'north:obs/1', purpose: 'ETREAT', emergency: true, reason: 'patient-unable-to-consent' });
    expect(r.outcome).toBe('emergency');
    const e = eventOf(r);
    expect(e).toMatchObject({ outcome: 'emergency', emergency: true, reason: 'patient-unable-to-consent' });
    expect(e).not.toHaveProperty('consentId');
  });

  it('denied: no custodianship, no consent, no emergency (still ok, still audited)', () => {
    const w = setup();
    const r = log(w, w.southDoc, { recordId: 'north:obs/1' });
    expect(r.status).toBe('ok');
    expect(r.outcome).toBe('denied');
    expect(eventOf(r)).toMatchObject({ outcome: 'denied', emergency: false });
  });

  it('denied: emergency: false is no emergency', () => {
    const w = setup();
    expect(log(w, w.southDoc, { recordId: 'north:obs/1', emergency: false }).outcome).toBe('denied');
  });

  it('denied: expired consent (active while block time < expiresAt)', () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, expiresAt: w.st.time + 2000 });
    w.st.advance(1999);
    expect(log(w, w.southDoc, { recordId: 'north:obs/1' }).outcome).toBe('granted');
    w.st.advance(1);
    expect(log(w, w.southDoc, { recordId: 'north:obs/1' }).outcome).toBe('denied');
    expect(log(w, w.southDoc, { recordId: 'north:obs/1', emergency: true, reason: 'other' }).outcome).toBe('emergency');
  });

  it('denied: revoked consent is inactive for every later tx', () => {
    const w = setup();
    const g = grant(w, { grantee: w.southDoc.account });
    expect(log(w, w.southDoc, { recordId: 'north:obs/1' }).outcome).toBe('granted');
    expect(runTx(w.st, w.alice, 'consent.revoke', { consentId: g.hash }).status).toBe('ok');
    expect(log(w, w.southDoc, { recordId: 'north:obs/1' }).outcome).toBe('denied');
  });

  it('denied: purpose mismatch (matched exactly, also with emergency: then emergency)', () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, purpose: 'TREAT' });
    expect(log(w, w.southDoc, { recordId: 'north:obs/1', purpose: 'ETREAT' }).outcome).toBe('denied');
    expect(log(w, w.southDoc, { recordId: 'north:obs/1', purpose: 'CAREMGT' }).outcome).toBe('denied');
    expect(log(w, w.southDoc, { recordId: 'north:obs/1', purpose: 'ETREAT', emergency: true, reason: 'life-threatening' }).outcome).toBe('emergency');
  });

  it('scope by type: recordTypes covers records of that type only', () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, scope: { recordTypes: ['DiagnosticReport'] } });
    expect(log(w, w.southDoc, { recordId: 'north:rep/2' }).outcome).toBe('granted');
    expect(log(w, w.southDoc, { recordId: 'north:obs/1' }).outcome).toBe('denied');
  });

  it('scope by id: recordIds covers those records only', () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, scope: { recordIds: ['north:obs/1'] } });
    expect(log(w, w.southDoc, { recordId: 'north:obs/1' }).outcome).toBe('granted');
    expect(log(w, w.southDoc, { recordId: 'north:rep/2' }).outcome).toBe('denied');
  });

  it('scope with both lists is their union; empty lists mean every record of the patient', () => {
    const w = setup();
    expect(anchor(w, 'img/3', 'ImagingStudy').status).toBe('ok');
    grant(w, { grantee: w.southDoc.account, scope: { recordTypes: ['DiagnosticReport'], recordIds: ['north:obs/1'] } });
    expect(log(w, w.southDoc, { recordId: 'north:rep/2' }).outcome).toBe('granted');
    expect(log(w, w.southDoc, { recordId: 'north:obs/1' }).outcome).toBe('granted');
    expect(log(w, w.southDoc, { recordId: 'north:img/3' }).outcome).toBe('denied');
    grant(w, { grantee: w.southEhr.account, scope: { recordTypes: [], recordIds: [] } });
    expect(log(w, w.southEhr, { recordId: 'north:img/3' }).outcome).toBe('granted');
  });

  it("a patient's consent never covers another patient's record", () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, scope: { recordIds: ['north:bob/1'] } });
    expect(log(w, w.southDoc, { recordId: 'north:bob/1' }).outcome).toBe('denied');
  });

  it('the first granting consent in grant order is the one recorded', () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, purpose: 'HPAYMT' });
    const first = grant(w, { grantee: 'org:south' });
    grant(w, { grantee: w.southDoc.account });
    expect(eventOf(log(w, w.southDoc, { recordId: 'north:obs/1' })).consentId).toBe(first.hash);
  });

  it('onBehalfOf from a service account is recorded', () => {
    const w = setup();
    const e = eventOf(log(w, w.northEhr, { recordId: 'north:obs/1', onBehalfOf: 'dr.smith_01' }));
    expect(e).toMatchObject({ actor: w.northEhr.account, onBehalfOf: 'dr.smith_01', outcome: 'granted' });
  });
});

describe('access.log rules', () => {
  it('role_not_allowed: patients and authorities may not log access', () => {
    const w = setup();
    expect(log(w, w.alice, { recordId: 'north:obs/1' }).error!.code).toBe('role_not_allowed');
    expect(log(w, w.authority, { recordId: 'north:obs/1' }).error!.code).toBe('role_not_allowed');
  });

  it('unknown_record: rejected, no event (execution only: the anchor may be pending)', () => {
    const w = setup();
    const r = runTx(w.st, w.northDoc, 'access.log', { recordId: 'north:nope', action: 'read', purpose: 'TREAT' }, { admitOnly: true });
    expect(r.status).toBe('ok');
    const rej = log(w, w.northDoc, { recordId: 'north:nope' });
    expect(rej.status).toBe('rejected');
    expect(rej.error!.code).toBe('unknown_record');
    expect(rej.outcome).toBeUndefined();
    expect(rej.events).toEqual([]);
  });

  it('on_behalf_of_not_allowed: clinicians, auditors and admins act for themselves (admission and execution)', () => {
    const w = setup();
    for (const who of [w.northDoc, w.southAuditor, w.northAdmin]) {
      const admitted = runTx(w.st, who, 'access.log', { recordId: 'north:obs/1', action: 'read', purpose: 'TREAT', onBehalfOf: 'x' }, { admitOnly: true });
      expect(admitted.error!.code).toBe('on_behalf_of_not_allowed');
      expect(log(w, who, { recordId: 'north:obs/1', onBehalfOf: 'x' }).error!.code).toBe('on_behalf_of_not_allowed');
    }
  });

  it('emergency_reason_required: emergency without reason is a ParamError on tx.payload.reason, and rejected if it reaches execution', () => {
    const w = setup();
    expect(() => log(w, w.southDoc, { recordId: 'north:obs/1', emergency: true })).toThrow(ParamError);
    expect(() => log(w, w.southDoc, { recordId: 'north:obs/1', emergency: true })).toThrow(expect.objectContaining({ field: 'tx.payload.reason' }));
    const r = runTx(w.st, w.southDoc, 'access.log', { recordId: 'north:obs/1', action: 'read', purpose: 'TREAT', emergency: true }, { skipShape: true });
    expect(r.error!.code).toBe('emergency_reason_required');
  });

  it('reason_without_emergency: a reason without emergency: true is a ParamError on tx.payload.reason, and rejected at execution', () => {
    const w = setup();
    for (const extra of [{}, { emergency: false }]) {
      const payload = { recordId: 'north:obs/1', action: 'read', purpose: 'TREAT', reason: 'other', ...extra };
      expect(() => runTx(w.st, w.southDoc, 'access.log', payload)).toThrow(expect.objectContaining({ field: 'tx.payload.reason' }));
      expect(runTx(w.st, w.southDoc, 'access.log', payload, { skipShape: true }).error!.code).toBe('reason_without_emergency');
    }
  });
});
