import { describe, expect, it } from 'vitest';
import { getRecord } from '../../../src/records/index.js';
import { admitCode, anchor, contentHash, runTx, world } from './support.js';

const rec = (recordId: string, patient: string, extra: Record<string, unknown> = {}) => ({
  recordId,
  patient,
  recordType: 'Observation',
  contentHash: contentHash('a'),
  ...extra,
});

describe('record.anchor', () => {
  it('version 1: custodian = sender org, state and index event', () => {
    const w = world();
    const r = runTx(w.st, w.northDoc, 'record.anchor', rec('north:Observation/123', w.alice.account, { recordType: 'LOINC:11506-3' }));
    expect(r.status).toBe('ok');
    const expected = {
      recordId: 'north:Observation/123',
      patient: w.alice.account,
      custodian: 'north',
      recordType: 'LOINC:11506-3',
      contentHash: contentHash('a'),
      version: 1,
      height: w.st.height,
      time: w.st.time,
    };
    expect(getRecord(w.st, 'north:Observation/123')).toEqual(expected);
    expect(r.events).toEqual([{ kind: 'record', ...expected, txHash: r.hash }]);
    expect(r.outcome).toBeUndefined();
  });

  it('later versions from any custodian member (service, admin) count up; type and hash may change', () => {
    const w = world();
    expect(anchor(w, 'doc/1').status).toBe('ok');
    w.st.advance();
    const v2 = runTx(w.st, w.northEhr, 'record.anchor', rec('north:doc/1', w.alice.account, { contentHash: contentHash('b') }));
    expect(v2.status).toBe('ok');
    w.st.advance();
    const v3 = runTx(w.st, w.northAdmin, 'record.anchor', rec('north:doc/1', w.alice.account, { recordType: 'DiagnosticReport', contentHash: contentHash('b') }));
    expect(v3.status).toBe('ok');
    const latest = getRecord(w.st, 'north:doc/1')!;
    expect(latest).toMatchObject({ version: 3, custodian: 'north', recordType: 'DiagnosticReport', contentHash: contentHash('b'), height: w.st.height });
    expect(v3.events[0]).toMatchObject({ kind: 'record', version: 3, txHash: v3.hash });
  });

  it('role_not_allowed: a patient, an auditor and an authority may not anchor', () => {
    const w = world();
    const auditorNorth = w.st.addAccount('auditor', 'north');
    for (const who of [w.alice, auditorNorth, w.authority]) {
      const r = runTx(w.st, who, 'record.anchor', rec('north:x', w.alice.account));
      expect(r.status).toBe('rejected');
      expect(r.error!.code).toBe('role_not_allowed');
    }
    expect(admitCode(w.st, auditorNorth, 'record.anchor', rec('north:x', w.alice.account))).toBe('role_not_allowed');
    expect(getRecord(w.st, 'north:x')).toBeUndefined();
  });

  it('role_not_allowed: a member account without an org', () => {
    const w = world();
    const orphan = w.st.addAccount('clinician', null);
    expect(runTx(w.st, orphan, 'record.anchor', rec('north:x', w.alice.account)).error!.code).toBe('role_not_allowed');
  });

  it('record_prefix_mismatch: a new record under another org prefix (admission and execution)', () => {
    const w = world();
    const payload = rec('south:Observation/1', w.alice.account);
    expect(admitCode(w.st, w.northDoc, 'record.anchor', payload)).toBe('record_prefix_mismatch');
    const r = runTx(w.st, w.northDoc, 'record.anchor', payload);
    expect(r.status).toBe('rejected');
    expect(r.error!.code).toBe('record_prefix_mismatch');
    expect(r.events).toEqual([]);
    expect(getRecord(w.st, 'south:Observation/1')).toBeUndefined();
  });

  it('not_custodian: another org cannot add a version (admission and execution)', () => {
    const w = world();
    expect(anchor(w, 'obs/1').status).toBe('ok');
    const payload = rec('north:obs/1', w.alice.account, { contentHash: contentHash('c') });
    expect(admitCode(w.st, w.southDoc, 'record.anchor', payload)).toBe('not_custodian');
    const r = runTx(w.st, w.southDoc, 'record.anchor', payload);
    expect(r.error!.code).toBe('not_custodian');
    expect(getRecord(w.st, 'north:obs/1')).toMatchObject({ version: 1, contentHash: contentHash('a') });
  });

  it('patient_mismatch: a new version for another patient (admission and execution)', () => {
    const w = world();
    expect(anchor(w, 'obs/1').status).toBe('ok');
    const payload = rec('north:obs/1', w.bob.account);
    expect(admitCode(w.st, w.northDoc, 'record.anchor', payload)).toBe('patient_mismatch');
    expect(runTx(w.st, w.northDoc, 'record.anchor', payload).error!.code).toBe('patient_mismatch');
    expect(getRecord(w.st, 'north:obs/1')).toMatchObject({ version: 1, patient: w.alice.account });
  });

  it('unknown_patient: no such account (execution only: a pending registration may create it)', () => {
    const w = world();
    const payload = rec('north:obs/1', 'e'.repeat(64));
    expect(admitCode(w.st, w.northDoc, 'record.anchor', payload)).toBeNull();
    expect(runTx(w.st, w.northDoc, 'record.anchor', payload).error!.code).toBe('unknown_patient');
  });

  it('not_a_patient: the patient field names a member account', () => {
    const w = world();
    expect(runTx(w.st, w.northDoc, 'record.anchor', rec('north:obs/1', w.southDoc.account)).error!.code).toBe('not_a_patient');
  });

  it('patient_revoked: a revoked patient gets no new record nor version', () => {
    const w = world();
    expect(anchor(w, 'obs/1').status).toBe('ok');
    w.st.revoke(w.alice.account);
    expect(runTx(w.st, w.northDoc, 'record.anchor', rec('north:obs/2', w.alice.account)).error!.code).toBe('patient_revoked');
    expect(runTx(w.st, w.northDoc, 'record.anchor', rec('north:obs/1', w.alice.account)).error!.code).toBe('patient_revoked');
  });

  it('a rejected anchor consumes the nonce and changes nothing else', () => {
    const w = world();
    const before = new Map(w.st.map);
    const r = runTx(w.st, w.northDoc, 'record.anchor', rec('south:x', w.alice.account));
    expect(r.status).toBe('rejected');
    const changed = [...w.st.map.keys()].filter((k) => w.st.map.get(k) !== before.get(k));
    expect(changed).toEqual([`acct/${w.northDoc.account}`]);
  });
});
