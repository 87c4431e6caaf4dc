/**
 * State keys owned by the records module (see chain/state/interface.ts for the owners
 * of every prefix). Accounts and orgs are read through chain/state's own readers.
 * The keys every access.log reads are built through internedKey (chain/state/interned-keys.ts).
 */
import { internedKey, internedKey2 } from '../chain/state/interned-keys.js';

/** Latest version of a record: RecordState. */
export const recordKey: (recordId: string) => string = internedKey('rec/');

/** One consent: ConsentState. */
export const consentKey: (consentId: string) => string = internedKey('cons/');

/** How many consents a patient has granted (number): the next grant's position in grant order. */
export const patientGrantsKey: (patient: string) => string = internedKey('pgn/');

/**
 * A patient's consents naming one grantee (an account, or `org:<org>`), oldest grant
 * first: `[position, consentId][]`, position in the patient's grant order. An access
 * visits only the lists of its actor and of the actor's org, however many consents the
 * patient has granted to others, and a grant rewrites only its grantee's list.
 */
export const granteeConsentsKey: (patient: string, grantee: string) => string = internedKey2('pgc/', '/');

