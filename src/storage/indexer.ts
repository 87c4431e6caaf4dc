import type { IndexEvent } from '../chain/state/interface.js';
import * as K from './keys.js';

/** Where index entries go: a LevelDB chained batch (much cheaper per op than an array batch). */
export interface BatchWriter {
  put(key: string, value: string): unknown;
  del(key: string): unknown;
}

/** Index entries for one tx's events (storage/keys.ts documents each index). */
export function indexOps(ops: BatchWriter, events: readonly IndexEvent[], height: number, index: number): void {
  for (const e of events) {
    switch (e.kind) {
      case 'record': {
        const { kind: _kind, ...version } = e;
        ops.put(K.recordVersionKey(e.recordId, e.version), JSON.stringify(version));
        if (e.version === 1) ops.put(K.patientRecordKey(e.patient, height, index), e.recordId);
        break;
      }
      case 'consent':
        ops.put(K.patientConsentKey(e.patient, height, index), e.consentId);
        break;
      case 'access': {
        const v = JSON.stringify(e.event);
        ops.put(K.auditKey('patient', e.event.patient, height, index), v);
        ops.put(K.auditKey('recordId', e.event.recordId, height, index), v);
        ops.put(K.auditKey('actor', e.event.actor, height, index), v);
        break;
      }
      case 'member':
      case 'consentRevoked':
        // State holds these; no query index needed.
        break;
    }
  }
}
