import type { IndexEvent } from '../chain/state/interface.js';
import * as K from './keys.js';

export type BatchOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/** Index entries for one tx's events (storage/keys.ts documents each index). */
export function indexOps(ops: BatchOp[], events: readonly IndexEvent[], height: number, index: number): void {
  for (const e of events) {
    switch (e.kind) {
      case 'record': {
        const { kind: _kind, ...version } = e;
        ops.push({ type: 'put', key: K.recordVersionKey(e.recordId, e.version), value: JSON.stringify(version) });
        if (e.version === 1) ops.push({ type: 'put', key: K.patientRecordKey(e.patient, height, index), value: e.recordId });
        break;
      }
      case 'consent':
        ops.push({ type: 'put', key: K.patientConsentKey(e.patient, height, index), value: e.consentId });
        break;
      case 'access': {
        const v = JSON.stringify(e.event);
        ops.push({ type: 'put', key: K.auditKey('patient', e.event.patient, height, index), value: v });
        ops.push({ type: 'put', key: K.auditKey('recordId', e.event.recordId, height, index), value: v });
        ops.push({ type: 'put', key: K.auditKey('actor', e.event.actor, height, index), value: v });
        break;
      }
      case 'member':
      case 'consentRevoked':
        // State holds these; no query index needed.
        break;
    }
  }
}
