/** Test helpers for the RPC module: a capturing logger, a fake NodeApi, a server on 127.0.0.1:0. */
import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { vi } from 'vitest';
import type { Logger } from '../../../src/util/logger.js';
import { createRpcServer, type NodeApi, type RpcMethod, type RpcOptions, type RpcServer } from '../../../src/rpc/index.js';
import type { Header, Tx } from '../../../src/chain/types.js';

export const H = (c: string): string => c.repeat(64);

export interface CapturedLogger {
  logger: Logger;
  lines: () => Record<string, any>[];
  text: () => string;
}

export function captureLogger(): CapturedLogger {
  const out: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l)), text: () => out.join('') };
}

export const header: Header = {
  chainId: 'medledger-dev', height: 3, prevHash: H('1'), time: 1_700_000_000_000, txRoot: H('2'), stateRoot: H('3'),
  proposer: H('4'), validatorsHash: H('5'), nextValidatorsHash: H('5'),
};

export const tx: Tx = { chainId: 'medledger-dev', type: 'consent.revoke', from: H('a'), nonce: 0, payload: { consentId: H('b') }, sig: 'c'.repeat(128) };

export function fakeApi(over: Partial<NodeApi> = {}): NodeApi {
  const api: NodeApi = {
    nodeInfo: vi.fn(async () => ({ chainId: 'medledger-dev', nodeId: '12D3KooWtest', org: 'dev', version: '0.1.0', height: 3, peers: [], authority: null })),
    chainHead: vi.fn(async () => ({ hash: H('9'), header })),
    getBlock: vi.fn(async () => ({ hash: H('9'), header, txs: [{ hash: H('8'), tx }], commit: { height: 3, round: 0, blockHash: H('9'), signatures: [] } })),
    getTx: vi.fn(async (hash: string) => ({ hash, tx, height: 3, index: 0, receipt: { status: 'ok' as const } })),
    validators: vi.fn(async (height?: number) => ({ height: height ?? 3, authorities: [{ account: H('4'), org: 'dev', nodeId: '12D3KooWtest' }] })),
    sendTx: vi.fn(async () => ({ hash: H('8') })),
    getAccount: vi.fn(async (account: string) => ({ account, role: 'admin' as const, org: 'dev', nonce: 1, pendingNonce: 2, revoked: false })),
    health: vi.fn(async () => ({ healthy: true, body: { status: 'ok', height: 3, peers: 0, lastBlockAgeMs: 10, syncing: false } })),
    metrics: vi.fn(() => '# TYPE medledger_chain_height gauge\nmedledger_chain_height 3\n'),
  };
  return Object.assign(api, over);
}

export interface Running {
  server: RpcServer;
  url: string;
  log: CapturedLogger;
  /** POST / with a JSON body (string bodies are sent verbatim). */
  post: (body: unknown, headers?: Record<string, string>) => Promise<{ status: number; headers: Headers; text: string; json: any }>;
  /** Single call helper: returns the parsed response object. */
  call: (method: string, params?: unknown, headers?: Record<string, string>) => Promise<any>;
}

const started: RpcServer[] = [];

export async function start(
  opts: Partial<RpcOptions> = {},
  deps: { methods?: RpcMethod[]; api?: Pick<NodeApi, 'health' | 'metrics'> } = {},
): Promise<Running> {
  const log = captureLogger();
  const server = createRpcServer({ port: 0, ...opts }, { methods: deps.methods ?? [], api: deps.api ?? fakeApi(), logger: log.logger, version: '0.1.0' });
  const { port } = await server.listen();
  started.push(server);
  const url = `http://127.0.0.1:${port}`;
  const post: Running['post'] = async (body, headers = {}) => {
    const res = await fetch(`${url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json };
  };
  const call: Running['call'] = async (method, params, headers) =>
    (await post({ jsonrpc: '2.0', id: 1, method, ...(params === undefined ? {} : { params }) }, headers)).json;
  return { server, url, log, post, call };
}

export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.close()));
}

/** Raw HTTP POST with node:http (for chunked bodies and client aborts). */
export function rawPost(url: string, opts: { headers?: Record<string, string>; chunks: string[] }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/`, { method: 'POST', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const c of opts.chunks) req.write(c);
    req.end();
  });
}

/** A one-method table for dispatcher tests. */
export function method(name: string, handler: RpcMethod['handler'], paramsSchema?: RpcMethod['params']): RpcMethod {
  return {
    name,
    summary: `test method ${name}`,
    params: paramsSchema ?? { type: 'object', properties: {}, additionalProperties: false },
    result: {},
    handler,
  };
}
