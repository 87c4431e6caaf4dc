import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessEvent, IndexEvent, TxResult } from '../../../src/chain/state/interface.js';
import type { Header } from '../../../src/chain/types.js';
import { DEFAULT_LIMIT, IndexQueries, MAX_LIMIT, decodeCursor, encodeCursor, type IndexStore } from '../../../src/storage/queries.js';
import { ChainStore } from '../../../src/storage/store.js';
import { ParamError } from '../../../src/util/errors.js';
import { tempDir } from '../../support/node-proc.js';

const H = (c: string): string => c.repeat(64);
const P1 = H('1');
const P2 = H('2');
const DOC = H('d');
const NURSE = H('e');

/** One committed block per call, each tx carrying the given index events. */
async function commit(store: ChainStore, height: number, txs: IndexEvent[][]): Promise<void> {
  const header: Header = {
    chainId: 't', height, prevHash: H('0'), time: 1000 * height, txRoot: H('0'), stateRoot: H('0'), proposer: H('a'), validatorsHash: H('b'), nextValidatorsHash: H('b'),
  };
  const results: TxResult[] = txs.map((events, i) => ({ hash: `${height}-${i}`, receipt: { status: 'ok' }, events }));
  await store.commitBlock({
    block: { header, txs: [] }, hash: H('c'), commit: { height, round: 0, blockHash: H('c'), signatures: [] },
    txHashes: [], results, writes: new Map(), nextAuthorities: null,
  });
}

const rec = (recordId: string, patient: string, version: number, height: number): IndexEvent => ({
  kind: 'record', recordId, patient, custodian: recordId.split(':')[0]!, recordType: 'Observation', contentHash: `sha256:${H(String(version % 10))}`,
  version, txHash: H('f'), height, time: 1000 * height,
});

const access = (recordId: string, patient: string, actor: string, height: number, tag: string): IndexEvent => {
  const event: AccessEvent = {
    txHash: H('f'), height, time: 1000 * height, actor, actorOrg: 'north', recordId, patient, action: 'read', purpose: 'TREAT',
    outcome: 'granted', emergency: false, consentId: tag,
  };
  return { kind: 'access', event };
};

/** A store wrapper that counts the rows each query reads. */
function counting(store: IndexStore): { store: IndexStore; rows: () => number; reset: () => void } {
  let rows = 0;
  return {
    store: {
      range: async (o) => { const r = await store.range(o); rows += r.length; return r; },
      getMany: async (keys) => { rows += keys.length; return store.getMany(keys); },
    },
    rows: () => rows,
    reset: () => { rows = 0; },
  };
}

const paramField = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ParamError) return err.field;
    throw err;
  }
  throw new Error('expected a ParamError');
};

describe('IndexQueries over a real ChainStore', () => {
  let dir: string;
  let store: ChainStore;
  let q: IndexQueries;

  beforeAll(async () => {
    dir = tempDir('ml-queries-');
    store = await ChainStore.open(dir);
    q = new IndexQueries(store);
    // Heights 1..5: P1 gets records r1..r5 (one per block) and two versions of r1;
    // records whose ids extend "north:r1/" must never leak into north:r1's ranges.
    for (let h = 1; h <= 5; h++) await commit(store, h, [[rec(`north:r${h}`, P1, 1, h)]]);
    await commit(store, 6, [
      [rec('north:r1', P1, 2, 6)],
      [rec('north:r1/000000000003', P2, 1, 6)],
      [rec('north:r1/b', P2, 1, 6)],
      [{ kind: 'consent', consentId: H('5'), patient: P1, height: 6 }],
    ]);
    await commit(store, 7, [[rec('north:r1', P1, 3, 7)], [{ kind: 'consent', consentId: H('6'), patient: P1, height: 7 }], [{ kind: 'consent', consentId: H('7'), patient: P1, height: 7 }]]);
    // Access events: heights 8..12, two per block on north:r1 (DOC then NURSE), plus a foreign record's events.
    for (let h = 8; h <= 12; h++) {
      await commit(store, h, [
        [access('north:r1', P1, DOC, h, `${h}-0`)],
        [access('north:r1/000000000000000c', P2, DOC, h, `${h}-x`)],
        [access('north:r1', P1, NURSE, h, `${h}-1`)],
      ]);
    }
    // 150 events of P2 in one block, for the default limit.
    await commit(store, 13, Array.from({ length: 150 }, (_, i) => [access('north:r2', P2, NURSE, 13, `13-${i}`)]));
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recordVersions: every version oldest first, only of that exact record id', async () => {
    const v = await q.recordVersions('north:r1');
    expect(v.map((x) => [x.version, x.height])).toEqual([[1, 1], [2, 6], [3, 7]]);
    expect(v[0]).toEqual({ recordId: 'north:r1', patient: P1, custodian: 'north', recordType: 'Observation', contentHash: `sha256:${H('1')}`, version: 1, txHash: H('f'), height: 1, time: 1000 });
    expect(await q.recordVersions('north:r1/b')).toHaveLength(1);
    expect(await q.recordVersions('north:nope')).toEqual([]);
  });

  it('recordsByPatient: newest first by first anchor, paged with cursors, nextCursor null on the last page', async () => {
    const all = await q.recordsByPatient(P1);
    expect(all).toEqual({ items: ['north:r5', 'north:r4', 'north:r3', 'north:r2', 'north:r1'], nextCursor: null });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await q.recordsByPatient(P1, cursor, 2);
      seen.push(...page.items);
      pages++;
      cursor = page.nextCursor ?? undefined;
      if (pages < 3) expect(page.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.items);
    expect(await q.recordsByPatient(P2)).toEqual({ items: ['north:r1/b', 'north:r1/000000000003'], nextCursor: null });
    expect(await q.recordsByPatient(H('9'))).toEqual({ items: [], nextCursor: null });
  });

  it('a page that ends exactly at the last item has nextCursor null', async () => {
    const first = await q.recordsByPatient(P1, undefined, 5);
    expect(first.nextCursor).toBeNull();
    const four = await q.recordsByPatient(P1, undefined, 4);
    expect(four.nextCursor).not.toBeNull();
    expect(await q.recordsByPatient(P1, four.nextCursor!, 4)).toEqual({ items: ['north:r1'], nextCursor: null });
  });

  it('consentsByPatient: grant order (oldest first), within a block by tx index', async () => {
    expect(await q.consentsByPatient(P1)).toEqual({ items: [H('5'), H('6'), H('7')], nextCursor: null });
    const p1 = await q.consentsByPatient(P1, undefined, 2);
    expect(p1.items).toEqual([H('5'), H('6')]);
    expect(await q.consentsByPatient(P1, p1.nextCursor!, 2)).toEqual({ items: [H('7')], nextCursor: null });
  });

  it('accessEvents by record, patient and actor: newest first, reverse tx order within a block', async () => {
    const byRecord = await q.accessEvents({ by: 'recordId', id: 'north:r1' });
    expect(byRecord.items.map((e) => e.consentId)).toEqual(['12-1', '12-0', '11-1', '11-0', '10-1', '10-0', '9-1', '9-0', '8-1', '8-0']);
    expect(byRecord.nextCursor).toBeNull();
    const byActor = await q.accessEvents({ by: 'actor', id: DOC });
    expect(byActor.items.map((e) => e.consentId)).toEqual(['12-x', '12-0', '11-x', '11-0', '10-x', '10-0', '9-x', '9-0', '8-x', '8-0']);
    const byPatient = await q.accessEvents({ by: 'patient', id: P1, limit: 3 });
    expect(byPatient.items.map((e) => e.consentId)).toEqual(['12-1', '12-0', '11-1']);
    expect(byPatient.items[0]).toMatchObject({ recordId: 'north:r1', patient: P1, actor: NURSE, height: 12, outcome: 'granted' });
  });

  it('height filters are inclusive key bounds and combine with cursors', async () => {
    const mid = await q.accessEvents({ by: 'recordId', id: 'north:r1', fromHeight: 9, toHeight: 10 });
    expect(mid.items.map((e) => e.consentId)).toEqual(['10-1', '10-0', '9-1', '9-0']);
    const from = await q.accessEvents({ by: 'recordId', id: 'north:r1', fromHeight: 12 });
    expect(from.items.map((e) => e.consentId)).toEqual(['12-1', '12-0']);
    const to = await q.accessEvents({ by: 'recordId', id: 'north:r1', toHeight: 8 });
    expect(to.items.map((e) => e.consentId)).toEqual(['8-1', '8-0']);
    expect((await q.accessEvents({ by: 'recordId', id: 'north:r1', fromHeight: 100 })).items).toEqual([]);
    expect((await q.accessEvents({ by: 'recordId', id: 'north:r1', toHeight: 7 })).items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await q.accessEvents({ by: 'recordId', id: 'north:r1', fromHeight: 9, toHeight: 11, cursor, limit: 4 });
      seen.push(...page.items.map((e) => e.consentId!));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(['11-1', '11-0', '10-1', '10-0', '9-1', '9-0']);
    expect(await paramField(q.accessEvents({ by: 'recordId', id: 'north:r1', fromHeight: 5, toHeight: 4 }))).toBe('toHeight');
    expect(await paramField(q.accessEvents({ by: 'recordId', id: 'north:r1', fromHeight: -1 }))).toBe('fromHeight');
  });

  it('limit: default 100, max 1000; out of range is a ParamError naming limit', async () => {
    const page = await q.accessEvents({ by: 'patient', id: P2 });
    expect(page.items).toHaveLength(DEFAULT_LIMIT);
    expect(page.items[0]!.consentId).toBe('13-149');
    const rest = await q.accessEvents({ by: 'patient', id: P2, cursor: page.nextCursor! });
    expect(rest.items).toHaveLength(55);
    expect(rest.items.at(-1)!.consentId).toBe('8-x');
    expect(rest.nextCursor).toBeNull();
    expect((await q.accessEvents({ by: 'patient', id: P2, limit: MAX_LIMIT })).items).toHaveLength(155);
    for (const limit of [0, -1, 1001, 1.5]) expect(await paramField(q.accessEvents({ by: 'patient', id: P2, limit }))).toBe('limit');
    expect(await paramField(q.recordsByPatient(P1, undefined, 0))).toBe('limit');
  });

  it('a malformed cursor is a ParamError naming cursor', async () => {
    const good = (await q.recordsByPatient(P1, undefined, 1)).nextCursor!;
    expect(decodeCursor(good)).toMatch(/^[0-9a-f]{24}$/);
    const bad = ['', '!!!', 'abc', encodeCursor('not-a-key-suffix-at-all!'), encodeCursor('0'.repeat(23)), encodeCursor('A'.repeat(24)), good + 'A', 'x'.repeat(100)];
    for (const cursor of bad) {
      expect(await paramField(q.recordsByPatient(P1, cursor, 1))).toBe('cursor');
      expect(await paramField(q.accessEvents({ by: 'actor', id: DOC, cursor }))).toBe('cursor');
    }
  });

  it('reads only the page: cost does not grow with the chain or with other ids', async () => {
    const c = counting(store);
    const cq = new IndexQueries(c.store);
    await cq.accessEvents({ by: 'recordId', id: 'north:r1', limit: 2 });
    expect(c.rows()).toBeLessThanOrEqual(2 + 1 + 2); // the page's index rows, then its 2 events by key
    c.reset();
    await cq.accessEvents({ by: 'patient', id: P1, limit: 1, fromHeight: 10, toHeight: 10 });
    expect(c.rows()).toBeLessThanOrEqual(2);
    c.reset();
    const page = await cq.accessEvents({ by: 'patient', id: P2, limit: 10 });
    expect(page.items).toHaveLength(10);
    expect(c.rows()).toBeLessThanOrEqual(10 + 1);
  });
});
