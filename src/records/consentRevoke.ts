import { RECORD_PATTERN_PROBLEMS } from './schemas.js';
import type { ReadEnv, TxEnv } from '../chain/state/interface.js';
import type { Role } from '../chain/types.js';
import { RecordErrorCode, RecordRuleError } from './errors.js';
import { requireRole, type RecordTxHandler } from './handler.js';
import { consentKey } from './keys.js';
import { consentRevokeSchema } from './schemas.js';
import { getConsent, toStateValue } from './state.js';
import type { ConsentRevokePayload, ConsentState } from './types.js';

const ROLES: readonly Role[] = ['patient'];

/** Only the granting patient revokes, and only once. */
function checkRevocable(env: ReadEnv, c: ConsentState): void {
  if (c.patient !== env.sender.account) {
    throw new RecordRuleError(RecordErrorCode.NotConsentOwner, `consent ${c.consentId} was granted by another patient`);
  }
  if (c.revoked) throw new RecordRuleError(RecordErrorCode.ConsentAlreadyRevoked, `consent ${c.consentId} is already revoked`);
}

/**
 * consent.revoke: the consent is inactive for every later tx. An expired consent may
 * still be revoked (its status then reads `revoked`). The id stays in its grantee list
 * (`pgc/`) so consent_check can tell `revoked` from `no_consent`.
 */
export const consentRevokeHandler: RecordTxHandler<ConsentRevokePayload> = {
  type: 'consent.revoke',
  payloadSchema: consentRevokeSchema,
  patternProblems: RECORD_PATTERN_PROBLEMS,
  roles: ROLES,

  admit(env, p) {
    requireRole(env, ROLES);
    // An unknown consent may still be granted by a pending tx: left to execute.
    const c = getConsent(env, p.consentId);
    if (c !== undefined) checkRevocable(env, c);
  },

  execute(env: TxEnv, p) {
    requireRole(env, ROLES);
    const c = getConsent(env, p.consentId);
    if (c === undefined) throw new RecordRuleError(RecordErrorCode.UnknownConsent, `no consent ${p.consentId}`);
    checkRevocable(env, c);
    const revoked: ConsentState = { ...c, revoked: true, revokedHeight: env.height };
    env.put(consentKey(c.consentId), toStateValue(revoked));
    env.emit({ kind: 'consentRevoked', consentId: c.consentId, patient: c.patient, height: env.height });
  },
};
