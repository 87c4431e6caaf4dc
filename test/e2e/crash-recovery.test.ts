import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { generateKeyPair, type KeyPair } from '../../src/chain/ed25519.js';
import { call, rpc, startNodeProc, tempDir, waitFor } from '../support/node-proc.js';
import { homeKey, tx } from '../support/keys.js';

const chainId = 'medledger-dev';
/** The head height once it has not moved for a second (no empty blocks are cut). */
async function settledHead(url: string): Promise<number> {
  let last = (await call(url, 'chain_head')).header.height as number;
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    const h = (await call(url, 'chain_head')).header.height as number;
    if (h === last) return h;
    last = h;
  }
  throw new Error('the head kept moving for 30 s after the restart');
}

const args = (home: string) => ['--home', home, '--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--log-level', 'warn'];

/**
 * SIGKILL the node while it commits blocks under load, restart it, and check that every
 * acknowledged (committed, wait: true) tx is there and the state is consistent with the
 * blocks: each sender's nonce equals the number of its txs in blocks.
 */
describe('kill -9 under load', () => {
  it('restarts at its last committed block with every acknowledged tx and a consistent state', async () => {
    const home = join(tempDir(), 'home');
    let node = await startNodeProc(args(home));
    const root = homeKey(home, 'admin');
    const admins: KeyPair[] = Array.from({ length: 4 }, () => generateKeyPair());
    for (const [i, a] of admins.entries()) {
      await call(node.rpcUrl, 'tx_send', { tx: tx(root, chainId, 'member.register', i, { account: a.account, role: 'admin', name: `admin ${i}` }), wait: true });
    }
    const acknowledged = new Set<string>();
    let stop = false;
    const senders = admins.map(async (a) => {
      let nonce = 0;
      while (!stop) {
        const batch = Array.from({ length: 20 }, (_, k) => tx(a, chainId, 'member.register', nonce + k, { account: generateKeyPair().account, role: 'patient' }));
        nonce += batch.length;
        const results = await Promise.allSettled(batch.map((t) => rpc(node.rpcUrl, 'tx_send', { tx: t, wait: true })));
        for (const r of results) if (r.status === 'fulfilled' && r.value.result?.receipt?.status === 'ok') acknowledged.add(r.value.result.hash);
        if (results.some((r) => r.status === 'rejected')) return;
      }
    });
    await waitFor(async () => acknowledged.size >= 300, 30_000, '300 acknowledged txs');
    await node.kill9();
    stop = true;
    await Promise.allSettled(senders);
    const ackedBeforeKill = [...acknowledged];

    node = await startNodeProc(args(home));
    try {
      // The restarted node may still commit the block it had precommitted when it was
      // killed (its lock survives the crash, SPEC §7): replay the chain once the head
      // stops moving, or the state read below could be one block ahead of the blocks read.
      const head = await settledHead(node.rpcUrl);
      expect(head).toBeGreaterThan(4);
      for (const h of ackedBeforeKill) {
        const t = await call(node.rpcUrl, 'chain_getTx', { hash: h });
        expect(t.receipt.status).toBe('ok');
      }
      // Replaying the blocks: per-sender tx counts equal the committed nonces; hashes link.
      const counts = new Map<string, number>();
      let prev = (await call(node.rpcUrl, 'chain_getBlock', { height: 0 })).hash;
      for (let h = 1; h <= head; h++) {
        const b = await call(node.rpcUrl, 'chain_getBlock', { height: h });
        expect(b.header.prevHash).toBe(prev);
        prev = b.hash;
        for (const { tx: t } of b.txs) counts.set(t.from, (counts.get(t.from) ?? 0) + 1);
      }
      for (const [from, n] of counts) expect((await call(node.rpcUrl, 'account_get', { account: from })).nonce).toBe(n);
      expect((await call(node.rpcUrl, 'chain_head')).header.height).toBe(head);
      // And it keeps going.
      const next = tx(root, chainId, 'member.register', counts.get(root.account)!, { account: generateKeyPair().account, role: 'patient' });
      expect((await call(node.rpcUrl, 'tx_send', { tx: next, wait: true })).height).toBe(head + 1);
    } finally {
      expect(await node.stop()).toBe(0);
    }
  });
});
