/**
 * The whole LevelDB key schema (one file, STYLE.md). Keys are UTF-8 strings; heights
 * and indexes are fixed-width lowercase hex so that key order is chain order, and the
 * newest-first queries iterate in reverse. Everything under one prefix belongs to one
 * purpose:
 *
 *   m/head                      -> {height, hash}                latest final block
 *   b/<h16>                     -> {hash, header, txs, txHashes} block (members in this order: getBlockSummary relies on it)
 *   c/<h16>                     -> Commit                        its commit certificate
 *   r/<h16>                     -> Receipt[]                     receipts, tx order
 *   bh/<blockHash>              -> height
 *   t/<txHash>                  -> {height, index, at?}          at: the tx's byte range [start, end) in b/<h16> (getTxAt)
 *   s/<stateKey>                -> JSON                          world state (chain/state/interface.ts)
 *   vc/<h16>                    -> Authority[]                   set that signs h+1, at each block that changed it
 *   xv/<recordId>!<v12>         -> record version                records_history, records_verify
 *   xr/<patient>!<h16><i8>      -> recordId                      records_byPatient (first anchor)
 *   xc/<patient>!<h16><i8>      -> consentId                     consent_list
 *   xa/p/<patient>!<h16><i8>    -> AccessEvent                   audit_trail by patient (the one copy of the event)
 *   xa/r/<recordId>!<h16><i8>   -> patient                       audit_trail by record: the event is xa/p/<patient>!<same suffix>
 *   xa/a/<actor>!<h16><i8>      -> patient                       audit_trail by actor: likewise
 *
 * An id in an index key ends with "!", which no id can contain (record ids are
 * `[a-z0-9-]:[A-Za-z0-9._/-]`, accounts hex): the range of one id never holds another
 * id's keys (with "/", record "north:a"'s range held "north:a/b"'s), so every query
 * reads exactly its page.
 */

export const HEAD = 'm/head';

export const h16 = (h: number): string => h.toString(16).padStart(16, '0');
export const i8 = (i: number): string => i.toString(16).padStart(8, '0');
export const seq = (height: number, index: number): string => h16(height) + i8(index);

export const blockKey = (h: number): string => `b/${h16(h)}`;
export const commitKey = (h: number): string => `c/${h16(h)}`;
export const receiptsKey = (h: number): string => `r/${h16(h)}`;
export const blockHashKey = (hash: string): string => `bh/${hash}`;
export const txKey = (hash: string): string => `t/${hash}`;
export const stateKey = (k: string): string => `s/${k}`;
export const STATE_PREFIX = 's/';
export const validatorChangeKey = (h: number): string => `vc/${h16(h)}`;
export const VALIDATOR_CHANGE_PREFIX = 'vc/';

export const recordVersionKey = (recordId: string, version: number): string => `xv/${recordId}!${version.toString(16).padStart(12, '0')}`;
export const recordVersionPrefix = (recordId: string): string => `xv/${recordId}!`;
export const patientRecordKey = (patient: string, height: number, index: number): string => `xr/${patient}!${seq(height, index)}`;
export const patientRecordPrefix = (patient: string): string => `xr/${patient}!`;
export const patientConsentKey = (patient: string, height: number, index: number): string => `xc/${patient}!${seq(height, index)}`;
export const patientConsentPrefix = (patient: string): string => `xc/${patient}!`;

export type AuditBy = 'patient' | 'recordId' | 'actor';
const AUDIT_TAG: Record<AuditBy, string> = { patient: 'p', recordId: 'r', actor: 'a' };
export const auditPrefix = (by: AuditBy, id: string): string => `xa/${AUDIT_TAG[by]}/${id}!`;
export const auditKey = (by: AuditBy, id: string, height: number, index: number): string => auditPrefix(by, id) + seq(height, index);

/** Upper bound for a range over `prefix`: every key that starts with it sorts below. */
export const prefixEnd = (prefix: string): string => prefix + '\xff';
