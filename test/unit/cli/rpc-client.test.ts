import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJsonRpc, RpcCallError, RpcClient } from '../../../src/cli/rpc-client.js';
import { readKeyFile } from '../../../src/node/keyfile.js';

describe('RpcClient', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/echo') {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ body, auth: req.headers.authorization ?? null, length: req.headers['content-length'] })));
        return;
      }
      if (req.url === '/slow') return; // never answers
      if (req.url === '/html') {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<!DOCTYPE html><p>bad gateway</p>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'method not found' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('accepts HOST:PORT as start --rpc takes it, and maps JSON-RPC errors', async () => {
    const c = new RpcClient(`127.0.0.1:${port}`);
    expect(c.url).toBe(`http://127.0.0.1:${port}`);
    await expect(c.call('nope')).rejects.toBeInstanceOf(RpcCallError);
  });

  it('sends the body byte for byte (non-ASCII too) with its length and the bearer token', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { name: 'Zoë €' } });
    const r = (await postJsonRpc(`http://127.0.0.1:${port}/echo`, body, { token: 't0k' })) as { body: string; auth: string; length: string };
    expect(r).toEqual({ body, auth: 'Bearer t0k', length: String(Buffer.byteLength(body)) });
  });

  it('an abort signal ends a request that gets no answer; an unreachable node says so', async () => {
    const ac = new AbortController();
    const p = postJsonRpc(`http://127.0.0.1:${port}/slow`, '{}', { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toThrow(/abort/i);
    await expect(postJsonRpc('http://127.0.0.1:9', '{}')).rejects.toThrow(/cannot reach the node at http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/);
  });

  it('a reply that is not JSON-RPC is a clear error naming the status', async () => {
    await expect(new RpcClient(`http://127.0.0.1:${port}/html`).call('x')).rejects.toThrow(/answered HTTP 502 with something that is not JSON-RPC/);
  });
});

describe('readKeyFile', () => {
  it('a path that cannot be read says why, not "not valid JSON"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-key-'));
    expect(() => readKeyFile(dir)).toThrow(/cannot be read \(EISDIR\)/);
    expect(() => readKeyFile(join(dir, 'missing.json'))).toThrow(/not found/);
  });
});
