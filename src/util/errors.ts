/**
 * Typed errors with stable codes. Modules throw these; the RPC layer maps them once to
 * JSON-RPC errors (rpc/errors.ts), the CLI to exit messages.
 */

/** SPEC §5 application error reasons (JSON-RPC -32000, `data.reason`). */
export type AppErrorReason =
  | 'bad_signature' | 'wrong_chain' | 'nonce_too_low' | 'nonce_too_high' | 'duplicate'
  | 'unknown_account' | 'revoked_account' | 'mempool_full' | 'tx_too_large' | 'not_found'
  | 'timeout' | 'unauthorized';

export class AppError extends Error {
  constructor(readonly reason: AppErrorReason, message: string, readonly data: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AppError';
  }
}

/** Invalid input shape (JSON-RPC -32602): `field` is a path like `tx.payload.purpose`. */
export class ParamError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'ParamError';
  }
}

/**
 * A state-machine rule broken at execution time. The tx is included with
 * receipt {status: "rejected", error: {code, message}}; `code` is stable (records/errors.ts
 * and chain/state/errors.ts list them).
 */
export class TxRuleError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'TxRuleError';
  }
}
