import { describe, expect, it } from 'vitest';
import { Mempool } from '../../../src/chain/mempool.js';
import { decodeTx, signTx } from '../../../src/chain/tx.js';
import { generateKeyPair } from '../../../src/chain/ed25519.js';
import { AppError } from '../../../src/util/errors.js';
import type { DecodedTx } from '../../../src/chain/types.js';

const alice = generateKeyPair();
const bob = generateKeyPair();

function tx(kp: { account: string; secretKey: string }, nonce: number, tag = 'a'): DecodedTx {
  return decodeTx(signTx({ chainId: 'c', type: 'member.revoke', from: kp.account, nonce, payload: { account: tag.padEnd(64, '0') } }, kp.secretKey));
}

function reason(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e.reason;
    throw e;
  }
  return 'none';
}

describe('Mempool', () => {
  it('readies consecutive nonces in arrival order across senders', () => {
    const m = new Mempool();
    m.add(tx(alice, 0), 0);
    m.add(tx(bob, 0), 0);
    m.add(tx(alice, 1), 0);
    expect(m.reap(10).map((d) => [d.tx.from, d.tx.nonce])).toEqual([[alice.account, 0], [bob.account, 0], [alice.account, 1]]);
    expect(m.pendingNonce(alice.account, 0)).toBe(2);
  });

  it('holds a future nonce until the gap fills', () => {
    const m = new Mempool();
    m.add(tx(alice, 2), 0);
    expect(m.reap(10)).toHaveLength(0);
    m.add(tx(alice, 0), 0);
    expect(m.reap(10).map((d) => d.tx.nonce)).toEqual([0]);
    m.add(tx(alice, 1), 0);
    expect(m.reap(10).map((d) => d.tx.nonce)).toEqual([0, 1, 2]);
  });

  it('refuses duplicate, used and pending nonces, and too-far nonces', () => {
    const m = new Mempool({ maxTotal: 100, maxPerSender: 10, maxNonceGap: 5 });
    const t = tx(alice, 3);
    m.add(t, 3);
    expect(reason(() => m.add(t, 3))).toBe('duplicate');
    expect(reason(() => m.add(tx(alice, 3, 'b'), 3))).toBe('nonce_too_low');
    expect(reason(() => m.add(tx(alice, 2), 3))).toBe('nonce_too_low');
    expect(reason(() => m.add(tx(alice, 10), 3))).toBe('nonce_too_high');
  });

  it('enforces per-sender and total limits', () => {
    const m = new Mempool({ maxTotal: 3, maxPerSender: 2, maxNonceGap: 100 });
    m.add(tx(alice, 0), 0);
    m.add(tx(alice, 1), 0);
    expect(reason(() => m.add(tx(alice, 2), 0))).toBe('mempool_full');
    m.add(tx(bob, 0), 0);
    expect(reason(() => m.add(tx(bob, 1), 0))).toBe('mempool_full');
  });

  it('forgets committed txs and keeps the rest ready', () => {
    const m = new Mempool();
    for (let n = 0; n < 4; n++) m.add(tx(alice, n), 0);
    m.committed(new Map([[alice.account, 2]]));
    expect(m.reap(10).map((d) => d.tx.nonce)).toEqual([2, 3]);
    expect(m.size).toBe(2);
    expect(m.pendingNonce(alice.account, 2)).toBe(4);
  });

  it('drop removes a tx and the sender txs after it', () => {
    const m = new Mempool();
    for (let n = 0; n < 3; n++) m.add(tx(alice, n), 0);
    m.drop(m.reap(10)[1]!.hash);
    expect(m.reap(10).map((d) => d.tx.nonce)).toEqual([0]);
    expect(m.pendingNonce(alice.account, 0)).toBe(1);
  });

  it('expires txs that waited too long for a nonce gap, keeping ready ones', () => {
    const m = new Mempool();
    m.add(tx(alice, 0), 0, 1_000);
    m.add(tx(alice, 2), 0, 1_000);
    m.add(tx(alice, 3), 0, 1_000);
    m.add(tx(bob, 5), 0, 50_000);
    expect(m.expireWaiting(10_000, 60_000)).toBe(0);
    expect(m.expireWaiting(70_000, 60_000)).toBe(2);
    expect(m.size).toBe(2);
    expect(m.reap(10).map((d) => d.tx.nonce)).toEqual([0]);
    expect(m.expireWaiting(200_000, 60_000)).toBe(1);
    expect(m.size).toBe(1);
  });

  it('knows when its longest-waiting ready tx became ready: on arrival, or when its nonce gap filled', () => {
    const m = new Mempool();
    expect(m.oldestReadySince).toBeUndefined();
    m.add(tx(alice, 1), 0, 1_000); // waits for nonce 0: not ready
    expect(m.oldestReadySince).toBeUndefined();
    m.add(tx(bob, 0), 0, 2_000);
    expect(m.oldestReadySince).toBe(2_000);
    m.add(tx(alice, 0), 0, 3_000); // fills alice's gap: alice 0 and 1 ready at 3,000
    expect(m.oldestReadySince).toBe(2_000);
    m.committed(new Map([[bob.account, 1]]), 4_000);
    expect(m.oldestReadySince).toBe(3_000);
    m.committed(new Map([[alice.account, 2]]), 5_000);
    expect(m.oldestReadySince).toBeUndefined();
  });

  it('a tx readied by a commit (its earlier nonces committed elsewhere) is ready from that commit', () => {
    const m = new Mempool();
    m.add(tx(alice, 2), 0, 1_000); // nonces 0 and 1 are not here
    expect(m.readyCount).toBe(0);
    m.committed(new Map([[alice.account, 2]]), 7_000);
    expect(m.reap(10).map((d) => d.tx.nonce)).toEqual([2]);
    expect(m.oldestReadySince).toBe(7_000);
  });
});
