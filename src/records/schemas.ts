import { ACCOUNT_PATTERN, ORG_ID_PATTERN } from '../chain/state/index.js';
import { ACTIONS, EMERGENCY_REASONS, PURPOSES } from '../chain/types.js';

/**
 * JSON Schemas of the records tx payloads (SPEC §3 field rules). Checked at the edge
 * by chain/state's tx validator (ajv, strict); a failure is -32602 naming the field.
 *
 * `recordType` accepts either form SPEC §3 allows, told apart by the colon:
 *  - a FHIR resource type name, `^[A-Z][A-Za-z]{1,63}$` (`Observation`). Checked by
 *    shape, not against the R4 list, so newer FHIR types and profiles stay usable;
 *  - a document type code `<SYSTEM>:<code>`, SYSTEM an upper-case-initial token of up
 *    to 32 letters/digits (`LOINC`, `SNOMED`), code 1–64 of `[A-Za-z0-9.-]`
 *    (`LOINC:11506-3`). The FHIR mapping knows LOINC and SNOMED (fhir/codes.ts).
 */

/** A pattern without its anchors, to compose. */
const inner = (pattern: string): string => pattern.slice(1, -1);

export const RECORD_ID_PATTERN = `^${inner(ORG_ID_PATTERN)}:[A-Za-z0-9._/-]{1,128}$`;
export const CONTENT_HASH_PATTERN = '^sha256:[0-9a-f]{64}$';
export const FHIR_TYPE_PATTERN = '^[A-Z][A-Za-z]{1,63}$';
export const TYPE_CODE_PATTERN = '^[A-Z][A-Za-z0-9]{0,31}:[A-Za-z0-9.-]{1,64}$';
export const RECORD_TYPE_PATTERN = `^(?:${inner(FHIR_TYPE_PATTERN)}|${inner(TYPE_CODE_PATTERN)})$`;
export const GRANTEE_PATTERN = `^(?:${inner(ACCOUNT_PATTERN)}|org:${inner(ORG_ID_PATTERN)})$`;
export const ON_BEHALF_OF_PATTERN = '^[A-Za-z0-9._-]{1,64}$';

/** Human problems for the patterns above (chain/validate-tx.ts reports them as -32602). */
export const RECORD_PATTERN_PROBLEMS: Readonly<Record<string, string>> = {
  [RECORD_ID_PATTERN]: 'must be <org>:<local id>, org 2-32 of [a-z0-9-], local id 1-128 of [A-Za-z0-9._/-]',
  [CONTENT_HASH_PATTERN]: 'must be sha256: followed by 64 lowercase hex characters',
  [RECORD_TYPE_PATTERN]: 'must be a FHIR resource type (Observation) or a code like LOINC:11506-3',
  [GRANTEE_PATTERN]: 'must be an account id (64 lowercase hex) or org:<orgId>',
  [ON_BEHALF_OF_PATTERN]: 'must be 1-64 characters of [A-Za-z0-9._-]',
};

/** Most entries one scope list may hold. */
export const MAX_SCOPE_ITEMS = 64;
/** Latest expiresAt: 9999-12-31T23:59:59.999Z, the last instant FHIR can write. */
export const MAX_TIME_MS = 253_402_300_799_999;

const account = { type: 'string', pattern: ACCOUNT_PATTERN } as const;
const recordId = { type: 'string', pattern: RECORD_ID_PATTERN } as const;
const recordType = { type: 'string', pattern: RECORD_TYPE_PATTERN } as const;
const purpose = { type: 'string', enum: [...PURPOSES] } as const;

export const recordAnchorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['recordId', 'patient', 'recordType', 'contentHash'],
  properties: {
    recordId,
    patient: account,
    recordType,
    contentHash: { type: 'string', pattern: CONTENT_HASH_PATTERN },
  },
} as const;

export const consentGrantSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['grantee', 'scope', 'purpose'],
  properties: {
    grantee: { type: 'string', pattern: GRANTEE_PATTERN },
    scope: {
      type: 'object',
      additionalProperties: false,
      properties: {
        recordTypes: { type: 'array', maxItems: MAX_SCOPE_ITEMS, uniqueItems: true, items: recordType },
        recordIds: { type: 'array', maxItems: MAX_SCOPE_ITEMS, uniqueItems: true, items: recordId },
      },
    },
    purpose,
    expiresAt: { type: 'integer', minimum: 0, maximum: MAX_TIME_MS },
  },
} as const;

export const consentRevokeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['consentId'],
  properties: { consentId: account },
} as const;

/** `reason` present iff `emergency` is true is checked by accessLogHandler.checkShape. */
export const accessLogSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['recordId', 'action', 'purpose'],
  properties: {
    recordId,
    action: { type: 'string', enum: [...ACTIONS] },
    purpose,
    emergency: { type: 'boolean' },
    reason: { type: 'string', enum: [...EMERGENCY_REASONS] },
    onBehalfOf: { type: 'string', pattern: ON_BEHALF_OF_PATTERN },
  },
} as const;
