import { afterEach, describe, expect, it } from 'vitest';
import { bearerToken, isLoopbackHost, TokenTable } from '../../../src/rpc/auth.js';
import { createRpcServer } from '../../../src/rpc/index.js';
import { captureLogger, fakeApi, method, start, stopAll } from './support.js';

afterEach(stopAll);

const TOKENS = { 'reader-token-0123456789': ['chain'], 'admin-token-0123456789': ['*'], 'metrics-token-0123456789': ['metrics'] };
const auth = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
const table = [method('chain_thing', async () => 'chain'), method('tx_thing', async () => 'tx')];

describe('API tokens (SPEC §5 access)', () => {
  it('missing or unknown token -> HTTP 401 with -32000 unauthorized', async () => {
    const s = await start({ tokens: TOKENS }, { methods: table });
    for (const headers of [{}, auth('wrong'), { authorization: 'Basic abc' }]) {
      const r = await s.post({ jsonrpc: '2.0', id: 1, method: 'chain_thing' }, headers);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(r.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, data: { reason: 'unauthorized' } }, id: null });
    }
  });

  it('method outside the token namespaces -> -32000 unauthorized for that call only', async () => {
    const s = await start({ tokens: TOKENS }, { methods: table });
    const r = await s.post(
      [{ jsonrpc: '2.0', id: 1, method: 'chain_thing' }, { jsonrpc: '2.0', id: 2, method: 'tx_thing' }],
      auth('reader-token-0123456789'),
    );
    expect(r.status).toBe(200);
    expect(r.json[0]).toEqual({ jsonrpc: '2.0', result: 'chain', id: 1 });
    expect(r.json[1].error).toMatchObject({ code: -32000, data: { reason: 'unauthorized' } });
  });

  it('"*" token may call everything; rpc.discover is always allowed', async () => {
    const s = await start({ tokens: TOKENS }, { methods: table });
    expect((await s.call('tx_thing', undefined, auth('admin-token-0123456789'))).result).toBe('tx');
    const d = await s.call('rpc.discover', undefined, auth('metrics-token-0123456789'));
    expect(d.error).toBeUndefined();
    expect(d.result.openrpc).toBe('1.2.6');
  });

  it('handlers see the grant in ctx', async () => {
    let seen: unknown;
    const m = method('chain_ctx', async (_p, ctx) => { seen = { token: ctx.token, ns: ctx.namespaces && [...ctx.namespaces] }; return null; });
    const s = await start({ tokens: TOKENS }, { methods: [m] });
    await s.call('chain_ctx', {}, auth('reader-token-0123456789'));
    expect(seen).toEqual({ token: 'reader-token-0123456789', ns: ['chain'] });
    await s.call('chain_ctx', {}, auth('admin-token-0123456789'));
    expect(seen).toEqual({ token: 'admin-token-0123456789', ns: null });
  });

  it('/metrics needs a metrics or * token; /health stays open', async () => {
    const s = await start({ tokens: TOKENS }, { methods: table });
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: auth('reader-token-0123456789') })).status).toBe(403);
    expect((await fetch(`${s.url}/metrics`, { headers: auth('metrics-token-0123456789') })).status).toBe(200);
    expect((await fetch(`${s.url}/metrics`, { headers: auth('admin-token-0123456789') })).status).toBe(200);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('tokens never reach the log, even at debug', async () => {
    const s = await start({ tokens: TOKENS }, { methods: table });
    await s.call('chain_thing', {}, auth('reader-token-0123456789'));
    await s.call('tx_thing', {}, auth('reader-token-0123456789'));
    await s.call('chain_thing', {}, auth('admin-token-0123456789'));
    expect(s.log.lines().some((l) => l.msg === 'rpc call')).toBe(true);
    expect(s.log.text()).not.toMatch(/token-0123456789/);
  });

  it('non-loopback host without tokens: listen() refuses with a clear error', async () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'node1.example.org']) {
      const srv = createRpcServer({ host, port: 0 }, { methods: [], api: fakeApi(), logger: captureLogger().logger });
      await expect(srv.listen()).rejects.toThrow(/non-loopback address requires API tokens/);
      expect(srv.address).toBeNull();
    }
  });

  it('non-loopback host with tokens starts (and enforces them)', async () => {
    const srv = createRpcServer({ host: '0.0.0.0', port: 0, tokens: TOKENS }, { methods: table, api: fakeApi(), logger: captureLogger().logger });
    const { port } = await srv.listen();
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"chain_thing"}' });
      expect(r.status).toBe(401);
    } finally {
      await srv.close();
    }
  });

  it('bad token config is refused without echoing the token', async () => {
    const srv = createRpcServer({ tokens: { 'secret-abcdef': ['chian'] }, port: 0 }, { methods: [], api: fakeApi(), logger: captureLogger().logger });
    const err = await srv.listen().catch((e: Error) => e);
    expect((err as Error).message).toMatch(/unknown namespace "chian"/);
    expect((err as Error).message).not.toContain('secret-abcdef');
  });
});

describe('auth helpers', () => {
  it('isLoopbackHost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.org', '']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('bearerToken', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('TokenTable lookup', () => {
    const t = new TokenTable({ a: ['chain', 'tx'], b: ['*'] });
    expect([...t.lookup('a')!.namespaces!]).toEqual(['chain', 'tx']);
    expect(t.lookup('b')!.namespaces).toBeNull();
    expect(t.lookup('c')).toBeUndefined();
    expect(t.lookup('')).toBeUndefined();
    expect(() => new TokenTable({ '': ['chain'] })).toThrow(/empty/);
  });
});
