/**
 * node_*, chain_*, tx_* and account_* methods (SPEC §5). Params are validated by the
 * registry before a handler runs; tx shape is validated by NodeApi.sendTx (ParamError
 * with paths like `tx.payload.purpose`).
 */
import type { BlockTxsMode, NodeApi, RpcMethod } from '../interface.js';
import { bool, EXPECT, exactlyOneOf, hexBytes, params, uint } from '../schemas.js';

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const hex128 = { type: 'string', pattern: '^[0-9a-f]{128}$' };
const nat = { type: 'integer', minimum: 0 };

/** chain_head's longest wait: under the RPC's per-call deadline (35 s), like tx_send's wait. */
export const HEAD_WAIT_MAX_MS = 30_000;

const headerSchema = {
  type: 'object',
  required: ['chainId', 'height', 'prevHash', 'time', 'txRoot', 'stateRoot', 'proposer', 'validatorsHash', 'nextValidatorsHash'],
  properties: {
    chainId: { type: 'string' }, height: nat, prevHash: { type: 'string' }, time: nat, txRoot: hex64, stateRoot: hex64,
    proposer: { type: 'string', description: 'proposer account; empty in the genesis header' }, validatorsHash: hex64, nextValidatorsHash: hex64,
  },
};

const txSchema = {
  type: 'object',
  description: 'wire-form transaction (SPEC §3)',
  required: ['chainId', 'type', 'from', 'nonce', 'payload', 'sig'],
  properties: { chainId: { type: 'string' }, type: { type: 'string' }, from: hex64, nonce: nat, payload: { type: 'object' }, sig: hex128 },
};

const receiptSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { enum: ['ok', 'rejected'] },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
    outcome: { enum: ['granted', 'emergency', 'denied'] },
  },
};

const commitSchema = {
  type: 'object',
  required: ['height', 'round', 'blockHash', 'signatures'],
  properties: {
    height: nat, round: nat, blockHash: hex64,
    signatures: { type: 'array', items: { type: 'object', properties: { validator: hex64, sig: hex128 } } },
  },
};

const authoritySchema = { type: 'object', properties: { account: hex64, org: { type: 'string' }, nodeId: { type: 'string' } } };

export function chainMethods(api: NodeApi): RpcMethod[] {
  const nodeInfo: RpcMethod<Record<string, never>> = {
    name: 'node_info',
    summary: 'This node: chain id, node id, org, version, height, connected peers, authority account',
    params: params({}),
    result: {
      type: 'object',
      properties: {
        chainId: { type: 'string' }, nodeId: { type: 'string' }, org: { type: 'string' }, version: { type: 'string' }, height: nat,
        peers: { type: 'array', items: { type: 'string' } }, authority: { oneOf: [hex64, { type: 'null' }] },
      },
    },
    handler: () => api.nodeInfo(),
  };

  const chainHead: RpcMethod<{ after?: number; waitMs?: number }> = {
    name: 'chain_head',
    summary: 'Hash and header of the latest final block; with after: H, the answer waits (up to waitMs, default and at most 30 s) until that block is above H',
    params: params(
      {
        after: uint('wait until the latest final block is above this height (a follower passes the height it has)'),
        waitMs: {
          type: 'integer', minimum: 0, maximum: HEAD_WAIT_MAX_MS, [EXPECT]: `an integer from 0 to ${HEAD_WAIT_MAX_MS}`,
          description: `with after: how long to wait, in ms (default ${HEAD_WAIT_MAX_MS}); the current head is returned when it passes`,
        },
      },
      [], { dependencies: { waitMs: ['after'] } },
    ),
    result: { type: 'object', properties: { hash: hex64, header: headerSchema } },
    examples: [{ name: 'latest', params: {} }, { name: 'next block after height 10', params: { after: 10, waitMs: 5000 } }],
    handler: (p, ctx) => api.chainHead(p.after === undefined ? undefined : { after: p.after, waitMs: p.waitMs ?? HEAD_WAIT_MAX_MS, signal: ctx.signal }),
  };

  const getBlock: RpcMethod<({ height: number } | { hash: string }) & { txs?: BlockTxsMode }> = {
    name: 'chain_getBlock',
    summary: 'A final block with its txs and commit certificate, by height or by hash; with txs: "hashes", only the txs\' hashes',
    params: params(
      {
        height: uint('block height'), hash: hexBytes(32, 'block hash'),
        txs: { type: 'string', enum: ['full', 'hashes'], [EXPECT]: '"full" or "hashes"', description: 'what to return of the txs: "full" (default) or "hashes" (each {hash} only: far cheaper for a follower of the chain)' },
      },
      [], exactlyOneOf('height', 'hash'),
    ),
    result: {
      type: 'object',
      properties: {
        hash: hex64, header: headerSchema, commit: commitSchema,
        txs: { type: 'array', items: { type: 'object', properties: { hash: hex64, tx: txSchema } } },
      },
    },
    examples: [{ name: 'genesis', params: { height: 0 } }],
    handler: (p) => api.getBlock('height' in p ? { height: p.height } : { hash: p.hash }, p.txs),
  };

  const getTx: RpcMethod<{ hash: string }> = {
    name: 'chain_getTx',
    summary: 'A committed tx with its receipt, or a pending one (pending: true); error not_found otherwise',
    params: params({ hash: hexBytes(32, 'tx hash') }, ['hash']),
    result: {
      type: 'object',
      properties: {
        hash: hex64, tx: txSchema, pending: { const: true },
        height: { oneOf: [nat, { type: 'null' }] }, index: nat, receipt: { oneOf: [receiptSchema, { type: 'null' }] },
      },
    },
    handler: (p) => api.getTx(p.hash),
  };

  const validators: RpcMethod<{ height?: number }> = {
    name: 'chain_validators',
    summary: 'The authority set that signs the block at a height (default: the head)',
    params: params({ height: uint('block height; default the head') }),
    result: { type: 'object', properties: { height: nat, authorities: { type: 'array', items: authoritySchema } } },
    handler: (p) => api.validators(p.height),
  };

  const send: RpcMethod<{ tx: Record<string, unknown>; wait?: boolean }> = {
    name: 'tx_send',
    summary: 'Submit a signed tx; with wait: true, wait (up to 30 s) for its commit and return its receipt',
    params: params(
      {
        tx: { type: 'object', description: 'signed wire-form tx {chainId, type, from, nonce, payload, sig} (SPEC §3)', 'x-expect': 'a transaction object' },
        wait: bool('wait for commit (up to 30 s)'),
      },
      ['tx'],
    ),
    result: { type: 'object', required: ['hash'], properties: { hash: hex64, height: nat, receipt: receiptSchema } },
    handler: (p, ctx) => api.sendTx(p.tx, { wait: p.wait === true, signal: ctx.signal }),
  };

  const account: RpcMethod<{ account: string }> = {
    name: 'account_get',
    summary: 'An account: role, org, committed and pending next nonce, revoked flag',
    params: params({ account: hexBytes(32, 'account id (Ed25519 public key)') }, ['account']),
    result: {
      type: 'object',
      properties: {
        account: hex64, role: { type: 'string' }, org: { oneOf: [{ type: 'string' }, { type: 'null' }] },
        nonce: nat, pendingNonce: nat, revoked: { type: 'boolean' },
      },
    },
    handler: (p) => api.getAccount(p.account),
  };

  return [nodeInfo, chainHead, getBlock, getTx, validators, send, account];
}
