import { TxRuleError } from '../util/errors.js';

/**
 * Stable rule codes of the records module (SPEC §3): the `receipt.error.code` of a
 * rejected `record.anchor`, `consent.grant`, `consent.revoke` or `access.log`, and the
 * RPC error reason when admission refuses one. Never rename a code: integrators match on it.
 */
export const RecordErrorCode = {
  /**
   * The sender's role may not send this tx type, or a member has no org. The same code
   * as chain/state's role check (which runs first), so integrators see one code.
   */
  RoleNotAllowed: 'role_not_allowed',
  /** record.anchor: the recordId prefix is not the sender's org. */
  RecordPrefixMismatch: 'record_prefix_mismatch',
  /** record.anchor: a new version from an org that is not the record's custodian. */
  NotCustodian: 'not_custodian',
  /** record.anchor: a new version names another patient than the record's. */
  PatientMismatch: 'patient_mismatch',
  /** record.anchor: the patient account does not exist. */
  UnknownPatient: 'unknown_patient',
  /** record.anchor: the patient account exists but its role is not `patient`. */
  NotAPatient: 'not_a_patient',
  /** record.anchor: the patient account is revoked. */
  PatientRevoked: 'patient_revoked',
  /** consent.grant: the grantee account does not exist. */
  UnknownGrantee: 'unknown_grantee',
  /** consent.grant: the grantee account is revoked. */
  GranteeRevoked: 'grantee_revoked',
  /** consent.grant: `org:<id>` names no org. */
  UnknownOrg: 'unknown_org',
  /** consent.grant: expiresAt is not after the block time. */
  ExpiresInPast: 'expires_in_past',
  /** consent.grant: a consent with this id (the tx hash) already exists. */
  DuplicateConsent: 'duplicate_consent',
  /** consent.revoke: no consent with this id. */
  UnknownConsent: 'unknown_consent',
  /** consent.revoke: the sender is not the patient who granted the consent. */
  NotConsentOwner: 'not_consent_owner',
  /** consent.revoke: the consent is already revoked. */
  ConsentAlreadyRevoked: 'consent_already_revoked',
  /** access.log: no record with this id. */
  UnknownRecord: 'unknown_record',
  /** access.log: onBehalfOf sent by an account whose role is not `service`. */
  OnBehalfOfNotAllowed: 'on_behalf_of_not_allowed',
  /** access.log: emergency is true but no reason is given. */
  EmergencyReasonRequired: 'emergency_reason_required',
  /** access.log: a reason is given without emergency: true. */
  ReasonWithoutEmergency: 'reason_without_emergency',
} as const;

export type RecordErrorCode = (typeof RecordErrorCode)[keyof typeof RecordErrorCode];

export const RECORD_ERROR_CODES: readonly RecordErrorCode[] = Object.values(RecordErrorCode);

/** A records rule broken at admission or execution; `code` is one of RecordErrorCode. */
export class RecordRuleError extends TxRuleError {
  declare readonly code: RecordErrorCode;

  constructor(code: RecordErrorCode, message: string) {
    super(code, message);
    this.name = 'RecordRuleError';
  }
}
