/**
 * Records module, public face: record anchoring, patient consent and the access
 * audit trail (SPEC §3), the access rule shared with the RPC (SPEC §5 consent_check),
 * and the FHIR R4 mapping (fhir_consent, fhir_auditEvents).
 */
import type { TxHandler } from '../chain/state/interface.js';
import { accessLogHandler } from './accessLog.js';
import { recordAnchorHandler } from './anchor.js';
import { consentGrantHandler } from './consentGrant.js';
import { consentRevokeHandler } from './consentRevoke.js';

export { accessLogHandler, recordAnchorHandler, consentGrantHandler, consentRevokeHandler };
export type { RecordTxHandler } from './handler.js';

/** The handlers of record.anchor, consent.grant, consent.revoke and access.log. */
export const recordHandlers: TxHandler[] = [recordAnchorHandler, consentGrantHandler, consentRevokeHandler, accessLogHandler];

export { checkAccess, decideAccess, consentCovers, consentNames } from './access.js';
export type { AccessDecision, AccessQuery, AccessReason } from './access.js';
export { RecordErrorCode, RecordRuleError, RECORD_ERROR_CODES } from './errors.js';
export { recordKey, consentKey, granteeConsentsKey, patientGrantsKey } from './keys.js';
export { getRecord, getConsent, granteeConsents, patientGrantCount, consentStatus, consentView } from './state.js';
export * from './schemas.js';
export type * from './types.js';
export { toFhirConsent } from './fhir/consent.js';
export type { FhirConsentInput, FhirResource } from './fhir/consent.js';
export { toFhirAuditEvent, toFhirAuditEventBundle } from './fhir/auditEvent.js';
export type { AuditSource } from './fhir/auditEvent.js';
export { recordMethods } from './rpc.js';
export type { RecordRpcDeps, RecordView, AuditEventView, RecordsVerifyResult } from './rpc.js';
