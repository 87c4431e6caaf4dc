import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainStore } from '../src/storage/store.js';
import { blockHash } from '../src/chain/block.js';
import type { Header } from '../src/chain/types.js';
import { buildWorld, CHAIN_ID } from './support.js';
const BLOCK = 1000;
const w = buildWorld({ nodes: 4, txs: BLOCK, accounts: 256 });
const txs = w.load.slice(0, BLOCK);
const executed = w.dryRun(txs).result;
const dir = mkdtempSync(join(tmpdir(), 'ml-bench-store-'));
const store = await ChainStore.open(dir);
let height = 1000;
const t0 = performance.now(); const c0 = process.cpuUsage();
for (let i = 0; i < 200; i++) {
  height++;
  const header: Header = { chainId: CHAIN_ID, height, prevHash: '0'.repeat(64), time: w.time + height, txRoot: '0'.repeat(64), stateRoot: executed.stateRoot, proposer: 'ab'.repeat(32), validatorsHash: '0'.repeat(64), nextValidatorsHash: '0'.repeat(64) };
  const hash = blockHash(header);
  await store.commitBlock({ block: { header, txs: txs.map((t) => t.tx) }, hash, commit: { height, round: 0, blockHash: hash, signatures: [] }, txHashes: txs.map((t) => t.hash), txWires: txs.map((t) => t.wire), results: executed.results, writes: executed.encodedWrites, nextAuthorities: null });
}
const c = process.cpuUsage(c0);
console.log('wall ms/block', ((performance.now() - t0) / 200).toFixed(2), 'cpu ms/block (all threads)', ((c.user + c.system) / 1000 / 200).toFixed(2));
await store.close(); rmSync(dir, { recursive: true, force: true });
