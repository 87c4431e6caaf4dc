/**
 * The HTTP face of the RPC (SPEC §5): POST / (JSON-RPC 2.0), GET /health, GET /metrics.
 * Fastify is configured here only; JSON-RPC semantics live in dispatch.ts.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fastify, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../util/logger.js';
import { OPEN_GRANT, TokenTable, allows, bearerToken, isLoopbackHost, type Grant } from './auth.js';
import { Dispatcher, protocolErrorBody } from './dispatch.js';
import { CallAbortedError, RpcCode, appError } from './errors.js';
import type { NodeApi, RpcMethod } from './interface.js';
import { METRICS_CONTENT_TYPE, RpcMetrics } from './metrics.js';
import { resolveRpcOptions, type RpcOptions } from './options.js';
import { MethodRegistry } from './registry.js';

export interface RpcServerDeps {
  methods: RpcMethod[];
  api: Pick<NodeApi, 'health' | 'metrics'>;
  logger: Logger;
  /** Version shown in the OpenRPC document. */
  version?: string;
}

export interface RpcAddress {
  host: string;
  port: number;
}

export interface RpcServer {
  /** Starts listening; rejects with a clear Error (tokens required, TLS files, EADDRINUSE). */
  listen(): Promise<RpcAddress>;
  /** Aborts in-flight calls and stops; idempotent. */
  close(): Promise<void>;
  /** The bound address, null before listen() or after close(). */
  readonly address: RpcAddress | null;
}

/** JSON-RPC media types accepted on POST / (others get 415: a browser cannot send these cross-site without CORS preflight). */
const JSON_TYPES = new Set(['application/json', 'application/json-rpc', 'application/jsonrequest']);
const JSON_CT = 'application/json; charset=utf-8';

const pathOf = (url: string): string => url.split('?', 1)[0]!;

export function createRpcServer(options: Partial<RpcOptions>, deps: RpcServerDeps): RpcServer {
  const opts = resolveRpcOptions(options);
  const log = deps.logger.child({ module: 'rpc' });
  const registry = new MethodRegistry(deps.methods, deps.version ?? '0.0.0');
  const metrics = new RpcMetrics();
  const dispatcher = new Dispatcher({ registry, metrics, log, maxBatch: opts.maxBatch, callTimeoutMs: opts.requestTimeoutMs });
  const inflight = new Set<AbortController>();
  let app: FastifyInstance | null = null;
  let bound: RpcAddress | null = null;
  let closing: Promise<void> | null = null;

  function build(tokens: TokenTable | null, tls: { key: Buffer; cert: Buffer } | null): FastifyInstance {
    const grants = new WeakMap<FastifyRequest, Grant>();
    const serverOpts = { logger: false, bodyLimit: opts.bodyLimitBytes, requestTimeout: opts.requestTimeoutMs, ...(tls ? { https: tls } : {}) };
    const f = fastify(serverOpts as Parameters<typeof fastify>[0]) as unknown as FastifyInstance;

    // Bodies are read raw (bodyLimit enforced by fastify) and parsed by the dispatcher,
    // so a bad body becomes -32700, never fastify's own 400.
    f.removeAllContentTypeParsers();
    f.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    const deny = (reply: FastifyReply, status: number, message: string): FastifyReply => {
      const e = appError('unauthorized', message);
      if (status === 401) reply.header('www-authenticate', 'Bearer realm="medledger"');
      return reply.code(status).type(JSON_CT).send(protocolErrorBody(e.code, e.message, e.data));
    };

    f.addHook('onRequest', async (req, reply) => {
      const path = pathOf(req.url);
      if (path === '/health') return;
      if (tokens) {
        const token = bearerToken(req.headers.authorization);
        const grant = token === null ? undefined : tokens.lookup(token);
        if (!grant) return deny(reply, 401, token === null ? 'missing API token (Authorization: Bearer <token>)' : 'unknown API token');
        grants.set(req, grant);
      }
      if (req.method === 'POST' && path === '/') {
        const ct = req.headers['content-type'];
        const media = ct === undefined ? undefined : ct.split(';', 1)[0]!.trim().toLowerCase();
        if (media !== undefined && !JSON_TYPES.has(media)) {
          return reply.code(415).type(JSON_CT)
            .send(protocolErrorBody(RpcCode.invalidRequest, `invalid request: unsupported content type "${media.slice(0, 100)}"; use application/json`));
        }
      }
    });

    f.post('/', async (req, reply) => {
      const ac = new AbortController();
      inflight.add(ac);
      const onClose = (): void => {
        if (!reply.raw.writableFinished) ac.abort(new CallAbortedError('client disconnected'));
      };
      reply.raw.on('close', onClose);
      try {
        const out = await dispatcher.handle(typeof req.body === 'string' ? req.body : undefined, grants.get(req) ?? OPEN_GRANT, ac.signal);
        if (out.status === 204) return reply.code(204).send();
        return reply.code(200).type(JSON_CT).send(out.body);
      } finally {
        inflight.delete(ac);
        reply.raw.off('close', onClose);
      }
    });

    f.get('/health', async (_req, reply) => {
      try {
        const h = await deps.api.health();
        return reply.code(h.healthy ? 200 : 503).type(JSON_CT).send(JSON.stringify(h.body));
      } catch (err) {
        log.error({ err }, 'health check failed');
        return reply.code(503).type(JSON_CT).send(JSON.stringify({ status: 'error' }));
      }
    });

    f.get('/metrics', async (req, reply) => {
      if (tokens && !allows(grants.get(req) ?? OPEN_GRANT, 'metrics')) return deny(reply, 403, 'this API token may not read /metrics');
      let node = '';
      try {
        node = deps.api.metrics();
      } catch (err) {
        log.error({ err }, 'node metrics failed');
      }
      const text = metrics.render() + (node === '' || node.endsWith('\n') ? node : `${node}\n`);
      return reply.code(200).type(METRICS_CONTENT_TYPE).send(text);
    });

    f.setNotFoundHandler((req, reply) => {
      if (pathOf(req.url) === '/') {
        return reply.code(405).header('allow', 'POST').type(JSON_CT)
          .send(protocolErrorBody(RpcCode.invalidRequest, 'invalid request: JSON-RPC is served by POST /'));
      }
      return reply.code(404).type(JSON_CT).send(JSON.stringify({ error: 'not found' }));
    });

    f.setErrorHandler((err: FastifyError, _req, reply) => {
      const status = err.statusCode ?? 500;
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
        return reply.code(413).type(JSON_CT)
          .send(protocolErrorBody(RpcCode.invalidRequest, `invalid request: body exceeds the limit of ${opts.bodyLimitBytes} bytes`));
      }
      if (status >= 400 && status < 500) {
        const code = status === 400 ? RpcCode.parseError : RpcCode.invalidRequest;
        return reply.code(status).type(JSON_CT).send(protocolErrorBody(code, `${code === RpcCode.parseError ? 'parse error' : 'invalid request'}: ${err.message}`));
      }
      log.error({ err }, 'rpc http error');
      return reply.code(500).type(JSON_CT).send(protocolErrorBody(RpcCode.internal, 'internal error'));
    });
    return f;
  }

  async function listen(): Promise<RpcAddress> {
    if (app) throw new Error('rpc: server already started');
    const tokens = opts.tokens && Object.keys(opts.tokens).length > 0 ? new TokenTable(opts.tokens) : null;
    if (!tokens && !isLoopbackHost(opts.host)) {
      throw new Error(
        `rpc: refusing to listen on ${opts.host}:${opts.port}: a non-loopback address requires API tokens ` +
        '(configure rpc tokens in config.json), or listen on 127.0.0.1',
      );
    }
    const tls = opts.tls ? readTls(opts.tls.certFile, opts.tls.keyFile) : null;
    let f: FastifyInstance;
    try {
      f = build(tokens, tls);
    } catch (err) {
      throw new Error(`rpc: cannot create server${tls ? ' (check the TLS cert and key)' : ''}: ${(err as Error).message}`, { cause: err });
    }
    try {
      await f.listen({ host: opts.host, port: opts.port });
    } catch (err) {
      await f.close().catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'address already in use (EADDRINUSE)' : code === 'EACCES' ? 'permission denied (EACCES)' : (err as Error).message;
      const e = new Error(`rpc: cannot listen on ${opts.host}:${opts.port}: ${why}`, { cause: err });
      (e as NodeJS.ErrnoException).code = code;
      throw e;
    }
    app = f;
    const addr = f.server.address() as AddressInfo;
    bound = { host: opts.host, port: addr.port };
    log.info({ host: bound.host, port: bound.port, tls: tls !== null, tokens: tokens?.size ?? 0 }, 'rpc listening');
    return bound;
  }

  function close(): Promise<void> {
    if (!app) return Promise.resolve();
    if (!closing) {
      for (const ac of inflight) ac.abort(new CallAbortedError('server shutting down'));
      const f = app;
      closing = f.close().then(() => {
        app = null;
        bound = null;
        closing = null;
      });
    }
    return closing;
  }

  return {
    listen,
    close,
    get address() {
      return bound;
    },
  };
}

function readTls(certFile: string, keyFile: string): { key: Buffer; cert: Buffer } {
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`rpc: cannot read TLS ${what} file "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  };
  return { cert: read('cert', certFile), key: read('key', keyFile) };
}
