import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { storeBetween, storeSample } from '../../../src/bench/store-counts.js';
import { storeSummary, type NodeReport } from '../../../src/bench/report.js';
import { parsePrometheus } from '../../../src/bench/rpc.js';
import { NodeApiImpl } from '../../../src/node/api.js';
import { openChain, removeTempDirs, type ChainEnv } from '../node/support.js';

const envs: ChainEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});
afterAll(() => removeTempDirs());

const MB = 1024 * 1024;

describe('bench store counts', () => {
  it('reads the LevelDB figures from a node\'s /metrics page (the names the node writes)', async () => {
    const env = await openChain();
    envs.push(env);
    const api = new NodeApiImpl({
      chain: env.chain, store: env.store, mempool: env.mempool, admission: env.admission, network: null, authority: null, org: 'north',
      gossipTx: () => {}, syncing: () => false, consensusRound: () => 0,
    });
    const page = api.metrics();
    expect(page).toContain('# TYPE medledger_store_compaction_written_bytes_total counter');
    expect(storeSample(parsePrometheus(page))).toEqual({ tableBytes: 0, compactionSeconds: 0, compactionReadBytes: 0, compactionWrittenBytes: 0 });
    expect(storeSample(parsePrometheus('medledger_store_table_bytes 3\n'))).toBeNull();
  });

  it('subtracts two samples into whole MB; the table size is the later one', () => {
    const a = { tableBytes: 40 * MB, compactionSeconds: 2, compactionReadBytes: 10 * MB, compactionWrittenBytes: 30 * MB };
    const b = { tableBytes: 90 * MB, compactionSeconds: 7, compactionReadBytes: 120 * MB, compactionWrittenBytes: 160 * MB };
    expect(storeBetween(a, b)).toEqual({ compactionSeconds: 5, compactionReadMB: 110, compactionWrittenMB: 130, tableMB: 90 });
    expect(storeBetween(null, b)).toBeNull();
    expect(storeBetween(a, null)).toBeNull();
  });

  it('the summary line is the mean of the nodes that report, and absent when none does', () => {
    const n = (store: NodeReport['store']): NodeReport => ({
      node: 0, rpc: 'http://x', cpuSeconds: 1, loadCpuSeconds: 1, peakRssMB: 1, txsCommitted: 1, txsCommittedUnverified: 0, finalHash: null, heightPhases: null, gossip: null, store,
    });
    expect(storeSummary([n({ compactionSeconds: 4, compactionReadMB: 80, compactionWrittenMB: 100, tableMB: 60 }), n({ compactionSeconds: 2, compactionReadMB: 40, compactionWrittenMB: 60, tableMB: 50 }), n(null)]))
      .toEqual(['LevelDB during the load (mean of nodes): 3 s of flushes and compactions, 60 MB read, 80 MB written; 55 MB of tables at the end']);
    expect(storeSummary([n(null)])).toEqual([]);
  });
});
