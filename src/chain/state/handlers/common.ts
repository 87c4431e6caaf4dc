import { checkPublicKey } from '../../ed25519.js';
import { ParamError } from '../../../util/errors.js';
import type { ReadEnv } from '../interface.js';
import { fail } from '../errors.js';

/** The sender's org; every role but patient has one (admins and authorities always do). */
export function senderOrg(env: ReadEnv): string {
  const org = env.sender.org;
  if (org === null) fail('role_not_allowed', `a ${env.sender.role} belongs to no org and cannot send ${env.tx.type}`);
  return org;
}

/** Edge rule: a key entering the chain is a valid Ed25519 point not of small order. */
export function requireKeyShape(field: string, account: string): void {
  const problem = checkPublicKey(account);
  if (problem !== null) throw new ParamError(field, problem);
}

/** Execution rule: the same check, as a tx rule (blocks are checked again). */
export function requireKeyRule(what: string, account: string): void {
  const problem = checkPublicKey(account);
  if (problem !== null) fail('invalid_key', `${what} ${problem}`);
}
