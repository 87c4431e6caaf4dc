import { rmSync } from 'node:fs';
import { Fhir } from 'fhir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Header } from '../../../src/chain/types.js';
import { recordMethods } from '../../../src/records/index.js';
import { IndexQueries } from '../../../src/storage/queries.js';
import { ChainStore } from '../../../src/storage/store.js';
import { tempDir } from '../../support/node-proc.js';
import { start, stopAll, type Running } from '../rpc/support.js';
import { anchor, contentHash, grant, log, runTx, world, type RunResult } from './support.js';

const fhir = new Fhir();
const H0 = '0'.repeat(64);
type Json = any;

/** The records methods behind a real RPC server, over a real ChainStore fed by the records handlers. */
describe('records RPC methods (real server, real index store)', () => {
  const w = world();
  const { st, alice, bob } = w;
  let dir: string;
  let store: ChainStore;
  let rpc: Running;
  let headTime = st.time;
  const ids: Record<string, string> = {};

  /** Commits one tx's index events as its own block, then moves the state to the next block. */
  async function step(r: RunResult): Promise<RunResult> {
    expect(r.status).toBe('ok');
    const header: Header = { chainId: 't', height: st.height, prevHash: H0, time: st.time, txRoot: H0, stateRoot: H0, proposer: H0, validatorsHash: H0, nextValidatorsHash: H0 };
    await store.commitBlock({
      block: { header, txs: [] }, hash: H0, commit: { height: st.height, round: 0, blockHash: H0, signatures: [] },
      txHashes: [r.hash], results: [{ hash: r.hash, receipt: { status: 'ok' }, events: r.events }], writes: new Map(), nextAuthorities: null,
    });
    headTime = st.time;
    st.advance();
    return r;
  }

  const ok = async (method: string, params: Record<string, unknown>): Promise<Json> => {
    const r = await rpc.call(method, params);
    if (r.error) throw new Error(`${method}: ${JSON.stringify(r.error)}`);
    return r.result;
  };
  const err = async (method: string, params: Record<string, unknown>): Promise<{ code: number; message: string; data?: Json }> => (await rpc.call(method, params)).error;

  beforeAll(async () => {
    dir = tempDir('ml-records-rpc-');
    store = await ChainStore.open(dir);
    const methods = recordMethods({ state: st, headTime: () => headTime, index: new IndexQueries(store), source: { nodeId: '12D3KooWTestNode', org: 'north' } });
    rpc = await start({}, { methods });

    ids.v1 = (await step(anchor(w, 'obs/1'))).hash;
    ids.v2 = (await step(runTx(st, w.northDoc, 'record.anchor', { recordId: 'north:obs/1', patient: alice.account, recordType: 'LOINC:11506-3', contentHash: contentHash('b') }))).hash;
    await step(anchor(w, 'obs/2'));
    await step(anchor(w, 'obs/3', 'Observation', bob.account));
    ids.typed = (await step(grant(w, { grantee: w.southDoc.account, scope: { recordTypes: ['LOINC:11506-3'] }, purpose: 'TREAT', expiresAt: st.time + 60_000 }))).hash;
    ids.org = (await step(grant(w, { grantee: 'org:south', scope: { recordIds: ['north:obs/2'] }, purpose: 'CAREMGT' }))).hash;
    ids.revoked = (await step(grant(w, { grantee: w.southAuditor.account, scope: {}, purpose: 'HLEGAL' }))).hash;
    await step(runTx(st, alice, 'consent.revoke', { consentId: ids.revoked }));
    ids.granted = (await step(log(w, w.southDoc, { recordId: 'north:obs/1' }))).hash;
    ids.denied = (await step(log(w, w.southAuditor, { recordId: 'north:obs/1', action: 'export', purpose: 'HLEGAL' }))).hash;
    ids.emergency = (await step(log(w, w.southDoc2, { recordId: 'north:obs/1', purpose: 'ETREAT', emergency: true, reason: 'life-threatening' }))).hash;
    ids.onBehalf = (await step(log(w, w.southEhr, { recordId: 'north:obs/2', action: 'query', purpose: 'CAREMGT', onBehalfOf: 'staff-7' }))).hash;
    ids.custodian = (await step(log(w, w.northDoc, { recordId: 'north:obs/3', action: 'update' }))).hash;
  });

  afterAll(async () => {
    await stopAll();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records_get: the latest version, exactly the SPEC fields; unknown is not_found', async () => {
    const r = await ok('records_get', { recordId: 'north:obs/1' });
    expect(r).toEqual({ recordId: 'north:obs/1', patient: alice.account, custodian: 'north', recordType: 'LOINC:11506-3', contentHash: contentHash('b'), version: 2, height: 2, time: r.time });
    const e = await err('records_get', { recordId: 'north:nope' });
    expect(e.code).toBe(-32000);
    expect(e.data.reason).toBe('not_found');
    const bad = await err('records_get', { recordId: 'no-colon' });
    expect(bad.code).toBe(-32602);
    expect(bad.message).toContain('recordId must be <org>:<local id>');
  });

  it('records_history: versions oldest first with the anchoring tx', async () => {
    const h = await ok('records_history', { recordId: 'north:obs/1' });
    expect(h.versions.map((v: Json) => [v.version, v.recordType, v.txHash])).toEqual([[1, 'Observation', ids.v1], [2, 'LOINC:11506-3', ids.v2]]);
    expect(Object.keys(h.versions[0]).sort()).toEqual(['contentHash', 'custodian', 'height', 'patient', 'recordId', 'recordType', 'time', 'txHash', 'version']);
    expect((await err('records_history', { recordId: 'north:none' })).data.reason).toBe('not_found');
  });

  it('records_byPatient: newest first, paged; unknown patient is not_found', async () => {
    const all = await ok('records_byPatient', { patient: alice.account });
    expect(all.records.map((r: Json) => r.recordId)).toEqual(['north:obs/2', 'north:obs/1']);
    expect(all.records[1].version).toBe(2);
    expect(all.nextCursor).toBeNull();
    const p1 = await ok('records_byPatient', { patient: alice.account, limit: 1 });
    expect(p1.records.map((r: Json) => r.recordId)).toEqual(['north:obs/2']);
    const p2 = await ok('records_byPatient', { patient: alice.account, limit: 1, cursor: p1.nextCursor });
    expect(p2).toEqual({ records: [all.records[1]], nextCursor: null });
    expect((await err('records_byPatient', { patient: '9'.repeat(64) })).data.reason).toBe('not_found');
    expect((await err('records_byPatient', { patient: alice.account, limit: 1001 })).message).toContain('limit must be an integer from 1 to 1000');
    expect((await err('records_byPatient', { patient: alice.account, limit: 0 })).code).toBe(-32602);
    const badCursor = await err('records_byPatient', { patient: alice.account, cursor: 'AAAA' });
    expect(badCursor.code).toBe(-32602);
    expect(badCursor.data.field).toBe('cursor');
    expect((await err('records_byPatient', { patient: 'ABC' })).message).toContain('patient must be 64 lowercase hex characters');
  });

  it('records_verify: any version matches; latest tells whether it is the current one', async () => {
    expect(await ok('records_verify', { recordId: 'north:obs/1', contentHash: contentHash('a') })).toEqual({ match: true, version: 1, latest: false, height: 1, time: expect.any(Number) });
    expect(await ok('records_verify', { recordId: 'north:obs/1', contentHash: contentHash('b') })).toMatchObject({ match: true, version: 2, latest: true, height: 2 });
    expect(await ok('records_verify', { recordId: 'north:obs/1', contentHash: contentHash('c') })).toEqual({ match: false });
    expect((await err('records_verify', { recordId: 'north:obs/1', contentHash: 'md5:abc' })).message).toContain('contentHash must be sha256:');
  });

  it('consent_get / consent_list: status judged at head time; grant order; paged', async () => {
    const c = await ok('consent_get', { consentId: ids.typed });
    expect(c).toEqual({
      consentId: ids.typed, patient: alice.account, grantee: w.southDoc.account, scope: { recordTypes: ['LOINC:11506-3'] }, purpose: 'TREAT',
      expiresAt: c.expiresAt, status: 'active', height: 5, time: c.time,
    });
    expect((await ok('consent_get', { consentId: ids.org })).expiresAt).toBeNull();
    expect((await ok('consent_get', { consentId: ids.revoked })).status).toBe('revoked');
    expect((await err('consent_get', { consentId: '8'.repeat(64) })).data.reason).toBe('not_found');
    const list = await ok('consent_list', { patient: alice.account });
    expect(list.consents.map((x: Json) => [x.consentId, x.status])).toEqual([[ids.typed, 'active'], [ids.org, 'active'], [ids.revoked, 'revoked']]);
    expect(list.nextCursor).toBeNull();
    const p1 = await ok('consent_list', { patient: alice.account, limit: 2 });
    expect(p1.consents).toHaveLength(2);
    expect(await ok('consent_list', { patient: alice.account, limit: 2, cursor: p1.nextCursor })).toEqual({ consents: [list.consents[2]], nextCursor: null });
    expect(await ok('consent_list', { patient: bob.account })).toEqual({ consents: [], nextCursor: null });

    const saved = headTime;
    headTime = c.expiresAt;
    try {
      expect((await ok('consent_get', { consentId: ids.typed })).status).toBe('expired');
      expect((await ok('consent_list', { patient: alice.account })).consents[0].status).toBe('expired');
      expect(await ok('consent_check', { patient: alice.account, grantee: w.southDoc.account, recordId: 'north:obs/1', purpose: 'TREAT' })).toEqual({ allowed: false, reason: 'expired' });
      expect((await ok('fhir_consent', { consentId: ids.typed })).status).toBe('inactive');
    } finally {
      headTime = saved;
    }
  });

  it('consent_check: the access.log rule at head time, with the grantee account\'s org', async () => {
    const check = (grantee: string, recordId: string, purpose: string, patient = alice.account) => ok('consent_check', { patient, grantee, recordId, purpose });
    expect(await check(w.southDoc.account, 'north:obs/1', 'TREAT')).toEqual({ allowed: true, consentId: ids.typed, reason: 'consent' });
    expect(await check(w.southDoc.account, 'north:obs/1', 'CAREMGT')).toEqual({ allowed: false, reason: 'purpose_mismatch' });
    expect(await check(w.southDoc.account, 'north:obs/2', 'TREAT')).toEqual({ allowed: false, reason: 'purpose_mismatch' });
    expect(await check(w.southEhr.account, 'north:obs/2', 'CAREMGT')).toEqual({ allowed: true, consentId: ids.org, reason: 'consent' });
    expect(await check(w.southEhr.account, 'north:obs/1', 'CAREMGT')).toEqual({ allowed: false, reason: 'out_of_scope' });
    expect(await check(w.southAuditor.account, 'north:obs/1', 'HLEGAL')).toEqual({ allowed: false, reason: 'revoked' });
    expect(await check(w.northEhr.account, 'north:obs/1', 'HRESCH')).toEqual({ allowed: true, reason: 'custodian' });
    expect(await check(w.southDoc.account, 'north:obs/3', 'TREAT')).toEqual({ allowed: false, reason: 'patient_mismatch' });
    expect(await check(w.southDoc.account, 'north:obs/3', 'TREAT', bob.account)).toEqual({ allowed: false, reason: 'no_consent' });
    expect(await check(w.southDoc.account, 'north:nothing', 'TREAT')).toEqual({ allowed: false, reason: 'unknown_record' });
    expect((await err('consent_check', { patient: alice.account, grantee: '7'.repeat(64), recordId: 'north:obs/1', purpose: 'TREAT' })).data.reason).toBe('not_found');
    const badPurpose = await err('consent_check', { patient: alice.account, grantee: w.southDoc.account, recordId: 'north:obs/1', purpose: 'FUN' });
    expect(badPurpose.code).toBe(-32602);
    expect(badPurpose.message).toContain('purpose must be one of');
    expect((await err('consent_check', { patient: alice.account, grantee: w.southDoc.account, recordId: 'north:obs/1' })).message).toContain('missing required param "purpose"');
  });

  it('audit_trail: by patient, record or actor; newest first; SPEC fields only; height range; paging', async () => {
    const byPatient = await ok('audit_trail', { patient: alice.account });
    expect(byPatient.events.map((e: Json) => e.txHash)).toEqual([ids.onBehalf, ids.emergency, ids.denied, ids.granted]);
    expect(byPatient.nextCursor).toBeNull();
    const [onBehalf, emergency, denied, granted] = byPatient.events;
    expect(granted).toEqual({
      txHash: ids.granted, height: granted.height, time: granted.time, actor: w.southDoc.account, actorOrg: 'south', recordId: 'north:obs/1',
      patient: alice.account, action: 'read', purpose: 'TREAT', outcome: 'granted', emergency: false,
    });
    expect(denied).toMatchObject({ outcome: 'denied', action: 'export', purpose: 'HLEGAL', emergency: false });
    expect(emergency).toMatchObject({ outcome: 'emergency', emergency: true, reason: 'life-threatening' });
    expect(onBehalf).toMatchObject({ outcome: 'granted', onBehalfOf: 'staff-7', actorOrg: 'south' });
    expect((await ok('audit_trail', { recordId: 'north:obs/3' })).events.map((e: Json) => e.txHash)).toEqual([ids.custodian]);
    expect((await ok('audit_trail', { actor: w.southDoc.account })).events.map((e: Json) => e.txHash)).toEqual([ids.granted]);
    const range = await ok('audit_trail', { recordId: 'north:obs/1', fromHeight: denied.height, toHeight: emergency.height });
    expect(range.events.map((e: Json) => e.txHash)).toEqual([ids.emergency, ids.denied]);

    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ok('audit_trail', { patient: alice.account, limit: 1, ...(cursor ? { cursor } : {}) });
      pages.push(...page.events.map((e: Json) => e.txHash));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual(byPatient.events.map((e: Json) => e.txHash));

    const two = await err('audit_trail', { patient: alice.account, actor: w.southDoc.account });
    expect(two.code).toBe(-32602);
    expect(two.message).toContain('exactly one of "patient", "recordId", "actor"');
    expect((await err('audit_trail', { limit: 5 })).message).toContain('exactly one of');
    expect((await err('audit_trail', { patient: alice.account, fromHeight: -1 })).message).toContain('fromHeight must be an integer >= 0');
    expect((await err('audit_trail', { patient: alice.account, fromHeight: 9, toHeight: 3 })).data.field).toBe('toHeight');
    expect((await err('audit_trail', { recordId: 'north:none' })).data.reason).toBe('not_found');
    expect((await err('audit_trail', { actor: '6'.repeat(64) })).data.reason).toBe('not_found');
  });

  it('fhir_consent and fhir_auditEvents: valid R4, node as the source, next link when paged', async () => {
    for (const id of [ids.typed, ids.org, ids.revoked]) {
      const c = await ok('fhir_consent', { consentId: id });
      expect(fhir.validate(c, { errorOnUnexpected: true }).valid).toBe(true);
      expect(c.id).toBe(id);
    }
    expect((await ok('fhir_consent', { consentId: ids.revoked })).status).toBe('inactive');
    expect((await err('fhir_consent', { consentId: '5'.repeat(64) })).data.reason).toBe('not_found');

    const b = await ok('fhir_auditEvents', { patient: alice.account });
    expect(fhir.validate(b, { errorOnUnexpected: true }).valid).toBe(true);
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    expect(b.link).toBeUndefined();
    expect(b.entry.map((e: Json) => e.resource.id)).toEqual([ids.onBehalf, ids.emergency, ids.denied, ids.granted]);
    const ev = b.entry[3].resource;
    expect(ev.source).toMatchObject({ site: 'north', observer: { identifier: { system: 'urn:medledger:node', value: '12D3KooWTestNode' } } });
    expect(ev.agent[0].policy).toEqual([`urn:medledger:consent:${ids.typed}`]);
    expect(b.entry[1].resource.purposeOfEvent.map((p: Json) => p.coding[0].code)).toEqual(['ETREAT', 'BTG']);
    expect(b.entry[0].resource.agent[1]).toMatchObject({ requestor: false, who: { identifier: { system: 'urn:medledger:staff', value: 'staff-7' } } });

    const paged = await ok('fhir_auditEvents', { patient: alice.account, limit: 3 });
    expect(fhir.validate(paged, { errorOnUnexpected: true }).valid).toBe(true);
    expect(paged.entry).toHaveLength(3);
    expect(paged.link).toEqual([{ relation: 'next', url: expect.stringMatching(/^urn:medledger:cursor:[A-Za-z0-9_-]+$/) }]);
    const cursor = paged.link[0].url.slice('urn:medledger:cursor:'.length);
    const last = await ok('fhir_auditEvents', { patient: alice.account, limit: 3, cursor });
    expect(last.entry.map((e: Json) => e.resource.id)).toEqual([ids.granted]);
    expect(last.link).toBeUndefined();
  });

  it('every method is in rpc.discover with its params', async () => {
    const doc = await ok('rpc.discover', {});
    const names = doc.methods.map((m: Json) => m.name);
    for (const n of ['records_get', 'records_history', 'records_byPatient', 'records_verify', 'consent_get', 'consent_list', 'consent_check', 'audit_trail', 'fhir_consent', 'fhir_auditEvents']) expect(names).toContain(n);
  });
});
