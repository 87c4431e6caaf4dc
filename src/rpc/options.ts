/** RPC server options with their defaults (SPEC §5, §6: RPC defaults to 127.0.0.1:8645). */

export interface RpcTlsOptions {
  certFile: string;
  keyFile: string;
}

export interface RpcOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Request bodies over this get HTTP 413. */
  bodyLimitBytes: number;
  /** Max calls in one batch; a larger batch gets a single -32600 error. */
  maxBatch: number;
  /** Per-call deadline; above tx_send's 30 s wait so that one reports its own timeout. */
  requestTimeoutMs: number;
  /** API token -> allowed namespaces ("*" = all, "metrics" = GET /metrics). */
  tokens?: Record<string, string[]>;
  /** HTTPS when both files are set. */
  tls?: RpcTlsOptions;
}

export const defaultRpcOptions: RpcOptions = {
  host: '127.0.0.1',
  port: 8645,
  bodyLimitBytes: 1024 * 1024,
  maxBatch: 100,
  requestTimeoutMs: 35_000,
};

/** Namespaces a token may name (SPEC §5 method namespaces, plus `metrics` and `*`). */
export const TOKEN_NAMESPACES = ['chain', 'tx', 'account', 'node', 'records', 'consent', 'audit', 'fhir', 'metrics', '*'] as const;

export function resolveRpcOptions(partial: Partial<RpcOptions> = {}): RpcOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  return { ...defaultRpcOptions, ...defined };
}
