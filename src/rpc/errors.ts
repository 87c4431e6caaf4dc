/**
 * The one place typed errors become JSON-RPC error objects (SPEC §5). Anything that is
 * not an AppError or ParamError is an internal error: logged with its stack, never sent.
 */
import { AppError, ParamError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

export const RpcCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  app: -32000,
} as const;

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

/** A protocol-level failure raised inside the dispatcher (never by methods). */
export class RpcProtocolError extends Error {
  constructor(readonly code: number, message: string, readonly data?: Record<string, unknown>) {
    super(message);
    this.name = 'RpcProtocolError';
  }
}

/** The call was abandoned: client gone or server shutting down. Not a fault of the method. */
export class CallAbortedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallAbortedError';
  }
}

export function invalidParams(field: string, problem: string): RpcErrorObject {
  return { code: RpcCode.invalidParams, message: `invalid params: ${field}: ${problem}`, data: { field } };
}

export function appError(reason: AppError['reason'], message: string, data: Record<string, unknown> = {}): RpcErrorObject {
  return { code: RpcCode.app, message, data: { ...data, reason } };
}

/** Maps a thrown value to the error object a client sees. */
export function toRpcError(err: unknown, log: Logger, method: string): RpcErrorObject {
  if (err instanceof RpcProtocolError) {
    return err.data ? { code: err.code, message: err.message, data: err.data } : { code: err.code, message: err.message };
  }
  if (err instanceof ParamError) return invalidParams(err.field, err.problem);
  if (err instanceof AppError) return appError(err.reason, err.message, err.data);
  if (err instanceof CallAbortedError) {
    log.debug({ method, why: err.message }, 'rpc call aborted');
    return { code: RpcCode.internal, message: err.message };
  }
  log.error({ err, method }, 'rpc method failed');
  return { code: RpcCode.internal, message: 'internal error' };
}
