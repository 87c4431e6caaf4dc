import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRpcServer } from '../../../src/rpc/index.js';
import { captureLogger, fakeApi, method, start, stopAll } from './support.js';

afterEach(stopAll);

describe('GET /health', () => {
  it('200 with the body when healthy', async () => {
    const s = await start();
    const r = await fetch(`${s.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok', height: 3, peers: 0, lastBlockAgeMs: 10, syncing: false });
  });

  it('503 with the body when not healthy; 503 when the check throws', async () => {
    const body = { status: 'syncing', height: 1, peers: 1, lastBlockAgeMs: 99_000, syncing: true };
    const s = await start({}, { api: fakeApi({ health: async () => ({ healthy: false, body }) }) });
    const r = await fetch(`${s.url}/health`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual(body);
    const t = await start({}, { api: fakeApi({ health: async () => { throw new Error('x'); } }) });
    expect((await fetch(`${t.url}/health`)).status).toBe(503);
  });
});

describe('GET /metrics', () => {
  it('Prometheus text: request counter by method and code, duration histogram, node lines', async () => {
    const s = await start({}, { methods: [method('test_ping', async () => 'pong')] });
    await s.call('test_ping');
    await s.call('test_ping');
    await s.call('test_ping', { x: 1 });
    await s.call('evil_"\nmethod');
    const r = await fetch(`${s.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    expect(text).toContain('# TYPE medledger_rpc_requests_total counter');
    expect(text).toContain('medledger_rpc_requests_total{method="test_ping",code="ok"} 2');
    expect(text).toContain('medledger_rpc_requests_total{method="test_ping",code="-32602"} 1');
    expect(text).toContain('medledger_rpc_requests_total{method="unknown",code="-32601"} 1');
    expect(text).toContain('# TYPE medledger_rpc_request_duration_seconds histogram');
    expect(text).toContain('medledger_rpc_request_duration_seconds_bucket{method="test_ping",le="+Inf"} 3');
    expect(text).toContain('medledger_rpc_request_duration_seconds_count{method="test_ping"} 3');
    expect(text).toMatch(/medledger_rpc_request_duration_seconds_sum\{method="test_ping"\} [0-9.e-]+\n/);
    expect(text).toContain('medledger_chain_height 3\n');
    expect(text).not.toContain('evil');
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) \S+ .+|[a-z_]+(\{[^}]*\})? [0-9.e+-]+|[a-z_]+(\{[^}]*\})? \+Inf)$/);
    }
  });
});

describe('deadlines, aborts, shutdown', () => {
  it('per-call timeout -> -32000 timeout, ctx.signal aborted', async () => {
    let aborted = false;
    const slow = method('test_slow', (_p, ctx) => new Promise(() => { ctx.signal.addEventListener('abort', () => (aborted = true)); }));
    const s = await start({ requestTimeoutMs: 100 }, { methods: [slow] });
    const r = await s.call('test_slow');
    expect(r.error).toMatchObject({ code: -32000, data: { reason: 'timeout' } });
    expect(aborted).toBe(true);
  });

  it('client disconnect aborts ctx.signal', async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    let abortedWith!: (why: unknown) => void;
    const aborted = new Promise((r) => (abortedWith = r));
    const hang = method('test_hang', (_p, ctx) => new Promise(() => {
      ctx.signal.addEventListener('abort', () => abortedWith(ctx.signal.reason));
      entered();
    }));
    const s = await start({}, { methods: [hang] });
    const req = httpRequest(`${s.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end('{"jsonrpc":"2.0","id":1,"method":"test_hang"}');
    await inHandler;
    req.destroy();
    expect(String(await aborted)).toMatch(/client disconnected/);
  });

  it('close() aborts in-flight calls and resolves promptly', async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const hang = method('test_hang', () => new Promise(() => entered()));
    const s = await start({}, { methods: [hang] });
    const pending = s.post({ jsonrpc: '2.0', id: 1, method: 'test_hang' });
    await inHandler;
    const t0 = Date.now();
    await s.server.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    const r = await pending;
    expect(r.json.error).toMatchObject({ code: -32603, message: expect.stringMatching(/shutting down/) });
    expect(s.server.address).toBeNull();
  });

  it('busy port: listen() rejects saying the address is in use (EADDRINUSE)', async () => {
    const a = await start();
    const port = a.server.address!.port;
    const b = createRpcServer({ port }, { methods: [], api: fakeApi(), logger: captureLogger().logger });
    const err = (await b.listen().catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`rpc: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`);
    expect(err.code).toBe('EADDRINUSE');
    expect(b.address).toBeNull();
  });

  it('listen() twice is refused; close() is idempotent', async () => {
    const a = await start();
    await expect(a.server.listen()).rejects.toThrow(/already started/);
    await a.server.close();
    await a.server.close();
  });
});

describe('TLS', () => {
  let dir: string;
  let haveOpenssl = true;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medledger-rpc-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    } catch {
      haveOpenssl = false;
    }
    writeFileSync(join(dir, 'garbage.pem'), 'not a pem');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS when cert and key are configured', async (t) => {
    if (!haveOpenssl) t.skip();
    const srv = createRpcServer(
      { port: 0, tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } },
      { methods: [method('test_ping', async () => 'pong')], api: fakeApi(), logger: captureLogger().logger },
    );
    const { port } = await srv.listen();
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        });
        req.on('error', reject);
        req.end('{"jsonrpc":"2.0","id":1,"method":"test_ping"}');
      });
      expect(JSON.parse(body).result).toBe('pong');
    } finally {
      await srv.close();
    }
  });

  it('unreadable or invalid files -> clear listen() error', async () => {
    const mk = (certFile: string, keyFile: string) =>
      createRpcServer({ port: 0, tls: { certFile, keyFile } }, { methods: [], api: fakeApi(), logger: captureLogger().logger });
    await expect(mk(join(dir, 'missing.pem'), join(dir, 'key.pem')).listen()).rejects.toThrow(/cannot read TLS cert file ".*missing\.pem": ENOENT/);
    await expect(mk(join(dir, 'garbage.pem'), join(dir, 'garbage.pem')).listen()).rejects.toThrow(/TLS cert and key/);
  });
});

describe('a full batch whose calls all listen on the request signal', () => {
  it('raises no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => { warnings.push(w.name); };
    process.on('warning', onWarning);
    try {
      const listen = method('tx_listen', async (_p, ctx) => {
        const noop = (): void => undefined;
        ctx.signal.addEventListener('abort', noop);
        await new Promise((r) => setTimeout(r, 5));
        ctx.signal.removeEventListener('abort', noop);
        return true;
      });
      const s = await start({}, { methods: [listen] });
      const res = await s.post(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tx_listen' })));
      expect((res.json as unknown[]).length).toBe(100);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
