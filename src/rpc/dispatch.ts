/**
 * JSON-RPC 2.0 processing, independent of HTTP: body text in, response text (or none)
 * out. Envelope validation, batches, notifications, method lookup, namespace check,
 * params validation, per-call deadline, error mapping, metrics.
 */
import { setMaxListeners } from 'node:events';
import { AppError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { allows, type Grant } from './auth.js';
import { CallAbortedError, RpcCode, RpcProtocolError, appError, toRpcError, type RpcErrorObject } from './errors.js';
import type { RpcContext } from './interface.js';
import type { RpcMetrics } from './metrics.js';
import { OPEN_NAMESPACE, type MethodRegistry } from './registry.js';
import { describeParamsErrors } from './schemas.js';
import { isObject } from '../util/json.js';

export interface DispatcherDeps {
  registry: MethodRegistry;
  metrics: RpcMetrics;
  log: Logger;
  maxBatch: number;
  callTimeoutMs: number;
}

/** What to answer: a JSON body, or HTTP 204 (only notifications). */
export type DispatchOutcome = { status: 200; body: string } | { status: 204 };

type Id = string | number | null;


function errorBody(error: RpcErrorObject, id: Id): string {
  return JSON.stringify({ jsonrpc: '2.0', error, id });
}

const invalidRequest = (message: string): RpcProtocolError => new RpcProtocolError(RpcCode.invalidRequest, `invalid request: ${message}`);

/** A JSON-RPC error response body not tied to a call (HTTP-level failures use it too). */
export function protocolErrorBody(code: number, message: string, data?: Record<string, unknown>): string {
  return errorBody(data ? { code, message, data } : { code, message }, null);
}

export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  async handle(text: string | undefined, grant: Grant, signal: AbortSignal): Promise<DispatchOutcome> {
    let body: unknown;
    try {
      if (text === undefined || text.trim() === '') throw new Error('empty body');
      body = JSON.parse(text);
    } catch (err) {
      this.deps.metrics.observe('invalid', String(RpcCode.parseError), 0);
      return { status: 200, body: protocolErrorBody(RpcCode.parseError, `parse error: ${(err as Error).message}`) };
    }
    const deadline = new Deadline(this.deps.callTimeoutMs, signal, this.deps.maxBatch);
    try {
      return await this.dispatch(body, grant, deadline);
    } finally {
      deadline.done();
    }
  }

  private async dispatch(body: unknown, grant: Grant, deadline: Deadline): Promise<DispatchOutcome> {
    if (!Array.isArray(body)) {
      const one = await this.call(body, grant, deadline);
      return one === undefined ? { status: 204 } : { status: 200, body: one };
    }
    if (body.length === 0 || body.length > this.deps.maxBatch) {
      const why = body.length === 0 ? 'empty batch' : `batch of ${body.length} calls exceeds the limit of ${this.deps.maxBatch}`;
      this.deps.metrics.observe('invalid', String(RpcCode.invalidRequest), 0);
      return { status: 200, body: protocolErrorBody(RpcCode.invalidRequest, `invalid request: ${why}`) };
    }
    // Calls start in array order (each handler runs synchronously up to its first await).
    const parts = (await Promise.all(body.map((req) => this.call(req, grant, deadline)))).filter((p): p is string => p !== undefined);
    return parts.length === 0 ? { status: 204 } : { status: 200, body: `[${parts.join(',')}]` };
  }

  /** One call; the serialized response, or undefined for a notification. */
  private async call(req: unknown, grant: Grant, deadline: Deadline): Promise<string | undefined> {
    const started = performance.now();
    let label = 'invalid';
    let id: Id = null;
    let notification = false;
    let out: string;
    let code: string;
    try {
      if (!isObject(req)) throw invalidRequest('expected a request object');
      const hasId = Object.hasOwn(req, 'id');
      const rawId = req.id;
      if (hasId && !(rawId === null || typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId)))) {
        throw invalidRequest('id must be a string, a number or null');
      }
      if (hasId) id = rawId as Id;
      if (req.jsonrpc !== '2.0') throw invalidRequest('jsonrpc must be "2.0"');
      if (typeof req.method !== 'string') throw invalidRequest('method must be a string');
      notification = !hasId;
      const result = await this.run(req.method, req, grant, deadline, (name) => (label = name));
      out = JSON.stringify({ jsonrpc: '2.0', result: result === undefined ? null : result, id });
      code = 'ok';
    } catch (err) {
      const error = toRpcError(err, this.deps.log, label);
      out = errorBody(error, id);
      code = String(error.code);
    }
    const seconds = (performance.now() - started) / 1000;
    this.deps.metrics.observe(label, code, seconds);
    this.deps.log.debug({ method: label, code, ms: Math.round(seconds * 1000), notification }, 'rpc call');
    return notification ? undefined : out;
  }

  private async run(name: string, req: Record<string, unknown>, grant: Grant, deadline: Deadline, setLabel: (l: string) => void): Promise<unknown> {
    const entry = this.deps.registry.get(name);
    if (!entry) {
      setLabel('unknown');
      const shown = name.length > 64 ? `${name.slice(0, 64)}...` : name;
      throw new RpcProtocolError(RpcCode.methodNotFound, `method not found: "${shown}"`);
    }
    setLabel(name);
    if (entry.namespace !== OPEN_NAMESPACE && !allows(grant, entry.namespace)) {
      const e = appError('unauthorized', `method ${name} is not allowed for this API token`);
      throw new RpcProtocolError(e.code, e.message, e.data);
    }
    let params: unknown = {};
    if (Object.hasOwn(req, 'params')) {
      params = req.params;
      if (Array.isArray(params)) {
        throw new RpcProtocolError(RpcCode.invalidParams, 'invalid params: params must be an object of named params; positional (array) params are not supported', { field: 'params' });
      }
      if (!isObject(params)) throw invalidRequest('params must be an object');
    }
    if (!entry.validate(params)) {
      const p = describeParamsErrors(entry.validate.errors ?? [], entry.method.params);
      throw new RpcProtocolError(RpcCode.invalidParams, `invalid params: ${p.message}`, { field: p.field });
    }
    const ctx: RpcContext = { token: grant.token, namespaces: grant.namespaces, signal: deadline.signal };
    return deadline.run(() => entry.method.handler(params, ctx));
  }
}

/**
 * One deadline for all calls of a request (a batch runs its calls concurrently): a
 * signal aborted when `ms` pass (AppError 'timeout') or the parent aborts, and `run`,
 * which settles as soon as it aborts whether or not the call honours the signal. One
 * controller, timer and listener per HTTP request rather than per call.
 */
export class Deadline {
  private readonly ac = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly aborted: Promise<never>;
  private readonly onParent: () => void;

  constructor(ms: number, private readonly parent: AbortSignal, listeners = 100) {
    // Every call of a batch may listen on this one signal (tx_send with wait does).
    setMaxListeners(listeners + 10, this.ac.signal);
    this.aborted = new Promise<never>((_, reject) => {
      this.ac.signal.addEventListener('abort', () => reject(this.ac.signal.reason), { once: true });
    });
    this.aborted.catch(() => undefined);
    this.onParent = () => this.ac.abort(parent.reason instanceof Error ? parent.reason : new CallAbortedError('request aborted'));
    this.timer = setTimeout(() => this.ac.abort(new AppError('timeout', `call timed out after ${ms} ms`)), ms);
    if (parent.aborted) this.onParent();
    else parent.addEventListener('abort', this.onParent, { once: true });
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  run<R>(fn: () => Promise<R>): Promise<R> {
    if (this.ac.signal.aborted) return Promise.reject(this.ac.signal.reason);
    return Promise.race([Promise.resolve().then(fn), this.aborted]);
  }

  done(): void {
    clearTimeout(this.timer);
    this.parent.removeEventListener('abort', this.onParent);
  }
}
