import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { txHash } from '../../../src/chain/tx.js';
import { NodeApiImpl } from '../../../src/node/api.js';
import { certify, gateBlockWrites, openChain, registerPatient, removeTempDirs, type ChainEnv } from './support.js';

const envs: ChainEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});
afterAll(() => removeTempDirs());

function api(env: ChainEnv): NodeApiImpl {
  return new NodeApiImpl({
    chain: env.chain, store: env.store, mempool: env.mempool, admission: env.admission, network: null, authority: null, org: 'north',
    gossipTx: () => {}, syncing: () => false, consensusRound: () => 0,
  });
}

describe('NodeApi reads while a final block is being written', () => {
  it('chain_head and node_info show the written head; chain_getTx answers pending for a tx of the block being written, then its receipt', async () => {
    const env = await openChain();
    envs.push(env);
    const a = api(env);
    const t = registerPatient(0);
    env.admission.admit(t);
    const e = env.chain.buildBlock(env.authorities[0]!.account, Date.now());
    // The block's write waits at a gate, so the reads below happen while it is under way.
    const { open } = gateBlockWrites(env.store);
    const written = env.chain.commit(e, certify(env, 1, e.hash));
    expect(env.chain.head.height).toBe(1); // consensus moved on
    expect((await a.chainHead()).header.height).toBe(0); // the store does not hold block 1 yet
    expect((await a.nodeInfo()).height).toBe(0);
    expect(await a.getTx(txHash(t))).toMatchObject({ hash: txHash(t), tx: t, pending: true, height: null, receipt: null });
    open();
    await written;
    expect((await a.chainHead()).hash).toBe(e.hash);
    expect((await a.nodeInfo()).height).toBe(1);
    expect(await a.getTx(txHash(t))).toMatchObject({ hash: txHash(t), height: 1, index: 0, receipt: { status: 'ok' } });
  });
});

describe('NodeApi chain_head long poll', () => {
  it('answers once a block above `after` is written (not when consensus has it), at once when there is one, and with the head as it is when the wait ends or aborts', async () => {
    const env = await openChain();
    envs.push(env);
    const a = api(env);
    const ac = new AbortController();
    // Nothing above height 0: when waitMs pass, the head as it is.
    expect((await a.chainHead({ after: 0, waitMs: 20, signal: ac.signal })).header.height).toBe(0);

    const waiting = a.chainHead({ after: 0, waitMs: 10_000, signal: ac.signal });
    let answered = false;
    void waiting.then(() => (answered = true));
    env.admission.admit(registerPatient(0));
    const e = env.chain.buildBlock(env.authorities[0]!.account, Date.now());
    const { open } = gateBlockWrites(env.store);
    const written = env.chain.commit(e, certify(env, 1, e.hash));
    await new Promise((r) => setTimeout(r, 30));
    expect(answered).toBe(false); // consensus has block 1; the store does not yet
    open();
    await written;
    expect(await waiting).toEqual({ hash: e.hash, header: e.block.header });
    // Already above `after`: at once, whatever waitMs says.
    expect((await a.chainHead({ after: 0, waitMs: 10_000, signal: ac.signal })).hash).toBe(e.hash);
    // An aborted call (client gone, deadline, shutdown) stops waiting.
    const aborted = a.chainHead({ after: 1, waitMs: 10_000, signal: ac.signal });
    ac.abort();
    expect((await aborted).header.height).toBe(1);
    expect((await a.chainHead({ after: 1, waitMs: 10_000, signal: ac.signal })).header.height).toBe(1);
  });
});
