import type { AccountState, ReadEnv, TxEnv, TxHandler } from '../interface.js';
import { ParamError } from '../../../util/errors.js';
import { fail } from '../errors.js';
import { getAccount, getOrg, putAccount, putOrg } from '../keys.js';
import { accountSchema, nameSchema } from '../schema.js';
import { requireKeyRule, requireKeyShape, senderOrg } from './common.js';

/** Roles an admin may register; authorities come only from governance. */
export const REGISTRABLE_ROLES = ['admin', 'clinician', 'service', 'auditor', 'patient'] as const;
export type RegistrableRole = (typeof REGISTRABLE_ROLES)[number];

export interface MemberRegisterPayload {
  account: string;
  role: RegistrableRole;
  name?: string;
}

const payloadSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['account', 'role'],
  properties: {
    account: accountSchema,
    role: { enum: [...REGISTRABLE_ROLES] },
    name: nameSchema,
  },
};

function checkShape(p: MemberRegisterPayload): void {
  // A patient is registered without a name: no PHI on chain.
  if (p.role === 'patient' && p.name !== undefined) throw new ParamError('tx.payload.name', 'is not allowed for a patient');
  // The key is a valid Ed25519 point not of small order (SPEC §3: verifiers built on
  // OpenSSL, node:crypto among them, accept forged signatures under small-order keys,
  // so such keys never enter the chain, whatever verifier reads it).
  requireKeyShape('tx.payload.account', p.account);
}

/** `keyCheck`: false at admission, where the edge (checkShape) has just checked the key. */
function check(env: ReadEnv, p: MemberRegisterPayload, keyCheck: boolean): void {
  // Only these roles can be registered by an admin.
  if (!(REGISTRABLE_ROLES as readonly string[]).includes(p.role)) fail('invalid_role', `role ${String(p.role)} cannot be registered by an admin`);
  // The key is fit for the chain (checked at the edge; again at execution).
  if (keyCheck) requireKeyRule('account', p.account);
  // Account ids are never reused, revoked ones included.
  if (getAccount(env, p.account) !== undefined) fail('account_exists', `account ${p.account} is already registered`);
}

function execute(env: TxEnv, p: MemberRegisterPayload): void {
  check(env, p, true);
  const org = senderOrg(env);
  const base = { account: p.account, nonce: 0, revoked: false, height: env.height };
  const acct: AccountState =
    p.role === 'patient'
      ? { ...base, role: 'patient', org: null, registeredBy: org }
      : { ...base, role: p.role, org, ...(p.name !== undefined ? { name: p.name } : {}) };
  putAccount(env, acct);
  if (p.role === 'admin') {
    // A new admin joins the org's active admins.
    const o = getOrg(env, org);
    if (o === undefined) fail('unknown_org', `org ${org} of the sender does not exist`);
    putOrg(env, { ...o, admins: [...o.admins, p.account] });
  }
  env.emit({ kind: 'member', account: p.account, role: acct.role, org: acct.org });
}

export const memberRegisterHandler: TxHandler<MemberRegisterPayload> = {
  type: 'member.register',
  payloadSchema,
  roles: ['admin'],
  checkShape,
  admit: (env, p) => check(env, p, false),
  execute,
};
