/** Minimal JSON-RPC client for the CLI and scripts. */
export class RpcCallError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
    this.name = 'RpcCallError';
  }
}

export class RpcClient {
  private id = 0;
  constructor(readonly url: string, private readonly token?: string) {}

  async call<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }) });
    } catch (err) {
      throw new Error(`cannot reach the node at ${this.url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } };
    if (body.error) throw new RpcCallError(body.error.code, body.error.message, body.error.data);
    return body.result as T;
  }
}
