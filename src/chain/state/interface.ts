import type { AccessAction, AccessOutcome, Authority, EmergencyReason, Purpose, Receipt, Role, Tx, TxType } from '../types.js';
import type { JsonValue } from '../jcs.js';

/**
 * The state machine's seams. State is a key -> JSON value map held in memory by the
 * node (loaded from LevelDB at start, written back in each block's atomic batch), so
 * execution is synchronous, pure and deterministic: same state + same block = same
 * writes, receipts, events and stateRoot on every node.
 *
 * Key prefixes are owned by one module each:
 *   chain/state:  "acct/<account>", "org/<org>", "authorities", "nodes", "gov/<proposalId>"
 *   records:      "rec/<recordId>", "cons/<consentId>", "pgn/<patient>", "pgc/<patient>/<grantee>"
 */
export type StateValue = JsonValue;

export interface StateReader {
  get(key: string): StateValue | undefined;
}

/** Writes of one block in application order; null = delete. */
export type StateWrites = Map<string, StateValue | null>;

export interface AccountState {
  account: string;
  role: Role;
  /** Org of the account; null for patients. */
  org: string | null;
  /** For patients: the org whose admin registered them (they may revoke). */
  registeredBy?: string;
  name?: string;
  /** Next nonce expected from this account. */
  nonce: number;
  revoked: boolean;
  /** Height at which the account was registered (0 = genesis). */
  height: number;
}

export interface AccessEvent {
  txHash: string;
  height: number;
  time: number;
  actor: string;
  actorOrg: string;
  onBehalfOf?: string;
  recordId: string;
  patient: string;
  action: AccessAction;
  purpose: Purpose;
  outcome: AccessOutcome;
  emergency: boolean;
  reason?: EmergencyReason;
  /** Consent that granted the access, when one did. */
  consentId?: string;
}

/**
 * What a tx tells the indexer (storage/indexer.ts) to write beside the block, in the
 * same batch. Indexes serve queries only; state alone decides execution.
 */
export type IndexEvent =
  | { kind: 'member'; account: string; role: Role; org: string | null }
  | { kind: 'record'; recordId: string; patient: string; custodian: string; recordType: string; contentHash: string; version: number; txHash: string; height: number; time: number }
  | { kind: 'consent'; consentId: string; patient: string; height: number }
  | { kind: 'consentRevoked'; consentId: string; patient: string; height: number }
  | { kind: 'access'; event: AccessEvent };

/** Read-only view of a block being executed (also given at admission, with head values). */
export interface ReadEnv {
  readonly chainId: string;
  readonly height: number;
  readonly time: number;
  readonly tx: Tx;
  readonly hash: string;
  readonly sender: AccountState;
  /**
   * The authority set that signs the block being executed, as of block start (changes
   * made earlier in the same block take effect from the next block). At admission: the
   * head state's set. Set by the StateMachine; when absent, handlers read `authorities`.
   */
  readonly blockAuthorities?: readonly Authority[];
  get(key: string): StateValue | undefined;
}

export interface TxEnv extends ReadEnv {
  put(key: string, value: StateValue): void;
  del(key: string): void;
  emit(event: IndexEvent): void;
  /** access.log only: the decided outcome, carried in the receipt. */
  setOutcome(outcome: AccessOutcome): void;
}

/**
 * One per tx type. `payloadSchema` (JSON Schema, additionalProperties false) is checked
 * at the edge with ajv and names the failing field; `roles` are checked at admission and
 * execution; `admit` holds the state rules cheap enough for admission; `execute` all
 * rules again plus the effect. Both throw TxRuleError(code, message).
 */
export interface TxHandler<P = any> {
  readonly type: TxType;
  readonly payloadSchema: Record<string, unknown>;
  readonly roles: readonly Role[];
  /**
   * Shape rules JSON Schema expresses badly (cross-field rules, key validity), run at the
   * edge right after `payloadSchema` passes. Throws ParamError naming the field
   * (`tx.payload.<field>`); no state access.
   */
  checkShape?(payload: P): void;
  /**
   * Human problems for the `pattern`s of `payloadSchema` (pattern string -> problem, e.g.
   * 'must be sha256: followed by 64 lowercase hex characters'), used by the edge
   * validator in its ParamError; without one it says "must match the pattern ...".
   */
  readonly patternProblems?: Readonly<Record<string, string>>;
  admit?(env: ReadEnv, payload: P): void;
  execute(env: TxEnv, payload: P): void;
}

export interface BlockContext {
  chainId: string;
  height: number;
  time: number;
}

export interface TxResult {
  hash: string;
  receipt: Receipt;
  events: IndexEvent[];
}

export interface BlockResult {
  results: TxResult[];
  writes: StateWrites;
  /** The same writes as canonical JSON bytes (null = delete), as hashed into stateRoot: what storage writes. */
  encodedWrites: ReadonlyMap<string, Buffer | null>;
  stateRoot: string;
  /** Set when this block changes the authority set: the set that signs the next block. */
  nextAuthorities: Authority[] | null;
}
