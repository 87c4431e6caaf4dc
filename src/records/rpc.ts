/**
 * The records RPC methods (SPEC §5): records_*, consent_*, audit_trail and fhir_*.
 * Point reads come from the head world state; lists come from the query indexes
 * (storage/queries.ts), paged with opaque cursors. Consent status and the access rule
 * are judged at the head block's time. Nothing returned is secret: the chain holds no
 * PHI, only opaque ids, salted commitments and codes.
 */
import type { AccessEvent, StateReader } from '../chain/state/interface.js';
import { PURPOSES, type Purpose } from '../chain/types.js';
import { exactlyOneOf, hexBytes, params, uint, type JsonSchema, type RpcMethod } from '../rpc/index.js';
import type { IndexQueries, Page, RecordVersion } from '../storage/queries.js';
import { AppError } from '../util/errors.js';
import { checkAccess, type AccessDecision } from './access.js';
import { toFhirAuditEventBundle, type AuditSource } from './fhir/auditEvent.js';
import { toFhirConsent, type FhirResource } from './fhir/consent.js';
import { CONTENT_HASH_PATTERN, RECORD_ID_PATTERN } from './schemas.js';
import { consentView, getAccount, getConsent, getRecord } from './state.js';
import type { ConsentView, RecordState } from './types.js';

export interface RecordRpcDeps {
  /** The head world state (read on every call, so always current). */
  state: StateReader;
  /** Time of the latest final block, ms: expiry and the access rule are judged at it. */
  headTime(): number;
  /** The paged index reads. */
  index: Pick<IndexQueries, 'recordVersions' | 'recordsByPatient' | 'consentsByPatient' | 'accessEvents'>;
  /** This node, the source of FHIR AuditEvents. */
  source: AuditSource;
}

// ---- param schemas ----

const account = (what: string): JsonSchema => hexBytes(32, what);
const recordId: JsonSchema = {
  type: 'string', pattern: RECORD_ID_PATTERN, description: 'record id <custodian org>:<local id>',
  'x-expect': '<org>:<local id>, org 2-32 of [a-z0-9-], local id 1-128 of [A-Za-z0-9._/-]',
};
const contentHash: JsonSchema = {
  type: 'string', pattern: CONTENT_HASH_PATTERN, description: 'sha256:<hex of sha256(salt || documentBytes)>',
  'x-expect': 'sha256: followed by 64 lowercase hex characters',
};
const purpose: JsonSchema = { type: 'string', enum: [...PURPOSES], description: 'HL7 v3 PurposeOfUse code' };
const cursor: JsonSchema = {
  type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'nextCursor of the previous page',
  'x-expect': 'a nextCursor returned by this method',
};
const limit: JsonSchema = {
  type: 'integer', minimum: 1, maximum: 1000, description: 'page size, default 100', 'x-expect': 'an integer from 1 to 1000',
};
const auditParams = params(
  {
    patient: account('patient account: events on any of their records'),
    recordId: { ...recordId, description: 'events on this record' },
    actor: account('account that logged the accesses'),
    fromHeight: uint('lowest block height, inclusive'),
    toHeight: uint('highest block height, inclusive'),
    cursor,
    limit,
  },
  [],
  exactlyOneOf('patient', 'recordId', 'actor'),
);

// ---- result schemas (OpenRPC document) ----

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const nat = { type: 'integer', minimum: 0 };
const nextCursor = { oneOf: [{ type: 'string' }, { type: 'null' }] };
const recordSchema = {
  type: 'object',
  required: ['recordId', 'patient', 'custodian', 'recordType', 'contentHash', 'version', 'height', 'time'],
  properties: {
    recordId: { type: 'string' }, patient: hex64, custodian: { type: 'string' }, recordType: { type: 'string' },
    contentHash: { type: 'string' }, version: nat, height: nat, time: nat,
  },
};
const versionSchema = { ...recordSchema, required: [...recordSchema.required, 'txHash'], properties: { ...recordSchema.properties, txHash: hex64 } };
const consentSchema = {
  type: 'object',
  required: ['consentId', 'patient', 'grantee', 'scope', 'purpose', 'expiresAt', 'status', 'height', 'time'],
  properties: {
    consentId: hex64, patient: hex64, grantee: { type: 'string' },
    scope: { type: 'object', properties: { recordTypes: { type: 'array', items: { type: 'string' } }, recordIds: { type: 'array', items: { type: 'string' } } } },
    purpose: { type: 'string' }, expiresAt: { oneOf: [nat, { type: 'null' }] }, status: { enum: ['active', 'revoked', 'expired'] }, height: nat, time: nat,
  },
};
const eventSchema = {
  type: 'object',
  required: ['txHash', 'height', 'time', 'actor', 'actorOrg', 'recordId', 'patient', 'action', 'purpose', 'outcome', 'emergency'],
  properties: {
    txHash: hex64, height: nat, time: nat, actor: hex64, actorOrg: { type: 'string' }, onBehalfOf: { type: 'string' },
    recordId: { type: 'string' }, patient: hex64, action: { type: 'string' }, purpose: { type: 'string' },
    outcome: { enum: ['granted', 'emergency', 'denied'] }, emergency: { type: 'boolean' }, reason: { type: 'string' },
  },
};
const fhirSchema = { type: 'object', required: ['resourceType'], properties: { resourceType: { type: 'string' } } };

// ---- result shapes ----

export type RecordView = Pick<RecordState, 'recordId' | 'patient' | 'custodian' | 'recordType' | 'contentHash' | 'version' | 'height' | 'time'>;
export type AuditEventView = Omit<AccessEvent, 'consentId'>;
export type RecordsVerifyResult = { match: true; version: number; latest: boolean; height: number; time: number } | { match: false };

interface AuditParams {
  patient?: string;
  recordId?: string;
  actor?: string;
  fromHeight?: number;
  toHeight?: number;
  cursor?: string;
  limit?: number;
}

const recordView = (r: RecordView): RecordView => ({
  recordId: r.recordId, patient: r.patient, custodian: r.custodian, recordType: r.recordType,
  contentHash: r.contentHash, version: r.version, height: r.height, time: r.time,
});

const versionView = (v: RecordVersion): RecordView & { txHash: string } => ({ ...recordView(v), txHash: v.txHash });

/** SPEC §5 audit_trail event: the stored event without the granting consent (FHIR carries it as agent.policy). */
function eventView(e: AccessEvent): AuditEventView {
  const { consentId: _consentId, ...rest } = e;
  return rest;
}

export function recordMethods(d: RecordRpcDeps): RpcMethod[] {
  const record = (id: string): RecordState => {
    const r = getRecord(d.state, id);
    if (r === undefined) throw new AppError('not_found', `no record ${id}`);
    return r;
  };
  const consent = (id: string): ConsentView => {
    const c = getConsent(d.state, id);
    if (c === undefined) throw new AppError('not_found', `no consent ${id}`);
    return consentView(c, d.headTime());
  };
  const requireAccount = (id: string, what: string): void => {
    if (getAccount(d.state, id) === undefined) throw new AppError('not_found', `no ${what} account ${id}`);
  };
  /** One page of access events for audit_trail and fhir_auditEvents; the id named must exist. */
  const events = (p: AuditParams): Promise<Page<AccessEvent>> => {
    const range = { fromHeight: p.fromHeight, toHeight: p.toHeight, cursor: p.cursor, limit: p.limit };
    if (p.recordId !== undefined) {
      record(p.recordId);
      return d.index.accessEvents({ by: 'recordId', id: p.recordId, ...range });
    }
    if (p.patient !== undefined) {
      requireAccount(p.patient, 'patient');
      return d.index.accessEvents({ by: 'patient', id: p.patient, ...range });
    }
    requireAccount(p.actor!, 'actor');
    return d.index.accessEvents({ by: 'actor', id: p.actor!, ...range });
  };

  const get: RpcMethod<{ recordId: string }, RecordView> = {
    name: 'records_get',
    summary: 'The latest version of a record: patient, custodian org, type, content commitment, version, height, time',
    params: params({ recordId }, ['recordId']),
    result: recordSchema,
    handler: async (p) => recordView(record(p.recordId)),
  };

  const history: RpcMethod<{ recordId: string }, { versions: Array<RecordView & { txHash: string }> }> = {
    name: 'records_history',
    summary: 'Every version of a record, oldest first, each with the hash of the anchoring tx',
    params: params({ recordId }, ['recordId']),
    result: { type: 'object', required: ['versions'], properties: { versions: { type: 'array', items: versionSchema } } },
    handler: async (p) => {
      record(p.recordId);
      return { versions: (await d.index.recordVersions(p.recordId)).map(versionView) };
    },
  };

  const byPatient: RpcMethod<{ patient: string; cursor?: string; limit?: number }, { records: RecordView[]; nextCursor: string | null }> = {
    name: 'records_byPatient',
    summary: "A patient's records (latest version of each), newest first by first anchor; paged",
    params: params({ patient: account('patient account'), cursor, limit }, ['patient']),
    result: { type: 'object', required: ['records', 'nextCursor'], properties: { records: { type: 'array', items: recordSchema }, nextCursor } },
    handler: async (p) => {
      requireAccount(p.patient, 'patient');
      const page = await d.index.recordsByPatient(p.patient, p.cursor, p.limit);
      const records: RecordView[] = [];
      for (const id of page.items) {
        // The index is written before the in-memory state is updated: fall back to it.
        const r = getRecord(d.state, id) ?? (await d.index.recordVersions(id)).at(-1);
        if (r !== undefined) records.push(recordView(r));
      }
      return { records, nextCursor: page.nextCursor };
    },
  };

  const verify: RpcMethod<{ recordId: string; contentHash: string }, RecordsVerifyResult> = {
    name: 'records_verify',
    summary: 'Whether a content commitment matches any version of a record (the newest matching version is reported)',
    params: params({ recordId, contentHash }, ['recordId', 'contentHash']),
    result: {
      type: 'object', required: ['match'],
      properties: { match: { type: 'boolean' }, version: nat, latest: { type: 'boolean' }, height: nat, time: nat },
    },
    handler: async (p) => {
      record(p.recordId);
      const versions = await d.index.recordVersions(p.recordId);
      const hit = versions.filter((v) => v.contentHash === p.contentHash).at(-1);
      if (hit === undefined) return { match: false };
      return { match: true, version: hit.version, latest: hit.version === versions.at(-1)!.version, height: hit.height, time: hit.time };
    },
  };

  const consentGet: RpcMethod<{ consentId: string }, ConsentView> = {
    name: 'consent_get',
    summary: 'A consent with its status (active, revoked, expired) judged at the head block time',
    params: params({ consentId: hexBytes(32, 'consent id (hash of the consent.grant tx)') }, ['consentId']),
    result: consentSchema,
    handler: async (p) => consent(p.consentId),
  };

  const consentList: RpcMethod<{ patient: string; cursor?: string; limit?: number }, { consents: ConsentView[]; nextCursor: string | null }> = {
    name: 'consent_list',
    summary: "A patient's consents in grant order (oldest first, the order the access rule visits them); paged",
    params: params({ patient: account('patient account'), cursor, limit }, ['patient']),
    result: { type: 'object', required: ['consents', 'nextCursor'], properties: { consents: { type: 'array', items: consentSchema }, nextCursor } },
    handler: async (p) => {
      requireAccount(p.patient, 'patient');
      const page = await d.index.consentsByPatient(p.patient, p.cursor, p.limit);
      const time = d.headTime();
      const consents: ConsentView[] = [];
      for (const id of page.items) {
        const c = getConsent(d.state, id);
        if (c !== undefined) consents.push(consentView(c, time));
      }
      return { consents, nextCursor: page.nextCursor };
    },
  };

  const consentCheck: RpcMethod<{ patient: string; grantee: string; recordId: string; purpose: Purpose }, AccessDecision> = {
    name: 'consent_check',
    summary: 'What access.log would decide now (emergency aside) for this grantee account, record and purpose',
    params: params(
      { patient: account('patient the record should belong to'), grantee: account('account that would log the access'), recordId, purpose },
      ['patient', 'grantee', 'recordId', 'purpose'],
    ),
    result: {
      type: 'object', required: ['allowed', 'reason'],
      properties: {
        allowed: { type: 'boolean' }, consentId: hex64,
        reason: { enum: ['custodian', 'consent', 'unknown_record', 'patient_mismatch', 'no_consent', 'out_of_scope', 'purpose_mismatch', 'expired', 'revoked'] },
      },
    },
    handler: async (p) => {
      const grantee = getAccount(d.state, p.grantee);
      if (grantee === undefined) throw new AppError('not_found', `no grantee account ${p.grantee}`);
      const r = checkAccess(d.state, { actor: p.grantee, actorOrg: grantee.org, recordId: p.recordId, purpose: p.purpose, time: d.headTime(), patient: p.patient });
      return r.consentId !== undefined ? { allowed: r.allowed, consentId: r.consentId, reason: r.reason } : { allowed: r.allowed, reason: r.reason };
    },
  };

  const auditTrail: RpcMethod<AuditParams, { events: AuditEventView[]; nextCursor: string | null }> = {
    name: 'audit_trail',
    summary: 'Access events (granted, emergency, denied) by patient, record or actor, newest first; height range; paged',
    params: auditParams,
    result: { type: 'object', required: ['events', 'nextCursor'], properties: { events: { type: 'array', items: eventSchema }, nextCursor } },
    handler: async (p) => {
      const page = await events(p);
      return { events: page.items.map(eventView), nextCursor: page.nextCursor };
    },
  };

  const fhirConsent: RpcMethod<{ consentId: string }, FhirResource> = {
    name: 'fhir_consent',
    summary: 'A consent as a FHIR R4 Consent (revoked or expired: status inactive)',
    params: params({ consentId: hexBytes(32, 'consent id (hash of the consent.grant tx)') }, ['consentId']),
    result: fhirSchema,
    handler: async (p) => toFhirConsent(consent(p.consentId)),
  };

  const fhirAudit: RpcMethod<AuditParams, FhirResource> = {
    name: 'fhir_auditEvents',
    summary: 'audit_trail as a FHIR R4 searchset Bundle of IHE BALP AuditEvents; a next page is link "next" (urn:medledger:cursor:<cursor>)',
    params: auditParams,
    result: fhirSchema,
    handler: async (p) => {
      const page = await events(p);
      const bundle = toFhirAuditEventBundle(page.items, d.source);
      return page.nextCursor === null ? bundle : { ...bundle, link: [{ relation: 'next', url: `urn:medledger:cursor:${page.nextCursor}` }] };
    },
  };

  return [get, history, byPatient, verify, consentGet, consentList, consentCheck, auditTrail, fhirConsent, fhirAudit];
}
