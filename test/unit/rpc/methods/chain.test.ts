import { afterEach, describe, expect, it } from 'vitest';
import { AppError, ParamError } from '../../../../src/util/errors.js';
import { chainMethods, type NodeApi } from '../../../../src/rpc/index.js';
import { H, fakeApi, header, start, stopAll, tx } from '../support.js';

afterEach(stopAll);

async function withApi(over: Partial<NodeApi> = {}) {
  const api = fakeApi(over);
  const s = await start({}, { methods: chainMethods(api), api });
  return { api, s };
}

describe('chain methods (SPEC §5)', () => {
  it('node_info and chain_head pass results through', async () => {
    const { s, api } = await withApi();
    expect((await s.call('node_info')).result).toMatchObject({ chainId: 'medledger-dev', peers: [], authority: null });
    expect((await s.call('chain_head', {})).result).toEqual({ hash: H('9'), header });
    expect(api.chainHead).toHaveBeenLastCalledWith(undefined);
    expect((await s.call('chain_head', { height: 1 })).error.message).toBe('invalid params: unknown param "height"');
  });

  it('chain_head {after, waitMs}: a long poll, waitMs defaulting to and capped at 30 s, and only with after', async () => {
    const { s, api } = await withApi();
    expect((await s.call('chain_head', { after: 7 })).result).toEqual({ hash: H('9'), header });
    expect(api.chainHead).toHaveBeenLastCalledWith({ after: 7, waitMs: 30_000, signal: expect.any(AbortSignal) });
    await s.call('chain_head', { after: 0, waitMs: 0 });
    expect(api.chainHead).toHaveBeenLastCalledWith({ after: 0, waitMs: 0, signal: expect.any(AbortSignal) });
    const bad = async (p: Record<string, unknown>): Promise<unknown> => (await s.call('chain_head', p)).error;
    expect(await bad({ waitMs: 100 })).toEqual({ code: -32602, message: 'invalid params: waitMs needs "after"', data: { field: 'waitMs' } });
    expect(await bad({ after: 1, waitMs: 30_001 })).toEqual({ code: -32602, message: 'invalid params: waitMs must be an integer from 0 to 30000', data: { field: 'waitMs' } });
    expect(await bad({ after: 1, waitMs: -1 })).toMatchObject({ message: 'invalid params: waitMs must be an integer from 0 to 30000' });
    expect(await bad({ after: 1.5 })).toMatchObject({ message: 'invalid params: after must be an integer >= 0' });
    expect(await bad({ after: '3' })).toMatchObject({ message: 'invalid params: after must be an integer >= 0' });
    expect(api.chainHead).toHaveBeenCalledTimes(2);
  });

  it('chain_getBlock: {height} xor {hash}', async () => {
    const { s, api } = await withApi();
    expect((await s.call('chain_getBlock', { height: 0 })).result.hash).toBe(H('9'));
    expect(api.getBlock).toHaveBeenLastCalledWith({ height: 0 }, undefined);
    await s.call('chain_getBlock', { hash: H('9') });
    expect(api.getBlock).toHaveBeenLastCalledWith({ hash: H('9') }, undefined);
    await s.call('chain_getBlock', { height: 2, txs: 'hashes' });
    expect(api.getBlock).toHaveBeenLastCalledWith({ height: 2 }, 'hashes');
    await s.call('chain_getBlock', { hash: H('9'), txs: 'full' });
    expect(api.getBlock).toHaveBeenLastCalledWith({ hash: H('9') }, 'full');
    expect((await s.call('chain_getBlock', { height: 2, txs: 'ids' })).error).toEqual({ code: -32602, message: 'invalid params: txs must be "full" or "hashes"', data: { field: 'txs' } });
    expect((await s.call('chain_getBlock', { txs: 'hashes' })).error.message).toBe('invalid params: exactly one of "height", "hash" is required');
    const both = await s.call('chain_getBlock', { height: 1, hash: H('9') });
    expect(both.error).toEqual({ code: -32602, message: 'invalid params: exactly one of "height", "hash" is required', data: { field: 'params' } });
    expect((await s.call('chain_getBlock', {})).error.message).toBe('invalid params: exactly one of "height", "hash" is required');
    expect((await s.call('chain_getBlock', { height: -1 })).error.message).toBe('invalid params: height must be an integer >= 0');
    expect((await s.call('chain_getBlock', { height: 1.5 })).error.message).toBe('invalid params: height must be an integer >= 0');
    expect((await s.call('chain_getBlock', { height: '1' })).error.message).toBe('invalid params: height must be an integer >= 0');
    expect((await s.call('chain_getBlock', { hash: 'AB'.repeat(32) })).error.message).toBe('invalid params: hash must be 64 lowercase hex characters');
    expect((await s.call('chain_getBlock', { hash: H('9'), foo: 1 })).error.message).toBe('invalid params: unknown param "foo"');
  });

  it('chain_getBlock not_found -> -32000 reason not_found', async () => {
    const { s } = await withApi({ getBlock: async () => { throw new AppError('not_found', 'no block at height 99'); } });
    expect((await s.call('chain_getBlock', { height: 99 })).error).toEqual({ code: -32000, message: 'no block at height 99', data: { reason: 'not_found' } });
  });

  it('chain_getTx: hash required and 64 hex; committed and pending views', async () => {
    const pending = { hash: H('8'), tx, pending: true as const, height: null, receipt: null };
    const { s } = await withApi({ getTx: async () => pending });
    expect((await s.call('chain_getTx', {})).error).toEqual({ code: -32602, message: 'invalid params: missing required param "hash"', data: { field: 'hash' } });
    expect((await s.call('chain_getTx', { hash: H('8').slice(1) })).error.message).toBe('invalid params: hash must be 64 lowercase hex characters');
    expect((await s.call('chain_getTx', { hash: 5 })).error.message).toBe('invalid params: hash must be 64 lowercase hex characters');
    expect((await s.call('chain_getTx', { hash: H('8') })).result).toEqual(pending);
  });

  it('chain_validators: optional height', async () => {
    const { s, api } = await withApi();
    expect((await s.call('chain_validators')).result.height).toBe(3);
    expect(api.validators).toHaveBeenLastCalledWith(undefined);
    expect((await s.call('chain_validators', { height: 1 })).result.height).toBe(1);
    expect((await s.call('chain_validators', { height: null })).error.message).toBe('invalid params: height must be an integer >= 0');
  });

  it('tx_send: tx object required, wait boolean; passes wait and the call signal', async () => {
    const { s, api } = await withApi();
    expect((await s.call('tx_send', { tx })).result).toEqual({ hash: H('8') });
    const [raw, opts] = (api.sendTx as any).mock.lastCall;
    expect(raw).toEqual(tx);
    expect(opts.wait).toBe(false);
    expect(opts.signal).toBeInstanceOf(AbortSignal);
    await s.call('tx_send', { tx, wait: true });
    expect((api.sendTx as any).mock.lastCall[1].wait).toBe(true);
    expect((await s.call('tx_send', {})).error.message).toBe('invalid params: missing required param "tx"');
    expect((await s.call('tx_send', { tx: 'abc' })).error.message).toBe('invalid params: tx must be a transaction object');
    expect((await s.call('tx_send', { tx: [] })).error.message).toBe('invalid params: tx must be a transaction object');
    expect((await s.call('tx_send', { tx, wait: 'yes' })).error.message).toBe('invalid params: wait must be true or false');
  });

  it('tx_send: ParamError from admission names the nested field', async () => {
    const { s } = await withApi({ sendTx: async () => { throw new ParamError('tx.payload.purpose', 'must be one of TREAT, ETREAT, ...'); } });
    expect((await s.call('tx_send', { tx })).error).toEqual({
      code: -32602, message: 'invalid params: tx.payload.purpose: must be one of TREAT, ETREAT, ...', data: { field: 'tx.payload.purpose' },
    });
  });

  it('tx_send wait time-out -> -32000 timeout with the hash', async () => {
    const { s } = await withApi({ sendTx: async () => { throw new AppError('timeout', 'tx not committed within 30 s', { hash: H('8') }); } });
    expect((await s.call('tx_send', { tx, wait: true })).error).toEqual({
      code: -32000, message: 'tx not committed within 30 s', data: { reason: 'timeout', hash: H('8') },
    });
  });

  it('account_get: account is 64 hex', async () => {
    const { s } = await withApi();
    expect((await s.call('account_get', { account: H('a') })).result).toEqual({ account: H('a'), role: 'admin', org: 'dev', nonce: 1, pendingNonce: 2, revoked: false });
    expect((await s.call('account_get', { account: 'xyz' })).error.message).toBe('invalid params: account must be 64 lowercase hex characters');
  });
});

describe('rpc.discover (OpenRPC 1.2.6)', () => {
  it('lists every method with by-name params from the same table', async () => {
    const { s, api } = await withApi();
    const doc = (await s.call('rpc.discover')).result;
    expect(doc.openrpc).toBe('1.2.6');
    expect(doc.info).toMatchObject({ title: 'medledger', version: '0.1.0' });
    const names = doc.methods.map((m: any) => m.name);
    expect(names).toEqual([...chainMethods(api).map((m) => m.name), 'rpc.discover']);
    for (const m of doc.methods) {
      expect(m.paramStructure).toBe('by-name');
      expect(typeof m.summary).toBe('string');
      expect(m.result).toMatchObject({ name: expect.any(String), schema: expect.any(Object) });
    }
    const byName = Object.fromEntries(doc.methods.map((m: any) => [m.name, m]));
    expect(byName.chain_getBlock.params.map((p: any) => [p.name, p.required])).toEqual([['height', false], ['hash', false], ['txs', false]]);
    expect(byName.chain_getBlock.description).toMatch(/exactly one of: height, hash/);
    expect(byName.chain_getTx.params).toEqual([expect.objectContaining({ name: 'hash', required: true, schema: expect.objectContaining({ pattern: '^[0-9a-f]{64}$' }) })]);
    expect(byName.tx_send.params.map((p: any) => [p.name, p.required])).toEqual([['tx', true], ['wait', false]]);
    expect(byName.chain_validators.params.map((p: any) => [p.name, p.required])).toEqual([['height', false]]);
    expect(byName.node_info.params).toEqual([]);
    expect(byName.chain_getBlock.examples[0].params).toEqual([{ name: 'height', value: 0 }]);
  });
});
