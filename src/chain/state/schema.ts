/**
 * Shared JSON Schema fragments and patterns for ids that enter the chain. The edge
 * validator (chain/validate-tx.ts) turns a pattern failure into the human problem in
 * PATTERN_PROBLEMS.
 */
export const ACCOUNT_PATTERN = '^[0-9a-f]{64}$';
export const SIG_PATTERN = '^[0-9a-f]{128}$';
export const CHAIN_ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
export const ORG_ID_PATTERN = '^[a-z0-9-]{2,32}$';
/**
 * A libp2p peer id in its usual string form: base58btc (bitcoin alphabet) of the peer's
 * multihash, 46 chars for RSA ("Qm..."), 52 for Ed25519 ("12D3KooW..."), 53 for
 * secp256k1 ("16Uiu2..."); 46–60 leaves room for other key types. The CIDv1 form is
 * not accepted.
 */
export const NODE_ID_PATTERN = '^[1-9A-HJ-NP-Za-km-z]{46,60}$';

export const PATTERN_PROBLEMS: Readonly<Record<string, string>> = {
  [ACCOUNT_PATTERN]: 'must be 64 lowercase hex characters',
  [SIG_PATTERN]: 'must be 128 lowercase hex characters',
  [CHAIN_ID_PATTERN]: 'must be 1-64 characters of [A-Za-z0-9._-]',
  [ORG_ID_PATTERN]: 'must be 2-32 characters of [a-z0-9-]',
  [NODE_ID_PATTERN]: 'must be a libp2p peer id (base58btc, 46-60 characters)',
};

export const accountSchema = { type: 'string', pattern: ACCOUNT_PATTERN } as const;
export const orgIdSchema = { type: 'string', pattern: ORG_ID_PATTERN } as const;
export const nodeIdSchema = { type: 'string', pattern: NODE_ID_PATTERN } as const;
export const nameSchema = { type: 'string', minLength: 1, maxLength: 128 } as const;

export const CHAIN_ID_RE = new RegExp(CHAIN_ID_PATTERN);
export const ORG_ID_RE = new RegExp(ORG_ID_PATTERN);
export const NODE_ID_RE = new RegExp(NODE_ID_PATTERN);
