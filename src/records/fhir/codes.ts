/**
 * Code systems and identifier systems of the FHIR R4 mapping. medledger ids are opaque
 * (no PHI), so every reference is identifier-based (`Reference.identifier`), never a
 * literal URL: a reader resolves them against its own EHR.
 */

export const SYSTEM = {
  /** Account ids (patients, members). */
  account: 'urn:medledger:account',
  /** Org ids. */
  org: 'urn:medledger:org',
  /** Record ids `<org>:<local>`. */
  record: 'urn:medledger:record',
  /** Consent ids (tx hashes). */
  consent: 'urn:medledger:consent',
  /** Node ids (libp2p peer ids). */
  node: 'urn:medledger:node',
  /** Opaque staff ids (access.log onBehalfOf), assigned by the acting org. */
  staff: 'urn:medledger:staff',
  /** access.log action codes, kept beside the FHIR interaction. */
  accessAction: 'urn:medledger:access-action',
  /** access.log emergency reason codes. */
  emergencyReason: 'urn:medledger:emergency-reason',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  resourceTypes: 'http://hl7.org/fhir/resource-types',
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  restfulInteraction: 'http://hl7.org/fhir/restful-interaction',
  auditEntityType: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
  objectRole: 'http://terminology.hl7.org/CodeSystem/object-role',
  sourceType: 'http://terminology.hl7.org/CodeSystem/security-source-type',
} as const;

/** Extension carrying the emergency reason code of a break-the-glass access. */
export const EMERGENCY_REASON_EXTENSION = 'urn:medledger:fhir:StructureDefinition/emergency-reason';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface Identifier {
  system: string;
  value: string;
  assigner?: Reference;
}

export interface Reference {
  type?: string;
  identifier: Identifier;
}

export function coding(system: string, code: string, display?: string): Coding {
  return display === undefined ? { system, code } : { system, code, display };
}

export function concept(...codings: Coding[]): { coding: Coding[] } {
  return { coding: codings };
}

export function orgRef(org: string): Reference {
  return { type: 'Organization', identifier: { system: SYSTEM.org, value: org } };
}

export function patientRef(account: string): Reference {
  return { type: 'Patient', identifier: { system: SYSTEM.account, value: account } };
}

/** A member account; `org`, when known, is the identifier's assigner. */
export function accountRef(account: string, org?: string): Reference {
  const identifier: Identifier = { system: SYSTEM.account, value: account };
  if (org !== undefined) identifier.assigner = orgRef(org);
  return { identifier };
}

/** A consent grantee: an account, or `org:<id>` (every member of that org). */
export function granteeRef(grantee: string): Reference {
  return grantee.startsWith('org:') ? orgRef(grantee.slice(4)) : accountRef(grantee);
}

export function recordRef(recordId: string): Reference {
  return { identifier: { system: SYSTEM.record, value: recordId } };
}

/** HL7 v3 PurposeOfUse codes live in the v3-ActReason code system. */
export function purposeCoding(purpose: string): Coding {
  return coding(SYSTEM.actReason, purpose);
}

/**
 * A recordType as a Coding: a FHIR resource type name, or `<SYSTEM>:<code>` with LOINC
 * and SNOMED mapped to their FHIR systems, other systems to `urn:medledger:code-system:<SYSTEM>`.
 */
export function recordTypeCoding(recordType: string): Coding {
  const i = recordType.indexOf(':');
  if (i < 0) return coding(SYSTEM.resourceTypes, recordType);
  const sys = recordType.slice(0, i);
  const code = recordType.slice(i + 1);
  if (sys === 'LOINC') return coding(SYSTEM.loinc, code);
  if (sys === 'SNOMED' || sys === 'SCT') return coding(SYSTEM.snomed, code);
  return coding(`urn:medledger:code-system:${sys}`, code);
}

/** ms since the epoch as a FHIR instant/dateTime (UTC, millisecond precision). */
export function fhirInstant(ms: number): string {
  return new Date(ms).toISOString();
}
