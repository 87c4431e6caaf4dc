import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../../src/chain/ed25519.js';
import { precommitSignBytes } from '../../../src/chain/block.js';
import type { Commit } from '../../../src/chain/types.js';
import { InvalidBlockError } from '../../../src/node/chain-service.js';
import { ConsensusHost } from '../../../src/node/consensus-host.js';
import { BlockSync, type SyncOptions } from '../../../src/node/sync.js';
import { MAX_BLOCKS_PER_REQUEST, parseBlocksRequest, parseBlocksResponse, SyncProtocolError, parseStatus, type SyncedBlock } from '../../../src/node/sync-messages.js';
import { silentLogger } from '../../../src/util/logger.js';
import { certify, commitNext, dec, enc, FakeNetwork, fixedKey, openChain, registerPatient, removeTempDirs, waitFor, type ChainEnv } from './support.js';

const HASH = 'ab'.repeat(32);
const OPTS: SyncOptions = { statusIntervalMs: 60_000, maxStatusIntervalMs: 60_000, batch: 2, maxResponseBytes: 3 * 1024 * 1024 };
const HEIGHT = 5;

describe('sync messages: bounds at the edge', () => {
  it('parseStatus', () => {
    expect(parseStatus({ height: 0, hash: HASH })).toEqual({ height: 0, hash: HASH });
    expect(parseStatus({ height: 7, hash: HASH, extra: 1 })).toEqual({ height: 7, hash: HASH });
    for (const bad of [null, [], 'x', 1, {}, { height: -1, hash: HASH }, { height: 1.5, hash: HASH }, { height: '1', hash: HASH },
      { height: 2 ** 53, hash: HASH }, { height: 1 }, { height: 1, hash: HASH.toUpperCase() }, { height: 1, hash: HASH.slice(2) }]) {
      expect(() => parseStatus(bad), JSON.stringify(bad)).toThrow(/status must be/);
    }
  });

  it('parseBlocksRequest: from >= 1, count 1..MAX_BLOCKS_PER_REQUEST', () => {
    expect(MAX_BLOCKS_PER_REQUEST).toBe(200);
    expect(parseBlocksRequest({ from: 1, count: 1 })).toEqual({ from: 1, count: 1 });
    expect(parseBlocksRequest({ from: Number.MAX_SAFE_INTEGER, count: MAX_BLOCKS_PER_REQUEST })).toEqual({ from: Number.MAX_SAFE_INTEGER, count: 200 });
    for (const bad of [null, [], 7, {}, { from: 0, count: 1 }, { from: -1, count: 1 }, { from: 1, count: 0 }, { from: 1, count: 201 },
      { from: 1.5, count: 1 }, { from: 1, count: 2.5 }, { from: '1', count: 1 }, { from: 1, count: '1' }, { from: 2 ** 53, count: 1 }, { from: 1 }]) {
      expect(() => parseBlocksRequest(bad), JSON.stringify(bad)).toThrow(/blocks request must be/);
    }
  });

  it('parseBlocksResponse: shape only, naming the bad entry', () => {
    const entry = { block: { header: { height: 1 }, txs: [] }, commit: { height: 1 } };
    const p = (raw: unknown) => parseBlocksResponse(raw, 1, 5);
    expect(p({ blocks: [] })).toEqual([]);
    expect(p({ blocks: [entry] })).toHaveLength(1);
    expect(() => p(null)).toThrow(/blocks response must be an object/);
    expect(() => p([])).toThrow(/blocks response must be an object/);
    expect(() => p({})).toThrow(/blocks list/);
    expect(() => p({ blocks: {} })).toThrow(/blocks list/);
    expect(() => p({ blocks: [entry, 1] })).toThrow(/blocks\[1\] must be an object/);
    expect(() => p({ blocks: [{ ...entry, block: null }] })).toThrow(/blocks\[0\]\.block must be/);
    expect(() => p({ blocks: [{ ...entry, block: { txs: [] } }] })).toThrow(/blocks\[0\]\.block\.header must be/);
    expect(() => p({ blocks: [{ ...entry, block: { header: { height: 1 }, txs: {} } }] })).toThrow(/blocks\[0\]\.block\.txs must be a list/);
    expect(() => p({ blocks: [{ block: entry.block }] })).toThrow(/blocks\[0\]\.commit must be/);
  });

  it('parseBlocksResponse: no more blocks than asked, consecutive from the requested height', () => {
    const at = (h: number) => ({ block: { header: { height: h }, txs: [] }, commit: {} });
    expect(parseBlocksResponse({ blocks: [at(4), at(5)] }, 4, 2)).toHaveLength(2);
    expect(() => parseBlocksResponse({ blocks: [at(4), at(5), at(6)] }, 4, 2)).toThrow(SyncProtocolError);
    expect(() => parseBlocksResponse({ blocks: [at(5)] }, 4, 2)).toThrow(/expected 4/);
    expect(() => parseBlocksResponse({ blocks: [at(4), at(4)] }, 4, 2)).toThrow(/expected 5/);
  });
});

// A source chain of HEIGHT blocks (4 authorities), built once and served read-only.
let source: ChainEnv;
let sourceNet: FakeNetwork;
let sourceSync: BlockSync;

beforeAll(async () => {
  source = await openChain({ authorities: 4 });
  let nonce = 0;
  for (let h = 1; h <= HEIGHT; h++) {
    for (let i = 0; i < h % 3; i++) source.admission.admit(registerPatient(nonce++));
    await commitNext(source);
  }
  sourceNet = new FakeNetwork('source');
  sourceSync = new BlockSync(OPTS, { chain: source.chain, store: source.store, network: sourceNet, apply: async () => 0, logger: silentLogger() });
});

const targets: Array<{ env: ChainEnv; host: ConsensusHost; sync: BlockSync }> = [];
afterEach(async () => {
  for (const t of targets.splice(0)) {
    t.sync.stop();
    t.host.stop();
    await t.env.close();
  }
});
afterAll(async () => {
  sourceSync.stop();
  await source.close();
  removeTempDirs();
});

describe('BlockSync serving peers', () => {
  it('status: the head', async () => {
    expect(parseStatus(dec(await sourceNet.serve('status', {})))).toEqual({ height: HEIGHT, hash: source.chain.head.hash });
  });

  it('blocks: from/count clipped at the head, each with its certificate', async () => {
    const get = async (req: unknown) => {
      const r = req as { from?: unknown; count?: unknown };
      return parseBlocksResponse(dec(await sourceNet.serve('blocks', req)), Number(r.from), Number(r.count));
    };
    const all = await get({ from: 1, count: MAX_BLOCKS_PER_REQUEST });
    expect(all.map((b) => b.block.header.height)).toEqual([1, 2, 3, 4, 5]);
    for (const b of all) expect(b.commit.height).toBe(b.block.header.height);
    expect((await get({ from: 4, count: 10 })).map((b) => b.block.header.height)).toEqual([4, 5]);
    expect((await get({ from: 2, count: 2 })).map((b) => b.block.header.height)).toEqual([2, 3]);
    expect(await get({ from: HEIGHT + 1, count: 1 })).toEqual([]);
    expect(await get({ from: Number.MAX_SAFE_INTEGER, count: 200 })).toEqual([]);
    // Served blocks carry exactly header and txs (no stored extras such as the hash).
    expect(Object.keys(all[0]!.block).sort()).toEqual(['header', 'txs']);
  });

  it('blocks: refuses malformed and out-of-bounds requests (the requester gets an error)', async () => {
    for (const bad of [{ from: 0, count: 1 }, { from: 1, count: 0 }, { from: 1, count: 201 }, { from: 1 }, null, '"x"', '[1]']) {
      await expect(sourceNet.serve('blocks', bad)).rejects.toThrow(/blocks request must be|must be an object/);
    }
    const h = sourceNet.requestHandlers.get('blocks')!;
    await expect(h(Buffer.from('{not json'), 'peer-x')).rejects.toThrow(SyncProtocolError);
    expect(sourceNet.penalties.filter((p) => p.peer === 'peer-x' && /malformed blocks request/.test(p.reason))).toHaveLength(1);
  });

  it('blocks: a response stops at maxResponseBytes but always carries at least one block', async () => {
    const net = new FakeNetwork('tiny');
    const tiny = new BlockSync({ ...OPTS, maxResponseBytes: 10 }, { chain: source.chain, store: source.store, network: net, apply: async () => 0, logger: silentLogger() });
    const blocks = parseBlocksResponse(dec(await net.serve('blocks', { from: 1, count: 5 })), 1, 5);
    expect(blocks.map((b) => b.block.header.height)).toEqual([1]);
    tiny.stop();
  });
});

/** A fresh node at genesis syncing through `respond`. */
async function target(respond: FakeNetwork['respond'], opts: SyncOptions = OPTS) {
  const env = await openChain({ authorities: 4 });
  const net = new FakeNetwork('target');
  net.respond = respond;
  const host = new ConsensusHost(
    { timeouts: { proposeMs: 60_000, prevoteMs: 60_000, precommitMs: 60_000, deltaMs: 0 }, blockWindowMs: 5, emptyBlockIntervalMs: 0, maxClockDriftMs: 2_000, rebroadcastMs: 60_000, missingBlockGraceMs: 0 },
    { chain: env.chain, mempool: env.mempool, signer: null, network: net, logger: silentLogger() },
  );
  const sync = new BlockSync(opts, { chain: env.chain, store: env.store, network: net, apply: (b) => host.applySynced(b), logger: silentLogger() });
  targets.push({ env, host, sync });
  return { env, net, host, sync };
}

/** Serves the source chain, passing every blocks response through `tamper`. */
function serveSource(tamper: (blocks: SyncedBlock[]) => unknown = (b) => ({ blocks: b })): FakeNetwork['respond'] {
  return async (_peer, protocol, req) => {
    const res = await sourceNet.serve(protocol, dec(req));
    if (protocol !== 'blocks') return res;
    const r = dec(req) as { from: number; count: number };
    return enc(tamper(parseBlocksResponse(dec(res), r.from, r.count)));
  };
}

const withCommit = (f: (c: Commit, b: SyncedBlock) => Commit) => (blocks: SyncedBlock[]) => ({ blocks: blocks.map((b) => ({ ...b, commit: f(structuredClone(b.commit), b) })) });

describe('BlockSync catching up', () => {
  it('applies a valid chain of several blocks in batches, re-executing to the same state', async () => {
    const t = await target(serveSource());
    t.net.connect('source');
    await waitFor(() => t.env.chain.head.height === HEIGHT, 10_000, 'sync to the source head');
    expect(t.env.chain.head.hash).toBe(source.chain.head.hash);
    expect([...t.env.chain.stateReader.map].sort()).toEqual([...source.chain.stateReader.map].sort());
    for (let h = 1; h <= HEIGHT; h++) {
      expect((await t.env.store.getBlock(h))!.hash).toBe((await source.store.getBlock(h))!.hash);
      expect(await t.env.store.getCommit(h)).toEqual(await source.store.getCommit(h));
      expect(await t.env.store.getReceipts(h)).toEqual(await source.store.getReceipts(h));
    }
    // batch = 2: heights 1-2, 3-4, 5.
    expect(t.net.requests.filter((r) => r.protocol === 'blocks').map((r) => r.req)).toEqual([{ from: 1, count: 2 }, { from: 3, count: 2 }, { from: 5, count: 1 }]);
    expect(t.net.penalties).toEqual([]);
    expect(t.sync.syncing).toBe(false);
    await t.host.idle();
    expect(t.host.status.height).toBe(HEIGHT + 1);
  });

  const forgeries: Array<[string, (blocks: SyncedBlock[]) => unknown]> = [
    ['a flipped signature', withCommit((c) => ({ ...c, signatures: c.signatures.map((s, i) => (i === 0 ? { ...s, sig: (s.sig[0] === 'a' ? 'b' : 'a') + s.sig.slice(1) } : s)) }))],
    ['too few signatures (2 of 4)', withCommit((c) => ({ ...c, signatures: c.signatures.slice(0, 2) }))],
    ['one signer repeated to a quorum', withCommit((c) => ({ ...c, signatures: [c.signatures[0]!, c.signatures[0]!, c.signatures[0]!] }))],
    ['an outsider among the signers', withCommit((c, b) => {
      const o = fixedKey('outsider-sync');
      return { ...c, signatures: [...c.signatures.slice(0, 2), { validator: o.account, sig: sign(o.secretKey, precommitSignBytes(source.genesis.chainId, b.block.header.height, c.round, c.blockHash)) }] };
    })],
    ['signatures for another round', withCommit((c) => ({ ...c, round: 1 }))],
    ['a certificate for another height', withCommit((c) => ({ ...c, height: c.height + 1 }))],
    ['no signatures', withCommit((c) => ({ ...c, signatures: [] }))],
    ['signatures not a list', withCommit((c) => ({ ...c, signatures: 'x' as never }))],
    ['a malformed signature entry', withCommit((c) => ({ ...c, signatures: [null as never] }))],
    ['a certificate signed by the authorities for another block', withCommit((c) => certify(source, c.height, 'cd'.repeat(32)))],
    ['a block altered under its certificate', (blocks) => ({ blocks: blocks.map((b) => ({ ...b, block: { ...b.block, txs: b.block.txs.slice(1) } })) })],
    ['a header altered under its certificate', (blocks) => ({ blocks: blocks.map((b) => ({ ...b, block: { ...b.block, header: { ...b.block.header, time: b.block.header.time + 1 } } })) })],
    ['a malformed response', () => ({ blocks: [{ block: null }] })],
  ];

  it.each(forgeries)('refuses %s, penalises the peer, and changes nothing', async (_what, tamper) => {
    const t = await target(serveSource(tamper));
    const state = JSON.stringify([...t.env.chain.stateReader.map]);
    t.net.connect('source');
    await waitFor(() => t.net.penalties.length > 0, 5_000, 'a penalty');
    expect(t.net.penalties[0]!.peer).toBe('source');
    expect(t.net.penalties[0]!.reason).toMatch(/bad sync response/);
    await t.host.idle();
    expect(t.env.chain.head.height).toBe(0);
    expect((await t.env.store.head())!.height).toBe(0);
    expect(await t.env.store.getBlock(1)).toBeUndefined();
    expect(JSON.stringify([...t.env.chain.stateReader.map])).toBe(state);
  });

  it('after a peer serving a forged certificate, syncs from an honest one', async () => {
    const forged = serveSource(withCommit((c) => ({ ...c, signatures: c.signatures.slice(0, 1) })));
    const honest = serveSource();
    const t = await target(async (peer, protocol, req) => {
      // The liar claims to be further ahead, so it is asked first.
      if (peer === 'liar' && protocol === 'status') return enc({ height: HEIGHT + 10, hash: 'ef'.repeat(32) });
      return (peer === 'liar' ? forged : honest)(peer, protocol, req);
    });
    t.net.peers.push('honest', 'liar');
    t.sync.poke();
    await waitFor(() => t.env.chain.head.height === HEIGHT, 10_000, 'sync from the honest peer');
    expect(t.net.penalties.map((p) => p.peer)).toContain('liar');
    expect(t.net.penalties.map((p) => p.peer)).not.toContain('honest');
  });

  it('an unreachable or timing-out peer is not penalised', async () => {
    const t = await target(async (peer) => {
      throw new Error(`request to ${peer} timed out`);
    });
    t.net.connect('source');
    await waitFor(() => t.net.requests.length > 0, 5_000, 'a status request');
    await new Promise((r) => setTimeout(r, 20));
    expect(t.net.penalties).toEqual([]);
    expect(t.sync.syncing).toBe(false);
  });
});

describe('BlockSync status polls', () => {
  const fast: SyncOptions = { ...OPTS, statusIntervalMs: 20, maxStatusIntervalMs: 80 };
  const statusRequests = (net: FakeNetwork) => net.requests.filter((r) => r.protocol === 'status').length;

  it('back off while no peer is ahead', async () => {
    const t = await target(async (_peer, protocol) => {
      if (protocol !== 'status') throw new Error('unexpected');
      return enc({ height: 0, hash: t.env.chain.head.hash });
    }, fast);
    t.net.connect('peer-a');
    t.sync.start();
    await new Promise((r) => setTimeout(r, 400));
    // every 20 ms would be ~20 polls; at 20, 40, 80, 80, ... ms apart about 8, with the start and connect polls
    expect(statusRequests(t.net)).toBeGreaterThanOrEqual(3);
    expect(statusRequests(t.net)).toBeLessThanOrEqual(12);
  });

  it('a peer ahead is still found by the timer and synced from', async () => {
    let serve = false;
    const answer = serveSource();
    const t = await target(async (peer, protocol, req) => {
      if (!serve) return enc({ height: 0, hash: t.env.chain.head.hash });
      return answer(peer, protocol, req);
    }, fast);
    t.net.connect('source');
    t.sync.start();
    await new Promise((r) => setTimeout(r, 200)); // backed off to the maximum
    serve = true; // the peer moved on without telling us
    await waitFor(() => t.env.chain.head.height === HEIGHT, 5_000, 'sync after the peer moved on');
  });
});

describe('ConsensusHost.applySynced', () => {
  it('skips known blocks, stops at a gap, and refuses a forged certificate with InvalidBlockError', async () => {
    const t = await target(serveSource());
    const blocks = parseBlocksResponse(dec(await sourceNet.serve('blocks', { from: 1, count: HEIGHT })), 1, HEIGHT);
    expect(await t.host.applySynced(blocks.slice(2))).toBe(0); // gap: head is 0
    expect(await t.host.applySynced(blocks.slice(0, 2))).toBe(2);
    expect(await t.host.applySynced(blocks.slice(0, 3))).toBe(1); // 1 and 2 are known
    const bad = { ...blocks[3]!, commit: { ...blocks[3]!.commit, signatures: [] } };
    await expect(t.host.applySynced([bad])).rejects.toThrow(InvalidBlockError);
    expect(t.env.chain.head.height).toBe(3);
    // A batch whose second block is forged keeps the first and refuses the rest.
    await expect(t.host.applySynced([blocks[3]!, { ...blocks[4]!, commit: { ...blocks[4]!.commit, round: 9 } }])).rejects.toThrow(InvalidBlockError);
    expect(t.env.chain.head.height).toBe(4);
  });
});
