import { RECORD_PATTERN_PROBLEMS } from './schemas.js';
import type { AccessEvent, ReadEnv, TxEnv } from '../chain/state/interface.js';
import type { AccessOutcome, Role } from '../chain/types.js';
import { ParamError } from '../util/errors.js';
import { decideAccess } from './access.js';
import { RecordErrorCode, RecordRuleError } from './errors.js';
import { requireMemberOrg, type RecordTxHandler } from './handler.js';
import { accessLogSchema } from './schemas.js';
import { getRecord } from './state.js';
import type { AccessLogPayload } from './types.js';

const ROLES: readonly Role[] = ['clinician', 'service', 'auditor', 'admin'];

/** `reason` present iff `emergency` is true (SPEC §3); null when fine. */
function reasonProblem(p: AccessLogPayload): string | null {
  if (p.emergency === true && p.reason === undefined) return 'is required when emergency is true';
  if (p.emergency !== true && p.reason !== undefined) return 'is allowed only with emergency: true';
  return null;
}

/**
 * `onBehalfOf` names the staff member a `service` account (an EHR integration) acts for.
 * Other roles act for themselves: from them it is refused (not silently dropped), so
 * the audit trail never carries a staff id the chain did not accept as meaningful.
 */
function checkSender(env: ReadEnv, p: AccessLogPayload): string {
  const org = requireMemberOrg(env, ROLES);
  if (p.onBehalfOf !== undefined && env.sender.role !== 'service') {
    throw new RecordRuleError(RecordErrorCode.OnBehalfOfNotAllowed, `only service accounts may send onBehalfOf, not a ${env.sender.role}`);
  }
  return org;
}

/**
 * access.log: the chain decides the outcome at this block's time and records the
 * event; the tx is ok whatever the outcome. granted (custodian or an active consent
 * covering the record for exactly this purpose, also with emergency), else emergency
 * (emergency: true with a reason), else denied. An unknown record rejects the tx.
 */
export const accessLogHandler: RecordTxHandler<AccessLogPayload> = {
  type: 'access.log',
  payloadSchema: accessLogSchema,
  patternProblems: RECORD_PATTERN_PROBLEMS,
  roles: ROLES,

  checkShape(p) {
    const problem = reasonProblem(p);
    if (problem !== null) throw new ParamError('tx.payload.reason', problem);
  },

  admit(env, p) {
    // The record may be anchored by a pending tx (even in the same block): left to execute.
    checkSender(env, p);
  },

  execute(env: TxEnv, p) {
    const actorOrg = checkSender(env, p);
    const problem = reasonProblem(p);
    if (problem !== null) {
      const code = p.emergency === true ? RecordErrorCode.EmergencyReasonRequired : RecordErrorCode.ReasonWithoutEmergency;
      throw new RecordRuleError(code, `reason ${problem}`);
    }
    const record = getRecord(env, p.recordId);
    if (record === undefined) throw new RecordRuleError(RecordErrorCode.UnknownRecord, `no record ${p.recordId}`);

    const actor = env.sender.account;
    const decision = decideAccess(env, record, { actor, actorOrg, recordId: p.recordId, purpose: p.purpose, time: env.time });
    const emergency = p.emergency === true;
    const outcome: AccessOutcome = decision.allowed ? 'granted' : emergency ? 'emergency' : 'denied';
    // Built field by field in the documented order (the indexed JSON keeps it), without
    // the temporary objects of conditional spreads: this runs for most txs of a block.
    const event = { txHash: env.hash, height: env.height, time: env.time, actor, actorOrg } as AccessEvent;
    if (p.onBehalfOf !== undefined) event.onBehalfOf = p.onBehalfOf;
    event.recordId = p.recordId;
    event.patient = record.patient;
    event.action = p.action;
    event.purpose = p.purpose;
    event.outcome = outcome;
    event.emergency = emergency;
    if (p.reason !== undefined) event.reason = p.reason;
    if (decision.consentId !== undefined) event.consentId = decision.consentId;
    env.setOutcome(outcome);
    env.emit({ kind: 'access', event });
  },
};
