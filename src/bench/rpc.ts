/** JSON-RPC over fetch for the bench's own calls (setup, follower, checks). */

export interface RpcError { code: number; message: string; data?: { reason?: string } & Record<string, unknown> }
export type RpcResponse<T = any> = { id: number; result?: T; error?: RpcError };

export class BenchRpcError extends Error {
  constructor(readonly url: string, readonly method: string, readonly error: RpcError) {
    super(`${method} on ${url}: RPC error ${error.code} ${error.message}${error.data?.reason ? ` (${error.data.reason})` : ''}`);
    this.name = 'BenchRpcError';
  }
}

async function post(url: string, body: string, signal?: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(signal ? { signal } : {}) });
  } catch (err) {
    const e = err as Error & { cause?: Error };
    throw new Error(`cannot reach the node at ${url}: ${e.cause?.message ?? e.message}`);
  }
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${url} answered with invalid JSON: ${text.slice(0, 200)}`);
  }
}

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
  for (const x of r as RpcResponse[]) out[x.id] = x;
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
