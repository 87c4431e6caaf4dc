import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Minimal JSON-RPC client for the CLI and scripts. */
export class RpcCallError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
    this.name = 'RpcCallError';
  }
}

/**
 * POSTs a JSON-RPC body (one request or a batch, already serialised) and returns the
 * parsed reply. A JSON reply is returned whatever the HTTP status (401 and 413 carry
 * JSON-RPC errors); an unreachable node or a reply that is not JSON is a clear Error.
 * The one transport of the CLI, the bench and its send workers: node:http(s) with the
 * global keep-alive agent (leaner per request than fetch, which the bench's senders
 * felt: they post ~20 batches a second each).
 */
export async function postJsonRpc(url: string, body: string, opts: { token?: string; signal?: AbortSignal } = {}): Promise<unknown> {
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: { status: number; text: string };
  try {
    res = await post(url, body, headers, opts.signal);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new Error(`cannot reach the node at ${url}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new Error(`the node at ${url} answered HTTP ${res.status} with something that is not JSON-RPC (${res.text.slice(0, 80).replace(/\s+/g, ' ')})`);
  }
  return parsed;
}

/** Parsed URLs by string: a sender posts to one URL ~20 times a second, and `new URL` showed in its profile. */
const targets = new Map<string, URL>();

function targetOf(url: string): URL {
  let t = targets.get(url);
  if (t === undefined) {
    t = new URL(url);
    if (targets.size >= 64) targets.clear();
    targets.set(url, t);
  }
  return t;
}

function post(url: string, body: string, headers: Record<string, string | number>, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = targetOf(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'POST', headers, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export class RpcClient {
  private id = 0;

  /** `url`: an http(s) URL, or HOST:PORT as `start --rpc` takes it. */
  constructor(url: string, private readonly token?: string) {
    this.url = /^https?:\/\//.test(url) ? url : `http://${url}`;
  }

  readonly url: string;

  async call<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const body = (await postJsonRpc(this.url, JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }), { token: this.token })) as {
      result?: T; error?: { code: number; message: string; data?: unknown };
    };
    if (body.error) throw new RpcCallError(body.error.code, body.error.message, body.error.data);
    return body.result as T;
  }
}
