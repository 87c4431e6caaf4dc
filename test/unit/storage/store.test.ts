import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AccessEvent, IndexEvent, StateWrites, TxResult } from '../../../src/chain/state/interface.js';
import type { Authority, Header } from '../../../src/chain/types.js';
import { generateKeyPair } from '../../../src/chain/ed25519.js';
import { decodeTx, signTx } from '../../../src/chain/tx.js';
import * as K from '../../../src/storage/keys.js';
import { ChainStore, StoreError, type BlockCommit } from '../../../src/storage/store.js';
import { removeTempDirs, tempDir } from '../node/support.js';

const H = (c: string): string => c.repeat(64);

const header = (height: number): Header => ({
  chainId: 'store-test', height, prevHash: H(String(height)), time: 1_000 * (height + 1), txRoot: H('0'), stateRoot: H('1'),
  proposer: height === 0 ? '' : H('a'), validatorsHash: H('b'), nextValidatorsHash: H('b'),
});

const GENESIS_WRITES: StateWrites = new Map<string, any>([['acct/a', { nonce: 0 }], ['org/north', { org: 'north' }], ['gone', 'soon']]);

const access: AccessEvent = {
  txHash: H('7'), height: 1, time: 2_000, actor: H('d'), actorOrg: 'north', recordId: 'north:Observation/1', patient: H('e'),
  action: 'read', purpose: 'TREAT', outcome: 'granted', emergency: false,
};

const AUTHORITIES: Authority[] = [{ account: H('c'), org: 'north', nodeId: 'node-1' }];

function blockCommit(height: number, over: Partial<BlockCommit> = {}): BlockCommit {
  const events: IndexEvent[] = [
    { kind: 'record', recordId: 'north:Observation/1', patient: H('e'), custodian: 'north', recordType: 'Observation', contentHash: `sha256:${H('9')}`, version: 1, txHash: H('6'), height, time: 2_000 },
    { kind: 'consent', consentId: H('8'), patient: H('e'), height },
    { kind: 'member', account: H('f'), role: 'patient', org: null },
  ];
  const results: TxResult[] = [
    { hash: H('6'), receipt: { status: 'ok' }, events },
    { hash: H('7'), receipt: { status: 'ok', outcome: 'granted' }, events: [{ kind: 'access', event: access }] },
    { hash: H('5'), receipt: { status: 'rejected', error: { code: 'unknown_record', message: 'no record' } }, events: [] },
  ];
  return {
    block: { header: header(height), txs: [] }, hash: H('d'),
    commit: { height, round: 2, blockHash: H('d'), signatures: [{ validator: H('c'), sig: 'ee'.repeat(64) }] },
    txHashes: results.map((r) => r.hash), results,
    writes: new Map<string, any>([['acct/a', { nonce: 3 }], ['gone', null], ['acct/new', { nonce: 0, role: 'patient' }]]),
    nextAuthorities: AUTHORITIES,
    ...over,
  };
}

/** A block by its hash, as NodeApi.getBlock reads it: hash -> height, then the block. */
async function blockByHash(s: ChainStore, hash: string) {
  const h = await s.getBlockHeight(hash);
  return h === undefined ? undefined : s.getBlock(h);
}

const stores: ChainStore[] = [];
async function open(dir: string): Promise<ChainStore> {
  const s = await ChainStore.open(dir);
  stores.push(s);
  return s;
}
async function close(s: ChainStore): Promise<void> {
  stores.splice(stores.indexOf(s), 1);
  await s.close();
}

async function withGenesis(): Promise<{ dir: string; store: ChainStore }> {
  const dir = join(tempDir('ml-store-'), 'data');
  const store = await open(dir);
  await store.initGenesis(header(0), H('0'), GENESIS_WRITES);
  return { dir, store };
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});
afterAll(() => removeTempDirs());

describe('ChainStore', () => {
  it('initGenesis writes height 0 with an empty commit and the genesis state', async () => {
    const { store } = await withGenesis();
    expect(await store.head()).toEqual({ height: 0, hash: H('0') });
    expect(await store.getBlock(0)).toMatchObject({ hash: H('0'), header: header(0), txs: [] });
    expect(await store.getCommit(0)).toEqual({ height: 0, round: 0, blockHash: H('0'), signatures: [] });
    expect(await store.getReceipts(0)).toEqual([]);
    expect((await blockByHash(store, H('0')))?.header.height).toBe(0);
    expect(await store.loadState()).toEqual(new Map<string, unknown>([['acct/a', { nonce: 0 }], ['org/north', { org: 'north' }], ['gone', 'soon']]));
  });

  it('initGenesis refuses a second genesis, before and after blocks, and leaves the chain as it was', async () => {
    const { store } = await withGenesis();
    const other = { ...header(0), time: 5 };
    await expect(store.initGenesis(other, H('9'), new Map([['x', 1]]))).rejects.toThrow(/a chain already exists/);
    await expect(store.initGenesis(other, H('9'), new Map())).rejects.toBeInstanceOf(StoreError);
    await store.commitBlock(blockCommit(1));
    await expect(store.initGenesis(other, H('9'), new Map())).rejects.toThrow(/a chain already exists/);
    expect(await store.head()).toEqual({ height: 1, hash: H('d') });
    expect((await store.getBlock(0))!.header).toEqual(header(0));
    expect(await blockByHash(store, H('9'))).toBeUndefined();
    expect((await store.loadState()).has('x')).toBe(false);
  });

  it('commitBlock writes every key of the block in one batch; a reopen finds head, state and authority changes', async () => {
    const { dir, store } = await withGenesis();
    const c = blockCommit(1);
    await store.commitBlock(c);

    expect(await store.head()).toEqual({ height: 1, hash: H('d') });
    expect(await store.getBlock(1)).toMatchObject({ hash: H('d'), header: header(1), txs: [] });
    expect(await blockByHash(store, H('d'))).toMatchObject({ hash: H('d'), header: header(1), txs: [] });
    expect(await store.getCommit(1)).toEqual(c.commit);
    expect(await store.getReceipts(1)).toEqual(c.results.map((r) => r.receipt));
    expect(await store.getTxLocation(H('6'))).toEqual({ height: 1, index: 0 });
    expect(await store.getTxLocation(H('7'))).toEqual({ height: 1, index: 1 });
    expect(await store.getTxLocation(H('5'))).toEqual({ height: 1, index: 2 });
    expect(await store.getTxLocation(H('4'))).toBeUndefined();
    // Index entries (storage/keys.ts) for the record, consent and access events.
    expect(JSON.parse((await store.get(K.recordVersionKey('north:Observation/1', 1)))!)).toMatchObject({ recordId: 'north:Observation/1', version: 1, txHash: H('6') });
    expect(await store.get(K.patientRecordKey(H('e'), 1, 0))).toBe('north:Observation/1');
    expect(await store.get(K.patientConsentKey(H('e'), 1, 0))).toBe(H('8'));
    // The access event is stored once, under its patient; the record and actor rows name the patient.
    expect(JSON.parse((await store.get(K.auditKey('patient', access.patient, 1, 1)))!)).toEqual(access);
    expect(await store.get(K.auditKey('recordId', access.recordId, 1, 1))).toBe(access.patient);
    expect(await store.get(K.auditKey('actor', access.actor, 1, 1))).toBe(access.patient);
    expect(await store.validatorChanges(1)).toEqual([{ height: 1, authorities: AUTHORITIES }]);
    expect(await store.validatorChanges(0)).toEqual([]);
    const state = new Map<string, unknown>([['acct/a', { nonce: 3 }], ['org/north', { org: 'north' }], ['acct/new', { nonce: 0, role: 'patient' }]]);
    expect(await store.loadState()).toEqual(state);

    await close(store);
    const again = await open(dir);
    expect(await again.head()).toEqual({ height: 1, hash: H('d') });
    expect(await again.loadState()).toEqual(state);
    expect(await again.getCommit(1)).toEqual(c.commit);
    expect(await again.validatorChanges(10)).toEqual([{ height: 1, authorities: AUTHORITIES }]);
  });

  it('a block that fails while its batch is assembled writes nothing at all', async () => {
    const { dir, store } = await withGenesis();
    const bad = blockCommit(1, { writes: new Map<string, any>([['acct/a', { nonce: 9 }], ['zz/late', 10n]]) });
    await expect(store.commitBlock(bad)).rejects.toThrow();
    const check = async (s: ChainStore) => {
      expect(await s.head()).toEqual({ height: 0, hash: H('0') });
      expect(await s.getBlock(1)).toBeUndefined();
      expect(await s.getCommit(1)).toBeUndefined();
      expect(await s.getTxLocation(H('6'))).toBeUndefined();
      expect(await blockByHash(s, H('d'))).toBeUndefined();
      expect((await s.loadState()).get('acct/a')).toEqual({ nonce: 0 });
      expect(await s.validatorChanges(5)).toEqual([]);
    };
    await check(store);
    await close(store);
    await check(await open(dir));
  });

  it('commits a sequence of blocks; validatorChanges lists only blocks that changed the set, oldest first', async () => {
    const { store } = await withGenesis();
    const set2: Authority[] = [...AUTHORITIES, { account: H('9'), org: 'north', nodeId: 'node-2' }];
    await store.commitBlock(blockCommit(1, { hash: H('1'), nextAuthorities: null, txHashes: [], results: [] }));
    await store.commitBlock(blockCommit(2, { hash: H('2'), txHashes: [], results: [] }));
    await store.commitBlock(blockCommit(3, { hash: H('3'), nextAuthorities: null, txHashes: [], results: [] }));
    await store.commitBlock(blockCommit(17, { hash: H('4'), nextAuthorities: set2, txHashes: [], results: [] }));
    expect(await store.validatorChanges(100)).toEqual([{ height: 2, authorities: AUTHORITIES }, { height: 17, authorities: set2 }]);
    expect(await store.validatorChanges(16)).toEqual([{ height: 2, authorities: AUTHORITIES }]);
    expect((await blockByHash(store, H('3')))?.header.height).toBe(3);
    expect(await store.head()).toEqual({ height: 17, hash: H('4') });
  });

  it('a block stored from its txs\' wire bytes reads back as the same objects as one serialised from the txs', async () => {
    const key = generateKeyPair();
    const txs = [
      { type: 'access.log' as const, payload: { recordId: 'north:Observation/1', action: 'read', purpose: 'TREAT', emergency: true, reason: 'other' } },
      { type: 'consent.grant' as const, payload: { grantee: 'org:north', scope: { recordTypes: ['Observation'] }, purpose: 'TREAT', expiresAt: 9_000 } },
    ].map((b, nonce) => decodeTx(signTx({ chainId: 'store-test', from: key.account, nonce, ...b }, key.secretKey)));
    const stored = [];
    for (const wires of [undefined, txs.map((d) => d.wire)]) {
      const { store } = await withGenesis();
      const c = blockCommit(1, { block: { header: header(1), txs: txs.map((d) => d.tx) }, txHashes: txs.map((d) => d.hash), txWires: wires });
      await store.commitBlock(c);
      stored.push(await store.getBlock(1));
      await close(store);
    }
    expect(stored[1]).toStrictEqual(stored[0]);
    expect(stored[1]).toStrictEqual({ hash: H('d'), header: header(1), txs: txs.map((d) => d.tx), txHashes: txs.map((d) => d.hash) });
    const { store } = await withGenesis();
    await expect(store.commitBlock(blockCommit(1, { block: { header: header(1), txs: txs.map((d) => d.tx) }, txWires: [txs[0]!.wire] }))).rejects.toThrow(/1 tx wires for 2 txs/);
    expect(await store.head()).toEqual({ height: 0, hash: H('0') });
  });

  it('reads a block summary (hash, header, tx hashes) and single txs by byte range, for blocks stored either way', async () => {
    const key = generateKeyPair();
    const txs = [
      { type: 'access.log' as const, payload: { recordId: 'north:Observation/1', action: 'read', purpose: 'TREAT' } },
      // A payload holding the stored block's own member names: the summary must take the block's, not the tx's.
      { type: 'record.anchor' as const, payload: { a: [1], txHashes: [H('9')], txs: ['x'], z: '],"txHashes":["' } },
      { type: 'consent.grant' as const, payload: { grantee: 'org:north', scope: { recordTypes: ['Observation'] }, purpose: 'TREAT', note: 'ünï' } },
    ].map((b, nonce) => decodeTx(signTx({ chainId: 'store-test', from: key.account, nonce, ...b } as any, key.secretKey)));
    for (const wires of [undefined, txs.map((d) => d.wire)]) {
      const { store } = await withGenesis();
      await store.commitBlock(blockCommit(1, { block: { header: header(1), txs: txs.map((d) => d.tx) }, txHashes: txs.map((d) => d.hash), txWires: wires }));
      await store.commitBlock(blockCommit(2, { hash: H('e'), block: { header: header(2), txs: [] }, txHashes: [], txWires: wires ? [] : undefined, results: [] }));
      expect(await store.getBlockSummary(1)).toStrictEqual({ hash: H('d'), header: header(1), txHashes: txs.map((d) => d.hash) });
      expect(await store.getBlockSummary(2)).toStrictEqual({ hash: H('e'), header: header(2), txHashes: [] });
      expect(await store.getBlockSummary(0)).toStrictEqual({ hash: H('0'), header: header(0), txHashes: [] });
      expect(await store.getBlockSummary(3)).toBeUndefined();
      for (const [i, d] of txs.entries()) {
        const loc = await store.getTxLocation(d.hash);
        expect(loc).toMatchObject({ height: 1, index: i });
        if (wires === undefined) {
          expect(loc!.at).toBeUndefined();
        } else {
          expect(loc!.at).toHaveLength(2);
          expect(await store.getTxAt(1, loc!.at!)).toStrictEqual(d.tx);
        }
      }
      if (wires !== undefined) {
        await expect(store.getTxAt(1, [5, 1_000_000])).rejects.toMatchObject({ code: 'corrupt' });
        await expect(store.getTxAt(1, [-1, 3])).rejects.toThrow(/outside the stored block/);
        expect(await store.getTxAt(9, [0, 1])).toBeUndefined();
      }
      await close(store);
    }
  });

  it('a locked data directory is refused with a clear message', async () => {
    const { dir } = await withGenesis();
    const err = await ChainStore.open(dir).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('locked');
    expect((err as StoreError).message).toBe(`data directory ${dir} is locked: another medledger process is using it`);
  });

  it('a data directory that cannot be opened is an io error with advice', async () => {
    const file = join(tempDir('ml-store-'), 'not-a-dir');
    writeFileSync(file, 'x');
    const err = await ChainStore.open(file).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('io');
    expect((err as StoreError).message).toMatch(/cannot open data directory .*not-a-dir/);
  });

  it('a stored value that is not JSON is a corrupt error naming its key', async () => {
    const { dir, store } = await withGenesis();
    await close(store);
    const raw = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await raw.put(K.HEAD, '{"height":');
    await raw.put(K.blockKey(0), 'not json');
    await raw.close();
    const s = await open(dir);
    const err = await s.head().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('corrupt');
    expect((err as StoreError).message).toBe(`stored value at ${K.HEAD} is not valid JSON`);
    await expect(s.getBlock(0)).rejects.toThrow(`stored value at ${K.blockKey(0)} is not valid JSON`);
    await expect(s.getBlockSummary(0)).rejects.toThrow(`stored value at ${K.blockKey(0)} is not valid JSON`);
    await expect(blockByHash(s, H('0'))).rejects.toThrow(/is not valid JSON/);
    // Other keys are unaffected.
    expect(await s.getCommit(0)).toMatchObject({ height: 0 });
  });

  it('missing keys read as undefined', async () => {
    const { store } = await withGenesis();
    expect(await store.getBlock(99)).toBeUndefined();
    expect(await store.getCommit(99)).toBeUndefined();
    expect(await store.getReceipts(99)).toBeUndefined();
    expect(await blockByHash(store, H('e'))).toBeUndefined();
    expect(await store.get('nope')).toBeUndefined();
  });
});
