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
