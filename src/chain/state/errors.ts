import { TxRuleError } from '../../util/errors.js';

/**
 * Stable codes of the rules the chain's own handlers (membership, governance) and the
 * state machine enforce. A broken rule at execution gives a receipt
 * `{status: "rejected", error: {code, message}}`; at admission (`StateMachine.admit`) the
 * same code travels as `AppError('unauthorized', message, {code})`.
 */
export const STATE_ERROR_CODES = [
  // state machine
  'role_not_allowed', // the sender's role may not send this tx type
  'unknown_type', // no handler for the tx type on this node
  'internal', // a handler failed unexpectedly; deterministic stand-in for the exception
  // member.register
  'account_exists', // the account (or a governance proposal's account) is already registered
  'invalid_key', // the account key is malformed, off-curve or of small order
  'invalid_role', // member.register cannot create this role (authorities come from governance)
  // member.revoke
  'unknown_member', // no such account
  'already_revoked',
  'authority_account', // authority accounts are removed through governance
  'not_member_org', // the sender administers neither the member's org nor, for a patient, the registering org
  'last_admin', // revoking would leave the org without an active admin
  // gov.vote
  'not_authority', // the sender is not in the authority set current at block start
  'duplicate_vote', // the sender already voted for this proposal
  'org_exists', // addOrg: the org exists
  'unknown_org', // addAuthority/addNode: no such org
  'unknown_authority', // removeAuthority: the account is not a current authority
  'last_authority', // removeAuthority: the set would become empty
  'node_exists', // addNode/addAuthority: the node id is already listed (for another org or another authority)
  'unknown_node', // removeNode: no such node
  'node_has_authority', // removeNode: a current authority runs on this node
] as const;

export type StateErrorCode = (typeof STATE_ERROR_CODES)[number];

/** Throws the typed rule error for `code`. */
export function fail(code: StateErrorCode, message: string): never {
  throw new TxRuleError(code, message);
}
