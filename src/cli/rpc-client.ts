/** Minimal JSON-RPC client for the CLI and scripts. */
export class RpcCallError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
    this.name = 'RpcCallError';
  }
}

export class RpcClient {
  private id = 0;
  /** `url`: an http(s) URL, or HOST:PORT as `start --rpc` takes it. */
  constructor(url: string, private readonly token?: string) {
    this.url = /^https?:\/\//.test(url) ? url : `http://${url}`;
  }

  readonly url: string;

  async call<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }) });
    } catch (err) {
      throw new Error(`cannot reach the node at ${this.url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let body: { result?: T; error?: { code: number; message: string; data?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`the node at ${this.url} answered HTTP ${res.status} with something that is not JSON-RPC (${text.slice(0, 80).replace(/\s+/g, ' ')})`);
    }
    if (typeof body !== 'object' || body === null) throw new Error(`the node at ${this.url} answered HTTP ${res.status} with something that is not JSON-RPC`);
    if (body.error) throw new RpcCallError(body.error.code, body.error.message, body.error.data);
    return body.result as T;
  }
}
