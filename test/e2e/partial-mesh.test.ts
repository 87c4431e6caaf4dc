import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '../../src/chain/ed25519.js';
import { call, waitFor } from '../support/node-proc.js';
import { homeKey, tx } from '../support/keys.js';
import { createTestnet, heads, type Testnet } from '../support/testnet.js';

const chainId = 'medledger-e2e-partial';

/**
 * The default gossip has no relay mesh (p2p.meshDegree 0): a node sends its own messages
 * to the peers it is connected to, and a node not connected to a message's author gets
 * it from a neighbour through IHAVE/IWANT. Four authorities where node 0 and node 3 do
 * not know each other, then node 1 stopped: the quorum {0, 2, 3} finalises blocks only if
 * every proposal and vote between 0 and 3 travels through node 2.
 */
describe('four nodes, not all connected (real processes)', () => {
  let net: Testnet;
  let nonce = 0;
  const send = async (url: string) => {
    const admin = homeKey(net.homes[0]!, 'admin');
    const t = tx(admin, chainId, 'member.register', nonce++, { account: generateKeyPair().account, role: 'patient' });
    return call(url, 'tx_send', { tx: t, wait: true });
  };

  afterAll(async () => {
    await net?.stopAll();
  });

  it('node 0 and node 3 reach consensus through node 2 alone', async () => {
    net = await createTestnet(4, chainId);
    const config = (i: number) => join(net.homes[i]!, 'config.json');
    // node 0 and node 3 leave each other out of their static peers (no discovery: they never connect).
    const portOf = (i: number) => (JSON.parse(readFileSync(config(i), 'utf8')) as { p2p: { port: number } }).p2p.port;
    for (const [a, b] of [[0, 3], [3, 0]] as const) {
      const c = JSON.parse(readFileSync(config(a), 'utf8')) as { p2p: { peers: string[] } };
      c.p2p.peers = c.p2p.peers.filter((m) => !m.includes(`/tcp/${portOf(b)}/`));
      writeFileSync(config(a), JSON.stringify(c, null, 2));
    }
    await Promise.all([0, 1, 2, 3].map((i) => net.start(i)));
    await waitFor(async () => (await Promise.all(net.urls.map(async (u) => (await fetch(`${u}/health`)).status))).every((s) => s === 200), 20_000, 'all healthy');
    const peersOf = async (i: number) => (await call(net.urls[i]!, 'node_info')).peers as string[];
    const id3 = (await call(net.urls[3]!, 'node_info')).nodeId as string;
    expect(await peersOf(0)).not.toContain(id3);

    await net.nodes[1]!.stop();
    net.nodes[1] = null;
    const live = [0, 2, 3].map((i) => net.urls[i]!);
    const a = await send(net.urls[3]!);
    expect(a.receipt.status).toBe('ok');
    const b = await send(net.urls[0]!);
    expect(b.receipt.status).toBe('ok');
    expect(await peersOf(0)).not.toContain(id3); // still not connected: everything went through node 2
    await waitFor(async () => (await heads(live)).every((h) => h >= b.height), 15_000, 'the three live nodes at the top');
    for (let h = 1; h <= b.height; h++) {
      const hashes = await Promise.all(live.map(async (u) => (await call(u, 'chain_getBlock', { height: h })).hash));
      expect(new Set(hashes).size, `height ${h}`).toBe(1);
    }
    const last = await call(net.urls[0]!, 'chain_getBlock', { height: b.height });
    expect(last.commit.signatures.length).toBeGreaterThanOrEqual(3);
  });
});
