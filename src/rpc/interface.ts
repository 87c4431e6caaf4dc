/**
 * The RPC module's seams: what a method is (an entry of the explicit method table) and
 * what the node offers the chain methods (NodeApi; the node implements it). Result
 * shapes are SPEC §5 exactly.
 */
import type { Authority, Commit, Header, Receipt, Role, Tx } from '../chain/types.js';

/** A JSON Schema object (draft-07 subset, as ajv compiles it). */
export type JsonSchema = Record<string, unknown>;

/** A params schema: always a named-params object. */
export interface ParamsSchema extends JsonSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties: false;
}

/** Per-call context handed to a method handler. */
export interface RpcContext {
  /** The bearer token of the call, null when tokens are not configured. Never log it. */
  token: string | null;
  /** Namespaces the token may call; null = all. */
  namespaces: Set<string> | null;
  /** Aborted on per-call timeout, client disconnect or server shutdown. */
  signal: AbortSignal;
}

/** One example for the OpenRPC document (OpenRPC "example pairing"). */
export interface RpcExample {
  name: string;
  params: Record<string, unknown>;
  result?: unknown;
}

/**
 * One entry of the method table. `name` is `<namespace>_<method>`; the namespace (the part
 * before `_`) is what API tokens grant: chain, tx, account, node, records, consent,
 * audit, fhir. `rpc.discover` is built in and always allowed.
 */
export interface RpcMethod<P = any, R = unknown> {
  name: string;
  summary: string;
  /** Named params. A property may carry `x-expect` ("an integer >= 0") used in -32602 messages. */
  params: ParamsSchema;
  /** Result schema, for the OpenRPC document only (may be loose). */
  result: JsonSchema;
  examples?: RpcExample[];
  handler(params: P, ctx: RpcContext): Promise<R>;
}

// ---- NodeApi: what the chain methods call (SPEC §5 result shapes) ----

export interface NodeInfo {
  chainId: string;
  nodeId: string;
  org: string;
  version: string;
  height: number;
  peers: string[];
  /** This node's authority account, or null when it is not a validator. */
  authority: string | null;
}

export interface BlockView {
  hash: string;
  header: Header;
  /** Each tx with its hash; with `txs: 'hashes'` only the hashes. */
  txs: { hash: string; tx?: Tx }[];
  commit: Commit;
}

/** What `chain_getBlock` returns of the txs: whole (the default) or their hashes only. */
export type BlockTxsMode = 'full' | 'hashes';

export interface CommittedTxView {
  hash: string;
  tx: Tx;
  height: number;
  index: number;
  receipt: Receipt;
}

export interface PendingTxView {
  hash: string;
  tx: Tx;
  pending: true;
  height: null;
  receipt: null;
}

export type TxView = CommittedTxView | PendingTxView;

export interface AccountView {
  account: string;
  role: Role;
  /** Null for patients (they belong to no org). */
  org: string | null;
  /** Next nonce after committed state. */
  nonce: number;
  /** Next nonce after this node's mempool. */
  pendingNonce: number;
  revoked: boolean;
}

export interface ValidatorsView {
  height: number;
  authorities: Authority[];
}

export type SendTxResult = { hash: string } | { hash: string; height: number; receipt: Receipt };

export interface HealthBody {
  status: string;
  height: number;
  peers: number;
  lastBlockAgeMs: number;
  syncing: boolean;
}

export interface HealthReport {
  healthy: boolean;
  body: HealthBody;
}

export interface NodeApi {
  nodeInfo(): Promise<NodeInfo>;
  /**
   * The latest final block readable here; with `wait`, once it is above `wait.after`, or
   * when `waitMs` pass or `signal` aborts (then the head as it is).
   */
  chainHead(wait?: { after: number; waitMs: number; signal: AbortSignal }): Promise<{ hash: string; header: Header }>;
  /** Throws AppError('not_found'). */
  getBlock(q: { height: number } | { hash: string }, txs?: BlockTxsMode): Promise<BlockView>;
  /** Committed or pending view; throws AppError('not_found'). */
  getTx(hash: string): Promise<TxView>;
  /** The authority set that signs block `height` (default: the head). */
  validators(height?: number): Promise<ValidatorsView>;
  /**
   * Admits a wire tx (shape validation included: ParamError with paths like
   * `tx.payload.purpose`). With wait, resolves on commit or throws AppError('timeout', ..., {hash}).
   */
  sendTx(raw: unknown, opts: { wait: boolean; signal: AbortSignal }): Promise<SendTxResult>;
  /** Throws AppError('not_found'). */
  getAccount(account: string): Promise<AccountView>;
  health(): Promise<HealthReport>;
  /** The node's own Prometheus exposition lines, appended to the RPC's. */
  metrics(): string;
}
