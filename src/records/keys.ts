/**
 * State keys owned by the records module (see chain/state/interface.ts for the owners
 * of every prefix). Accounts and orgs are read through chain/state's own readers.
 */

/** Latest version of a record: RecordState. */
export const recordKey = (recordId: string): string => `rec/${recordId}`;

/** One consent: ConsentState. */
export const consentKey = (consentId: string): string => `cons/${consentId}`;

/** Consent ids of a patient, oldest grant first (string[]). */
export const patientConsentsKey = (patient: string): string => `pcons/${patient}`;

