/** Wire and domain types shared by every module (SPEC §2–§4). */

export const TX_TYPES = ['member.register', 'member.revoke', 'record.anchor', 'consent.grant', 'consent.revoke', 'access.log', 'gov.vote'] as const;
export type TxType = (typeof TX_TYPES)[number];

export const ROLES = ['admin', 'clinician', 'service', 'auditor', 'patient', 'authority'] as const;
export type Role = (typeof ROLES)[number];

export const PURPOSES = ['TREAT', 'ETREAT', 'CAREMGT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'HLEGAL', 'PATRQT', 'FAMRQT', 'COVERAGE'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const ACTIONS = ['create', 'read', 'update', 'delete', 'query', 'export'] as const;
export type AccessAction = (typeof ACTIONS)[number];

export const EMERGENCY_REASONS = ['life-threatening', 'patient-unable-to-consent', 'urgent-care', 'other'] as const;
export type EmergencyReason = (typeof EMERGENCY_REASONS)[number];

/** The signed part of a transaction (SPEC §3). */
export interface TxBody {
  chainId: string;
  type: TxType;
  from: string;
  nonce: number;
  payload: Record<string, unknown>;
}

/** Wire form: the body plus its Ed25519 signature (128 hex). */
export interface Tx extends TxBody {
  sig: string;
}

/**
 * A transaction decoded once at the edge: the wire object plus everything derived
 * from it that later stages need, so nothing is re-encoded or re-hashed downstream.
 */
export interface DecodedTx {
  tx: Tx;
  /** sha256(JCS(body)) hex: the tx hash, also what was signed. */
  hash: string;
  /** JCS bytes of the full wire tx: the Merkle leaf input and the size that limits apply to. */
  wire: Buffer;
  /** Set once this node verified `tx.sig` (admission or block validation). */
  verified?: boolean;
}

export interface Header {
  chainId: string;
  height: number;
  prevHash: string;
  time: number;
  txRoot: string;
  stateRoot: string;
  /** Proposer account; empty string in the genesis header. */
  proposer: string;
  validatorsHash: string;
  nextValidatorsHash: string;
}

export interface CommitSig {
  validator: string;
  sig: string;
}

/** Commit certificate: > 2/3 precommits of the block's authority set (SPEC §4). */
export interface Commit {
  height: number;
  round: number;
  blockHash: string;
  signatures: CommitSig[];
}

export interface Block {
  header: Header;
  txs: Tx[];
}

export interface Authority {
  account: string;
  org: string;
  nodeId: string;
}

export type ReceiptStatus = 'ok' | 'rejected';
export type AccessOutcome = 'granted' | 'emergency' | 'denied';

export interface Receipt {
  status: ReceiptStatus;
  error?: { code: string; message: string };
  outcome?: AccessOutcome;
}

export interface GenesisOrg {
  org: string;
  name: string;
  admins: string[];
}

export interface ChainParams {
  /** Max transactions in one block. */
  maxBlockTxs: number;
  /** Max JCS bytes of one tx (SPEC: 64 KiB). */
  maxTxBytes: number;
  /** Max total JCS bytes of a block's txs (keeps proposals and sync responses under the p2p message cap). */
  maxBlockBytes: number;
  /** Base round timeout in ms; grows by `timeoutDeltaMs` per round. */
  timeoutProposeMs: number;
  timeoutDeltaMs: number;
  /** Cut an empty block after this long idle; 0 = never (SPEC default: no empty blocks). */
  emptyBlockIntervalMs: number;
}

export interface Genesis {
  chainId: string;
  time: number;
  orgs: GenesisOrg[];
  authorities: Authority[];
  params: ChainParams;
}
