/** chain/state: the state machine, its key layout and the chain's own handlers. */
export type * from './interface.js';
export { StateMachine, type BlockExecutor, type ApplyResult, type HeadInfo, type StateMachineOptions } from './machine.js';
export { Overlay, MapState, deepFreeze } from './overlay.js';
export { stateRoot, stateRootEncoded, GENESIS_PREV_ROOT } from './root.js';
export { STATE_ERROR_CODES, type StateErrorCode } from './errors.js';
export {
  accountKey, orgKey, tallyKey, AUTHORITIES_KEY, NODES_KEY, getAccount, getOrg, getAuthorities, getNodes, getTally,
  putAccount, putOrg, putAuthorities, putNodes, putTally, quorum,
  type OrgState, type NodeEntry, type Proposal, type Tally, type StateWriter,
} from './keys.js';
export * from './schema.js';
export { memberRegisterHandler, REGISTRABLE_ROLES, type MemberRegisterPayload, type RegistrableRole } from './handlers/member-register.js';
export { memberRevokeHandler, type MemberRevokePayload } from './handlers/member-revoke.js';
export { govVoteHandler, proposalId, PROPOSAL_ACTIONS, type GovVotePayload } from './handlers/gov-vote.js';

import type { TxHandler } from './interface.js';
import { memberRegisterHandler } from './handlers/member-register.js';
import { memberRevokeHandler } from './handlers/member-revoke.js';
import { govVoteHandler } from './handlers/gov-vote.js';

/** Membership and governance handlers; the composition root adds the records handlers. */
export const chainHandlers: readonly TxHandler[] = [memberRegisterHandler, memberRevokeHandler, govVoteHandler];
