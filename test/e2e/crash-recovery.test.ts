import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { txHash } from '../../src/chain/tx.js';
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

/**
 * Storage failure points (util/fail-point.ts) on a lone authority (a dev chain), which has
 * no peer to fetch a lost block from: once it signed at a height, it can never sign the
 * height below again, so every block it signed above must survive a crash.
 */
describe('storage failure points', () => {
  const patient = (root: ReturnType<typeof homeKey>, nonce: number) => tx(root, chainId, 'member.register', nonce, { account: generateKeyPair().account, role: 'patient' });
  const logged = (home: string, h: number): boolean => existsSync(join(home, 'data', 'block-log', `${h}.blk`));

  it('killed while a block batch is not written but the next block is signed: both come back from the block log', async () => {
    const home = join(tempDir(), 'home');
    let node = await startNodeProc(args(home), { env: { MEDLEDGER_FAIL_POINT: 'block-write-hangs@3' } });
    const root = homeKey(home, 'admin');
    for (let n = 0; n < 2; n++) expect((await call(node.rpcUrl, 'tx_send', { tx: patient(root, n), wait: true })).height).toBe(n + 1);
    // Block 3's batch never lands; block 4 is signed and committed in memory behind it.
    const third = patient(root, 2);
    const fourth = patient(root, 3);
    expect((await call(node.rpcUrl, 'tx_send', { tx: third })).hash).toBe(txHash(third));
    await waitFor(async () => logged(home, 3), 10_000, 'block 3 in the block log');
    expect((await call(node.rpcUrl, 'tx_send', { tx: fourth })).hash).toBe(txHash(fourth));
    await waitFor(async () => logged(home, 4), 10_000, 'block 4 in the block log');
    expect((await call(node.rpcUrl, 'chain_head')).header.height).toBe(2); // RPC reads written blocks only
    await node.kill9();

    node = await startNodeProc(args(home));
    try {
      expect((await call(node.rpcUrl, 'chain_head')).header.height).toBe(4);
      for (const [t, h] of [[third, 3], [fourth, 4]] as const) {
        const got = await call(node.rpcUrl, 'chain_getTx', { hash: txHash(t) });
        expect(got.height).toBe(h);
        expect(got.receipt.status).toBe('ok');
      }
      expect((await call(node.rpcUrl, 'account_get', { account: root.account })).nonce).toBe(4);
      await waitFor(async () => !logged(home, 3) && !logged(home, 4), 5_000, 'the replayed records to be dropped');
      expect((await call(node.rpcUrl, 'tx_send', { tx: patient(root, 4), wait: true })).height).toBe(5);
    } finally {
      expect(await node.stop()).toBe(0);
    }
  });

  it('a failed block write stops the node with exit code 1; restarted, it has the block', async () => {
    const home = join(tempDir(), 'home');
    let node = await startNodeProc(args(home), { env: { MEDLEDGER_FAIL_POINT: 'block-write-fails@2' } });
    const root = homeKey(home, 'admin');
    expect((await call(node.rpcUrl, 'tx_send', { tx: patient(root, 0), wait: true })).height).toBe(1);
    const second = patient(root, 1);
    const answer = await rpc(node.rpcUrl, 'tx_send', { tx: second, wait: true }).catch(() => undefined);
    expect(answer?.result?.receipt).toBeUndefined(); // never acknowledged as committed
    expect(await node.exited).toBe(1);
    expect(node.stderr()).toContain('fail point block-write-fails@2');

    node = await startNodeProc(args(home));
    try {
      expect((await call(node.rpcUrl, 'chain_head')).header.height).toBe(2);
      expect((await call(node.rpcUrl, 'chain_getTx', { hash: txHash(second) })).height).toBe(2);
      expect((await call(node.rpcUrl, 'tx_send', { tx: patient(root, 2), wait: true })).height).toBe(3);
    } finally {
      expect(await node.stop()).toBe(0);
    }
  });
});
