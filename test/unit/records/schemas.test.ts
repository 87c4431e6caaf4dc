import { readFileSync, readdirSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ACTIONS, EMERGENCY_REASONS, PURPOSES, type TxType } from '../../../src/chain/types.js';
import { MAX_SCOPE_ITEMS, RECORD_ERROR_CODES, recordHandlers } from '../../../src/records/index.js';
import { ParamError } from '../../../src/util/errors.js';
import { generateKeyPair } from '../../../src/chain/ed25519.js';
import { signTx } from '../../../src/chain/tx.js';
import { createTxValidator } from '../../../src/chain/validate-tx.js';
import { CHAIN_ID, contentHash, hash64, validatePayload } from './support.js';

const acct = hash64('a');

/** The ParamError field for a payload, or null when it passes schema and checkShape. */
function fieldOf(type: TxType, payload: unknown): string | null {
  try {
    validatePayload(type, payload);
    return null;
  } catch (e) {
    if (e instanceof ParamError) return e.field;
    throw e;
  }
}

const anchorOk = { recordId: 'north:Observation/123', patient: acct, recordType: 'Observation', contentHash: contentHash('0') };
const grantOk = { grantee: acct, scope: {}, purpose: 'TREAT' };
const logOk = { recordId: 'north:obs/1', action: 'read', purpose: 'TREAT' };

describe('payload schemas (SPEC §3 field rules)', () => {
  it('every handler schema compiles under ajv strict mode and forbids unknown fields', () => {
    const ajv = new Ajv({ strict: true });
    expect(recordHandlers.map((h) => h.type)).toEqual(['record.anchor', 'consent.grant', 'consent.revoke', 'access.log']);
    for (const h of recordHandlers) {
      expect(() => ajv.compile(h.payloadSchema)).not.toThrow();
      expect(h.payloadSchema.additionalProperties).toBe(false);
    }
  });

  it('record.anchor: recordId, patient, recordType (both forms) and contentHash', () => {
    expect(fieldOf('record.anchor', anchorOk)).toBeNull();
    for (const ok of ['north:a', `ab:${'x'.repeat(128)}`, 'a-b-1:A.z_9/-', `${'o'.repeat(32)}:x`]) expect(fieldOf('record.anchor', { ...anchorOk, recordId: ok })).toBeNull();
    for (const bad of ['north', 'north:', 'n:x', 'North:x', 'north:a b', `north:${'x'.repeat(129)}`, `${'o'.repeat(33)}:x`, 'north:é', 'nor_th:x']) {
      expect(fieldOf('record.anchor', { ...anchorOk, recordId: bad })).toBe('tx.payload.recordId');
    }
    for (const ok of ['DiagnosticReport', 'LOINC:11506-3', 'SNOMED:123.4', 'X1:a']) expect(fieldOf('record.anchor', { ...anchorOk, recordType: ok })).toBeNull();
    for (const bad of ['observation', 'O', 'Observation1', 'LOINC:', 'loinc:11506-3', 'LOINC:115 06', `LOINC:${'1'.repeat(65)}`, `A${'b'.repeat(64)}`]) {
      expect(fieldOf('record.anchor', { ...anchorOk, recordType: bad })).toBe('tx.payload.recordType');
    }
    for (const bad of [hash64('0'), `sha256:${hash64('A')}`, `sha256:${'0'.repeat(63)}`, `sha512:${hash64('0')}`]) {
      expect(fieldOf('record.anchor', { ...anchorOk, contentHash: bad })).toBe('tx.payload.contentHash');
    }
    expect(fieldOf('record.anchor', { ...anchorOk, patient: hash64('A') })).toBe('tx.payload.patient');
    expect(fieldOf('record.anchor', { ...anchorOk, name: 'x' })).toBe('tx.payload.name');
    const { contentHash: _omit, ...missing } = anchorOk;
    expect(fieldOf('record.anchor', missing)).toBe('tx.payload.contentHash');
  });

  it('consent.grant: grantee, scope lists, purpose from PURPOSES, integer expiresAt', () => {
    expect(fieldOf('consent.grant', grantOk)).toBeNull();
    expect(fieldOf('consent.grant', { ...grantOk, grantee: 'org:north', expiresAt: 1_900_000_000_000 })).toBeNull();
    for (const p of PURPOSES) expect(fieldOf('consent.grant', { ...grantOk, purpose: p })).toBeNull();
    for (const bad of ['org:', 'org:N', 'north', hash64('g'), 'org:north:x']) expect(fieldOf('consent.grant', { ...grantOk, grantee: bad })).toBe('tx.payload.grantee');
    for (const bad of ['treat', 'BTG', 'TREAT ']) expect(fieldOf('consent.grant', { ...grantOk, purpose: bad })).toBe('tx.payload.purpose');
    for (const bad of [1.5, -1, '1', 253_402_300_800_000]) expect(fieldOf('consent.grant', { ...grantOk, expiresAt: bad })).toBe('tx.payload.expiresAt');
    expect(fieldOf('consent.grant', { ...grantOk, scope: { recordTypes: ['Observation'], recordIds: ['north:obs/1'] } })).toBeNull();
    expect(fieldOf('consent.grant', { ...grantOk, scope: { recordTypes: ['obs'] } })).toBe('tx.payload.scope.recordTypes[0]');
    expect(fieldOf('consent.grant', { ...grantOk, scope: { recordIds: ['north:a', 'bad'] } })).toBe('tx.payload.scope.recordIds[1]');
    expect(fieldOf('consent.grant', { ...grantOk, scope: { recordIds: ['north:a', 'north:a'] } })).toBe('tx.payload.scope.recordIds');
    const many = Array.from({ length: MAX_SCOPE_ITEMS + 1 }, (_, i) => `north:r${i}`);
    expect(fieldOf('consent.grant', { ...grantOk, scope: { recordIds: many } })).toBe('tx.payload.scope.recordIds');
    expect(fieldOf('consent.grant', { ...grantOk, scope: { recordIds: many.slice(1) } })).toBeNull();
    expect(fieldOf('consent.grant', { ...grantOk, scope: { patients: [] } })).toBe('tx.payload.scope.patients');
    expect(fieldOf('consent.grant', { grantee: acct, purpose: 'TREAT' })).toBe('tx.payload.scope');
    expect(fieldOf('consent.grant', { ...grantOk, note: 'free text' })).toBe('tx.payload.note');
  });

  it('consent.revoke: consentId is a tx hash', () => {
    expect(fieldOf('consent.revoke', { consentId: acct })).toBeNull();
    expect(fieldOf('consent.revoke', { consentId: 'x' })).toBe('tx.payload.consentId');
    expect(fieldOf('consent.revoke', {})).toBe('tx.payload.consentId');
  });

  it('access.log: action, purpose, reason codes, onBehalfOf, reason iff emergency (checkShape)', () => {
    expect(fieldOf('access.log', logOk)).toBeNull();
    for (const a of ACTIONS) expect(fieldOf('access.log', { ...logOk, action: a })).toBeNull();
    for (const reason of EMERGENCY_REASONS) expect(fieldOf('access.log', { ...logOk, emergency: true, reason })).toBeNull();
    expect(fieldOf('access.log', { ...logOk, action: 'print' })).toBe('tx.payload.action');
    expect(fieldOf('access.log', { ...logOk, purpose: 'FUN' })).toBe('tx.payload.purpose');
    expect(fieldOf('access.log', { ...logOk, emergency: true, reason: 'patient collapsed in ward 3' })).toBe('tx.payload.reason');
    expect(fieldOf('access.log', { ...logOk, emergency: 'yes', reason: 'other' })).toBe('tx.payload.emergency');
    expect(fieldOf('access.log', { ...logOk, emergency: true })).toBe('tx.payload.reason');
    expect(fieldOf('access.log', { ...logOk, reason: 'other' })).toBe('tx.payload.reason');
    expect(fieldOf('access.log', { ...logOk, emergency: false, reason: 'other' })).toBe('tx.payload.reason');
    expect(fieldOf('access.log', { ...logOk, emergency: false })).toBeNull();
    for (const ok of ['a', 'Dr.Smith_01-x', 'x'.repeat(64)]) expect(fieldOf('access.log', { ...logOk, onBehalfOf: ok })).toBeNull();
    for (const bad of ['', 'dr smith', 'x'.repeat(65), 'a/b', 'ü']) expect(fieldOf('access.log', { ...logOk, onBehalfOf: bad })).toBe('tx.payload.onBehalfOf');
    expect(fieldOf('access.log', { ...logOk, patient: acct })).toBe('tx.payload.patient');
  });
});

describe("with chain/validate-tx.ts (the node's edge validator)", () => {
  const validate = createTxValidator(recordHandlers, { maxTxBytes: 65_536 });
  const key = generateKeyPair();
  const wire = (type: TxType, payload: Record<string, unknown>) => signTx({ chainId: CHAIN_ID, type, from: key.account, nonce: 0, payload }, key.secretKey);
  const fieldAtEdge = (type: TxType, payload: Record<string, unknown>): string | null => {
    try {
      validate(wire(type, payload));
      return null;
    } catch (e) {
      if (e instanceof ParamError) return e.field;
      throw e;
    }
  };

  it('accepts a signed tx of every records type and names the same fields as the harness', () => {
    expect(fieldAtEdge('record.anchor', anchorOk)).toBeNull();
    expect(fieldAtEdge('consent.grant', { ...grantOk, scope: { recordTypes: ['LOINC:11506-3'], recordIds: ['north:a'] }, expiresAt: 1 })).toBeNull();
    expect(fieldAtEdge('consent.revoke', { consentId: acct })).toBeNull();
    expect(fieldAtEdge('access.log', { ...logOk, emergency: true, reason: 'other', onBehalfOf: 's1' })).toBeNull();
    const bad: [TxType, Record<string, unknown>][] = [
      ['access.log', { ...logOk, emergency: true }],
      ['access.log', { ...logOk, reason: 'other' }],
      ['access.log', { ...logOk, extra: 1 }],
      ['consent.grant', { ...grantOk, scope: { recordIds: ['north:a', 'bad'] } }],
      ['record.anchor', { ...anchorOk, recordType: 'LOINC:' }],
    ];
    for (const [type, payload] of bad) {
      const edge = fieldAtEdge(type, payload);
      expect(edge).not.toBeNull();
      expect(edge).toBe(fieldOf(type, payload));
    }
  });
});

describe('error codes', () => {
  it('every records error code has a unit test named after it', () => {
    const dir = new URL('.', import.meta.url);
    const titles = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .flatMap((f) => [...readFileSync(new URL(f, dir), 'utf8').matchAll(/\bit\((['"`])([a-z_]+):/g)].map((m) => m[2]));
    const missing = RECORD_ERROR_CODES.filter((c) => !titles.includes(c));
    expect(missing).toEqual([]);
    expect(new Set(RECORD_ERROR_CODES).size).toBe(RECORD_ERROR_CODES.length);
  });
});
