import { afterEach, describe, expect, it } from 'vitest';
import { AppError, ParamError } from '../../../src/util/errors.js';
import { params, uint } from '../../../src/rpc/index.js';
import { method, rawPost, start, stopAll } from './support.js';

afterEach(stopAll);

const echo = method('test_echo', async (p) => p, params({ n: uint() }));
const ping = method('test_ping', async () => 'pong');

describe('JSON-RPC envelope (SPEC §5, JSON-RPC 2.0)', () => {
  it('answers a call with jsonrpc, result and the same id', async () => {
    const s = await start({}, { methods: [ping] });
    const r = await s.post({ jsonrpc: '2.0', id: 'abc', method: 'test_ping' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.json).toEqual({ jsonrpc: '2.0', result: 'pong', id: 'abc' });
  });

  it('malformed JSON -> -32700 with id null, not fastify 400', async () => {
    const s = await start({}, { methods: [ping] });
    const r = await s.post('{"jsonrpc":"2.0",');
    expect(r.status).toBe(200);
    expect(r.json.error.code).toBe(-32700);
    expect(r.json.id).toBeNull();
  });

  it('empty body -> -32700', async () => {
    const s = await start({}, { methods: [ping] });
    expect((await s.post('')).json.error.code).toBe(-32700);
  });

  it('missing content type is accepted as JSON', async () => {
    const s = await start({}, { methods: [ping] });
    const r = await rawPost(s.url, { chunks: ['{"jsonrpc":"2.0","id":1,"method":"test_ping"}'] });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).result).toBe('pong');
  });

  it('application/json with charset and application/json-rpc are accepted', async () => {
    const s = await start({}, { methods: [ping] });
    for (const ct of ['application/json; charset=utf-8', 'application/json-rpc']) {
      const r = await s.post({ jsonrpc: '2.0', id: 1, method: 'test_ping' }, { 'content-type': ct });
      expect(r.json.result).toBe('pong');
    }
  });

  it('wrong content type -> 415 with a JSON-RPC error body', async () => {
    const s = await start({}, { methods: [ping] });
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await s.post({ jsonrpc: '2.0', id: 1, method: 'test_ping' }, { 'content-type': ct });
      expect(r.status).toBe(415);
      expect(r.json.error.code).toBe(-32600);
      expect(r.json.error.message).toMatch(/content type/);
    }
  });

  it('invalid request objects -> -32600, id echoed when valid, null otherwise', async () => {
    const s = await start({}, { methods: [ping] });
    expect((await s.post({ jsonrpc: '1.0', id: 7, method: 'test_ping' })).json).toMatchObject({ error: { code: -32600 }, id: 7 });
    expect((await s.post({ jsonrpc: '2.0', id: 7, method: 5 })).json).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/method/) }, id: 7 });
    expect((await s.post({ jsonrpc: '2.0', id: { x: 1 }, method: 'test_ping' })).json).toMatchObject({ error: { code: -32600 }, id: null });
    expect((await s.post({ jsonrpc: '2.0', id: 1, method: 'test_ping', params: 'x' })).json).toMatchObject({ error: { code: -32600 }, id: 1 });
    expect((await s.post('5')).json).toMatchObject({ error: { code: -32600 }, id: null });
  });

  it('unknown method -> -32601', async () => {
    const s = await start({}, { methods: [ping] });
    const r = await s.call('chain_nope');
    expect(r.error.code).toBe(-32601);
    expect(r.error.message).toContain('chain_nope');
  });

  it('positional params -> -32602 naming params', async () => {
    const s = await start({}, { methods: [echo] });
    const r = await s.call('test_echo', [1]);
    expect(r.error.code).toBe(-32602);
    expect(r.error.message).toMatch(/params must be an object of named params/);
    expect(r.error.data).toEqual({ field: 'params' });
  });

  it('wrong param type and unknown param -> -32602 naming the param', async () => {
    const s = await start({}, { methods: [echo] });
    expect((await s.call('test_echo', { n: 'x' })).error).toEqual({ code: -32602, message: 'invalid params: n must be an integer >= 0', data: { field: 'n' } });
    expect((await s.call('test_echo', { n: -1 })).error.message).toBe('invalid params: n must be an integer >= 0');
    expect((await s.call('test_echo', { n: 1, foo: 2 })).error).toEqual({ code: -32602, message: 'invalid params: unknown param "foo"', data: { field: 'foo' } });
    expect((await s.call('test_echo', { n: 2 })).result).toEqual({ n: 2 });
    expect((await s.call('test_echo')).result).toEqual({});
  });
});

describe('error mapping', () => {
  const failing = [
    method('test_param', async () => { throw new ParamError('tx.payload.purpose', 'must be one of TREAT, ETREAT'); }),
    method('test_app', async () => { throw new AppError('nonce_too_low', 'nonce 3 already used', { expected: 4 }); }),
    method('test_boom', async () => { throw new Error('db handle /var/lib/secret exploded'); }),
    method('test_sync', (() => { throw new Error('sync throw'); }) as never),
  ];

  it('ParamError -> -32602 "invalid params: <field>: <problem>" with data.field', async () => {
    const s = await start({}, { methods: failing });
    expect((await s.call('test_param')).error).toEqual({
      code: -32602, message: 'invalid params: tx.payload.purpose: must be one of TREAT, ETREAT', data: { field: 'tx.payload.purpose' },
    });
  });

  it('AppError -> -32000 with data.reason and its data', async () => {
    const s = await start({}, { methods: failing });
    expect((await s.call('test_app')).error).toEqual({ code: -32000, message: 'nonce 3 already used', data: { reason: 'nonce_too_low', expected: 4 } });
  });

  it('anything else -> -32603 "internal error", stack logged at error, nothing leaked', async () => {
    const s = await start({}, { methods: failing });
    for (const m of ['test_boom', 'test_sync']) {
      const r = await s.post({ jsonrpc: '2.0', id: 1, method: m });
      expect(r.json.error).toEqual({ code: -32603, message: 'internal error' });
      expect(r.text).not.toMatch(/secret|sync throw|at /);
    }
    const errs = s.log.lines().filter((l) => l.level === 50);
    expect(errs).toHaveLength(2);
    expect(errs[0]!.err.stack).toMatch(/exploded/);
    expect(errs[0]!.module).toBe('rpc');
  });
});

describe('batches', () => {
  it('empty batch -> single -32600', async () => {
    const s = await start({}, { methods: [ping] });
    const r = await s.post([]);
    expect(Array.isArray(r.json)).toBe(false);
    expect(r.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 }, id: null });
  });

  it('batch over maxBatch -> single -32600 error object', async () => {
    const s = await start({ maxBatch: 3 }, { methods: [ping] });
    const r = await s.post(Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'test_ping' })));
    expect(Array.isArray(r.json)).toBe(false);
    expect(r.json.error.code).toBe(-32600);
    expect(r.json.error.message).toMatch(/4 calls exceeds the limit of 3/);
    const ok = await s.post(Array.from({ length: 3 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'test_ping' })));
    expect(ok.json).toHaveLength(3);
  });

  it('default maxBatch is 100', async () => {
    const s = await start({}, { methods: [ping] });
    const r = await s.post(Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'test_ping' })));
    expect(r.json.error.code).toBe(-32600);
  });

  it('mixed batch: notifications run but get no entry; invalid entries get errors; order kept', async () => {
    const seen: unknown[] = [];
    const rec = method('test_rec', async (p) => { seen.push(p.v); return p.v; }, params({ v: uint() }));
    const s = await start({}, { methods: [rec] });
    const r = await s.post([
      { jsonrpc: '2.0', id: 1, method: 'test_rec', params: { v: 1 } },
      { jsonrpc: '2.0', method: 'test_rec', params: { v: 2 } },
      1,
      { jsonrpc: '2.0', id: 'x', method: 'nope_nope' },
      { jsonrpc: '2.0', id: null, method: 'test_rec', params: { v: 3 } },
    ]);
    expect(r.status).toBe(200);
    expect(r.json).toEqual([
      { jsonrpc: '2.0', result: 1, id: 1 },
      { jsonrpc: '2.0', error: expect.objectContaining({ code: -32600 }), id: null },
      { jsonrpc: '2.0', error: expect.objectContaining({ code: -32601 }), id: 'x' },
      { jsonrpc: '2.0', result: 3, id: null },
    ]);
    expect(seen.sort()).toEqual([1, 2, 3]);
  });

  it('all-notification batch and single notification -> 204, no body, still executed', async () => {
    let n = 0;
    const s = await start({}, { methods: [method('test_inc', async () => ++n)] });
    const r = await s.post([{ jsonrpc: '2.0', method: 'test_inc' }, { jsonrpc: '2.0', method: 'test_inc' }]);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const one = await s.post({ jsonrpc: '2.0', method: 'test_inc' });
    expect(one.status).toBe(204);
    expect(one.text).toBe('');
    const failing = await s.post({ jsonrpc: '2.0', method: 'nope_nope' });
    expect(failing.status).toBe(204);
    expect(n).toBe(3);
  });
});

describe('HTTP limits and routes', () => {
  it('body over the limit -> 413 with a JSON-RPC error body (content-length)', async () => {
    const s = await start({ bodyLimitBytes: 1024 }, { methods: [ping] });
    const r = await s.post({ jsonrpc: '2.0', id: 1, method: 'test_ping', params: { pad: 'x'.repeat(2000) } });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600, message: expect.stringMatching(/1024 bytes/) }, id: null });
  });

  it('body over the limit -> 413 also when chunked (no content-length)', async () => {
    const s = await start({ bodyLimitBytes: 1024 }, { methods: [ping] });
    const r = await rawPost(s.url, { headers: { 'content-type': 'application/json' }, chunks: ['[', ...Array.from({ length: 20 }, () => `"${'y'.repeat(100)}",`), '1]'] });
    expect(r.status).toBe(413);
  });

  it('GET / -> 405 Allow: POST; unknown path -> 404', async () => {
    const s = await start({}, { methods: [ping] });
    const r = await fetch(`${s.url}/`);
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
  });
});
