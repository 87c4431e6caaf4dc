import type { AccessAction, EmergencyReason, Purpose } from '../chain/types.js';

/** `rec/<recordId>`: the latest version of an anchored record (SPEC §5 records_get). */
export interface RecordState {
  recordId: string;
  patient: string;
  /** Org of the first anchor; only it adds versions. Always the recordId prefix. */
  custodian: string;
  recordType: string;
  contentHash: string;
  version: number;
  height: number;
  time: number;
}

/** Which of the patient's records a consent covers; both absent or empty = all. */
export interface ConsentScope {
  recordTypes?: string[];
  recordIds?: string[];
}

/** `cons/<consentId>`: one consent; `consentId` is the granting tx's hash. */
export interface ConsentState {
  consentId: string;
  patient: string;
  /** An account id, or `org:<orgId>` for every member of that org. */
  grantee: string;
  scope: ConsentScope;
  purpose: Purpose;
  expiresAt?: number;
  revoked: boolean;
  revokedHeight?: number;
  height: number;
  time: number;
}

export type ConsentStatus = 'active' | 'revoked' | 'expired';

/** consent_get / consent_list item (SPEC §5): status judged at a given time. */
export interface ConsentView {
  consentId: string;
  patient: string;
  grantee: string;
  scope: ConsentScope;
  purpose: Purpose;
  expiresAt: number | null;
  status: ConsentStatus;
  height: number;
  time: number;
}

export interface RecordAnchorPayload {
  recordId: string;
  patient: string;
  recordType: string;
  contentHash: string;
}

export interface ConsentGrantPayload {
  grantee: string;
  scope: ConsentScope;
  purpose: Purpose;
  expiresAt?: number;
}

export interface ConsentRevokePayload {
  consentId: string;
}

export interface AccessLogPayload {
  recordId: string;
  action: AccessAction;
  purpose: Purpose;
  emergency?: boolean;
  reason?: EmergencyReason;
  onBehalfOf?: string;
}
