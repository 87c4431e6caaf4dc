import { describe, expect, it } from 'vitest';
import type { AccessEvent } from '../../../src/chain/state/interface.js';
import { checkAccess, getConsent, getRecord, type AccessQuery } from '../../../src/records/index.js';
import { anchor, grant, log, runTx, world, type Actor, type World } from './support.js';

function setup(): World {
  const w = world();
  expect(anchor(w, 'obs/1', 'Observation').status).toBe('ok');
  expect(anchor(w, 'rep/2', 'DiagnosticReport').status).toBe('ok');
  expect(anchor(w, 'bob/1', 'Observation', w.bob.account).status).toBe('ok');
  return w;
}

const q = (w: World, who: Actor, recordId: string, extra: Partial<AccessQuery> = {}): AccessQuery => ({
  actor: who.account,
  actorOrg: who.org,
  recordId,
  purpose: 'TREAT',
  time: w.st.time,
  ...extra,
});

describe('checkAccess reasons (consent_check)', () => {
  it('custodian: allowed for any member of the custodian org, no consentId', () => {
    const w = setup();
    expect(checkAccess(w.st, q(w, w.northEhr, 'north:obs/1', { purpose: 'HRESCH' }))).toEqual({ allowed: true, reason: 'custodian' });
  });

  it('consent: allowed with the consentId', () => {
    const w = setup();
    const g = grant(w, { grantee: w.southDoc.account });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1'))).toEqual({ allowed: true, consentId: g.hash, reason: 'consent' });
  });

  it('unknown_record', () => {
    const w = setup();
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:none'))).toEqual({ allowed: false, reason: 'unknown_record' });
  });

  it('patient_mismatch: the caller names another patient than the record holds', () => {
    const w = setup();
    expect(checkAccess(w.st, q(w, w.northDoc, 'north:obs/1', { patient: w.bob.account }))).toEqual({ allowed: false, reason: 'patient_mismatch' });
    expect(checkAccess(w.st, q(w, w.northDoc, 'north:obs/1', { patient: w.alice.account })).allowed).toBe(true);
  });

  it('no_consent: nothing names the actor or its org (a patient has no org)', () => {
    const w = setup();
    grant(w, { grantee: 'org:north' });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1'))).toEqual({ allowed: false, reason: 'no_consent' });
    expect(checkAccess(w.st, q(w, w.bob, 'north:obs/1'))).toEqual({ allowed: false, reason: 'no_consent' });
  });

  it('out_of_scope: consents name the actor but cover other records', () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, scope: { recordTypes: ['DiagnosticReport'] } });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1')).reason).toBe('out_of_scope');
  });

  it('purpose_mismatch', () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, purpose: 'CAREMGT' });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1')).reason).toBe('purpose_mismatch');
  });

  it('expired, judged at the query time', () => {
    const w = setup();
    const g = grant(w, { grantee: w.southDoc.account, expiresAt: w.st.time + 100 });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1', { time: w.st.time + 99 }))).toEqual({ allowed: true, consentId: g.hash, reason: 'consent' });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1', { time: w.st.time + 100 }))).toEqual({ allowed: false, reason: 'expired' });
  });

  it('revoked, and the closest miss explains a denial (revoked > expired > purpose > scope)', () => {
    const w = setup();
    grant(w, { grantee: w.southDoc.account, scope: { recordIds: ['north:rep/2'] } });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1')).reason).toBe('out_of_scope');
    grant(w, { grantee: 'org:south', purpose: 'HPAYMT' });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1')).reason).toBe('purpose_mismatch');
    grant(w, { grantee: w.southDoc.account, expiresAt: w.st.time + 1 });
    w.st.advance();
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1')).reason).toBe('expired');
    const g = grant(w, { grantee: w.southDoc.account });
    expect(runTx(w.st, w.alice, 'consent.revoke', { consentId: g.hash }).status).toBe('ok');
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1'))).toEqual({ allowed: false, reason: 'revoked' });
  });

  it('two granting consents, one naming the actor and one its org: the older grant is named', () => {
    const w = setup();
    const viaOrg = grant(w, { grantee: 'org:south' });
    const own = grant(w, { grantee: w.southDoc.account });
    expect(checkAccess(w.st, q(w, w.southDoc, 'north:obs/1'))).toEqual({ allowed: true, consentId: viaOrg.hash, reason: 'consent' });
    const w2 = setup();
    const own2 = grant(w2, { grantee: w2.southDoc.account });
    grant(w2, { grantee: 'org:south' });
    expect(checkAccess(w2.st, q(w2, w2.southDoc, 'north:obs/1'))).toEqual({ allowed: true, consentId: own2.hash, reason: 'consent' });
    expect(own.status).toBe('ok');
  });

  it('is pure: it reads state and writes nothing', () => {
    const w = setup();
    grant(w, { grantee: 'org:south' });
    const before = new Map(w.st.map);
    checkAccess(w.st, q(w, w.southDoc, 'north:obs/1'));
    expect(w.st.map).toEqual(before);
  });
});

/** A tiny deterministic PRNG (mulberry32) so the randomised parity test is reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The access rule of SPEC §3 written plainly, as a reference: every consent of the
 * record's patient in grant order, the first that grants wins, else the closest miss.
 */
function referenceDecision(w: World, grantOrder: readonly string[], q: AccessQuery): ReturnType<typeof checkAccess> {
  const record = getRecord(w.st, q.recordId);
  if (record === undefined) return { allowed: false, reason: 'unknown_record' };
  if (q.actorOrg !== null && q.actorOrg === record.custodian) return { allowed: true, reason: 'custodian' };
  const rank = ['no_consent', 'out_of_scope', 'purpose_mismatch', 'expired', 'revoked'] as const;
  let closest = 0;
  for (const id of grantOrder) {
    const c = getConsent(w.st, id)!;
    if (c.patient !== record.patient || !(c.grantee === q.actor || c.grantee === `org:${q.actorOrg}`)) continue;
    const types = c.scope.recordTypes ?? [];
    const ids = c.scope.recordIds ?? [];
    let miss: number;
    if (types.length + ids.length > 0 && !types.includes(record.recordType) && !ids.includes(record.recordId)) miss = 1;
    else if (c.purpose !== q.purpose) miss = 2;
    else if (c.revoked) miss = 4;
    else if (c.expiresAt !== undefined && q.time >= c.expiresAt) miss = 3;
    else return { allowed: true, consentId: id, reason: 'consent' };
    closest = Math.max(closest, miss);
  }
  return { allowed: false, reason: rank[closest]! };
}

describe('checkAccess matches access.log outcomes and the plain rule', () => {
  it('on 400 random consents, revocations, expiries and queries (seeded)', () => {
    const w = setup();
    const r = rng(20240607);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const actors = [w.northDoc, w.southDoc, w.southDoc2, w.southEhr, w.southAuditor, w.southAdmin];
    const patients = [w.alice, w.bob];
    const records = ['north:obs/1', 'north:rep/2', 'north:bob/1'];
    const purposes = ['TREAT', 'CAREMGT', 'HPAYMT'] as const;
    const granted: { id: string; patient: Actor }[] = [];
    const seen = { granted: 0, denied: 0, emergency: 0, consent: 0, custodian: 0 };
    for (let i = 0; i < 400; i++) {
      w.st.advance(Math.floor(r() * 3000));
      const step = r();
      if (step < 0.3) {
        const patient = pick(patients);
        const scopeKind = r();
        const scope = scopeKind < 0.4 ? {} : scopeKind < 0.7 ? { recordTypes: [pick(['Observation', 'DiagnosticReport'])] } : { recordIds: [pick(records)] };
        const grantee = r() < 0.5 ? pick(actors).account : `org:${pick(['north', 'south'])}`;
        const payload = { grantee, scope, purpose: pick(purposes), ...(r() < 0.5 ? { expiresAt: w.st.time + Math.floor(r() * 20_000) + 1 } : {}) };
        const g = grant(w, payload, patient);
        expect(g.status).toBe('ok');
        granted.push({ id: g.hash, patient });
      } else if (step < 0.4 && granted.length > 0) {
        const g = pick(granted);
        runTx(w.st, g.patient, 'consent.revoke', { consentId: g.id });
      } else {
        const actor = pick(actors);
        const recordId = pick(records);
        const purpose = pick(purposes);
        const emergency = r() < 0.3;
        const decision = checkAccess(w.st, { actor: actor.account, actorOrg: actor.org, recordId, purpose, time: w.st.time });
        expect(decision).toEqual(referenceDecision(w, granted.map((g) => g.id), { actor: actor.account, actorOrg: actor.org, recordId, purpose, time: w.st.time }));
        const res = log(w, actor, { recordId, purpose, ...(emergency ? { emergency: true, reason: 'other' } : {}) });
        const ev = (res.events[0] as { event: AccessEvent }).event;
        expect(res.outcome).toBe(decision.allowed ? 'granted' : emergency ? 'emergency' : 'denied');
        expect(ev.consentId).toBe(decision.consentId);
        seen[res.outcome!] += 1;
        if (decision.allowed) seen[decision.reason as 'consent' | 'custodian'] += 1;
      }
    }
    // The walk exercised every branch.
    for (const n of Object.values(seen)) expect(n).toBeGreaterThan(0);
  });
});
