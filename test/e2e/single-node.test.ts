import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '../../src/chain/ed25519.js';
import { call, rpc, startNodeProc, tempDir, type NodeProc } from '../support/node-proc.js';
import { homeKey, tx } from '../support/keys.js';

/** One real dev node process, exercised through every foundation RPC method and the bad inputs. */
describe('single-node dev chain (real process)', () => {
  let node: NodeProc;
  let cwd: string;
  let home: string;
  let url: string;
  const chainId = 'medledger-dev';

  beforeAll(async () => {
    cwd = tempDir();
    home = join(cwd, '.medledger');
    node = await startNodeProc(['--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--log-level', 'warn'], { cwd });
    url = node.rpcUrl;
  });

  afterAll(async () => {
    const code = await node?.stop();
    expect(code).toBe(0);
  });

  it('creates ./.medledger with genesis and key files (0600) and prints them', () => {
    for (const f of ['genesis.json', 'keys/admin.json', 'keys/authority.json', 'node-key.json']) expect(existsSync(join(home, f))).toBe(true);
    expect(statSync(join(home, 'keys/admin.json')).mode & 0o777).toBe(0o600);
    expect(node.stdout()).toContain(join(home, 'keys', 'admin.json'));
    expect(node.stdout()).toContain(join(home, 'keys', 'authority.json'));
    expect(node.stdout()).toMatch(/RPC: http:\/\/127\.0\.0\.1:\d+/);
  });

  it('node_info, chain_head at genesis, chain_validators', async () => {
    const info = await call(url, 'node_info');
    expect(info).toMatchObject({ chainId, org: 'dev', height: 0, peers: [], authority: homeKey(home, 'authority').account });
    expect(info.nodeId).toMatch(/^12D3Koo/);
    const head = await call(url, 'chain_head');
    expect(head.header.height).toBe(0);
    expect(head.header.proposer).toBe('');
    const v = await call(url, 'chain_validators', {});
    expect(v.authorities).toEqual([{ account: homeKey(home, 'authority').account, org: 'dev', nodeId: info.nodeId }]);
  });

  it('tx_send with wait commits; chain_getBlock, chain_getTx and account_get agree', async () => {
    const admin = homeKey(home, 'admin');
    const patient = generateKeyPair();
    const t = tx(admin, chainId, 'member.register', 0, { account: patient.account, role: 'patient' });
    const sent = await call(url, 'tx_send', { tx: t, wait: true });
    expect(sent.receipt).toEqual({ status: 'ok' });
    const block = await call(url, 'chain_getBlock', { height: sent.height });
    expect(block.txs).toEqual([{ hash: sent.hash, tx: t }]);
    expect(block.commit).toMatchObject({ height: sent.height, blockHash: block.hash });
    expect(block.commit.signatures).toHaveLength(1);
    expect(await call(url, 'chain_getBlock', { hash: block.hash })).toEqual(block);
    expect(await call(url, 'chain_getBlock', { height: sent.height, txs: 'hashes' })).toEqual({ ...block, txs: [{ hash: sent.hash }] });
    expect(await call(url, 'chain_getBlock', { hash: block.hash, txs: 'full' })).toEqual(block);
    expect(await call(url, 'chain_getTx', { hash: sent.hash })).toEqual({ hash: sent.hash, tx: t, height: sent.height, index: 0, receipt: { status: 'ok' } });
    expect(await call(url, 'account_get', { account: patient.account })).toEqual({ account: patient.account, role: 'patient', org: null, nonce: 0, pendingNonce: 0, revoked: false });
    expect((await call(url, 'account_get', { account: admin.account })).nonce).toBe(1);
  });

  it('a future nonce waits in the mempool (pending view) until the gap fills', async () => {
    const admin = homeKey(home, 'admin');
    const { nonce } = await call(url, 'account_get', { account: admin.account });
    const later = tx(admin, chainId, 'member.register', nonce + 1, { account: generateKeyPair().account, role: 'clinician', name: 'Dr Two' });
    const { hash } = await call(url, 'tx_send', { tx: later });
    expect(await call(url, 'chain_getTx', { hash })).toEqual({ hash, tx: later, pending: true, height: null, receipt: null });
    const first = tx(admin, chainId, 'member.register', nonce, { account: generateKeyPair().account, role: 'clinician', name: 'Dr One' });
    await call(url, 'tx_send', { tx: first, wait: true });
    // The later tx is already pending or committed: sending it again is refused.
    expect((await rpc(url, 'tx_send', { tx: later })).error.data.reason).toMatch(/duplicate|nonce_too_low/);
    await expect.poll(async () => (await call(url, 'chain_getTx', { hash })).receipt?.status, { timeout: 10_000 }).toBe('ok');
  });

  it('a tx that breaks an execution rule is included as rejected and consumes only its nonce', async () => {
    const admin = homeKey(home, 'admin');
    const { nonce } = await call(url, 'account_get', { account: admin.account });
    const who = generateKeyPair().account;
    const a = tx(admin, chainId, 'member.register', nonce, { account: who, role: 'auditor', name: 'Audit' });
    const b = tx(admin, chainId, 'member.register', nonce + 1, { account: who, role: 'clinician', name: 'Again' });
    await call(url, 'tx_send', { tx: a });
    const rb = await call(url, 'tx_send', { tx: b, wait: true });
    expect(rb.receipt.status).toBe('rejected');
    expect(rb.receipt.error.code).toBe('account_exists');
    expect((await call(url, 'account_get', { account: who })).role).toBe('auditor');
    expect((await call(url, 'account_get', { account: admin.account })).nonce).toBe(nonce + 2);
  });

  it('gov.vote addOrg applies at once with one authority; the new admin can register members', async () => {
    const auth = homeKey(home, 'authority');
    const newAdmin = generateKeyPair();
    const r = await call(url, 'tx_send', { tx: tx(auth, chainId, 'gov.vote', 0, { proposal: { action: 'addOrg', org: 'north', name: 'North Hospital', admin: newAdmin.account } }), wait: true });
    expect(r.receipt.status).toBe('ok');
    expect(await call(url, 'account_get', { account: newAdmin.account })).toMatchObject({ role: 'admin', org: 'north' });
    const c = await call(url, 'tx_send', { tx: tx(newAdmin, chainId, 'member.register', 0, { account: generateKeyPair().account, role: 'clinician', name: 'N' }), wait: true });
    expect(c.receipt.status).toBe('ok');
  });

  it('refuses bad transactions with the SPEC error and data.reason, and never commits them', async () => {
    const admin = homeKey(home, 'admin');
    const { nonce } = await call(url, 'account_get', { account: admin.account });
    const ok = tx(admin, chainId, 'member.register', nonce, { account: generateKeyPair().account, role: 'patient' });
    const reason = async (t: unknown) => (await rpc(url, 'tx_send', { tx: t })).error;

    expect((await reason({ ...ok, sig: ok.sig.replace(/^./, ok.sig[0] === 'a' ? 'b' : 'a') })).data.reason).toBe('bad_signature');
    const stranger = generateKeyPair();
    expect((await reason(tx(stranger, chainId, 'member.register', 0, { account: generateKeyPair().account, role: 'patient' }))).data.reason).toBe('unknown_account');
    expect((await reason(tx(admin, 'other-chain', 'member.register', nonce, { account: generateKeyPair().account, role: 'patient' }))).data.reason).toBe('wrong_chain');
    expect((await reason(tx(admin, chainId, 'member.register', 0, { account: generateKeyPair().account, role: 'patient' }))).data.reason).toBe('nonce_too_low');
    expect((await reason(tx(admin, chainId, 'member.register', nonce + 5000, { account: generateKeyPair().account, role: 'patient' }))).data.reason).toBe('nonce_too_high');
    const wrongType = await reason({ ...ok, nonce: 'one' });
    expect(wrongType.code).toBe(-32602);
    expect(wrongType.message).toContain('tx.nonce');
    const patientWithName = await reason(tx(admin, chainId, 'member.register', nonce, { account: generateKeyPair().account, role: 'patient', name: 'Jane Doe' }));
    expect(patientWithName.code).toBe(-32602);
    expect(patientWithName.message).toContain('tx.payload.name');
    const unknownField = await reason({ ...ok, extra: 1 });
    expect(unknownField.code).toBe(-32602);
    const big = await reason(tx(admin, chainId, 'member.register', nonce, { account: generateKeyPair().account, role: 'clinician', name: 'x'.repeat(128), pad: 'y'.repeat(70_000) }));
    expect([-32602, -32000]).toContain(big.code);

    expect(await call(url, 'tx_send', { tx: ok, wait: true })).toMatchObject({ receipt: { status: 'ok' } });
    expect((await reason(ok)).data.reason).toMatch(/nonce_too_low|duplicate/);
  });

  it('oversized tx (> 64 KiB JCS) is tx_too_large', async () => {
    const admin = homeKey(home, 'admin');
    const { nonce } = await call(url, 'account_get', { account: admin.account });
    const t = tx(admin, chainId, 'access.log', nonce, { recordId: 'dev:' + 'a'.repeat(120), action: 'read', purpose: 'TREAT', onBehalfOf: 'x', reason: 'other', emergency: true });
    const huge = { ...t, payload: { ...t.payload, recordId: 'dev:' + 'a'.repeat(70_000) } };
    const e = (await rpc(url, 'tx_send', { tx: huge })).error;
    expect(e.data?.reason === 'tx_too_large' || e.code === -32602).toBe(true);
  });

  it('JSON-RPC protocol errors: parse, empty batch, unknown method, params, batch, notification, 413', async () => {
    const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await (await post('{"jsonrpc":')).json()).error.code).toBe(-32700);
    expect((await (await post('[]')).json()).error.code).toBe(-32600);
    expect((await rpc(url, 'no_such_method')).error.code).toBe(-32601);
    const bad = await rpc(url, 'chain_getBlock', { height: 'ten' });
    expect(bad.error.code).toBe(-32602);
    expect(bad.error.message).toContain('height');
    const batch = await (await post(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'chain_head' }, { jsonrpc: '2.0', method: 'chain_head' }, { jsonrpc: '2.0', id: 2, method: 'nope' }]))).json();
    expect(batch).toHaveLength(2);
    const note = await post(JSON.stringify({ jsonrpc: '2.0', method: 'chain_head' }));
    expect(note.status).toBe(204);
    const tooBig = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'node_info', params: { pad: 'x'.repeat(1_100_000) } }));
    expect(tooBig.status).toBe(413);
    const many = await (await post(JSON.stringify(Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'chain_head' }))))).json();
    expect(many.error.code).toBe(-32600);
    expect((await call(url, 'chain_head')).header.chainId).toBe(chainId);
  });

  it('not_found errors for unknown block, tx and account', async () => {
    expect((await rpc(url, 'chain_getBlock', { height: 999_999 })).error.data.reason).toBe('not_found');
    expect((await rpc(url, 'chain_getTx', { hash: 'ab'.repeat(32) })).error.data.reason).toBe('not_found');
    expect((await rpc(url, 'account_get', { account: 'cd'.repeat(32) })).error.data.reason).toBe('not_found');
  });

  it('rpc.discover lists every method; /health and /metrics answer', async () => {
    const doc = await call(url, 'rpc.discover');
    const names = doc.methods.map((m: { name: string }) => m.name);
    for (const m of ['node_info', 'chain_head', 'chain_getBlock', 'chain_getTx', 'chain_validators', 'tx_send', 'account_get']) expect(names).toContain(m);
    const h = await fetch(url.replace(/\/?$/, '/health'));
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: 'ok', syncing: false, peers: 0 });
    const m = await (await fetch(url.replace(/\/?$/, '/metrics'))).text();
    expect(m).toMatch(/medledger_chain_height \d+/);
    expect(m).toContain('medledger_rpc_requests_total');
    // The blocks committed by the tests above were timed, phase by phase.
    expect(m).toMatch(/medledger_heights_timed_total [1-9]\d*/);
    for (const p of ['wait', 'propose', 'prevote', 'precommit', 'commit']) expect(m).toMatch(new RegExp(`medledger_height_phase_seconds_total\\{phase="${p}"\\} \\d`));
  });
});
