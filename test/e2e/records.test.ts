import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Fhir } from 'fhir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../src/chain/ed25519.js';
import type { TxType } from '../../src/chain/types.js';
import { call, rpc, startNodeProc, tempDir, type NodeProc } from '../support/node-proc.js';
import { homeKey, tx } from '../support/keys.js';

const fhir = new Fhir();
type Json = any;

function expectValidR4(resource: unknown): void {
  const res = fhir.validate(resource as object, { errorOnUnexpected: true });
  expect(res.messages.filter((m) => m.severity === 'error' || m.severity === 'fatal')).toEqual([]);
  expect(res.valid).toBe(true);
}

/** contentHash of SPEC §3: sha256(salt || documentBytes), the salt kept off chain. */
function commitment(doc: string): { salt: Buffer; contentHash: string } {
  const salt = randomBytes(32);
  return { salt, contentHash: 'sha256:' + createHash('sha256').update(Buffer.concat([salt, Buffer.from(doc, 'utf8')])).digest('hex') };
}

/**
 * The records API of a real dev node process: two orgs (dev, and north added by
 * governance), a patient, clinicians; a record with versions, consent granted to an
 * org, access logged as denied, granted and emergency, consent revoked, denied again.
 */
describe('records, consent and audit RPC (real dev node process)', () => {
  let node: NodeProc;
  let url: string;
  let home: string;
  const chainId = 'medledger-dev';
  const nonces = new Map<string, number>();
  const patient = generateKeyPair();
  const devDoc = generateKeyPair();
  const northAdmin = generateKeyPair();
  const northDoc = generateKeyPair();
  let info: Json;
  const h: Record<string, Json> = {};
  const v1 = commitment('{"resourceType":"Observation","status":"preliminary"}');
  const v2 = commitment('{"resourceType":"Observation","status":"final"}');

  /** Signs with the next nonce of `kp`, sends with wait, and returns {hash, height, receipt}. */
  async function send(kp: KeyPair, type: TxType, payload: Record<string, unknown>): Promise<Json> {
    const nonce = nonces.get(kp.account) ?? 0;
    nonces.set(kp.account, nonce + 1);
    const r = await call(url, 'tx_send', { tx: tx(kp, chainId, type, nonce, payload), wait: true });
    expect(r.receipt.status).toBe('ok');
    return r;
  }

  beforeAll(async () => {
    const cwd = tempDir();
    home = join(cwd, '.medledger');
    node = await startNodeProc(['--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--log-level', 'warn'], { cwd });
    url = node.rpcUrl;
    info = await call(url, 'node_info');
    const admin = homeKey(home, 'admin');
    const authority = homeKey(home, 'authority');

    await send(admin, 'member.register', { account: patient.account, role: 'patient' });
    await send(admin, 'member.register', { account: devDoc.account, role: 'clinician', name: 'Dr Dev' });
    await send(authority, 'gov.vote', { proposal: { action: 'addOrg', org: 'north', name: 'North Hospital', admin: northAdmin.account } });
    await send(northAdmin, 'member.register', { account: northDoc.account, role: 'clinician', name: 'Dr North' });

    h.v1 = await send(devDoc, 'record.anchor', { recordId: 'dev:Observation/1', patient: patient.account, recordType: 'Observation', contentHash: v1.contentHash });
    h.v2 = await send(devDoc, 'record.anchor', { recordId: 'dev:Observation/1', patient: patient.account, recordType: 'Observation', contentHash: v2.contentHash });
    h.doc = await send(devDoc, 'record.anchor', { recordId: 'dev:doc/7', patient: patient.account, recordType: 'LOINC:11506-3', contentHash: commitment('note').contentHash });
    h.denied1 = await send(northDoc, 'access.log', { recordId: 'dev:Observation/1', action: 'read', purpose: 'TREAT' });
    h.grant = await send(patient, 'consent.grant', { grantee: 'org:north', scope: { recordTypes: ['Observation'] }, purpose: 'TREAT' });
    h.granted = await send(northDoc, 'access.log', { recordId: 'dev:Observation/1', action: 'read', purpose: 'TREAT' });
    h.emergency = await send(northDoc, 'access.log', { recordId: 'dev:doc/7', action: 'read', purpose: 'ETREAT', emergency: true, reason: 'patient-unable-to-consent' });
    h.revoke = await send(patient, 'consent.revoke', { consentId: h.grant.hash });
    h.denied2 = await send(northDoc, 'access.log', { recordId: 'dev:Observation/1', action: 'read', purpose: 'TREAT' });
    h.custodian = await send(devDoc, 'access.log', { recordId: 'dev:doc/7', action: 'update', purpose: 'TREAT' });
  });

  afterAll(async () => {
    expect(await node?.stop()).toBe(0);
  });

  it('the chain decided denied, granted, emergency, denied (after revoke), granted (custodian)', () => {
    expect([h.denied1, h.granted, h.emergency, h.denied2, h.custodian].map((r) => r.receipt.outcome)).toEqual(['denied', 'granted', 'emergency', 'denied', 'granted']);
  });

  it('records_get, records_history, records_verify (salted commitments)', async () => {
    const r = await call(url, 'records_get', { recordId: 'dev:Observation/1' });
    expect(r).toEqual({ recordId: 'dev:Observation/1', patient: patient.account, custodian: 'dev', recordType: 'Observation', contentHash: v2.contentHash, version: 2, height: h.v2.height, time: r.time });
    expect(typeof r.time).toBe('number');
    const hist = await call(url, 'records_history', { recordId: 'dev:Observation/1' });
    expect(hist.versions.map((v: Json) => [v.version, v.contentHash, v.height, v.txHash])).toEqual([[1, v1.contentHash, h.v1.height, h.v1.hash], [2, v2.contentHash, h.v2.height, h.v2.hash]]);
    // A holder of the document and its salt recomputes the commitment and verifies it.
    const recomputed = 'sha256:' + createHash('sha256').update(Buffer.concat([v1.salt, Buffer.from('{"resourceType":"Observation","status":"preliminary"}')])).digest('hex');
    expect(await call(url, 'records_verify', { recordId: 'dev:Observation/1', contentHash: recomputed })).toEqual({ match: true, version: 1, latest: false, height: h.v1.height, time: hist.versions[0].time });
    expect(await call(url, 'records_verify', { recordId: 'dev:Observation/1', contentHash: v2.contentHash })).toMatchObject({ match: true, version: 2, latest: true });
    // Without the salt, the plain document hash matches nothing.
    const plain = 'sha256:' + createHash('sha256').update('{"resourceType":"Observation","status":"preliminary"}').digest('hex');
    expect(await call(url, 'records_verify', { recordId: 'dev:Observation/1', contentHash: plain })).toEqual({ match: false });
    expect((await rpc(url, 'records_get', { recordId: 'dev:none' })).error.data.reason).toBe('not_found');
  });

  it('records_byPatient: newest first, limit 1 pages with cursors', async () => {
    const all = await call(url, 'records_byPatient', { patient: patient.account });
    expect(all.records.map((r: Json) => r.recordId)).toEqual(['dev:doc/7', 'dev:Observation/1']);
    expect(all.nextCursor).toBeNull();
    const p1 = await call(url, 'records_byPatient', { patient: patient.account, limit: 1 });
    expect(p1.records).toEqual([all.records[0]]);
    expect(typeof p1.nextCursor).toBe('string');
    expect(await call(url, 'records_byPatient', { patient: patient.account, limit: 1, cursor: p1.nextCursor })).toEqual({ records: [all.records[1]], nextCursor: null });
    const bad = await rpc(url, 'records_byPatient', { patient: patient.account, cursor: 'bm90LWEtY3Vyc29y' });
    expect(bad.error.code).toBe(-32602);
    expect(bad.error.message).toContain('cursor');
  });

  it('consent_get, consent_list, consent_check before and after revocation', async () => {
    const c = await call(url, 'consent_get', { consentId: h.grant.hash });
    expect(c).toEqual({
      consentId: h.grant.hash, patient: patient.account, grantee: 'org:north', scope: { recordTypes: ['Observation'] }, purpose: 'TREAT',
      expiresAt: null, status: 'revoked', height: h.grant.height, time: c.time,
    });
    expect(await call(url, 'consent_list', { patient: patient.account })).toEqual({ consents: [c], nextCursor: null });
    const check = (grantee: string, recordId: string, purpose = 'TREAT') => call(url, 'consent_check', { patient: patient.account, grantee, recordId, purpose });
    expect(await check(northDoc.account, 'dev:Observation/1')).toEqual({ allowed: false, reason: 'revoked' });
    expect(await check(devDoc.account, 'dev:Observation/1')).toEqual({ allowed: true, reason: 'custodian' });
    expect(await check(northDoc.account, 'dev:doc/7')).toEqual({ allowed: false, reason: 'out_of_scope' });
    expect(await call(url, 'consent_check', { patient: devDoc.account, grantee: northDoc.account, recordId: 'dev:doc/7', purpose: 'TREAT' })).toEqual({ allowed: false, reason: 'patient_mismatch' });

    // A new consent for the record id: allowed again, naming it.
    const g2 = await send(patient, 'consent.grant', { grantee: northDoc.account, scope: { recordIds: ['dev:doc/7'] }, purpose: 'CAREMGT', expiresAt: Date.now() + 3_600_000 });
    expect(await check(northDoc.account, 'dev:doc/7', 'CAREMGT')).toEqual({ allowed: true, consentId: g2.hash, reason: 'consent' });
    const list = await call(url, 'consent_list', { patient: patient.account, limit: 1 });
    expect(list.consents.map((x: Json) => x.consentId)).toEqual([h.grant.hash]);
    const next = await call(url, 'consent_list', { patient: patient.account, limit: 1, cursor: list.nextCursor });
    expect(next.consents.map((x: Json) => [x.consentId, x.status])).toEqual([[g2.hash, 'active']]);
    expect(next.nextCursor).toBeNull();
    expectValidR4(await call(url, 'fhir_consent', { consentId: g2.hash }));
  });

  it('audit_trail by patient, record and actor; newest first; height range; limit 1 paging', async () => {
    const byPatient = await call(url, 'audit_trail', { patient: patient.account });
    const order = [h.custodian, h.denied2, h.emergency, h.granted, h.denied1].map((r) => r.hash);
    expect(byPatient.events.map((e: Json) => e.txHash)).toEqual(order);
    expect(byPatient.nextCursor).toBeNull();
    const emergency = byPatient.events[2];
    expect(emergency).toEqual({
      txHash: h.emergency.hash, height: h.emergency.height, time: emergency.time, actor: northDoc.account, actorOrg: 'north', recordId: 'dev:doc/7',
      patient: patient.account, action: 'read', purpose: 'ETREAT', outcome: 'emergency', emergency: true, reason: 'patient-unable-to-consent',
    });
    expect(byPatient.events.map((e: Json) => e.outcome)).toEqual(['granted', 'denied', 'emergency', 'granted', 'denied']);
    const byRecord = await call(url, 'audit_trail', { recordId: 'dev:Observation/1' });
    expect(byRecord.events.map((e: Json) => e.txHash)).toEqual([h.denied2, h.granted, h.denied1].map((r) => r.hash));
    const byActor = await call(url, 'audit_trail', { actor: devDoc.account });
    expect(byActor.events.map((e: Json) => e.txHash)).toEqual([h.custodian.hash]);
    const range = await call(url, 'audit_trail', { patient: patient.account, fromHeight: h.granted.height, toHeight: h.emergency.height });
    expect(range.events.map((e: Json) => e.txHash)).toEqual([h.emergency.hash, h.granted.hash]);

    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Json = await call(url, 'audit_trail', { patient: patient.account, limit: 1, ...(cursor ? { cursor } : {}) });
      expect(page.events).toHaveLength(1);
      paged.push(page.events[0].txHash);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(5);
    expect(paged).toEqual(order);

    const both = await rpc(url, 'audit_trail', { patient: patient.account, recordId: 'dev:doc/7' });
    expect(both.error.code).toBe(-32602);
    expect((await rpc(url, 'audit_trail', { patient: patient.account, limit: 1001 })).error.code).toBe(-32602);
  });

  it('fhir_consent and fhir_auditEvents are valid R4 with this node as the source', async () => {
    const consent = await call(url, 'fhir_consent', { consentId: h.grant.hash });
    expectValidR4(consent);
    expect(consent).toMatchObject({ resourceType: 'Consent', id: h.grant.hash, status: 'inactive' });
    expect(consent.provision.actor[0].reference).toEqual({ type: 'Organization', identifier: { system: 'urn:medledger:org', value: 'north' } });

    const bundle = await call(url, 'fhir_auditEvents', { patient: patient.account });
    expectValidR4(bundle);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const events = bundle.entry.map((e: Json) => e.resource);
    for (const ev of events) {
      expectValidR4(ev);
      expect(ev.source).toMatchObject({ site: info.org, observer: { identifier: { system: 'urn:medledger:node', value: info.nodeId } } });
    }
    expect(events.map((e: Json) => e.outcome)).toEqual(['0', '4', '0', '0', '4']);
    expect(events[2].purposeOfEvent.map((p: Json) => p.coding[0].code)).toEqual(['ETREAT', 'BTG']);
    expect(events[3].agent[0].policy).toEqual([`urn:medledger:consent:${h.grant.hash}`]);

    const page = await call(url, 'fhir_auditEvents', { recordId: 'dev:Observation/1', limit: 1 });
    expectValidR4(page);
    expect(page.entry).toHaveLength(1);
    expect(page.link[0]).toMatchObject({ relation: 'next' });
  });
});
