import type { IndexEvent } from '../chain/state/interface.js';
import * as K from './keys.js';

/** Where index entries go: a LevelDB chained batch (much cheaper per op than an array batch). */
export interface BatchWriter {
  put(key: string, value: string): unknown;
  del(key: string): unknown;
}

/**
 * Index entries for one tx's events (storage/keys.ts documents each index); `at` is the
 * tx's position `K.seq(height, index)`, built once per tx by the caller.
 */
export function indexOps(ops: BatchWriter, events: readonly IndexEvent[], at: string): void {
  for (const e of events) {
    switch (e.kind) {
      case 'record': {
        const { kind: _kind, ...version } = e;
        ops.put(K.recordVersionKey(e.recordId, e.version), JSON.stringify(version));
        if (e.version === 1) ops.put(K.patientRecordPrefix(e.patient) + at, e.recordId);
        break;
      }
      case 'consent':
        ops.put(K.patientConsentPrefix(e.patient) + at, e.consentId);
        break;
      case 'access': {
        // The event is stored once, under its patient; the record and actor indexes point there.
        const patient = e.event.patient;
        ops.put(K.auditPrefix('patient', patient) + at, JSON.stringify(e.event));
        ops.put(K.auditPrefix('recordId', e.event.recordId) + at, patient);
        ops.put(K.auditPrefix('actor', e.event.actor) + at, patient);
        break;
      }
      case 'member':
      case 'consentRevoked':
        // State holds these; no query index needed.
        break;
    }
  }
}
