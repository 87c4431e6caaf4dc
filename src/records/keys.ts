/**
 * State keys owned by the records module (see chain/state/interface.ts for the owners
 * of every prefix), and the chain/state keys it reads.
 */

/** Latest version of a record: RecordState. */
export const recordKey = (recordId: string): string => `rec/${recordId}`;

/** One consent: ConsentState. */
export const consentKey = (consentId: string): string => `cons/${consentId}`;

/** Consent ids of a patient, oldest grant first (string[]). */
export const patientConsentsKey = (patient: string): string => `pcons/${patient}`;

/** Read only (owned by chain/state): AccountState. */
export const accountKey = (account: string): string => `acct/${account}`;

/** Read only (owned by chain/state): {org, name, admins}. */
export const orgKey = (org: string): string => `org/${org}`;
