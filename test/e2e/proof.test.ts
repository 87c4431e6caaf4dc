import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/chain/ed25519.js';
import { call, rpc, runCli, startNodeProc, tempDir, waitFor, type NodeProc } from '../support/node-proc.js';
import { homeKey, tx } from '../support/keys.js';
import { createTestnet, type Testnet } from '../support/testnet.js';

type Json = any;

/** chain_getTxProof from a real dev node, checked offline by `medledger verify FILE --home HOME`. */
describe('chain_getTxProof + medledger verify (real processes)', () => {
  let node: NodeProc;
  let url: string;
  let home: string;
  let dir: string;
  let proof: Json;
  let sent: Json;
  const chainId = 'medledger-dev';

  beforeAll(async () => {
    dir = tempDir();
    home = join(dir, '.medledger');
    node = await startNodeProc(['--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--log-level', 'warn'], { cwd: dir });
    url = node.rpcUrl;
    const admin = homeKey(home, 'admin');
    // Five txs in one JSON-RPC batch land in one block, so the audit path is not trivial.
    const batch = Array.from({ length: 5 }, (_, n) => ({
      jsonrpc: '2.0', id: n, method: 'tx_send',
      params: { tx: tx(admin, chainId, 'member.register', n, { account: generateKeyPair().account, role: 'patient' }), wait: true },
    }));
    const res = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })).json()) as Json[];
    sent = res.find((r) => r.id === 2).result;
    proof = await call(url, 'chain_getTxProof', { hash: sent.hash });
  });

  afterAll(async () => {
    expect(await node?.stop()).toBe(0);
  });

  const write = (name: string, value: unknown): string => {
    const f = join(dir, name);
    writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    return f;
  };
  const verify = (file: string, extra: string[] = ['--home', home]) => runCli(['verify', file, ...extra]);
  const tampered = async (name: string, change: (p: Json) => void): Promise<{ code: number | null; stderr: string }> => {
    const p = structuredClone(proof);
    change(p);
    return verify(write(name, p));
  };

  it('the proof has the SPEC shape', async () => {
    const block = await call(url, 'chain_getBlock', { height: sent.height });
    expect(Object.keys(proof).sort()).toEqual(['authorityChanges', 'commit', 'header', 'height', 'index', 'path', 'treeSize', 'tx'].sort());
    expect(proof).toMatchObject({ height: sent.height, treeSize: block.txs.length, header: block.header, commit: block.commit, authorityChanges: [] });
    expect(block.txs[proof.index]).toEqual({ hash: sent.hash, tx: proof.tx });
    expect(proof.treeSize).toBeGreaterThan(1);
    expect(proof.path.length).toBeGreaterThan(0);
    for (const p of proof.path) expect(p).toMatch(/^[0-9a-f]{64}$/);
    expect((await rpc(url, 'chain_getTxProof', { hash: 'ab'.repeat(32) })).error.data.reason).toBe('not_found');
    expect((await rpc(url, 'chain_getTxProof', { hash: 'xyz' })).error.code).toBe(-32602);
  });

  it('medledger verify accepts the bare result and a whole JSON-RPC response (exit 0)', async () => {
    const bare = await verify(write('proof.json', proof));
    expect(bare.stderr).toBe('');
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe(`valid: tx ${sent.hash} at height ${sent.height}\n`);
    const whole = await verify(write('response.json', await rpc(url, 'chain_getTxProof', { hash: sent.hash })));
    expect(whole.code).toBe(0);
    expect(whole.stdout).toContain(`valid: tx ${sent.hash}`);
  });

  it('each tampered part fails with its reason (exit 1)', async () => {
    const cases: Array<[string, (p: Json) => void, RegExp]> = [
      ['tx-nonce', (p) => { p.tx.nonce += 1; }, /tx signature is invalid/],
      ['tx-payload', (p) => { p.tx.payload.role = 'clinician'; }, /tx signature is invalid/],
      ['tx-sig', (p) => { p.tx.sig = p.tx.sig.replace(/^./, (c: string) => (c === 'a' ? 'b' : 'a')); }, /tx signature is invalid/],
      ['path', (p) => { p.path[0] = p.path[0].replace(/^./, (c: string) => (c === '0' ? '1' : '0')); }, /path does not lead to header.txRoot/],
      ['index', (p) => { p.index = (p.index + 1) % p.treeSize; }, /path does not lead to header.txRoot/],
      ['tree-size', (p) => { p.treeSize = p.index; }, /index \d+ is not below treeSize \d+/],
      ['header-time', (p) => { p.header.time += 1; }, /header does not hash to commit.blockHash/],
      ['header-state', (p) => { p.header.stateRoot = '0'.repeat(64); }, /header does not hash to commit.blockHash/],
      ['commit-sig', (p) => { p.commit.signatures[0].sig = p.commit.signatures[0].sig.replace(/^./, (c: string) => (c === 'a' ? 'b' : 'a')); }, /commit: bad precommit signature/],
      ['no-quorum', (p) => { p.commit.signatures = []; }, /commit: 0 of 1 precommits, 1 needed/],
      ['forged-change', (p) => { p.authorityChanges = [{ header: p.header, commit: p.commit, authorities: [{ account: generateKeyPair().account, org: 'x', nodeId: 'y' }] }]; }, /authorityChanges\[0\]/],
      ['shape', (p) => { delete p.commit; }, /commit must be an object/],
    ];
    for (const [name, change, reason] of cases) {
      const r = await tampered(`${name}.json`, change);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(reason);
    }
  });

  it('another genesis, a file that is no proof, usage errors', async () => {
    const otherDir = tempDir();
    const other = await runCli(['init', '--home', join(otherDir, 'h'), '--chain-id', 'medledger-dev']);
    expect(other.code).toBe(0);
    const r = await verify(write('p2.json', proof), ['--home', join(otherDir, 'h')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/validatorsHash does not match the authority set/);

    const notJson = await verify(write('garbage.json', 'not json'));
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/not valid JSON/);
    const errorResponse = await verify(write('err.json', { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'no tx' } }));
    expect(errorResponse.code).toBe(1);
    expect(errorResponse.stderr).toMatch(/JSON-RPC error response/);
    expect((await verify(join(dir, 'missing.json'))).code).toBe(1);
    const noHome = await runCli(['verify', write('p3.json', proof)]);
    expect(noHome.code).toBe(2);
    expect(noHome.stderr).toContain('--home is required');
    expect((await runCli(['verify', '--home', home])).code).toBe(2);
  });
});

/** A real authority change: four nodes vote one authority out; a later tx's proof carries the change. */
describe('chain_getTxProof across an authority change (4-node testnet)', () => {
  const netChain = 'medledger-e2e';
  let net: Testnet;

  afterAll(async () => {
    await net?.stopAll();
  });

  it('removeAuthority by 3 of 4 votes; the proof lists the change and verifies against genesis', async () => {
    net = await createTestnet(4, netChain);
    await Promise.all([0, 1, 2, 3].map((i) => net.start(i)));
    await waitFor(async () => (await Promise.all(net.urls.map(async (u) => (await fetch(`${u}/health`)).status))).every((s) => s === 200), 30_000, 'all healthy');
    const url = net.urls[0]!;
    const gone = homeKey(net.homes[3]!, 'authority').account;
    let last: Json;
    for (const i of [0, 1, 2]) {
      const voter = homeKey(net.homes[i]!, 'authority');
      last = await call(url, 'tx_send', { tx: tx(voter, netChain, 'gov.vote', 0, { proposal: { action: 'removeAuthority', account: gone } }), wait: true });
      expect(last.receipt.status).toBe('ok');
    }
    const changed = await call(url, 'chain_getBlock', { height: last.height });
    expect(changed.header.nextValidatorsHash).not.toBe(changed.header.validatorsHash);

    const admin = homeKey(net.homes[0]!, 'admin');
    const after = await call(url, 'tx_send', { tx: tx(admin, netChain, 'member.register', 0, { account: generateKeyPair().account, role: 'patient' }), wait: true });
    expect(after.height).toBeGreaterThan(last.height);
    const proof = await call(url, 'chain_getTxProof', { hash: after.hash });
    expect(proof.authorityChanges).toHaveLength(1);
    expect(proof.authorityChanges[0].header.height).toBe(last.height);
    expect(proof.authorityChanges[0].authorities.map((a: Json) => a.account)).not.toContain(gone);
    expect(proof.authorityChanges[0].authorities).toHaveLength(3);

    const dir = tempDir();
    const file = join(dir, 'proof.json');
    writeFileSync(file, JSON.stringify(proof));
    const ok = await runCli(['verify', file, '--home', net.homes[2]!]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`valid: tx ${after.hash} at height ${after.height}\n`);

    // Without the change, the tx block's validatorsHash names a set genesis does not.
    writeFileSync(file, JSON.stringify({ ...proof, authorityChanges: [] }));
    const missing = await runCli(['verify', file, '--home', net.homes[2]!]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/an authority change is missing/);
    // The vote tx of the change block itself verifies with no change listed (signed by the old set).
    writeFileSync(file, JSON.stringify(await call(url, 'chain_getTxProof', { hash: last.hash })));
    expect((await runCli(['verify', file, '--home', net.homes[1]!])).code).toBe(0);
  });
});
