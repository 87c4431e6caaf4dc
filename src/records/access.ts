import type { StateReader } from '../chain/state/interface.js';
import { consentStatus, getConsent, getRecord, granteeConsents, type GrantEntry } from './state.js';
import type { ConsentState, RecordState } from './types.js';

/**
 * The access rule of SPEC §3 (`access.log` outcome) as a pure function of state, shared
 * by the access.log handler (at block time) and the RPC `consent_check` (at head time).
 */

/** Stable codes, the `reason` of consent_check. */
export type AccessReason =
  | 'custodian' // allowed: the actor's org is the record's custodian
  | 'consent' // allowed: an active consent covers it (consentId set)
  | 'unknown_record' // no such record
  | 'patient_mismatch' // the query names another patient than the record's
  | 'no_consent' // no consent of the patient names the actor or the actor's org
  | 'out_of_scope' // consents name the actor, none covers this record
  | 'purpose_mismatch' // a consent names the actor and covers the record, for another purpose
  | 'expired' // a matching consent has expired
  | 'revoked'; // a matching consent was revoked

export interface AccessQuery {
  /** Account asking for access (access.log sender; consent_check grantee). */
  actor: string;
  /** The actor's org; null for accounts without one (patients). */
  actorOrg: string | null;
  recordId: string;
  purpose: string;
  /** Block time (access.log) or head time (consent_check), ms. */
  time: number;
  /** consent_check: the patient the caller expects the record to belong to. */
  patient?: string;
}

export interface AccessDecision {
  allowed: boolean;
  /** The consent that grants access, when one does. */
  consentId?: string;
  reason: AccessReason;
}

/** How close a non-granting consent came; the closest one explains a denial. */
const MISS_RANK: Record<'no_consent' | 'out_of_scope' | 'purpose_mismatch' | 'expired' | 'revoked', number> = {
  no_consent: 0,
  out_of_scope: 1,
  purpose_mismatch: 2,
  expired: 3,
  revoked: 4,
};
type Miss = keyof typeof MISS_RANK;

/** The consent names the actor, or `org:<actor's org>`. */
export function consentNames(c: ConsentState, actor: string, actorOrg: string | null): boolean {
  return c.grantee === actor || (actorOrg !== null && c.grantee === `org:${actorOrg}`);
}

/** SPEC §3 scope: type in recordTypes or id in recordIds; both absent or empty = all. */
export function consentCovers(c: ConsentState, record: Pick<RecordState, 'recordId' | 'recordType'>): boolean {
  const types = c.scope.recordTypes ?? [];
  const ids = c.scope.recordIds ?? [];
  if (types.length === 0 && ids.length === 0) return true;
  return types.includes(record.recordType) || ids.includes(record.recordId);
}

/** Why this consent does not grant the query (null: it grants it). */
function consentMiss(c: ConsentState, record: RecordState, q: AccessQuery): Miss | null {
  if (c.patient !== record.patient || !consentNames(c, q.actor, q.actorOrg)) return 'no_consent';
  if (!consentCovers(c, record)) return 'out_of_scope';
  if (c.purpose !== q.purpose) return 'purpose_mismatch';
  const status = consentStatus(c, q.time);
  return status === 'active' ? null : status;
}

/**
 * The rule for a known record. The patient's consents are visited in grant order (block
 * order); the first that grants wins, so every node names the same consentId. Only
 * consents naming the actor or the actor's org can grant or explain a denial beyond
 * `no_consent`, so only those two grantee lists are read (`pgc/`), merged by position.
 * The record's current (latest) recordType is the one scope is matched against.
 */
export function decideAccess(reader: StateReader, record: RecordState, q: AccessQuery): AccessDecision {
  if (q.patient !== undefined && q.patient !== record.patient) return { allowed: false, reason: 'patient_mismatch' };
  if (q.actorOrg !== null && q.actorOrg === record.custodian) return { allowed: true, reason: 'custodian' };
  const own = granteeConsents(reader, record.patient, q.actor);
  const viaOrg: readonly GrantEntry[] = q.actorOrg === null ? [] : granteeConsents(reader, record.patient, `org:${q.actorOrg}`);
  let closest: Miss = 'no_consent';
  for (let i = 0, j = 0; i < own.length || j < viaOrg.length;) {
    const next = j >= viaOrg.length || (i < own.length && own[i]![0] < viaOrg[j]![0]) ? own[i++]! : viaOrg[j++]!;
    const consentId = next[1];
    const c = getConsent(reader, consentId);
    if (c === undefined) continue;
    const miss = consentMiss(c, record, q);
    if (miss === null) return { allowed: true, consentId, reason: 'consent' };
    if (MISS_RANK[miss] > MISS_RANK[closest]) closest = miss;
  }
  return { allowed: false, reason: closest };
}

/** checkAccess for a record id: what access.log would decide at `q.time` (emergency aside). */
export function checkAccess(reader: StateReader, q: AccessQuery): AccessDecision {
  const record = getRecord(reader, q.recordId);
  if (record === undefined) return { allowed: false, reason: 'unknown_record' };
  return decideAccess(reader, record, q);
}
