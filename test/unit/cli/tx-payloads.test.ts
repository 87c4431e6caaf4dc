import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../../../src/chain/ed25519.js';
import { signTx } from '../../../src/chain/tx.js';
import type { TxType } from '../../../src/chain/types.js';
import { createTxValidator } from '../../../src/chain/validate-tx.js';
import { chainHandlers } from '../../../src/chain/state/index.js';
import { recordHandlers } from '../../../src/records/index.js';
import { UsageError } from '../../../src/cli/args.js';
import { parseExpiresAt, payloadBuilders, type Values } from '../../../src/cli/commands/tx-payloads.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const sender = generateKeyPair();
const patient = generateKeyPair().account;
const validate = createTxValidator([...chainHandlers, ...recordHandlers], { maxTxBytes: 65_536 });

function build(type: TxType, values: Values) {
  return payloadBuilders[type].build(values, { now: NOW });
}

/** The payload the CLI builds passes the node's own admission shape check. */
function admissible(type: TxType, payload: Record<string, unknown>): void {
  validate(signTx({ chainId: 'medledger-dev', type, from: sender.account, nonce: 0, payload }, sender.secretKey));
}

function usage(fn: () => unknown, flag: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  expect((err as Error).message).toMatch(flag);
}

describe('member.register / member.revoke / gov.vote flags', () => {
  it('build admissible payloads', () => {
    const acct = generateKeyPair().account;
    const p = build('member.register', { account: acct, role: 'clinician', name: 'Dr A' }).payload;
    expect(p).toEqual({ account: acct, role: 'clinician', name: 'Dr A' });
    admissible('member.register', p);
    expect(build('member.register', { account: acct, role: 'patient' }).payload).toEqual({ account: acct, role: 'patient' });
    expect(build('member.revoke', { account: acct }).payload).toEqual({ account: acct });
    expect(build('gov.vote', { proposal: '{"action":"addOrg","org":"x1","name":"X","admin":"' + acct + '"}' }).payload.proposal).toMatchObject({ action: 'addOrg' });
  });

  it('refuse bad values naming the flag', () => {
    usage(() => build('member.register', { role: 'patient' }), /--account is required/);
    usage(() => build('member.register', { account: 'ABC', role: 'patient' }), /--account must be an account id/);
    usage(() => build('member.register', { account: patient, role: 'authority' }), /--role must be one of admin, clinician/);
    usage(() => build('member.register', { account: patient, role: 'patient', name: 'Jane' }), /--name is not allowed for a patient/);
    usage(() => build('gov.vote', { proposal: '[1]' }), /--proposal must be a JSON object/);
    usage(() => build('gov.vote', { proposal: '{' }), /--proposal must be JSON/);
  });
});

describe('record.anchor flags', () => {
  const base = { 'record-id': 'north:Observation/123', patient, 'record-type': 'LOINC:11506-3' };

  it('--content-hash anchors a precomputed commitment', () => {
    const h = 'sha256:' + 'ab'.repeat(32);
    const b = build('record.anchor', { ...base, 'content-hash': h });
    expect(b.payload).toEqual({ recordId: 'north:Observation/123', patient, recordType: 'LOINC:11506-3', contentHash: h });
    expect(b.beforeSend).toBeUndefined();
    admissible('record.anchor', b.payload);
  });

  it('--file: salted commitment of the document; salt file written by beforeSend; no document or salt in the payload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-anchor-'));
    const file = join(dir, 'note.txt');
    writeFileSync(file, 'synthetic discharge note\n');
    const b = build('record.anchor', { ...base, file });
    admissible('record.anchor', b.payload);
    expect(Object.keys(b.payload).sort()).toEqual(['contentHash', 'patient', 'recordId', 'recordType']);
    expect(existsSync(file + '.salt.json')).toBe(false);
    b.beforeSend!();
    const saltFile = JSON.parse(readFileSync(file + '.salt.json', 'utf8'));
    expect(statSync(file + '.salt.json').mode & 0o777).toBe(0o600);
    const expected = 'sha256:' + createHash('sha256').update(Buffer.concat([Buffer.from(saltFile.salt, 'hex'), readFileSync(file)])).digest('hex');
    expect(b.payload.contentHash).toBe(expected);
    expect(saltFile).toEqual({ salt: saltFile.salt, contentHash: expected, recordId: 'north:Observation/123' });
    const wire = JSON.stringify(b.payload);
    expect(wire).not.toContain(saltFile.salt);
    expect(wire).not.toContain('discharge');
    expect(b.extra).toEqual({ saltFile: file + '.salt.json' });
    expect(b.notes!.join('\n')).toContain(file + '.salt.json');
    // Again without --salt-file: refused; with it: the same commitment.
    expect(() => build('record.anchor', { ...base, file })).toThrow(/refusing to overwrite/);
    expect(build('record.anchor', { ...base, file, 'salt-file': file + '.salt.json' }).payload.contentHash).toBe(expected);
  });

  it('refuses bad or conflicting flags, naming them', () => {
    usage(() => build('record.anchor', { ...base }), /--file is required \(or --content-hash/);
    usage(() => build('record.anchor', { ...base, 'record-id': 'Observation/1', 'content-hash': 'sha256:' + '0'.repeat(64) }), /--record-id must be <org>:<local id>/);
    usage(() => build('record.anchor', { ...base, patient: 'xyz', 'content-hash': 'sha256:' + '0'.repeat(64) }), /--patient must be an account id/);
    usage(() => build('record.anchor', { ...base, 'record-type': 'observation', 'content-hash': 'sha256:' + '0'.repeat(64) }), /--record-type must be a FHIR resource type/);
    usage(() => build('record.anchor', { ...base, 'content-hash': 'ab'.repeat(32) }), /--content-hash must be sha256:/);
    usage(() => build('record.anchor', { ...base, 'content-hash': 'sha256:' + '0'.repeat(64), file: '/etc/hostname' }), /--content-hash .* without --file/);
    usage(() => build('record.anchor', { ...base, file: '/nonexistent/doc.pdf' }), /--file .*not found/);
  });
});

describe('consent.grant flags', () => {
  it('builds grantee, scope lists (deduplicated), purpose and expiresAt', () => {
    const b = build('consent.grant', { grantee: 'org:north', purpose: 'TREAT', 'record-types': 'Observation, DiagnosticReport,Observation', 'record-ids': 'south:Observation/1', 'expires-at': '2027-01-01T00:00:00Z' });
    expect(b.payload).toEqual({ grantee: 'org:north', scope: { recordTypes: ['Observation', 'DiagnosticReport'], recordIds: ['south:Observation/1'] }, purpose: 'TREAT', expiresAt: Date.parse('2027-01-01T00:00:00Z') });
    admissible('consent.grant', b.payload);
    const all = build('consent.grant', { grantee: patient, purpose: 'HRESCH' });
    expect(all.payload).toEqual({ grantee: patient, scope: {}, purpose: 'HRESCH' });
    expect(all.notes!.join()).toMatch(/all of the patient's records/);
    admissible('consent.grant', all.payload);
  });

  it('--expires-at takes ms or ISO-8601 and refuses the past, garbage and far future', () => {
    expect(parseExpiresAt(String(NOW + 1000), NOW)).toBe(NOW + 1000);
    expect(parseExpiresAt('2026-06-02', NOW)).toBe(Date.parse('2026-06-02T00:00:00Z'));
    usage(() => parseExpiresAt('2026-06-01T02:00:00+02:00', NOW), /--expires-at .* is in the past/);
    usage(() => parseExpiresAt('2020-01-01T00:00:00Z', NOW), /in the past/);
    usage(() => parseExpiresAt('next tuesday', NOW), /--expires-at must be milliseconds since the epoch or an ISO-8601 time/);
    usage(() => parseExpiresAt('2026-13-45T00:00:00Z', NOW), /--expires-at is not a valid time/);
    usage(() => parseExpiresAt('99999999999999999', NOW), /--expires-at is not a valid time/);
  });

  it('refuses bad values naming the flag', () => {
    usage(() => build('consent.grant', { purpose: 'TREAT' }), /--grantee is required/);
    usage(() => build('consent.grant', { grantee: 'north', purpose: 'TREAT' }), /--grantee must be an account id .* or org:<orgId>/);
    usage(() => build('consent.grant', { grantee: 'org:north', purpose: 'treatment' }), /--purpose must be one of TREAT, ETREAT/);
    usage(() => build('consent.grant', { grantee: 'org:north', purpose: 'TREAT', 'record-types': 'Observation,,Foo' }), /--record-types has an empty item/);
    usage(() => build('consent.grant', { grantee: 'org:north', purpose: 'TREAT', 'record-types': 'lab results' }), /--record-types: "lab results"/);
    usage(() => build('consent.grant', { grantee: 'org:north', purpose: 'TREAT', 'record-ids': 'nope' }), /--record-ids: "nope" must be <org>:<local id>/);
    const many = Array.from({ length: 65 }, (_, i) => `north:r${i}`).join(',');
    usage(() => build('consent.grant', { grantee: 'org:north', purpose: 'TREAT', 'record-ids': many }), /--record-ids may list at most 64/);
  });
});

describe('consent.revoke and access.log flags', () => {
  it('consent.revoke takes the grant tx hash', () => {
    const id = 'cd'.repeat(32);
    expect(build('consent.revoke', { 'consent-id': id }).payload).toEqual({ consentId: id });
    admissible('consent.revoke', { consentId: id });
    usage(() => build('consent.revoke', {}), /--consent-id is required/);
    usage(() => build('consent.revoke', { 'consent-id': 'CD'.repeat(32) }), /--consent-id must be the consent.grant tx hash/);
  });

  it('access.log builds plain, emergency and on-behalf-of payloads', () => {
    const plain = build('access.log', { 'record-id': 'north:Observation/1', action: 'read', purpose: 'TREAT' }).payload;
    expect(plain).toEqual({ recordId: 'north:Observation/1', action: 'read', purpose: 'TREAT' });
    admissible('access.log', plain);
    const em = build('access.log', { 'record-id': 'north:Observation/1', action: 'export', purpose: 'ETREAT', emergency: true, reason: 'life-threatening', 'on-behalf-of': 'staff-042' }).payload;
    expect(em).toEqual({ recordId: 'north:Observation/1', action: 'export', purpose: 'ETREAT', emergency: true, reason: 'life-threatening', onBehalfOf: 'staff-042' });
    admissible('access.log', em);
  });

  it('access.log refuses bad values naming the flag', () => {
    const ok = { 'record-id': 'north:Observation/1', action: 'read', purpose: 'TREAT' };
    usage(() => build('access.log', { ...ok, emergency: true }), /--emergency needs --reason, one of life-threatening/);
    usage(() => build('access.log', { ...ok, reason: 'other' }), /--reason is allowed only with --emergency/);
    usage(() => build('access.log', { ...ok, emergency: true, reason: 'he looked ill' }), /--reason must be one of life-threatening/);
    usage(() => build('access.log', { ...ok, action: 'view' }), /--action must be one of create, read, update/);
    usage(() => build('access.log', { ...ok, purpose: 'XX' }), /--purpose must be one of/);
    usage(() => build('access.log', { ...ok, 'on-behalf-of': 'Dr Jane Doe' }), /--on-behalf-of must be an opaque staff id/);
    usage(() => build('access.log', { ...ok, 'record-id': undefined }), /--record-id is required/);
  });
});
