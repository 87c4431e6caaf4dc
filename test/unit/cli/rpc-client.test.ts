import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcCallError, RpcClient } from '../../../src/cli/rpc-client.js';
import { readKeyFile } from '../../../src/node/keyfile.js';

describe('RpcClient', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
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
