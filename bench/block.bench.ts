/**
 * Per-block steps: executing 1000 load txs through the state machine (records handlers,
 * MapState, no commit so each iteration runs the same block), and the LevelDB commit of
 * such a block (ChainStore.commitBlock, one synced batch) in a temp dir, given what
 * ChainService.commit gives it (the executor's encoded writes, the txs' wire bytes).
 * Execution is measured twice: over the setup state alone, and after 49,000 load txs
 * committed first (the state a bench node's measured window runs against: more records,
 * consents and grantee lists, so bigger maps and longer consent lists per access).
 * Run: npx vitest bench --run bench/
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { ChainStore } from '../src/storage/store.js';
import { blockHash, txRootOf } from '../src/chain/block.js';
import type { Header } from '../src/chain/types.js';
import { buildWorld, CHAIN_ID } from './support.js';

const BLOCK = 1000;
const w = buildWorld({ nodes: 4, txs: BLOCK, accounts: 256 });
const txs = w.load.slice(0, BLOCK);
const executed = w.dryRun(txs).result;
const dir = mkdtempSync(join(tmpdir(), 'ml-bench-store-'));
const store = await ChainStore.open(dir);
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`block of ${BLOCK} txs (mix: 80% access.log, 15% record.anchor, 5% consent.grant)`, () => {
  bench('execute: StateMachine begin / apply x1000 / finish over MapState', () => {
    const ex = w.sm.begin(w.state, w.root, { chainId: CHAIN_ID, height: w.height + 1, time: w.time + 1000 });
    for (const t of txs) ex.apply(t);
    ex.finish();
  }, { time: 2000 });

  bench('txRoot (Merkle over 1000 wire txs)', () => {
    txRootOf(txs.map((t) => t.wire));
  });

  let height = 1_000;

  bench('LevelDB: ChainStore.commitBlock (block, receipts, state, indexes; synced batch)', async () => {
    height++;
    const header: Header = {
      chainId: CHAIN_ID, height, prevHash: '0'.repeat(64), time: w.time + height, txRoot: '0'.repeat(64), stateRoot: executed.stateRoot,
      proposer: 'ab'.repeat(32), validatorsHash: '0'.repeat(64), nextValidatorsHash: '0'.repeat(64),
    };
    const hash = blockHash(header);
    await store.commitBlock({
      block: { header, txs: txs.map((t) => t.tx) }, hash, commit: { height, round: 0, blockHash: hash, signatures: [] },
      txHashes: txs.map((t) => t.hash), txWires: txs.map((t) => t.wire), results: executed.results, writes: executed.encodedWrites, nextAuthorities: null,
    });
  }, { time: 3000 });
});

const HISTORY = 50_000;
const old = buildWorld({ nodes: 4, txs: HISTORY, accounts: 256 });
for (let i = 0; i + BLOCK < HISTORY; i += BLOCK) old.block(old.load.slice(i, i + BLOCK));
const lastTxs = old.load.slice(HISTORY - BLOCK);

describe(`block of ${BLOCK} txs after ${HISTORY - BLOCK} load txs committed`, () => {
  bench('execute: StateMachine begin / apply x1000 / finish over MapState', () => {
    const ex = old.sm.begin(old.state, old.root, { chainId: CHAIN_ID, height: old.height + 1, time: old.time + 1000 });
    for (const t of lastTxs) ex.apply(t);
    ex.finish();
  }, { time: 2000 });
});
