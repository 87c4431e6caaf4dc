/** JSON-RPC for the bench's own calls (setup, follower, checks), over the CLI's transport. */
import { postJsonRpc } from '../cli/rpc-client.js';

export interface RpcError { code: number; message: string; data?: { reason?: string } & Record<string, unknown> }
export type RpcResponse<T = any> = { id: number; result?: T; error?: RpcError };

export class BenchRpcError extends Error {
  constructor(readonly url: string, readonly method: string, readonly error: RpcError) {
    super(`${method} on ${url}: RPC error ${error.code} ${error.message}${error.data?.reason ? ` (${error.data.reason})` : ''}`);
    this.name = 'BenchRpcError';
  }
}

const post = (url: string, body: string, signal?: AbortSignal): Promise<unknown> => postJsonRpc(url, body, signal ? { signal } : {});

export async function rpcCall<T = any>(url: string, method: string, params: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
  const r = (await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), signal)) as RpcResponse<T>;
  if (r.error) throw new BenchRpcError(url, method, r.error);
  return r.result as T;
}

/** One batch request; responses in the order of `calls` (matched by id). */
export async function rpcBatch(url: string, calls: Array<{ method: string; params: Record<string, unknown> }>, signal?: AbortSignal): Promise<RpcResponse[]> {
  if (calls.length === 0) return [];
  const body = JSON.stringify(calls.map((c, i) => ({ jsonrpc: '2.0', id: i, method: c.method, params: c.params })));
  const r = await post(url, body, signal);
  if (!Array.isArray(r)) throw new BenchRpcError(url, 'batch', (r as RpcResponse).error ?? { code: 0, message: 'not a batch response' });
  const out: RpcResponse[] = new Array(calls.length);
  for (const x of r as RpcResponse[]) if (Number.isSafeInteger(x?.id) && x.id >= 0 && x.id < calls.length) out[x.id] = x;
  const missing = out.findIndex((x) => x === undefined);
  if (missing >= 0 || out.length !== calls.length) throw new Error(`batch response from ${url} lacks the response to call ${missing} (${calls[missing]?.method})`);
  return out;
}

export async function getText(url: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  const res = await fetch(url, signal ? { signal } : {});
  return { status: res.status, text: await res.text() };
}

/** Prometheus text exposition → value of each unlabelled sample (labelled samples keyed with their labels). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const s = line.trim();
    if (s === '' || s.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(s);
    if (!m) continue;
    const v = Number(m[2]);
    if (!Number.isNaN(v)) out.set(m[1]!, v);
  }
  return out;
}
