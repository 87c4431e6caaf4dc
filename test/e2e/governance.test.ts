import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { generateKeyPair } from '../../src/chain/ed25519.js';
import { call, runCli, startNodeProc, waitFor, type NodeProc } from '../support/node-proc.js';
import { homeKey, tx } from '../support/keys.js';
import { createTestnet, heads, type Testnet } from '../support/testnet.js';

const chainId = 'medledger-gov';

/** A hospital joins as the fifth authority by governance on a live network, takes part, and is removed again. */
describe('authority set governance on a live network: 4 -> 5 -> 4', () => {
  let net: Testnet;
  let fifth: NodeProc | null = null;
  const nonces = new Map<string, number>();
  const vote = async (i: number, proposal: Record<string, unknown>, home?: string) => {
    const k = homeKey(home ?? net.homes[i]!, 'authority');
    const n = nonces.get(k.account) ?? 0;
    nonces.set(k.account, n + 1);
    return call(net.urls[0]!, 'tx_send', { tx: tx(k, chainId, 'gov.vote', n, { proposal }), wait: true });
  };

  afterAll(async () => {
    await fifth?.stop();
    await net?.stopAll();
  });

  it('adds a fifth authority at the third of four votes; it syncs, signs, and the set is 5 from the next block', async () => {
    net = await createTestnet(4, chainId);
    await Promise.all([0, 1, 2, 3].map((i) => net.start(i)));
    const base = Number(new URL(net.urls[0]!).port);
    const infos = await Promise.all(net.urls.map((u) => call(u, 'node_info')));
    const peers = infos.map((inf, i) => `/ip4/127.0.0.1/tcp/${base + 2 * i + 1}/p2p/${inf.nodeId}`).join(',');
    const home5 = join(net.dir, 'node4');
    const j = await runCli(['init', '--home', home5, '--genesis', join(net.homes[0]!, 'genesis.json'), '--peers', peers, '--rpc', `127.0.0.1:${base + 8}`, '--p2p', `127.0.0.1:${base + 9}`]);
    expect(j.code).toBe(0);
    const joined = JSON.parse(j.stdout) as { peerId: string; admin: string; authority: string };

    const addOrg = { action: 'addOrg', org: 'org4', name: 'Hospital 4', admin: joined.admin };
    await vote(0, addOrg);
    await vote(1, addOrg);
    expect((await call(net.urls[0]!, 'account_get', { account: joined.admin }).catch(() => null))).toBeNull();
    await vote(2, addOrg);
    expect(await call(net.urls[0]!, 'account_get', { account: joined.admin })).toMatchObject({ role: 'admin', org: 'org4' });

    const addAuth = { action: 'addAuthority', org: 'org4', account: joined.authority, nodeId: joined.peerId };
    await vote(0, addAuth);
    await vote(1, addAuth);
    const applied = await vote(3, addAuth);
    expect(applied.receipt.status).toBe('ok');
    const v = await call(net.urls[0]!, 'chain_validators', {});
    expect(v.authorities).toHaveLength(5);
    const changeBlock = await call(net.urls[0]!, 'chain_getBlock', { height: applied.height });
    expect(changeBlock.header.nextValidatorsHash).not.toBe(changeBlock.header.validatorsHash);

    fifth = await startNodeProc(['--home', home5, '--log-level', 'warn'], { timeoutMs: 30_000 });
    const urls = [...net.urls, fifth.rpcUrl];
    await waitFor(async () => (await heads(urls)).every((h) => h >= applied.height), 30_000, 'fifth node synced');

    // With one original authority down, 4 of 5 are needed: the new authority must be signing.
    await net.nodes[3]!.kill9();
    net.nodes[3] = null;
    const admin = homeKey(net.homes[0]!, 'admin');
    const r = await call(net.urls[1]!, 'tx_send', { tx: tx(admin, chainId, 'member.register', 0, { account: generateKeyPair().account, role: 'patient' }), wait: true });
    await waitFor(async () => (await heads([fifth!.rpcUrl]))[0]! >= r.height, 15_000, 'fifth node at the new block');
    const b = await call(fifth.rpcUrl, 'chain_getBlock', { height: r.height });
    expect(b.commit.signatures.map((s: { validator: string }) => s.validator)).toContain(joined.authority);
    await net.start(3);
  });

  it('removes it again (4 of 5 votes); the set is back to the original four', async () => {
    const joined = homeKey(join(net.dir, 'node4'), 'authority');
    const remove = { action: 'removeAuthority', account: joined.account };
    await vote(0, remove);
    await vote(1, remove);
    await vote(2, remove);
    const applied = await vote(3, remove);
    expect(applied.receipt.status).toBe('ok');
    const v = await call(net.urls[0]!, 'chain_validators', {});
    expect(v.authorities.map((a: { account: string }) => a.account)).not.toContain(joined.account);
    expect(v.authorities).toHaveLength(4);
    const before = await call(net.urls[0]!, 'chain_validators', { height: applied.height });
    expect(before.authorities).toHaveLength(5);
    const admin = homeKey(net.homes[0]!, 'admin');
    const r = await call(net.urls[2]!, 'tx_send', { tx: tx(admin, chainId, 'member.register', 1, { account: generateKeyPair().account, role: 'patient' }), wait: true });
    expect(r.height).toBeGreaterThan(applied.height);
  });
});
