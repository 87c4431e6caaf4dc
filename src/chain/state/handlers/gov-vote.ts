import type { Authority } from '../../types.js';
import { jcsHashHex } from '../../hash.js';
import type { ReadEnv, TxEnv, TxHandler } from '../interface.js';
import { fail } from '../errors.js';
import {
  getAccount, getAuthorities, getNodes, getOrg, getTally, putAccount, putAuthorities, putNodes, putOrg, putTally,
  quorum, tallyKey, type Proposal,
} from '../keys.js';
import { accountSchema, nameSchema, nodeIdSchema, orgIdSchema } from '../schema.js';
import { requireKeyRule, requireKeyShape } from './common.js';

/**
 * gov.vote: one authority's vote for a proposal (SPEC §3 Governance).
 *
 * - Voters are the authority set current at block start (`env.blockAuthorities`); an
 *   authority added or removed in this block votes (or stops voting) from the next block.
 * - The tally lives at `gov/<sha256(JCS(proposal))>` as `{proposal, votes}`. Only votes of
 *   the current set count; at floor(2n/3)+1 of them the proposal applies in the same tx
 *   and its tally is deleted (n = 1: the first vote applies it, no tally is written).
 * - Whether the proposal can apply (e.g. addOrg: the org does not exist yet) is checked on
 *   EVERY vote, so only applicable proposals gather votes. A vote for a proposal that
 *   cannot apply is rejected with the precondition's code; like every rejected tx it
 *   changes nothing but the sender's nonce, so an earlier tally stays as it was (a tally
 *   made stale by a competing proposal stays in state, inert).
 * - addAuthority needs a fresh account (roles never change, so an existing member cannot
 *   become an authority) in an existing org, and a node id not listed for another org nor
 *   run by another authority; the node joins the node list. removeAuthority never empties
 *   the set; the account stays registered (role authority) but no longer votes or signs;
 *   its node stays listed until a removeNode. removeNode refuses a current authority's node.
 */
export interface GovVotePayload {
  proposal: Proposal;
}

export const PROPOSAL_ACTIONS = ['addOrg', 'addAuthority', 'removeAuthority', 'addNode', 'removeNode'] as const;

const shape = (action: string, props: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  required: ['action', ...Object.keys(props)],
  properties: { action: { const: action }, ...props },
});

const payloadSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['proposal'],
  properties: {
    proposal: {
      type: 'object',
      required: ['action'],
      discriminator: { propertyName: 'action' },
      oneOf: [
        shape('addOrg', { org: orgIdSchema, name: nameSchema, admin: accountSchema }),
        shape('addAuthority', { org: orgIdSchema, account: accountSchema, nodeId: nodeIdSchema }),
        shape('removeAuthority', { account: accountSchema }),
        shape('addNode', { org: orgIdSchema, nodeId: nodeIdSchema }),
        shape('removeNode', { nodeId: nodeIdSchema }),
      ],
    },
  },
};

/** A proposal's id: sha256(JCS(proposal)) hex. */
export function proposalId(proposal: Proposal): string {
  return jcsHashHex(proposal);
}

/** A plain copy holding only the proposal's own fields (never store the tx's object). */
function copyProposal(p: Proposal): Proposal {
  switch (p.action) {
    case 'addOrg': return { action: p.action, org: p.org, name: p.name, admin: p.admin };
    case 'addAuthority': return { action: p.action, org: p.org, account: p.account, nodeId: p.nodeId };
    case 'removeAuthority': return { action: p.action, account: p.account };
    case 'addNode': return { action: p.action, org: p.org, nodeId: p.nodeId };
    case 'removeNode': return { action: p.action, nodeId: p.nodeId };
  }
}

function checkShape(p: GovVotePayload): void {
  // Keys entering the chain are valid Ed25519 points not of small order.
  if (p.proposal.action === 'addOrg') requireKeyShape('tx.payload.proposal.admin', p.proposal.admin);
  if (p.proposal.action === 'addAuthority') requireKeyShape('tx.payload.proposal.account', p.proposal.account);
}

/** The rules under which a proposal can apply to the current state. */
function checkProposal(env: ReadEnv, p: Proposal): void {
  switch (p.action) {
    case 'addOrg':
      // The org is new.
      if (getOrg(env, p.org) !== undefined) fail('org_exists', `org ${p.org} already exists`);
      // Its admin key is fit for the chain and not registered yet.
      requireKeyRule('admin', p.admin);
      if (getAccount(env, p.admin) !== undefined) fail('account_exists', `account ${p.admin} is already registered`);
      return;
    case 'addAuthority': {
      // The org exists.
      if (getOrg(env, p.org) === undefined) fail('unknown_org', `org ${p.org} does not exist`);
      // The account key is fit for the chain and the account is new.
      requireKeyRule('account', p.account);
      if (getAccount(env, p.account) !== undefined) fail('account_exists', `account ${p.account} is already registered`);
      // The node is not another org's, nor another authority's.
      const listed = getNodes(env).find((n) => n.nodeId === p.nodeId);
      if (listed !== undefined && listed.org !== p.org) fail('node_exists', `node ${p.nodeId} is listed for org ${listed.org}`);
      if (getAuthorities(env).some((a) => a.nodeId === p.nodeId)) fail('node_exists', `node ${p.nodeId} already runs an authority`);
      return;
    }
    case 'removeAuthority': {
      const set = getAuthorities(env);
      // The account is a current authority.
      if (!set.some((a) => a.account === p.account)) fail('unknown_authority', `account ${p.account} is not an authority`);
      // The set never becomes empty.
      if (set.length === 1) fail('last_authority', `account ${p.account} is the last authority`);
      return;
    }
    case 'addNode':
      // The org exists and the node is not listed yet.
      if (getOrg(env, p.org) === undefined) fail('unknown_org', `org ${p.org} does not exist`);
      if (getNodes(env).some((n) => n.nodeId === p.nodeId)) fail('node_exists', `node ${p.nodeId} is already listed`);
      return;
    case 'removeNode':
      // The node is listed and no current authority runs on it.
      if (!getNodes(env).some((n) => n.nodeId === p.nodeId)) fail('unknown_node', `node ${p.nodeId} is not listed`);
      if (getAuthorities(env).some((a) => a.nodeId === p.nodeId)) fail('node_has_authority', `node ${p.nodeId} runs a current authority`);
      return;
  }
}

function applyProposal(env: TxEnv, p: Proposal): void {
  switch (p.action) {
    case 'addOrg':
      putOrg(env, { org: p.org, name: p.name, admins: [p.admin] });
      putAccount(env, { account: p.admin, role: 'admin', org: p.org, nonce: 0, revoked: false, height: env.height });
      env.emit({ kind: 'member', account: p.admin, role: 'admin', org: p.org });
      return;
    case 'addAuthority': {
      putAccount(env, { account: p.account, role: 'authority', org: p.org, nonce: 0, revoked: false, height: env.height });
      const a: Authority = { account: p.account, org: p.org, nodeId: p.nodeId };
      putAuthorities(env, [...getAuthorities(env), a]);
      const nodes = getNodes(env);
      if (!nodes.some((n) => n.nodeId === p.nodeId)) putNodes(env, [...nodes, { nodeId: p.nodeId, org: p.org }]);
      env.emit({ kind: 'member', account: p.account, role: 'authority', org: p.org });
      return;
    }
    case 'removeAuthority':
      putAuthorities(env, getAuthorities(env).filter((a) => a.account !== p.account));
      return;
    case 'addNode':
      putNodes(env, [...getNodes(env), { nodeId: p.nodeId, org: p.org }]);
      return;
    case 'removeNode':
      putNodes(env, getNodes(env).filter((n) => n.nodeId !== p.nodeId));
      return;
  }
}

/** The voters: the set current at block start. */
function voters(env: ReadEnv): readonly Authority[] {
  return env.blockAuthorities ?? getAuthorities(env);
}

function check(env: ReadEnv, p: GovVotePayload): { id: string; votes: readonly string[]; open: boolean } {
  const from = env.tx.from;
  // The sender is in the authority set current at block start.
  if (!voters(env).some((a) => a.account === from)) fail('not_authority', `account ${from} is not in the current authority set`);
  const id = proposalId(p.proposal);
  const tally = getTally(env, id);
  const votes = tally?.votes ?? [];
  // One vote per authority per proposal.
  if (votes.includes(from)) fail('duplicate_vote', `account ${from} already voted for proposal ${id}`);
  // The proposal can apply to the current state.
  checkProposal(env, p.proposal);
  return { id, votes, open: tally !== undefined };
}

function execute(env: TxEnv, p: GovVotePayload): void {
  const { id, votes, open } = check(env, p);
  const set = voters(env);
  const members = new Set(set.map((a) => a.account));
  const after = [...votes, env.tx.from];
  const counted = after.filter((v) => members.has(v)).length;
  if (counted >= quorum(set.length)) {
    applyProposal(env, p.proposal);
    if (open) env.del(tallyKey(id));
  } else {
    putTally(env, id, { proposal: copyProposal(p.proposal), votes: after });
  }
}

export const govVoteHandler: TxHandler<GovVotePayload> = {
  type: 'gov.vote',
  payloadSchema,
  roles: ['authority'],
  checkShape,
  admit: (env, p) => void check(env, p),
  execute,
};
