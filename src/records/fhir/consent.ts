import type { ConsentScope, ConsentStatus } from '../types.js';
import { SYSTEM, coding, concept, fhirInstant, granteeRef, patientRef, purposeCoding, recordRef, recordTypeCoding } from './codes.js';

/** What the mapping needs: a ConsentView (consent_get) fits as is. */
export interface FhirConsentInput {
  consentId: string;
  patient: string;
  grantee: string;
  scope: ConsentScope;
  purpose: string;
  expiresAt?: number | null;
  status: ConsentStatus;
  /** Block time of the grant, ms. */
  time: number;
}

/** A JSON FHIR resource (plain data, ready for JSON.stringify). */
export type FhirResource = { resourceType: string } & Record<string, unknown>;

/**
 * medledger consent -> FHIR R4 Consent (SPEC §5 fhir_consent).
 *
 * - status: `active`, or `inactive` when revoked or expired (judged by the caller);
 * - scope patient-privacy, category LOINC 59284-0 (Patient Consent), policyRule
 *   v3-ActCode OPTIN (the patient opts in to the disclosure described by provision);
 * - patient and performer (the granting patient): identifier references
 *   `urn:medledger:account`; the grantee an account or an Organization (`urn:medledger:org`);
 * - provision: permit, period start = grant time, end = expiresAt, actor (role
 *   v3-ParticipationType IRCP), purpose (v3-ActReason), class = recordTypes, data =
 *   recordIds (meaning `instance`).
 *
 * FHIR ANDs the elements of one provision, but a medledger scope is a union (type in
 * recordTypes OR id in recordIds). So when both lists are set the root provision is
 * `deny` (nothing by default) with two nested `permit` exceptions, one per list; with
 * one list or none the root provision is the single `permit`.
 */
export function toFhirConsent(c: FhirConsentInput): FhirResource {
  const patient = patientRef(c.patient);
  const period: Record<string, string> = { start: fhirInstant(c.time) };
  if (c.expiresAt !== undefined && c.expiresAt !== null) period.end = fhirInstant(c.expiresAt);
  const base = {
    type: 'permit',
    period,
    actor: [{ role: concept(coding(SYSTEM.participationType, 'IRCP', 'information recipient')), reference: granteeRef(c.grantee) }],
    purpose: [purposeCoding(c.purpose)],
  };
  const types = c.scope.recordTypes ?? [];
  const ids = c.scope.recordIds ?? [];
  const byType = types.length > 0 ? { class: types.map(recordTypeCoding) } : {};
  const byId = ids.length > 0 ? { data: ids.map((id) => ({ meaning: 'instance', reference: recordRef(id) })) } : {};
  const provision =
    types.length > 0 && ids.length > 0
      ? { type: 'deny', provision: [{ ...base, ...byType }, { ...base, ...byId }] }
      : { ...base, ...byType, ...byId };

  return {
    resourceType: 'Consent',
    id: c.consentId,
    identifier: [{ system: SYSTEM.consent, value: c.consentId }],
    status: c.status === 'active' ? 'active' : 'inactive',
    scope: concept(coding(SYSTEM.consentScope, 'patient-privacy', 'Privacy Consent')),
    category: [concept(coding(SYSTEM.loinc, '59284-0', 'Patient Consent'))],
    patient,
    dateTime: fhirInstant(c.time),
    performer: [patient],
    policyRule: concept(coding(SYSTEM.actCode, 'OPTIN', 'opt-in')),
    provision,
  };
}
