import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { txHash } from '../../../src/chain/tx.js';
import { TxGossip } from '../../../src/node/tx-gossip.js';
import { silentLogger } from '../../../src/util/logger.js';
import { commitNext, enc, fixedKey, FakeNetwork, forge, openChain, registerPatient, removeTempDirs, tx, type ChainEnv } from './support.js';

const envs: ChainEnv[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const e of envs.splice(0)) await e.close();
});
afterAll(() => removeTempDirs());

async function setup(opts: { maxBatch?: number; flushMs?: number; admitInline?: boolean } = {}) {
  const env = await openChain();
  envs.push(env);
  const net = new FakeNetwork();
  const gossip = new TxGossip({ flushMs: opts.flushMs ?? 20, maxBatch: opts.maxBatch ?? 4, maxBatchBytes: 1024 * 1024 }, { network: net, admit: (raw) => (opts.admitInline ? env.admission.admitAny(raw) : env.admission.admitAsync(raw)), logger: silentLogger() });
  const receive = (body: unknown) => net.deliver('tx', enc(body), 'peer-a');
  return { env, net, gossip, receive };
}

describe.each([
  { admit: 'inline (admitAny without a verify pool: results and throws, no promises)', admitInline: true },
  { admit: 'through promises (admitAsync)', admitInline: false },
])('TxGossip receive (peer batches), admission $admit', ({ admitInline }) => {
  it('rejects malformed batches without touching the mempool', async () => {
    const { env, receive, net } = await setup({ maxBatch: 4, admitInline });
    expect(await net.deliver('tx', enc('not json{'), 'peer-a')).toBe('reject');
    expect(await net.deliver('tx', new Uint8Array([0xff, 0xfe, 0x00]), 'peer-a')).toBe('reject');
    expect(await receive(null)).toBe('reject');
    expect(await receive(42)).toBe('reject');
    expect(await receive([registerPatient(0)])).toBe('reject');
    expect(await receive({})).toBe('reject');
    expect(await receive({ txs: {} })).toBe('reject');
    expect(await receive({ txs: 'abc' })).toBe('reject');
    expect(await receive({ txs: [] })).toBe('reject');
    // Over maxBatch (4): refused as a whole, even though each tx is valid.
    expect(await receive({ txs: [0, 1, 2, 3, 4].map((n) => registerPatient(n)) })).toBe('reject');
    expect(env.mempool.size).toBe(0);
    expect(net.published).toHaveLength(0);
  });

  it('rejects a batch carrying a malformed, forged, wrong-chain or oversized tx', async () => {
    const { env, receive } = await setup({ admitInline });
    expect(await receive({ txs: [{ ...registerPatient(0), nonce: 'x' }] })).toBe('reject');
    expect(await receive({ txs: [null] })).toBe('reject');
    expect(await receive({ txs: [forge(registerPatient(0))] })).toBe('reject');
    expect(await receive({ txs: [tx(env.admin, 'member.register', 0, { account: fixedKey('q').account, role: 'patient' }, 'other-chain')] })).toBe('reject');
    expect(env.mempool.size).toBe(0);
  });

  it('a forged tx after a valid one still rejects the batch (the valid one stays admitted)', async () => {
    const { env, receive } = await setup({ admitInline });
    const good = registerPatient(0);
    expect(await receive({ txs: [good, forge(registerPatient(1))] })).toBe('reject');
    expect(env.mempool.has(txHash(good))).toBe(true);
    expect(env.mempool.size).toBe(1);
  });

  it('ignores a batch of duplicates, replays and state-rule failures (normal under gossip)', async () => {
    const { env, receive } = await setup({ admitInline });
    const t0 = registerPatient(0);
    expect(await receive({ txs: [t0] })).toBe('accept');
    expect(await receive({ txs: [t0, t0] })).toBe('ignore');
    await commitNext(env);
    // A replay of a committed tx, a tx from an unknown account: not the relayer's fault.
    expect(await receive({ txs: [t0, tx(fixedKey('nobody'), 'consent.revoke', 0, { consentId: 'cd'.repeat(32) })] })).toBe('ignore');
    expect(env.mempool.size).toBe(0);
  });

  it('accepts a valid batch: every tx lands in the mempool, ready in order', async () => {
    const { env, receive } = await setup({ admitInline });
    const txs = [0, 1, 2].map((n) => registerPatient(n));
    expect(await receive({ txs })).toBe('accept');
    expect(env.mempool.size).toBe(3);
    expect(env.mempool.reap(10).map((d) => d.hash)).toEqual(txs.map((t) => txHash(t)));
    // A batch mixing a new tx with a duplicate is accepted (something new arrived).
    expect(await receive({ txs: [txs[0], registerPatient(3)] })).toBe('accept');
    expect(env.mempool.size).toBe(4);
  });
});

describe('TxGossip publish (batching)', () => {
  it('flushes at once when maxBatch txs are queued, as one message', async () => {
    const { gossip, net } = await setup({ maxBatch: 3, flushMs: 60_000 });
    const txs = [0, 1, 2, 3].map((n) => registerPatient(n));
    gossip.publish(txs[0]!);
    gossip.publish(txs[1]!);
    expect(net.published).toHaveLength(0);
    gossip.publish(txs[2]!);
    expect(net.messages('tx')).toEqual([{ txs: txs.slice(0, 3) }]);
    gossip.publish(txs[3]!);
    gossip.stop(); // flushes the remainder and clears the timer
    expect(net.messages('tx')).toEqual([{ txs: txs.slice(0, 3) }, { txs: [txs[3]] }]);
    gossip.flush(); // nothing queued: nothing sent
    expect(net.published).toHaveLength(2);
  });

  it('flushes a partial batch flushMs after its first tx', async () => {
    vi.useFakeTimers();
    const { gossip, net } = await setup({ maxBatch: 100, flushMs: 20 });
    const a = registerPatient(0);
    const b = registerPatient(1);
    gossip.publish(a);
    vi.advanceTimersByTime(10);
    gossip.publish(b); // joins the batch; does not restart the timer
    vi.advanceTimersByTime(9);
    expect(net.published).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(net.messages('tx')).toEqual([{ txs: [a, b] }]);
    vi.advanceTimersByTime(1_000);
    expect(net.published).toHaveLength(1);
  });

  it('what one node publishes, another admits', async () => {
    const sender = await setup({ maxBatch: 2 });
    const receiver = await setup({ maxBatch: 2 });
    const txs = [registerPatient(0), registerPatient(1)];
    for (const t of txs) sender.gossip.publish(sender.env.admission.admit(t).tx);
    const [msg] = sender.net.published;
    expect(await receiver.net.deliver('tx', msg!.data, 'sender')).toBe('accept');
    expect(receiver.env.mempool.size).toBe(2);
  });
});
