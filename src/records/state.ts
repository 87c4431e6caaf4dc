import type { StateReader, StateValue } from '../chain/state/interface.js';
import { consentKey, granteeConsentsKey, patientGrantsKey, recordKey } from './keys.js';
import { getOrg } from '../chain/state/keys.js';
import type { ConsentState, ConsentStatus, ConsentView, RecordState } from './types.js';

/**
 * Typed reads of the records state. Values come straight from the state map and may be
 * shared with the state's cache: callers never mutate them (copy-on-write).
 */

export function getRecord(reader: StateReader, recordId: string): RecordState | undefined {
  return reader.get(recordKey(recordId)) as RecordState | undefined;
}

export function getConsent(reader: StateReader, consentId: string): ConsentState | undefined {
  return reader.get(consentKey(consentId)) as ConsentState | undefined;
}

/** One consent in a grantee list: its position in the patient's grant order, and its id. */
export type GrantEntry = readonly [position: number, consentId: string];

/** The patient's consents naming `grantee` (an account or `org:<org>`), oldest grant first. */
export function granteeConsents(reader: StateReader, patient: string, grantee: string): readonly GrantEntry[] {
  return (reader.get(granteeConsentsKey(patient, grantee)) as GrantEntry[] | undefined) ?? [];
}

/** How many consents the patient has granted so far. */
export function patientGrantCount(reader: StateReader, patient: string): number {
  return (reader.get(patientGrantsKey(patient)) as number | undefined) ?? 0;
}

/** Accounts are chain/state's: read them through its reader. */
export { getAccount } from '../chain/state/keys.js';

export function orgExists(reader: StateReader, org: string): boolean {
  return getOrg(reader, org) !== undefined;
}

/** SPEC §3: active while time < expiresAt and not revoked; revoked wins over expired. */
export function consentStatus(c: ConsentState, time: number): ConsentStatus {
  if (c.revoked) return 'revoked';
  if (c.expiresAt !== undefined && time >= c.expiresAt) return 'expired';
  return 'active';
}

/** consent_get result (SPEC §5) with status judged at `time` (the head time). */
export function consentView(c: ConsentState, time: number): ConsentView {
  return {
    consentId: c.consentId,
    patient: c.patient,
    grantee: c.grantee,
    scope: c.scope,
    purpose: c.purpose,
    expiresAt: c.expiresAt ?? null,
    status: consentStatus(c, time),
    height: c.height,
    time: c.time,
  };
}

/** A state value built from plain JSON data (records module values are all JSON). */
export function toStateValue(value: RecordState | ConsentState | readonly GrantEntry[]): StateValue {
  return value as unknown as StateValue;
}
