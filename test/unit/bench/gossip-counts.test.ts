import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gossipBetween, gossipSample } from '../../../src/bench/gossip-counts.js';
import { parsePrometheus } from '../../../src/bench/rpc.js';
import { NodeApiImpl } from '../../../src/node/api.js';
import { FakeNetwork, openChain, removeTempDirs, type ChainEnv } from '../node/support.js';

const envs: ChainEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});
afterAll(() => removeTempDirs());

/** A node's /metrics page with what `net` counted. */
async function metricsPage(net: FakeNetwork | null): Promise<string> {
  const env = await openChain();
  envs.push(env);
  const api = new NodeApiImpl({
    chain: env.chain, store: env.store, mempool: env.mempool, admission: env.admission, network: net, authority: null, org: 'north',
    gossipTx: () => {}, syncing: () => false, consensusRound: () => 0,
  });
  return api.metrics();
}

describe('bench gossip counts', () => {
  it('reads the node\'s gossip counters from its /metrics page (the names the node writes)', async () => {
    const net = new FakeNetwork();
    net.publish('tx', Buffer.from('0123456789'));
    net.publish('tx', Buffer.from('abc'));
    net.publish('consensus', Buffer.from('vote'));
    expect(gossipSample(parsePrometheus(await metricsPage(net)))).toEqual({
      tx: { in: 0, out: 2, inBytes: 0, outBytes: 13 },
      consensus: { in: 0, out: 1, inBytes: 0, outBytes: 4 },
    });
  });

  it('gives null for a node without a network or without the counters', async () => {
    expect(gossipSample(parsePrometheus(await metricsPage(null)))).toBeNull();
    expect(gossipSample(parsePrometheus('medledger_gossip_messages_total{topic="tx",direction="in"} 3\n'))).toBeNull();
  });

  it('subtracts two samples, topic by topic', () => {
    const a = { tx: { in: 1, out: 2, inBytes: 10, outBytes: 20 }, consensus: { in: 5, out: 5, inBytes: 50, outBytes: 50 } };
    const b = { tx: { in: 4, out: 3, inBytes: 70, outBytes: 25 }, consensus: { in: 9, out: 6, inBytes: 90, outBytes: 60 } };
    expect(gossipBetween(a, b)).toEqual({ tx: { in: 3, out: 1, inBytes: 60, outBytes: 5 }, consensus: { in: 4, out: 1, inBytes: 40, outBytes: 10 } });
    expect(gossipBetween(null, b)).toBeNull();
    expect(gossipBetween(a, null)).toBeNull();
  });
});
