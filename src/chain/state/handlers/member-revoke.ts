import type { AccountState, ReadEnv, TxEnv, TxHandler } from '../interface.js';
import { fail } from '../errors.js';
import { getAccount, getOrg, putAccount, putOrg, type OrgState } from '../keys.js';
import { accountSchema } from '../schema.js';
import { senderOrg } from './common.js';

export interface MemberRevokePayload {
  account: string;
}

const payloadSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['account'],
  properties: { account: accountSchema },
};

interface Checked {
  target: AccountState;
  /** Set when the target is an admin: its org with the target removed from `admins`. */
  orgAfter: OrgState | null;
}

function check(env: ReadEnv, p: MemberRevokePayload): Checked {
  const target = getAccount(env, p.account);
  // The member exists.
  if (target === undefined) fail('unknown_member', `account ${p.account} is not registered`);
  // It is not revoked yet.
  if (target.revoked) fail('already_revoked', `account ${p.account} is already revoked`);
  // Authorities leave through governance (removeAuthority), never by an admin.
  if (target.role === 'authority') fail('authority_account', `account ${p.account} is an authority: remove it with a removeAuthority proposal`);
  // The sender administers the member's org; for a patient, the org that registered them.
  const org = senderOrg(env);
  const memberOrg = target.role === 'patient' ? target.registeredBy : target.org;
  if (memberOrg !== org) fail('not_member_org', `account ${p.account} was not registered by org ${org}`);
  let orgAfter: OrgState | null = null;
  if (target.role === 'admin') {
    // The org keeps at least one active admin.
    const o = getOrg(env, org);
    const admins = (o?.admins ?? []).filter((a) => a !== p.account);
    if (o === undefined || admins.length === 0) fail('last_admin', `account ${p.account} is the last active admin of org ${org}`);
    orgAfter = { ...o, admins };
  }
  return { target, orgAfter };
}

function execute(env: TxEnv, p: MemberRevokePayload): void {
  const { target, orgAfter } = check(env, p);
  putAccount(env, { ...target, revoked: true });
  if (orgAfter !== null) putOrg(env, orgAfter);
}

export const memberRevokeHandler: TxHandler<MemberRevokePayload> = {
  type: 'member.revoke',
  payloadSchema,
  roles: ['admin'],
  admit: (env, p) => void check(env, p),
  execute,
};
