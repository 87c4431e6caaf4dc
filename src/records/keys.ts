/**
 * State keys owned by the records module (see chain/state/interface.ts for the owners
 * of every prefix). Accounts and orgs are read through chain/state's own readers.
 */

/** Latest version of a record: RecordState. */
export const recordKey = (recordId: string): string => `rec/${recordId}`;

/** One consent: ConsentState. */
export const consentKey = (consentId: string): string => `cons/${consentId}`;

/** How many consents a patient has granted (number): the next grant's position in grant order. */
export const patientGrantsKey = (patient: string): string => `pgn/${patient}`;

/**
 * A patient's consents naming one grantee (an account, or `org:<org>`), oldest grant
 * first: `[position, consentId][]`, position in the patient's grant order. An access
 * visits only the lists of its actor and of the actor's org, however many consents the
 * patient has granted to others, and a grant rewrites only its grantee's list.
 */
export const granteeConsentsKey = (patient: string, grantee: string): string => `pgc/${patient}/${grantee}`;

