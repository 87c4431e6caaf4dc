import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { generateKeyPair } from '../../src/chain/ed25519.js';
import { call, rpc, runCli, startNodeProc, tempDir, waitFor } from '../support/node-proc.js';
import { homeKey, tx } from '../support/keys.js';
import { createTestnet, heads, type Testnet } from '../support/testnet.js';

const chainId = 'medledger-e2e';

/**
 * Four authorities, four real node processes on loopback: commits everywhere with the
 * same hashes, survives one crash, halts with two down, catches up, loses nothing on a
 * full restart, refuses a stranger.
 */
describe('four-node BFT network (real processes)', () => {
  let net: Testnet;
  let nonce = 0;
  const send = async (url: string, wait = true) => {
    const admin = homeKey(net.homes[0]!, 'admin');
    const t = tx(admin, chainId, 'member.register', nonce++, { account: generateKeyPair().account, role: 'patient' });
    return wait ? call(url, 'tx_send', { tx: t, wait: true }) : call(url, 'tx_send', { tx: t });
  };
  const sameChain = async (urls: string[], upTo: number) => {
    for (let h = 1; h <= upTo; h++) {
      const hashes = await Promise.all(urls.map(async (u) => (await call(u, 'chain_getBlock', { height: h })).hash));
      expect(new Set(hashes).size, `height ${h}`).toBe(1);
    }
  };

  afterAll(async () => {
    await net?.stopAll();
  });

  it('a tx sent to any node commits on all with the same block hash at every height', async () => {
    net = await createTestnet(4, chainId);
    await Promise.all([0, 1, 2, 3].map((i) => net.start(i)));
    await waitFor(async () => (await Promise.all(net.urls.map(async (u) => (await fetch(`${u}/health`)).status))).every((s) => s === 200), 20_000, 'all healthy');
    for (const u of net.urls) {
      const r = await send(u);
      expect(r.receipt.status).toBe('ok');
    }
    const top = Math.max(...(await heads(net.urls)));
    // Every node reaches the highest head seen (a later block, e.g. an empty one, is no failure).
    await waitFor(async () => (await heads(net.urls)).every((h) => h >= top), 10_000, 'every node at the top');
    await sameChain(net.urls, top);
    const block = await call(net.urls[2]!, 'chain_getBlock', { height: top });
    expect(block.commit.signatures.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps finalising with one node SIGKILLed; halts with two down; restarted nodes catch up', async () => {
    await net.nodes[3]!.kill9();
    net.nodes[3] = null;
    const live = net.urls.slice(0, 3);
    const r = await send(live[1]!);
    expect(r.receipt.status).toBe('ok');
    await send(live[2]!);

    await net.nodes[2]!.kill9();
    net.nodes[2] = null;
    const before = (await heads(net.urls.slice(0, 2)))[0]!;
    await send(net.urls[0]!, false);
    await new Promise((res) => setTimeout(res, 6_000));
    expect(await heads(net.urls.slice(0, 2))).toEqual([before, before]);
    expect((await fetch(`${net.urls[0]}/health`)).status).toBe(503);

    await net.start(2);
    await waitFor(async () => (await heads(net.urls.slice(0, 3))).every((h) => h > before), 30_000, 'progress after one node returns');
    await net.start(3);
    const target = Math.max(...(await heads(net.urls.slice(0, 3))));
    await waitFor(async () => (await heads(net.urls)).every((h) => h >= target), 30_000, 'node 3 caught up');
    await send(net.urls[3]!);
    const top = Math.min(...(await heads(net.urls)));
    await sameChain(net.urls, top);
  });

  it('all four killed and restarted lose nothing', async () => {
    const top = Math.min(...(await heads(net.urls)));
    const last = await call(net.urls[0]!, 'chain_getBlock', { height: top });
    await Promise.all(net.nodes.map((p) => p!.kill9()));
    await Promise.all([0, 1, 2, 3].map((i) => net.start(i)));
    for (const u of net.urls) expect((await call(u, 'chain_getBlock', { height: top })).hash).toBe(last.hash);
    const r = await send(net.urls[1]!);
    expect(r.height).toBeGreaterThan(top);
    await waitFor(async () => (await heads(net.urls)).every((h) => h >= r.height), 15_000, 'all at new head');
  });

  it('a node outside the consortium is refused', async () => {
    const home = join(tempDir(), 'stranger');
    expect((await runCli(['init', '--home', home, '--chain-id', chainId])).code).toBe(0);
    const peers = (await call(net.urls[0]!, 'node_info')).nodeId;
    const addr = `/ip4/127.0.0.1/tcp/${Number(new URL(net.urls[0]!).port) + 1}/p2p/${peers}`;
    const stranger = await startNodeProc(['--home', home, '--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--peers', addr, '--log-level', 'warn']);
    try {
      await new Promise((res) => setTimeout(res, 3_000));
      expect((await call(stranger.rpcUrl, 'node_info')).peers).toEqual([]);
      const strangerId = (await call(stranger.rpcUrl, 'node_info')).nodeId;
      for (const u of net.urls) expect((await call(u, 'node_info')).peers).not.toContain(strangerId);
    } finally {
      await stranger.stop();
    }
    expect((await rpc(net.urls[0]!, 'chain_head')).result.header.chainId).toBe(chainId);
  });
});
