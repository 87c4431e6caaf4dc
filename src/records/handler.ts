import type { ReadEnv, TxHandler } from '../chain/state/interface.js';
import type { Role } from '../chain/types.js';
import { RecordErrorCode, RecordRuleError } from './errors.js';

/**
 * A records tx handler. `checkShape` holds the shape rules JSON Schema cannot name
 * well (run after the schema by chain/state's tx validator; throws ParamError naming
 * `tx.payload.<field>`).
 *
 * Admission (`admit`) refuses only what can never become valid while the tx waits in
 * the mempool: the sender's role and org, and facts that never change once on chain
 * (a record's custodian and patient, a consent's patient, a revocation). Facts a
 * pending tx may still create (a patient being registered, a record being anchored in
 * the same block) are left to `execute`, which checks every rule again.
 */
export interface RecordTxHandler<P> extends TxHandler<P> {
  checkShape?(payload: P): void;
}

/** The sender's role is one of `roles` (executor checks this too; kept for defence). */
export function requireRole(env: ReadEnv, roles: readonly Role[]): void {
  if (!roles.includes(env.sender.role)) {
    throw new RecordRuleError(RecordErrorCode.RoleNotAllowed, `role ${env.sender.role} may not send ${env.tx.type}`);
  }
}

/** The sender's role is one of `roles` and it belongs to an org, which is returned. */
export function requireMemberOrg(env: ReadEnv, roles: readonly Role[]): string {
  requireRole(env, roles);
  const org = env.sender.org;
  if (org === null) throw new RecordRuleError(RecordErrorCode.RoleNotAllowed, `a ${env.sender.role} without an org may not send ${env.tx.type}`);
  return org;
}

/** The org prefix of a well-formed recordId (`<org>:<local>`). */
export function recordIdOrg(recordId: string): string {
  return recordId.slice(0, recordId.indexOf(':'));
}
