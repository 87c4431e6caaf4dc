import { Fhir } from 'fhir';
import { describe, expect, it } from 'vitest';
import type { AccessEvent } from '../../../src/chain/state/interface.js';
import { ACTIONS } from '../../../src/chain/types.js';
import { consentView, getConsent, toFhirAuditEvent, toFhirAuditEventBundle, toFhirConsent, type ConsentState } from '../../../src/records/index.js';
import { anchor, grant, log, runTx, world } from './support.js';

const fhir = new Fhir();

/** R4 validation: valid, and not one error or fatal message. */
function expectValidR4(resource: unknown): void {
  const res = fhir.validate(resource as object, { errorOnUnexpected: true });
  const problems = res.messages.filter((m) => m.severity === 'error' || m.severity === 'fatal');
  expect(problems).toEqual([]);
  expect(res.valid).toBe(true);
  // The library does not check primitive formats: ids and instants are checked here.
  const text = JSON.stringify(resource);
  for (const [, id] of text.matchAll(/"id":"([^"]*)"/g)) expect(id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
  for (const [, t] of text.matchAll(/"(?:recorded|dateTime|start|end)":"([^"]*)"/g)) expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
}

type Json = any;
const ONE_DAY = 86_400_000;

/** Consents of every state, from real txs through the handlers. */
function consents() {
  const w = world();
  const { st } = w;
  const mk = (payload: Record<string, unknown>): ConsentState => {
    const r = grant(w, payload);
    expect(r.status).toBe('ok');
    return getConsent(st, r.hash)!;
  };
  const active = mk({ grantee: w.southDoc.account, scope: { recordTypes: ['Observation', 'LOINC:11506-3'] }, purpose: 'TREAT', expiresAt: st.time + ONE_DAY });
  const orgWide = mk({ grantee: 'org:south', scope: {}, purpose: 'HRESCH' });
  const both = mk({ grantee: w.southEhr.account, scope: { recordTypes: ['DiagnosticReport'], recordIds: ['north:obs/1', 'north:doc/7'] }, purpose: 'CAREMGT' });
  const toRevoke = mk({ grantee: w.southDoc.account, scope: { recordIds: ['north:obs/1'] }, purpose: 'TREAT' });
  const expiring = mk({ grantee: w.southDoc.account, scope: {}, purpose: 'PATRQT', expiresAt: st.time + 5000 });
  st.advance();
  expect(runTx(st, w.alice, 'consent.revoke', { consentId: toRevoke.consentId }).status).toBe('ok');
  const revoked = getConsent(st, toRevoke.consentId)!;
  return { st, active, orgWide, both, revoked, expiring, now: st.time };
}

describe('the R4 validator (sanity)', () => {
  it('refuses a broken AuditEvent and a bad Consent status, so valid === true means something', () => {
    const bad = fhir.validate({ resourceType: 'AuditEvent', type: { code: '110110' }, recorded: '2024-01-01T00:00:00Z', outcome: '5', agent: [{}], source: { observer: {} } }, { errorOnUnexpected: true });
    expect(bad.valid).toBe(false);
    expect(fhir.validate({ resourceType: 'Consent', status: 'revoked' }, {}).valid).toBe(false);
  });
});

describe('toFhirConsent (R4 Consent)', () => {
  const c = consents();

  it('an active consent is a valid R4 Consent with status active', () => {
    const r: Json = toFhirConsent(consentView(c.active, c.now));
    expectValidR4(r);
    expect(r.status).toBe('active');
    expect(r.id).toBe(c.active.consentId);
    expect(r.scope.coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' });
    expect(r.category[0].coding[0]).toMatchObject({ system: 'http://loinc.org', code: '59284-0' });
    expect(r.patient).toEqual({ type: 'Patient', identifier: { system: 'urn:medledger:account', value: c.active.patient } });
    expect(r.dateTime).toBe(new Date(c.active.time).toISOString());
    const p = r.provision;
    expect(p.type).toBe('permit');
    expect(p.period).toEqual({ start: new Date(c.active.time).toISOString(), end: new Date(c.active.expiresAt!).toISOString() });
    expect(p.actor[0].role.coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' });
    expect(p.actor[0].reference.identifier).toEqual({ system: 'urn:medledger:account', value: c.active.grantee });
    expect(p.purpose).toEqual([{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }]);
    expect(p.class).toEqual([
      { system: 'http://hl7.org/fhir/resource-types', code: 'Observation' },
      { system: 'http://loinc.org', code: '11506-3' },
    ]);
    expect(p.data).toBeUndefined();
  });

  it('a revoked consent is a valid R4 Consent with status inactive', () => {
    const view = consentView(c.revoked, c.now);
    expect(view.status).toBe('revoked');
    const r: Json = toFhirConsent(view);
    expectValidR4(r);
    expect(r.status).toBe('inactive');
    expect(r.provision.data).toEqual([{ meaning: 'instance', reference: { identifier: { system: 'urn:medledger:record', value: 'north:obs/1' } } }]);
  });

  it('an expired consent is a valid R4 Consent with status inactive', () => {
    const view = consentView(c.expiring, c.expiring.expiresAt!);
    expect(view.status).toBe('expired');
    const r: Json = toFhirConsent(view);
    expectValidR4(r);
    expect(r.status).toBe('inactive');
    expect(consentView(c.expiring, c.expiring.expiresAt! - 1).status).toBe('active');
  });

  it('an org grantee is an Organization reference; no expiry means no period end', () => {
    const r: Json = toFhirConsent(consentView(c.orgWide, c.now));
    expectValidR4(r);
    expect(r.provision.actor[0].reference).toEqual({ type: 'Organization', identifier: { system: 'urn:medledger:org', value: 'south' } });
    expect(r.provision.period.end).toBeUndefined();
    expect(r.provision.class).toBeUndefined();
    expect(r.provision.data).toBeUndefined();
  });

  it('types and ids together: deny root with one permit exception per list (scope is a union)', () => {
    const r: Json = toFhirConsent(consentView(c.both, c.now));
    expectValidR4(r);
    expect(r.provision.type).toBe('deny');
    const [byType, byId] = r.provision.provision;
    expect(byType.type).toBe('permit');
    expect(byType.class).toEqual([{ system: 'http://hl7.org/fhir/resource-types', code: 'DiagnosticReport' }]);
    expect(byType.data).toBeUndefined();
    expect(byId.type).toBe('permit');
    expect(byId.data.map((d: Json) => d.reference.identifier.value)).toEqual(['north:obs/1', 'north:doc/7']);
    expect(byId.actor).toEqual(byType.actor);
  });
});

/** One access event of each outcome, through access.log. */
function accessEvents(): { granted: AccessEvent; byConsent: AccessEvent; emergency: AccessEvent; denied: AccessEvent; onBehalf: AccessEvent } {
  const w = world();
  expect(anchor(w, 'obs/1').status).toBe('ok');
  const ev = (r: ReturnType<typeof log>): AccessEvent => {
    expect(r.status).toBe('ok');
    return (r.events[0] as { kind: 'access'; event: AccessEvent }).event;
  };
  const granted = ev(log(w, w.northDoc, { recordId: 'north:obs/1', action: 'update' }));
  const emergency = ev(log(w, w.southDoc, { recordId: 'north:obs/1', purpose: 'ETREAT', emergency: true, reason: 'life-threatening' }));
  const denied = ev(log(w, w.southAuditor, { recordId: 'north:obs/1', action: 'export', purpose: 'HLEGAL' }));
  const onBehalf = ev(log(w, w.southEhr, { recordId: 'north:obs/1', action: 'query', onBehalfOf: 'staff-0042' }));
  expect(grant(w, { grantee: 'org:south', purpose: 'CAREMGT' }).status).toBe('ok');
  const byConsent = ev(log(w, w.southEhr, { recordId: 'north:obs/1', purpose: 'CAREMGT', onBehalfOf: 'staff.7' }));
  expect([granted.outcome, emergency.outcome, denied.outcome, onBehalf.outcome, byConsent.outcome]).toEqual(['granted', 'emergency', 'denied', 'denied', 'granted']);
  return { granted, byConsent, emergency, denied, onBehalf };
}

describe('toFhirAuditEventBundle (R4 Bundle of BALP AuditEvents)', () => {
  const e = accessEvents();
  const source = { nodeId: '12D3KooWGzBkgEXAMPLEnodeId', org: 'north' };

  it('a searchset Bundle of granted, emergency and denied events (with onBehalfOf) is valid R4', () => {
    const b: Json = toFhirAuditEventBundle([e.byConsent, e.onBehalf, e.denied, e.emergency, e.granted], source);
    expectValidR4(b);
    expect(b.resourceType).toBe('Bundle');
    expect(b.type).toBe('searchset');
    expect(b.entry).toHaveLength(5);
    for (const entry of b.entry) {
      expect(entry.search).toEqual({ mode: 'match' });
      expectValidR4(entry.resource);
    }
    expect(b.entry.map((x: Json) => x.resource.id)).toEqual([e.byConsent, e.onBehalf, e.denied, e.emergency, e.granted].map((x) => x.txHash));
    expect(toFhirAuditEventBundle([], source, { total: 0 })).toEqual({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] });
  });

  it('granted: outcome 0, BALP type, subtype, action, agent, source and entities', () => {
    const a: Json = toFhirAuditEvent(e.granted, source);
    expectValidR4(a);
    expect(a.type).toEqual({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110', display: 'Patient Record' });
    expect(a.subtype[0]).toEqual({ system: 'http://hl7.org/fhir/restful-interaction', code: 'update' });
    expect(a.action).toBe('U');
    expect(a.outcome).toBe('0');
    expect(a.recorded).toBe(new Date(e.granted.time).toISOString());
    expect(a.purposeOfEvent).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }] }]);
    expect(a.agent).toHaveLength(1);
    expect(a.agent[0].requestor).toBe(true);
    expect(a.agent[0].who.identifier).toMatchObject({ system: 'urn:medledger:account', value: e.granted.actor });
    expect(a.agent[0].who.identifier.assigner.identifier.value).toBe('north');
    expect(a.agent[0].policy).toBeUndefined();
    expect(a.source.observer.identifier).toEqual({ system: 'urn:medledger:node', value: source.nodeId });
    expect(a.source.site).toBe('north');
    const [patient, record] = a.entity;
    expect(patient.what.identifier).toEqual({ system: 'urn:medledger:account', value: e.granted.patient });
    expect(patient.type.code).toBe('1');
    expect(record.what.identifier).toEqual({ system: 'urn:medledger:record', value: 'north:obs/1' });
    expect(record.type.code).toBe('2');
    expect(a.extension).toBeUndefined();
  });

  it('granted by consent: the consent is the requesting agent policy; onBehalfOf is a second agent', () => {
    const a: Json = toFhirAuditEvent(e.byConsent, source);
    expectValidR4(a);
    expect(a.outcome).toBe('0');
    expect(a.agent[0].policy).toEqual([`urn:medledger:consent:${e.byConsent.consentId}`]);
    expect(a.agent[0].type.coding[0]).toMatchObject({ code: '110150' });
    expect(a.agent[1]).toEqual({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
      who: { identifier: { system: 'urn:medledger:staff', value: 'staff.7', assigner: { type: 'Organization', identifier: { system: 'urn:medledger:org', value: 'south' } } } },
      requestor: false,
    });
  });

  it('emergency: outcome 0, flagged with v3-ActReason BTG and the reason extension', () => {
    const a: Json = toFhirAuditEvent(e.emergency, source);
    expectValidR4(a);
    expect(a.outcome).toBe('0');
    expect(a.purposeOfEvent.map((p: Json) => p.coding[0].code)).toEqual(['ETREAT', 'BTG']);
    expect(a.extension).toEqual([{ url: 'urn:medledger:fhir:StructureDefinition/emergency-reason', valueCode: 'life-threatening' }]);
    expect(a.outcomeDesc).toContain('life-threatening');
  });

  it('denied: outcome 4, not flagged as emergency; export maps to action R', () => {
    const a: Json = toFhirAuditEvent(e.denied, source);
    expectValidR4(a);
    expect(a.outcome).toBe('4');
    expect(a.action).toBe('R');
    expect(a.purposeOfEvent).toHaveLength(1);
    expect(a.outcomeDesc).toMatch(/^denied/);
  });

  it('denied with onBehalfOf: query maps to action E and search-type', () => {
    const a: Json = toFhirAuditEvent(e.onBehalf, source);
    expectValidR4(a);
    expect(a.outcome).toBe('4');
    expect(a.action).toBe('E');
    expect(a.subtype.map((s: Json) => s.code)).toEqual(['search-type', 'query']);
    expect(a.agent.map((g: Json) => g.who.identifier.value)).toEqual([e.onBehalf.actor, 'staff-0042']);
  });

  it('every action maps to its SPEC action code (C R U D E R)', () => {
    const codes = ACTIONS.map((action) => (toFhirAuditEvent({ ...e.granted, action }, source) as Json).action);
    expect(codes).toEqual(['C', 'R', 'U', 'D', 'E', 'R']);
    for (const action of ACTIONS) expectValidR4(toFhirAuditEvent({ ...e.denied, action }, source));
  });
});
