import { RECORD_PATTERN_PROBLEMS } from './schemas.js';
import type { ReadEnv, TxEnv } from '../chain/state/interface.js';
import type { Role } from '../chain/types.js';
import { RecordErrorCode, RecordRuleError } from './errors.js';
import { requireRole, type RecordTxHandler } from './handler.js';
import { consentKey, granteeConsentsKey, patientGrantsKey } from './keys.js';
import { consentGrantSchema } from './schemas.js';
import { getAccount, getConsent, granteeConsents, orgExists, patientGrantCount, toStateValue } from './state.js';
import type { ConsentGrantPayload, ConsentScope, ConsentState } from './types.js';

const ROLES: readonly Role[] = ['patient'];
const ORG_PREFIX = 'org:';

/** expiresAt, if present, is after `time` (block time; head time at admission). */
function checkExpiry(env: ReadEnv, p: ConsentGrantPayload): void {
  if (p.expiresAt !== undefined && p.expiresAt <= env.time) {
    throw new RecordRuleError(RecordErrorCode.ExpiresInPast, `expiresAt ${p.expiresAt} is not after block time ${env.time}`);
  }
}

/** A grantee account, if it exists, is not revoked (revocation is final). */
function checkGranteeNotRevoked(env: ReadEnv, grantee: string): void {
  if (grantee.startsWith(ORG_PREFIX)) return;
  const acct = getAccount(env, grantee);
  if (acct?.revoked === true) throw new RecordRuleError(RecordErrorCode.GranteeRevoked, `grantee ${grantee} is revoked`);
}

/** The grantee exists: an account (any role), or an org for `org:<id>`. */
function checkGranteeExists(env: ReadEnv, grantee: string): void {
  if (grantee.startsWith(ORG_PREFIX)) {
    const org = grantee.slice(ORG_PREFIX.length);
    if (!orgExists(env, org)) throw new RecordRuleError(RecordErrorCode.UnknownOrg, `no org ${org}`);
    return;
  }
  if (getAccount(env, grantee) === undefined) throw new RecordRuleError(RecordErrorCode.UnknownGrantee, `no account ${grantee}`);
  checkGranteeNotRevoked(env, grantee);
}

/** Only non-empty lists are stored, copied so state never aliases the tx payload. */
function normaliseScope(scope: ConsentScope): ConsentScope {
  const out: ConsentScope = {};
  if (scope.recordTypes !== undefined && scope.recordTypes.length > 0) out.recordTypes = [...scope.recordTypes];
  if (scope.recordIds !== undefined && scope.recordIds.length > 0) out.recordIds = [...scope.recordIds];
  return out;
}

/** consent.grant: a consent whose id is this tx's hash, appended to the patient's list for its grantee. */
export const consentGrantHandler: RecordTxHandler<ConsentGrantPayload> = {
  type: 'consent.grant',
  payloadSchema: consentGrantSchema,
  patternProblems: RECORD_PATTERN_PROBLEMS,
  roles: ROLES,

  admit(env, p) {
    requireRole(env, ROLES);
    checkExpiry(env, p);
    checkGranteeNotRevoked(env, p.grantee);
  },

  execute(env: TxEnv, p) {
    requireRole(env, ROLES);
    const consentId = env.hash;
    if (getConsent(env, consentId) !== undefined) {
      throw new RecordRuleError(RecordErrorCode.DuplicateConsent, `consent ${consentId} already exists`);
    }
    checkExpiry(env, p);
    checkGranteeExists(env, p.grantee);
    const patient = env.sender.account;
    const consent: ConsentState = {
      consentId,
      patient,
      grantee: p.grantee,
      scope: normaliseScope(p.scope),
      purpose: p.purpose,
      ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
      revoked: false,
      height: env.height,
      time: env.time,
    };
    env.put(consentKey(consentId), toStateValue(consent));
    const position = patientGrantCount(env, patient);
    env.put(patientGrantsKey(patient), position + 1);
    env.put(granteeConsentsKey(patient, p.grantee), toStateValue([...granteeConsents(env, patient, p.grantee), [position, consentId]]));
    env.emit({ kind: 'consent', consentId, patient, height: env.height });
  },
};
