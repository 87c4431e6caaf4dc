import { RECORD_PATTERN_PROBLEMS } from './schemas.js';
import type { ReadEnv, TxEnv } from '../chain/state/interface.js';
import type { Role } from '../chain/types.js';
import { RecordErrorCode, RecordRuleError } from './errors.js';
import { recordIdOrg, requireMemberOrg, type RecordTxHandler } from './handler.js';
import { recordKey } from './keys.js';
import { recordAnchorSchema } from './schemas.js';
import { getAccount, getRecord, toStateValue } from './state.js';
import type { RecordAnchorPayload, RecordState } from './types.js';

const ROLES: readonly Role[] = ['clinician', 'service', 'admin'];

/** Rules that never change once the record exists: custodian, patient, id prefix. */
function checkStable(env: ReadEnv, p: RecordAnchorPayload): { org: string; existing: RecordState | undefined } {
  const org = requireMemberOrg(env, ROLES);
  const existing = getRecord(env, p.recordId);
  // Only the custodian org (the org of the first anchor) adds versions.
  if (existing !== undefined && existing.custodian !== org) {
    throw new RecordRuleError(RecordErrorCode.NotCustodian, `record ${p.recordId} is held by ${existing.custodian}, not ${org}`);
  }
  // A new version keeps the record's patient.
  if (existing !== undefined && existing.patient !== p.patient) {
    throw new RecordRuleError(RecordErrorCode.PatientMismatch, `record ${p.recordId} belongs to another patient`);
  }
  // recordId = <sender's org>:<local id>.
  if (recordIdOrg(p.recordId) !== org) {
    throw new RecordRuleError(RecordErrorCode.RecordPrefixMismatch, `recordId prefix must be the sender's org ${org}`);
  }
  return { org, existing };
}

/** The patient is a registered, non-revoked patient account. */
function checkPatient(env: ReadEnv, patient: string): void {
  const acct = getAccount(env, patient);
  if (acct === undefined) throw new RecordRuleError(RecordErrorCode.UnknownPatient, `no account ${patient}`);
  if (acct.role !== 'patient') throw new RecordRuleError(RecordErrorCode.NotAPatient, `account ${patient} is a ${acct.role}, not a patient`);
  if (acct.revoked) throw new RecordRuleError(RecordErrorCode.PatientRevoked, `patient ${patient} is revoked`);
}

/**
 * record.anchor: version 1 of a new record (custodian = sender's org), or the next
 * version from the custodian org for the same patient. The recordType and contentHash
 * may change between versions; the same contentHash may be anchored again (a new version).
 */
export const recordAnchorHandler: RecordTxHandler<RecordAnchorPayload> = {
  type: 'record.anchor',
  payloadSchema: recordAnchorSchema,
  patternProblems: RECORD_PATTERN_PROBLEMS,
  roles: ROLES,

  admit(env, p) {
    checkStable(env, p);
  },

  execute(env: TxEnv, p) {
    const { org, existing } = checkStable(env, p);
    checkPatient(env, p.patient);
    const rec: RecordState = {
      recordId: p.recordId,
      patient: p.patient,
      custodian: existing?.custodian ?? org,
      recordType: p.recordType,
      contentHash: p.contentHash,
      version: existing === undefined ? 1 : existing.version + 1,
      height: env.height,
      time: env.time,
    };
    env.put(recordKey(rec.recordId), toStateValue(rec));
    env.emit({ kind: 'record', ...rec, txHash: env.hash });
  },
};
