import { beforeEach, describe, expect, it, vi } from 'vitest';
import { closeSync, fsyncSync, mkdtempSync, openSync, readdirSync, writeFileSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, sign } from '../../../src/chain/ed25519.js';
import { genesisBlock, genesisState, validateGenesis, DEFAULT_PARAMS } from '../../../src/chain/genesis.js';
import { Mempool } from '../../../src/chain/mempool.js';
import { StateMachine, chainHandlers } from '../../../src/chain/state/index.js';
import { createTxDecoder } from '../../../src/chain/validate-tx.js';
import { signTx } from '../../../src/chain/tx.js';
import { recordHandlers } from '../../../src/records/index.js';
import { ChainStore, storedBlockBytes } from '../../../src/storage/store.js';
import { BlockLog, type BlockLogIo } from '../../../src/storage/block-log.js';
import { ChainService, InvalidBlockError, TxRootMismatchError } from '../../../src/node/chain-service.js';
import { TxAdmission } from '../../../src/node/admission.js';
import { blockHash, precommitSignBytes, txRootOf } from '../../../src/chain/block.js';
import { canonicalBytes } from '../../../src/chain/jcs.js';
import { silentLogger } from '../../../src/util/logger.js';
import { gateBlockWrites } from './support.js';
import type { Block, Commit } from '../../../src/chain/types.js';

const admin = generateKeyPair();
const authority = generateKeyPair();
const NODE_ID = '12D3KooWJmEVCJxM71DUbdZBbjE7Bm3pEEopHJJyfQF4b8BXxkvQ';

/** A chain in `dir` (a new one by default; opened again when it holds one), with a block log when asked. */
async function setup(opts: { dir?: string; blockLog?: true | BlockLogIo } = {}) {
  const genesis = validateGenesis({ chainId: 'cs-test', time: 1_700_000_000_000, orgs: [{ org: 'dev', name: 'Dev', admins: [admin.account] }], authorities: [{ account: authority.account, org: 'dev', nodeId: NODE_ID }], params: DEFAULT_PARAMS });
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ml-cs-'));
  const store = await ChainStore.open(join(dir, 'data'));
  const g = genesisBlock(genesis);
  if (!(await store.head())) await store.initGenesis(g.header, g.hash, genesisState(genesis));
  const handlers = [...chainHandlers, ...recordHandlers];
  const machine = new StateMachine(handlers);
  const decode = createTxDecoder(handlers, { maxTxBytes: genesis.params.maxTxBytes });
  const mempool = new Mempool();
  const blockLog = opts.blockLog ? await BlockLog.open(join(dir, 'block-log'), opts.blockLog === true ? undefined : opts.blockLog) : null;
  const chain = await ChainService.open({ genesis, store, machine, decode, mempool, logger: silentLogger(), blockLog });
  return { genesis, dir, store, blockLog, chain, mempool, admission: new TxAdmission(chain, mempool, machine, decode) };
}

function certify(chainId: string, height: number, hash: string): Commit {
  return { height, round: 0, blockHash: hash, signatures: [{ validator: authority.account, sig: sign(authority.secretKey, precommitSignBytes(chainId, height, 0, hash)) }] };
}

describe('ChainService block validation', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    env = await setup();
  });

  const register = (nonce: number) => signTx({ chainId: 'cs-test', type: 'member.register', from: admin.account, nonce, payload: { account: generateKeyPair().account, role: 'patient' } }, admin.secretKey);

  it('builds, validates on a fresh node, and commits a block', async () => {
    env.admission.admit(register(0));
    const e = env.chain.buildBlock(authority.account, Date.now());
    expect(e.block.txs).toHaveLength(1);
    // A peer with the same genesis but its own store and an empty mempool re-executes to the same roots.
    const peer = await setup();
    const v = peer.chain.validateBlock(e.block, { maxClockDriftMs: 2000, now: Date.now(), proposer: authority.account });
    expect(v.hash).toBe(e.hash);
    expect(v.decoded.every((d) => d.verified)).toBe(true);
    await peer.chain.commit(v, certify('cs-test', 1, e.hash));
    expect(peer.chain.committedUnverified).toBe(0);
    await env.chain.commit(e, certify('cs-test', 1, e.hash));
    expect(env.chain.head.height).toBe(1);
    expect(env.chain.committedUnverified).toBe(0);
    expect(env.mempool.size).toBe(0);
  });

  it('refuses a forged signature on a tx whose body the mempool holds with a valid one', () => {
    const good = register(0);
    env.admission.admit(good);
    const built = env.chain.buildBlock(authority.account, Date.now());
    const forged: Block = { header: built.block.header, txs: [{ ...good, sig: 'ab'.repeat(64) }] };
    // txRoot binds the signature, so also fix the header's txRoot to isolate the signature rule.
    forged.header = { ...forged.header, txRoot: txRootOf([canonicalBytes(forged.txs[0])]) };
    expect(blockHash(forged.header)).not.toBe(built.hash);
    const peer2 = env; // the node holding the valid tx in its mempool is the one a forger targets
    expect(() => peer2.chain.validateBlock(forged, { maxClockDriftMs: null, now: Date.now(), proposer: null })).toThrow(/bad signature/);
  });

  it('refuses wrong height, prevHash, time, proposer, roots and an uncertified commit', async () => {
    env.admission.admit(register(0));
    const b = env.chain.buildBlock(authority.account, Date.now()).block;
    const peer = await setup();
    const v = (blk: Block, opts: Partial<{ maxClockDriftMs: number | null; proposer: string | null }> = {}) =>
      () => peer.chain.validateBlock(blk, { maxClockDriftMs: opts.maxClockDriftMs ?? null, now: Date.now(), proposer: opts.proposer ?? null });
    const h = b.header;
    expect(v({ ...b, header: { ...h, height: 2 } })).toThrow(/does not follow/);
    expect(v({ ...b, header: { ...h, prevHash: '00'.repeat(32) } })).toThrow(/prevHash/);
    expect(v({ ...b, header: { ...h, time: env.genesis.time } })).toThrow(/time is not after/);
    expect(v({ ...b, header: { ...h, time: Date.now() + 60_000 } }, { maxClockDriftMs: 2000 })).toThrow(/away from this node's clock/);
    expect(v({ ...b, header: { ...h, proposer: admin.account } })).toThrow(/not an authority/);
    expect(v(b, { proposer: admin.account })).toThrow(/not the round's proposer/);
    expect(v({ ...b, header: { ...h, stateRoot: '11'.repeat(32) } })).toThrow(/stateRoot/);
    expect(v({ ...b, header: { ...h, txRoot: '22'.repeat(32) } })).toThrow(/txRoot/);
    expect(v({ ...b, txs: [{ ...b.txs[0]!, nonce: 'x' } as never] })).toThrow(InvalidBlockError);
    expect(() => env.chain.checkCommit('33'.repeat(32), { height: 1, round: 0, blockHash: '33'.repeat(32), signatures: [] })).toThrow(/0 of 1 precommits/);
  });
});

describe('ChainService.validateAssembled (compact proposals rebuilt from the mempool)', () => {
  const register = (nonce: number) => signTx({ chainId: 'cs-test', type: 'member.register', from: admin.account, nonce, payload: { account: generateKeyPair().account, role: 'patient' } }, admin.secretKey);
  const opts = { maxClockDriftMs: null, now: Date.now(), proposer: null };

  /** A block holding one tx, built on one node, and a peer with the same genesis that has not seen the tx. */
  async function builtAndPeer() {
    const env = await setup();
    const peer = await setup();
    const t = register(0);
    env.admission.admit(t);
    return { t, peer, built: env.chain.buildBlock(authority.account, Date.now()) };
  }

  it('accepts verified txs without decoding them again, and refuses any unverified one', async () => {
    const { t, peer, built } = await builtAndPeer();
    const held = peer.admission.admit(t);
    expect(peer.chain.validateAssembled(built.block.header, [held], opts).hash).toBe(built.hash);
    const other = await setup();
    const unverified = { ...other.admission.admit(t), verified: undefined };
    expect(() => other.chain.validateAssembled(built.block.header, [unverified], opts)).toThrow(/signature not verified/);
    expect(() => other.chain.validateAssembled({ ...built.block.header, height: 'x' }, [], opts)).toThrow(InvalidBlockError);
  });

  it('a same-hash tx with other wire bytes fails as TxRootMismatchError (the caller fetches the block)', async () => {
    const { t, peer, built } = await builtAndPeer();
    const twin = { ...peer.admission.admit(t) };
    twin.wire = Buffer.concat([twin.wire, Buffer.from(' ')]);
    expect(() => peer.chain.validateAssembled(built.block.header, [twin], opts)).toThrow(TxRootMismatchError);
  });
});

describe('ChainService block byte bound', () => {
  it('a built block stops at maxBlockBytes of tx bytes; the rest stays pending', async () => {
    const env = await setup();
    // Genesis here uses the default 3 MiB bound; shrink it for the test.
    (env.genesis.params as { maxBlockBytes: number }).maxBlockBytes = 65_536;
    for (let n = 0; n < 200; n++) {
      env.admission.admit(signTx({ chainId: 'cs-test', type: 'member.register', from: admin.account, nonce: n, payload: { account: generateKeyPair().account, role: 'clinician', name: 'n'.repeat(100) } }, admin.secretKey));
    }
    const e = env.chain.buildBlock(authority.account, Date.now());
    const bytes = e.decoded.reduce((s, d) => s + d.wire.length, 0);
    expect(bytes).toBeLessThanOrEqual(65_536);
    expect(e.block.txs.length).toBeGreaterThan(50);
    expect(e.block.txs.length).toBeLessThan(200);
    expect(env.mempool.size).toBe(200);
  });
});

describe('ChainService pipelined commit', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    env = await setup();
  });
  const register = (nonce: number) => signTx({ chainId: 'cs-test', type: 'member.register', from: admin.account, nonce, payload: { account: generateKeyPair().account, role: 'patient' } }, admin.secretKey);
  const build = (nonce: number) => {
    env.admission.admit(register(nonce));
    return env.chain.buildBlock(authority.account, Date.now());
  };

  it('a block takes effect in memory at once; readers of the store see it (durableHead, listeners) once written', async () => {
    const e = build(0);
    const heard: number[] = [];
    env.chain.onCommit((x) => heard.push(x.block.header.height));
    const written = env.chain.commit(e, certify('cs-test', 1, e.hash));
    // At once: the next height can be built on it.
    expect(env.chain.head.height).toBe(1);
    expect(env.mempool.size).toBe(0);
    expect(env.chain.stateReader.get(`acct/${e.block.txs[0]!.payload.account as string}`)).toBeDefined();
    expect(env.chain.unwrittenTx(e.decoded[0]!.hash)).toEqual(e.block.txs[0]);
    expect(env.chain.durableHead.height).toBe(0);
    expect(heard).toEqual([]);
    await written;
    expect(env.chain.durableHead).toMatchObject({ height: 1, hash: e.hash });
    expect((await env.store.head())!.height).toBe(1);
    expect(env.chain.unwrittenTx(e.decoded[0]!.hash)).toBeUndefined();
    expect(heard).toEqual([1]);
  });

  it('blocks committed back to back are written in order, each after the one before', async () => {
    const order: number[] = [];
    const commitBlock = env.store.commitBlock.bind(env.store);
    vi.spyOn(env.store, 'commitBlock').mockImplementation(async (c) => {
      order.push(c.block.header.height);
      if (c.block.header.height === 1) await new Promise((r) => setTimeout(r, 50)); // a slow first write
      await commitBlock(c);
      order.push(-c.block.header.height);
    });
    const e1 = build(0);
    const w1 = env.chain.commit(e1, certify('cs-test', 1, e1.hash));
    const e2 = build(1); // built on block 1 in memory, while it is written
    const w2 = env.chain.commit(e2, certify('cs-test', 2, e2.hash));
    await Promise.all([w1, w2]);
    expect(order).toEqual([1, -1, 2, -2]);
    expect(env.chain.durableHead.height).toBe(2);
    expect((await env.store.getBlock(2))!.hash).toBe(e2.hash);
  });

  it('a failed write is fatal: reported once, the store head stays, and no further block is committed', async () => {
    vi.spyOn(env.store, 'commitBlock').mockRejectedValue(new Error('disk full'));
    const fatal: string[] = [];
    env.chain.onFatal((err) => fatal.push(err.message));
    const e1 = build(0);
    const w1 = env.chain.commit(e1, certify('cs-test', 1, e1.hash));
    await expect(w1).rejects.toThrow('disk full');
    await env.chain.flush(); // resolves: shutdown can go on
    expect(fatal).toEqual(['disk full']);
    expect(env.chain.durableHead.height).toBe(0);
    const e2 = build(1);
    expect(() => env.chain.commit(e2, certify('cs-test', 2, e2.hash))).toThrow(/storage failed \(disk full\)/);
  });
});

describe('ChainService block log (a final block recoverable before its batch is written)', () => {
  const register = (nonce: number) => signTx({ chainId: 'cs-test', type: 'member.register', from: admin.account, nonce, payload: { account: generateKeyPair().account, role: 'patient' } }, admin.secretKey);
  const build = (env: Awaited<ReturnType<typeof setup>>, nonce: number) => {
    env.admission.admit(register(nonce));
    return env.chain.buildBlock(authority.account, Date.now());
  };
  const logged = (dir: string) => readdirSync(join(dir, 'block-log')).sort();

  it('a block is recoverable once its record is synced, before its batch lands; a restart replays it into the store', async () => {
    const env = await setup({ blockLog: true });
    vi.spyOn(env.store, 'commitBlock').mockImplementation(() => new Promise(() => {})); // the batch never lands: killed mid-write
    const e = build(env, 0);
    expect(env.chain.recoverableHead.height).toBe(0);
    void env.chain.commit(e, certify('cs-test', 1, e.hash));
    await env.chain.whenRecoverable(); // at once: the record was synced in commit
    expect(env.chain.recoverableHead).toMatchObject({ height: 1, hash: e.hash });
    expect(env.chain.durableHead.height).toBe(0);
    expect(logged(env.dir)).toEqual(['1.blk']);
    await env.blockLog!.close();
    await env.store.close();

    const again = await setup({ dir: env.dir, blockLog: true });
    expect(again.chain.head).toMatchObject({ height: 1, hash: e.hash });
    expect(again.chain.durableHead).toMatchObject({ height: 1, hash: e.hash });
    expect((await again.store.head())!.height).toBe(1);
    expect((await again.store.getBlock(1))!.hash).toBe(e.hash);
    expect((await again.store.getCommit(1))!.blockHash).toBe(e.hash);
    expect(again.chain.stateReader.get(`acct/${e.block.txs[0]!.payload.account as string}`)).toBeDefined();
    expect(logged(env.dir)).toEqual([]); // replayed into the store: the record goes
    // And the chain goes on from it.
    const e2 = build(again, 1);
    expect(e2.block.header.prevHash).toBe(e.hash);
    await again.chain.commit(e2, certify('cs-test', 2, e2.hash));
    await again.chain.flush();
    await waitUntil(() => logged(env.dir).length === 0);
  });

  it.each([
    ['without a block log', {}, {}],
    ['with a block log, committed with log: false (sync)', { blockLog: true as const }, { log: false }],
  ])('%s, a block is recoverable only once its batch is written', async (_, opts, commitOpts) => {
    const env = await setup(opts);
    const batch = gateBlockWrites(env.store);
    const e = build(env, 0);
    const written = env.chain.commit(e, certify('cs-test', 1, e.hash), commitOpts);
    let recovered = false;
    void env.chain.whenRecoverable().then(() => { recovered = true; });
    await new Promise((r) => setTimeout(r, 20));
    if (env.blockLog) expect(logged(env.dir)).toEqual([]);
    expect(recovered).toBe(false);
    expect(env.chain.recoverableHead.height).toBe(0);
    batch.open();
    await written;
    await env.chain.whenRecoverable();
    expect(env.chain.recoverableHead.height).toBe(1);
  });

  it('at start, a torn record is dropped and a record that fails the checks stops the node with what is wrong', async () => {
    const env = await setup({ blockLog: true });
    const e = build(env, 0);
    await env.blockLog!.close();
    await env.store.close();
    writeFileSync(join(env.dir, 'block-log', '1.blk'), '{"commit":{"height":1'); // its write was cut short
    const torn = await setup({ dir: env.dir, blockLog: true });
    expect(torn.chain.head.height).toBe(0);
    expect(logged(env.dir)).toEqual([]);
    // An intact record whose certificate does not certify the block.
    const stored = storedBlockBytes({ block: e.block, hash: e.hash, txHashes: e.decoded.map((d) => d.hash) }, e.decoded.map((d) => d.wire));
    torn.blockLog!.append(1, stored.bytes, { height: 1, round: 0, blockHash: e.hash, signatures: [] });
    await torn.blockLog!.close();
    await torn.store.close();
    await expect(setup({ dir: env.dir, blockLog: true })).rejects.toThrow(/block log record 1\.blk: commit for block 1: 0 of 1 precommits.*Move it out of the block-log directory/);
  });

  it('a failed append is fatal like a failed batch write, and the block does not take effect', async () => {
    const failing: BlockLogIo = { openSync, writevSync, closeSync, fsyncSync, fdatasyncSync: () => { throw new Error('EIO: i/o error, fdatasync'); } };
    const env = await setup({ blockLog: failing });
    const fatal: string[] = [];
    env.chain.onFatal((err) => fatal.push(err.message));
    const e = build(env, 0);
    expect(() => env.chain.commit(e, certify('cs-test', 1, e.hash))).toThrow(/EIO/);
    expect(fatal).toEqual(['EIO: i/o error, fdatasync']);
    expect(env.chain.head.height).toBe(0);
    expect(env.mempool.size).toBe(1);
    expect(() => env.chain.commit(e, certify('cs-test', 1, e.hash))).toThrow(/storage failed \(EIO/);
  });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}
