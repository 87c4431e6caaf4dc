import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockHash } from '../../../src/chain/block.js';
import { txHash } from '../../../src/chain/tx.js';
import { sha256Hex } from '../../../src/chain/hash.js';
import { txRootOf } from '../../../src/chain/block.js';
import { canonicalBytes } from '../../../src/chain/jcs.js';
import type { Block } from '../../../src/chain/types.js';
import { compactProposal, proposerOf, signProposal, signVote, validateProposalMessage, verifyProposal, verifyVote } from '../../../src/consensus/index.js';
import type { Proposal, Vote, WireProposal } from '../../../src/consensus/index.js';
import { commitProblem } from '../../../src/chain/commit.js';
import { ConsensusHost, type ConsensusHostOptions } from '../../../src/node/consensus-host.js';
import { Signer } from '../../../src/node/signer.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { KeyPair } from '../../../src/chain/ed25519.js';
import { CHAIN_ID, certify, commitNext, enc, FakeNetwork, fixedKey, forge, gateBlockWrites, openChain, registerPatient, removeTempDirs, sleep, tempDir, waitFor, type ChainEnv } from './support.js';

const SLOW: ConsensusHostOptions = {
  timeouts: { proposeMs: 60_000, prevoteMs: 60_000, precommitMs: 60_000, deltaMs: 0 },
  blockWindowMs: 5, emptyBlockIntervalMs: 0, maxClockDriftMs: 2_000, rebroadcastMs: 60_000, missingBlockGraceMs: 0,
};

const envs: ChainEnv[] = [];
const hosts: ConsensusHost[] = [];
const signers: Signer[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) h.stop();
  for (const s of signers.splice(0)) (s as { close?: () => void }).close?.();
  for (const e of envs.splice(0)) await e.close();
});

function signerFor(k: KeyPair, path = join(tempDir('ml-signer-'), 'signer.json')): Signer {
  const s = new Signer(path, k.secretKey, k.account);
  signers.push(s);
  return s;
}
afterAll(() => removeTempDirs());

async function chain(authorities: number, blockLog?: true): Promise<ChainEnv> {
  const env = await openChain({ authorities, blockLog });
  envs.push(env);
  return env;
}

function host(env: ChainEnv, opts: { self?: KeyPair | null; options?: Partial<ConsensusHostOptions>; signerPath?: string; now?: () => number } = {}) {
  const net = new FakeNetwork();
  const onBehind = vi.fn();
  const signer = opts.self ? signerFor(opts.self, opts.signerPath) : null;
  const h = new ConsensusHost({ ...SLOW, ...opts.options }, { chain: env.chain, mempool: env.mempool, signer, network: net, logger: silentLogger(), onBehind, ...(opts.now ? { now: opts.now } : {}) });
  hosts.push(h);
  return { host: h, net, onBehind, signer };
}

const vote = (env: ChainEnv, k: KeyPair, height: number, over: Partial<Vote> = {}): Vote =>
  signVote(CHAIN_ID, { type: 'prevote', height, round: 0, blockHash: null, validator: k.account, ...over }, k.secretKey);

/** Everything a consensus message must not change on its own. */
async function observe(env: ChainEnv, h: ConsensusHost, net: FakeNetwork): Promise<string> {
  await h.idle();
  return JSON.stringify({ head: env.chain.head, stored: await env.store.head(), mempool: env.mempool.size, status: h.status, published: net.published.length });
}

/** A valid next block, built by a separate node with the same genesis. */
async function peerBlock(env: ChainEnv, proposer: KeyPair, withTx = true): Promise<{ block: Block; hash: string }> {
  const peer = await chain(env.authorities.length);
  if (withTx) peer.admission.admit(registerPatient(0));
  const e = peer.chain.buildBlock(proposer.account, Date.now());
  return { block: e.block, hash: e.hash };
}

/** A signed proposal of `block` in its gossip form: header and tx hashes. */
const proposal = (k: KeyPair, height: number, block: Block, hash = blockHash(block.header), over: Partial<Omit<Proposal, 'block'>> = {}): WireProposal =>
  compactProposal(signProposal(CHAIN_ID, { height, round: 0, polRound: -1, block, blockHash: hash, proposer: k.account, ...over }, k.secretKey), block.txs.map((t) => txHash(t)));

/** Peers answer `proposal` block requests with `block` (whatever hash is asked). */
function serveBlock(net: FakeNetwork, block: Block): void {
  net.respond = async (_peer, protocol) => {
    if (protocol !== 'proposal') throw new Error(`unexpected ${protocol} request`);
    return enc(block);
  };
}

describe('ConsensusHost.handleGossip: hostile and malformed peer messages', () => {
  it('rejects non-JSON, wrong kinds and malformed fields without throwing or changing anything', async () => {
    const env = await chain(4);
    const { host: h, net, onBehind } = host(env);
    const before = await observe(env, h, net);
    const a = env.authorities[0]!;
    const good = vote(env, a, 1);
    const bad: unknown[] = [
      'not json', '', 'null', '42', '"vote"', '[]', '{}',
      { kind: 'commit', vote: good },
      { kind: 'vote' },
      { kind: 'vote', vote: null },
      { kind: 'vote', vote: [good] },
      { kind: 'vote', vote: good, resend: 'x' },
      { kind: 'vote', vote: good, resend: 1.5 },
      { kind: 'vote', vote: { ...good, type: 'precommitt' } },
      { kind: 'vote', vote: { ...good, height: 0 } },
      { kind: 'vote', vote: { ...good, height: -1 } },
      { kind: 'vote', vote: { ...good, height: '1' } },
      { kind: 'vote', vote: { ...good, height: 2 ** 53 } },
      { kind: 'vote', vote: { ...good, round: -1 } },
      { kind: 'vote', vote: { ...good, round: 2 ** 31 } },
      { kind: 'vote', vote: { ...good, blockHash: 'AB'.repeat(32) } },
      { kind: 'vote', vote: { ...good, blockHash: '' } },
      { kind: 'vote', vote: { ...good, validator: good.validator.slice(2) } },
      { kind: 'vote', vote: { ...good, sig: good.sig.toUpperCase() } },
      { kind: 'vote', vote: { ...good, extra: true } },
      { kind: 'vote', vote: { type: good.type, height: 1, round: 0, blockHash: null, validator: a.account } },
      { kind: 'proposal', proposal: null },
      { kind: 'proposal', proposal: good },
    ];
    for (const m of bad) expect(h.handleGossip(enc(m), 'peer-x'), JSON.stringify(m)).toBe('reject');
    expect(h.handleGossip(new Uint8Array([0xc3, 0x28, 0xff]), 'peer-x')).toBe('reject');
    expect(await observe(env, h, net)).toBe(before);
    expect(onBehind).not.toHaveBeenCalled();
  });

  it('rejects malformed proposals field by field', async () => {
    const env = await chain(4);
    const { host: h, net } = host(env);
    const before = await observe(env, h, net);
    const p1 = env.authorities[1]!;
    const { block, hash } = await peerBlock(env, p1, false);
    const p = proposal(p1, 1, block, hash);
    const hashes = Array.from({ length: env.chain.genesis.params.maxBlockTxs + 1 }, (_, i) => sha256Hex(Buffer.from(String(i))));
    const variants: unknown[] = [
      { ...p, polRound: 0 }, // must be below round
      { ...p, polRound: -2 },
      { ...p, block: null },
      { ...p, block: { header: block.header } },
      { ...p, block: { header: block.header, txHashes: {} } },
      { ...p, block: { header: [], txHashes: [] } },
      { ...p, block: { ...p.block, extra: 1 } },
      { ...p, block: block }, // a full block is not the gossip form
      { ...p, block: { header: block.header, txHashes: ['AB'.repeat(32)] } },
      { ...p, block: { header: block.header, txHashes: ['ab'.repeat(31)] } },
      { ...p, block: { header: block.header, txHashes: [hashes[0], hashes[0]] } },
      { ...p, block: { header: block.header, txHashes: hashes } },
      { ...p, blockHash: hash.slice(1) },
      { ...p, proposer: 'x' },
      { ...p, sig: '' },
      { ...p, height: 0 },
      { ...p, round: 1.5 },
      { ...p, unexpected: 'field' },
      (({ sig: _sig, ...rest }) => rest)(p),
    ];
    for (const v of variants) expect(h.handleGossip(enc({ kind: 'proposal', proposal: v }), 'peer-x')).toBe('reject');
    expect(await observe(env, h, net)).toBe(before);
  });

  it('votes: non-authority and bad signature reject; stale ignore; future calls onBehind; valid accepts', async () => {
    const env = await chain(4);
    const [a, b] = env.authorities as [KeyPair, KeyPair];
    await commitNext(env); // head = 1: votes for 1 are stale
    const { host: h, net, onBehind } = host(env);
    const before = await observe(env, h, net);
    const outsider = fixedKey('outsider');
    const send = (v: unknown) => h.handleGossip(enc({ kind: 'vote', vote: v }), 'peer-x');

    // Not an authority, for the next height: reject (the relayer should not forward it).
    expect(send(vote(env, outsider, 2))).toBe('reject');
    // Signed by someone else than the named authority / over other bytes.
    expect(send({ ...vote(env, outsider, 2), validator: a.account })).toBe('reject');
    expect(send({ ...vote(env, a, 2), round: 1 })).toBe('reject');
    expect(send({ ...vote(env, a, 2), blockHash: 'ab'.repeat(32) })).toBe('reject');
    expect(send({ ...vote(env, a, 2, { type: 'precommit' }), type: 'prevote' })).toBe('reject');
    // A vote signed for another chain.
    expect(send(signVote('other-chain', { type: 'prevote', height: 2, round: 0, blockHash: null, validator: a.account }, a.secretKey))).toBe('reject');
    // Stale: at or below the head.
    expect(send(vote(env, a, 1))).toBe('ignore');
    expect(send(vote(env, outsider, 1))).toBe('ignore');
    expect(onBehind).not.toHaveBeenCalled();
    expect(await observe(env, h, net)).toBe(before);

    // Valid votes for the next height: accepted (the host is not started: nothing moves).
    expect(send(vote(env, a, 2))).toBe('accept');
    expect(send(vote(env, b, 2, { type: 'precommit', blockHash: 'cd'.repeat(32), round: 3 }))).toBe('accept');
    expect(h.handleGossip(enc({ kind: 'vote', vote: vote(env, a, 2), resend: 7 }), 'peer-x')).toBe('accept');
    expect(onBehind).not.toHaveBeenCalled();
    // A valid vote two heights ahead: this node looks behind.
    expect(send(vote(env, a, 4))).toBe('accept');
    expect(onBehind).toHaveBeenCalledTimes(1);
    expect(await observe(env, h, net)).toBe(before);
  });

  it('proposals: non-authority, forged, stale are refused; nothing is signed or stored', async () => {
    const env = await chain(4);
    const { host: h, net } = host(env, { self: env.authorities[0]! });
    h.start();
    await h.idle();
    const before = await observe(env, h, net);
    const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
    const { block, hash } = await peerBlock(env, proposer);
    const outsider = fixedKey('outsider-p');
    const send = (p: unknown) => h.handleGossip(enc({ kind: 'proposal', proposal: p }), 'peer-x');
    expect(send(proposal(outsider, 1, block, hash))).toBe('reject');
    expect(send({ ...proposal(outsider, 1, block, hash), proposer: proposer.account })).toBe('reject');
    expect(send({ ...proposal(proposer, 1, block, hash), round: 1 })).toBe('reject');
    expect(send({ ...proposal(proposer, 1, block, hash), blockHash: 'ee'.repeat(32) })).toBe('reject');
    expect(await observe(env, h, net)).toBe(before);
    expect(net.published).toHaveLength(0);
  });

  it('an envelope with unknown fields is rejected (no padding past content dedup)', async () => {
    const env = await chain(4);
    const { host: h } = host(env, { self: env.authorities[0]! });
    const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
    const { block, hash } = await peerBlock(env, proposer);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash), pad: 'x' }), 'peer-x')).toBe('reject');
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash), resend: 2 }), 'peer-x')).toBe('accept');
  });

  it('the round proposer signing many blocks for one round gets at most MAX_PROPOSALS_PER_ROUND validated; a resend of one of them still passes', async () => {
    const env = await chain(4);
    const { host: h } = host(env, { self: env.authorities[0]! });
    const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
    const peer = await chain(4);
    const blocks = [0, 1, 2, 3].map((i) => peer.chain.buildBlock(proposer.account, Date.now() + i));
    const verdicts = blocks.map((b) => h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, b.block, b.hash) }), 'peer-x'));
    expect(verdicts).toEqual(['accept', 'accept', 'accept', 'ignore']);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, blocks[0]!.block, blocks[0]!.hash), resend: 1 }), 'peer-x')).toBe('accept');
  });
});

function proposerIndex(env: ChainEnv, height: number, round: number): number {
  const accounts = env.chain.currentAuthorities.map((x) => x.account);
  return env.authorities.findIndex((k) => k.account === proposerOf(accounts, height, round));
}

/** The prevote this host published for (height, round), once it appears. */
async function prevoteOf(net: FakeNetwork, height: number): Promise<Vote> {
  const find = () => net.messages('consensus').find((m) => m.kind === 'vote' && m.vote.type === 'prevote' && m.vote.height === height)?.vote as Vote | undefined;
  await waitFor(() => find() !== undefined, 5_000, 'a prevote');
  return find()!;
}

/** A started authority host at height 1 and a valid block for it from the round's proposer, built elsewhere. */
async function nextHeightProposal(options: Partial<ConsensusHostOptions> = {}) {
  const env = await chain(4);
  const self = env.authorities[0]!;
  const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
  const { host: h, net, onBehind } = host(env, { self, options });
  h.start();
  const { block, hash } = await peerBlock(env, proposer);
  return { env, self, proposer, h, net, onBehind, block, hash };
}

describe('ConsensusHost: proposals drive prevotes', () => {
  it('prevotes nil for a proposal whose block is invalid (state root, block hash or clock)', async () => {
    for (const spoil of ['stateRoot', 'hash', 'time', 'tx'] as const) {
      const env = await chain(4);
      const self = env.authorities[0]!;
      const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
      expect(proposer.account).not.toBe(self.account);
      const { host: h, net } = host(env, { self });
      h.start();
      await h.idle();
      const { block } = await peerBlock(env, proposer);
      let bad: Block = block;
      if (spoil === 'stateRoot') bad = { ...block, header: { ...block.header, stateRoot: '11'.repeat(32) } };
      if (spoil === 'time') bad = { ...block, header: { ...block.header, time: Date.now() + 60_000 } };
      if (spoil === 'tx') {
        // Another payload under the same signature, bound into a consistent header: a bad signature.
        const txs = [{ ...block.txs[0]!, payload: { ...block.txs[0]!.payload, role: 'clinician' } }];
        bad = { header: { ...block.header, txRoot: txRootOf(txs.map((t) => canonicalBytes(t))) }, txs };
      }
      const hash = spoil === 'hash' ? 'ab'.repeat(32) : blockHash(bad.header);
      const p = proposal(proposer, 1, bad, hash);
      expect(verifyProposal(CHAIN_ID, p)).toBe(true);
      serveBlock(net, bad); // this node lacks the peer's tx: it fetches the block
      expect(h.handleGossip(enc({ kind: 'proposal', proposal: p }), 'peer-p'), spoil).toBe('accept');
      const pv = await prevoteOf(net, 1);
      expect(pv, spoil).toMatchObject({ height: 1, round: 0, blockHash: null, validator: self.account });
      expect(verifyVote(CHAIN_ID, pv)).toBe(true);
      expect(env.chain.head.height).toBe(0);
      h.stop();
    }
  });

  it('prevotes the block of a valid proposal rebuilt from its own mempool, without fetching it', async () => {
    const { env, proposer, h, net, block, hash } = await nextHeightProposal();
    env.admission.admit(block.txs[0]); // tx gossip brought the tx here first
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    expect(await prevoteOf(net, 1)).toMatchObject({ height: 1, round: 0, blockHash: hash });
    expect(net.requests).toEqual([]);
  });

  it('waits for a tx still being admitted (signature on a worker) instead of fetching the block', async () => {
    const env = await chain(4);
    const self = env.authorities[0]!;
    const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
    const { block, hash } = await peerBlock(env, proposer);
    const net = new FakeNetwork();
    const admitted = Promise.withResolvers<void>();
    const pendingTx = (x: string) => (x === txHash(block.txs[0]!) ? admitted.promise.then(() => env.mempool.get(x)) : undefined);
    const h = new ConsensusHost(SLOW, { chain: env.chain, mempool: env.mempool, signer: signerFor(self), network: net, logger: silentLogger(), pendingTx });
    hosts.push(h);
    h.start();
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    await sleep(50);
    expect(net.messages('consensus')).toEqual([]); // nothing decided while the tx is in admission
    env.admission.admit(block.txs[0]);
    admitted.resolve();
    expect(await prevoteOf(net, 1)).toMatchObject({ height: 1, round: 0, blockHash: hash });
    expect(net.requests).toEqual([]);
  });

  it('fetches the whole block from the proposal\'s author when it lacks a tx, verifying every signature', async () => {
    const { env, proposer, h, net, block, hash } = await nextHeightProposal();
    serveBlock(net, block);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    expect(await prevoteOf(net, 1)).toMatchObject({ height: 1, round: 0, blockHash: hash });
    expect(net.requests).toEqual([{ peer: 'peer-p', protocol: 'proposal', req: { hash } }]);
    expect(env.chain.executedBlock(hash)!.decoded.every((d) => d.verified === true)).toBe(true);
  });

  it('a peer serving a block that is not the proposal\'s is penalised and the next peer asked', async () => {
    const { env, proposer, h, net, block, hash } = await nextHeightProposal();
    const proposerNode = env.chain.currentAuthorities.find((a) => a.account === proposer.account)!.nodeId;
    const tampered: Block = { ...block, txs: [{ ...block.txs[0]!, nonce: 1 }] };
    net.respond = async (peer) => enc(peer === 'peer-p' ? tampered : block);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    expect(await prevoteOf(net, 1)).toMatchObject({ height: 1, round: 0, blockHash: hash });
    expect(net.penalties).toEqual([{ peer: 'peer-p', reason: 'served a block that is not the proposal\'s' }]);
    expect(net.requests.map((r) => r.peer)).toEqual(['peer-p', proposerNode]);
    expect(env.chain.head.height).toBe(0);
  });

  it('fetches the block when a held tx has the same hash but another signature (txRoot differs)', async () => {
    const { env, proposer, h, net, block, hash } = await nextHeightProposal();
    // A twin in the mempool: same body, other signature, marked verified (as a validly re-signed twin would be).
    const twin = env.decode(forge(block.txs[0]!));
    twin.verified = true;
    env.mempool.add(twin, 0);
    serveBlock(net, block);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    expect(await prevoteOf(net, 1)).toMatchObject({ height: 1, round: 0, blockHash: hash });
    expect(net.requests.map((r) => r.protocol)).toEqual(['proposal']);
  });

  it('when no peer can provide a proposal\'s block, it does not vote for it (the propose timeout decides)', async () => {
    const { env, proposer, h, net, block, hash } = await nextHeightProposal();
    net.connect('peer-q');
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    const proposerNode = env.chain.currentAuthorities.find((a) => a.account === proposer.account)!.nodeId;
    await waitFor(() => net.requests.length === 3, 5_000, 'three fetch attempts');
    await sleep(50);
    await h.idle();
    // The author, the proposer's own node, then every other connected peer.
    expect(net.requests.map((r) => r.peer)).toEqual(['peer-p', proposerNode, 'peer-q']);
    expect(net.messages('consensus')).toEqual([]);
    expect(env.chain.head.height).toBe(0);
  });

  it('serves the blocks it built or validated for the next height and its last 4 committed ones, and nothing else', async () => {
    const env = await chain(4);
    const self = env.authorities[0]!;
    const { net } = host(env, { self });
    env.admission.admit(registerPatient(0));
    const e = env.chain.buildBlock(self.account, Date.now());
    const served = async (hash: string): Promise<unknown> => JSON.parse(Buffer.from(await net.serve('proposal', { hash })).toString('utf8'));
    expect(await served(e.hash)).toEqual(e.block);
    // Committed (its batch may not even be written yet): still served, from memory.
    await env.chain.commit(e, certify(env, 1, e.hash));
    expect(await served(e.hash)).toEqual(e.block);
    for (let i = 0; i < 3; i++) await commitNext(env);
    expect(await served(e.hash)).toEqual(e.block);
    await commitNext(env); // the fifth block after it: e is no longer kept
    await expect(served(e.hash)).rejects.toThrow(/no proposed or recent block/);
    await expect(net.serve('proposal', { hash: 'cd'.repeat(32) })).rejects.toThrow(/no proposed or recent block/);
    await expect(net.serve('proposal', { hash: 'x' }, 'peer-z')).rejects.toThrow(/64 lowercase hex/);
    expect(net.penalties).toEqual([{ peer: 'peer-z', reason: 'malformed proposal block request' }]);
  });

  it('lacking a tx of a proposal its peers have already committed, it fetches the block from one of them and commits it from the quorum\'s precommits, without a sync', async () => {
    const { env, proposer, h, net, onBehind, block, hash } = await nextHeightProposal();
    // The other three authorities built, precommitted and committed the block; one of them serves it.
    const peer = await chain(4);
    const peerHost = host(peer, { self: proposer });
    peer.admission.admit(block.txs[0]!);
    const built = peer.chain.buildBlock(proposer.account, block.header.time);
    expect(built.hash).toBe(hash);
    await peer.chain.commit(built, certify(peer, 1, hash));
    expect(peer.chain.executedBlock(hash)).toBeUndefined(); // no longer a block for the next height
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    net.respond = async (_peer, protocol, req) => {
      await answered;
      return peerHost.net.serve(protocol, JSON.parse(Buffer.from(req).toString('utf8')));
    };
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    await waitFor(() => net.requests.length === 1, 5_000, 'the fetch');
    // The quorum's precommits arrive while the block is being fetched.
    for (const k of env.authorities.slice(1)) {
      expect(h.handleGossip(enc({ kind: 'vote', vote: vote(env, k, 1, { type: 'precommit', blockHash: hash }) }), 'peer-p')).toBe('accept');
    }
    await h.idle();
    answer();
    await waitFor(() => env.chain.head.height === 1, 5_000, 'block 1 committed');
    expect(env.chain.head.hash).toBe(hash);
    expect(net.requests.map((r) => r.protocol)).toEqual(['proposal']);
    expect(env.chain.executedBlock(hash)).toBeUndefined();
    expect(env.chain.committedUnverified).toBe(0); // every signature of the fetched block verified here
    // No sync was asked for: the block came.
    await h.idle();
    expect(onBehind).not.toHaveBeenCalled();
  });

  it('a quorum precommitting a block whose fetch then fails makes it sync, once the fetch has failed', async () => {
    const { env, proposer, h, net, onBehind, block, hash } = await nextHeightProposal();
    let fail!: () => void;
    const failed = new Promise<void>((r) => (fail = r));
    net.respond = async () => {
      await failed;
      throw new Error('unreachable');
    };
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    for (const k of env.authorities.slice(1)) h.handleGossip(enc({ kind: 'vote', vote: vote(env, k, 1, { type: 'precommit', blockHash: hash }) }), 'peer-p');
    await waitFor(() => net.requests.length === 1, 5_000, 'the fetch');
    await h.idle();
    expect(onBehind).not.toHaveBeenCalled();
    fail();
    await waitFor(() => onBehind.mock.calls.length === 1, 5_000, 'a sync request');
    expect(env.chain.head.height).toBe(0);
  });

  it('precommits that overtake the proposal wait for it: the block commits from them when it arrives, without a sync', async () => {
    const { env, proposer, h, net, onBehind, block, hash } = await nextHeightProposal({ missingBlockGraceMs: 300 });
    env.admission.admit(block.txs[0]!); // tx gossip brought the tx: the block rebuilds from the mempool
    for (const k of env.authorities.slice(1)) {
      expect(h.handleGossip(enc({ kind: 'vote', vote: vote(env, k, 1, { type: 'precommit', blockHash: hash }) }), 'peer-p')).toBe('accept');
    }
    await h.idle();
    expect(env.chain.head.height).toBe(0);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    await waitFor(() => env.chain.head.height === 1, 5_000, 'block 1 committed');
    expect(env.chain.head.hash).toBe(hash);
    await sleep(400); // past the grace period
    await h.idle();
    expect(onBehind).not.toHaveBeenCalled();
    expect(net.requests).toEqual([]);
  });

  it('precommits for a block whose proposal does not come within the grace period make it sync, after that period', async () => {
    const { env, h, onBehind, hash } = await nextHeightProposal({ missingBlockGraceMs: 200 });
    const started = Date.now();
    for (const k of env.authorities.slice(1)) h.handleGossip(enc({ kind: 'vote', vote: vote(env, k, 1, { type: 'precommit', blockHash: hash }) }), 'peer-p');
    await h.idle();
    expect(onBehind).not.toHaveBeenCalled();
    await waitFor(() => onBehind.mock.calls.length === 1, 5_000, 'a sync request');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(env.chain.head.height).toBe(0);
  });

  it('keeps a proposal for the height after next until that height starts', async () => {
    const env = await chain(4);
    const self = env.authorities[0]!;
    const { host: h, net, onBehind } = host(env, { self });
    h.start();
    await h.idle();
    // Block 1 is committed from elsewhere; its successor's proposal arrives before this node's commit.
    const peer = await chain(4);
    const p1 = env.authorities[proposerIndex(env, 1, 0)]!;
    const b1 = peer.chain.buildBlock(p1.account, Date.now());
    const c1 = certify(peer, 1, b1.hash);
    await peer.chain.commit(b1, c1);
    const p2 = env.authorities[proposerIndex(env, 2, 0)]!;
    const b2 = peer.chain.buildBlock(p2.account, Date.now() + 1);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(p2, 2, b2.block, b2.hash) }), 'peer-p')).toBe('accept');
    expect(onBehind).toHaveBeenCalled();
    await h.idle();
    expect(net.messages('consensus')).toEqual([]);
    // Now block 1 arrives by sync: height 2 starts and the kept proposal is validated.
    await h.applySynced([{ block: b1.block, commit: c1 }]);
    expect(await prevoteOf(net, 2)).toMatchObject({ height: 2, round: 0, blockHash: b2.hash });
  });

  it('a valid proposal from an authority that is not the round proposer gets no prevote for its block', async () => {
    const env = await chain(4);
    const self = env.authorities[0]!;
    const wrong = env.authorities.find((k, i) => i !== proposerIndex(env, 1, 0) && k !== self)!;
    const { host: h, net } = host(env, { self });
    h.start();
    const { block, hash } = await peerBlock(env, wrong);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(wrong, 1, block, hash) }), 'peer-p')).toBe('reject'); // an authentic proposal from the wrong proposer is misbehaviour: refused before any block work
    await h.idle();
    expect(net.messages('consensus').filter((m) => m.kind === 'vote' && m.vote.blockHash === hash)).toEqual([]);
    expect(env.chain.head.height).toBe(0);
  });
});

describe('ConsensusHost: wake-ups', () => {
  it('a batching-window wake that fires while the block holding its tx is written does not start the next height (no empty block)', async () => {
    const env = await chain(4);
    const self = env.authorities[0]!;
    const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
    const { host: h, net } = host(env, { self, options: { blockWindowMs: 100 } });
    h.start();
    await h.idle();
    const { block, hash } = await peerBlock(env, proposer);
    // A slow write: the block takes effect at once (its tx leaves the mempool), and the
    // window's timer fires while its batch is still being written.
    const commit = env.chain.commit.bind(env.chain);
    vi.spyOn(env.chain, 'commit').mockImplementation((...args) => commit(...args).then(() => sleep(300)));
    env.admission.admit(block.txs[0]); // arms the 100 ms batching window
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    for (const k of env.authorities.filter((x) => x.account !== self.account)) {
      for (const type of ['prevote', 'precommit'] as const) h.handleGossip(enc({ kind: 'vote', vote: vote(env, k, 1, { type, blockHash: hash }) }), 'peer-v');
    }
    await waitFor(() => env.chain.durableHead.height === 1, 5_000, 'block 1');
    await sleep(150);
    await h.idle();
    expect(env.mempool.size).toBe(0);
    expect(h.status).toMatchObject({ height: 2, step: 'idle' });
    expect(net.messages('consensus').filter((m) => m.kind === 'vote' && m.vote.height === 2)).toEqual([]);
  });
});

describe('ConsensusHost: batching window', () => {
  const WINDOW = 5_000;

  it('a height whose oldest ready tx has waited the window starts at once (under load: txs that arrived during the last height)', async () => {
    const env = await chain(1);
    const self = env.authorities[0]!;
    env.admission.admit(registerPatient(0)); // ready now, by the mempool's clock
    // This node's clock is a window ahead: the tx has waited the whole window when the height starts.
    const { host: h } = host(env, { self, now: () => Date.now() + WINDOW, options: { blockWindowMs: WINDOW, timeouts: { proposeMs: 2_000, prevoteMs: 1_000, precommitMs: 1_000, deltaMs: 100 } } });
    h.start();
    await waitFor(() => env.chain.durableHead.height === 1, 2_000, 'block 1 well before the window ends');
    expect(env.mempool.size).toBe(0);
  });

  it('a height whose oldest ready tx arrived less than the window ago waits for the rest of it, so blocks still batch', async () => {
    const env = await chain(1);
    const self = env.authorities[0]!;
    const { host: h } = host(env, { self, options: { blockWindowMs: 400, timeouts: { proposeMs: 2_000, prevoteMs: 1_000, precommitMs: 1_000, deltaMs: 100 } } });
    h.start();
    await h.idle();
    env.admission.admit(registerPatient(0));
    await sleep(150);
    env.admission.admit(registerPatient(1)); // arrives inside the window: same block
    await h.idle();
    expect(h.status).toMatchObject({ height: 1, step: 'idle' });
    await waitFor(() => env.chain.durableHead.height === 1, 5_000, 'block 1');
    expect((await env.store.getBlock(1))!.txs).toHaveLength(2);
  });

  it('a full block starts at once, whatever the window', async () => {
    const env = await openChain({ authorities: 1, params: { maxBlockTxs: 2 } });
    envs.push(env);
    const self = env.authorities[0]!;
    env.admission.admit(registerPatient(0));
    env.admission.admit(registerPatient(1));
    const { host: h } = host(env, { self, options: { blockWindowMs: WINDOW, timeouts: { proposeMs: 2_000, prevoteMs: 1_000, precommitMs: 1_000, deltaMs: 100 } } });
    h.start();
    await waitFor(() => env.chain.durableHead.height === 1, 2_000, 'block 1 well before the window ends');
    expect((await env.store.getBlock(1))!.txs).toHaveLength(2);
  });
});

describe('ConsensusHost: single authority (n = 1)', () => {
  it('signs nothing at the next height until the block below it is written (a crash mid-write cannot strand the lone authority)', async () => {
    const env = await chain(1);
    const self = env.authorities[0]!;
    const { open } = gateBlockWrites(env.store, [1]); // block 1's write hangs
    const { host: h, net } = host(env, { self, options: { timeouts: { proposeMs: 2_000, prevoteMs: 1_000, precommitMs: 1_000, deltaMs: 100 } } });
    h.start();
    env.admission.admit(registerPatient(0));
    await waitFor(() => env.chain.head.height === 1, 5_000, 'block 1 in memory');
    env.admission.admit(registerPatient(1));
    await sleep(200);
    expect(env.chain.durableHead.height).toBe(0);
    const signedAt = (height: number) => net.messages('consensus').filter((m) => (m.kind === 'vote' ? m.vote.height : m.proposal.height) === height);
    expect(signedAt(2)).toEqual([]); // block 2 may be built, but not proposed or voted on
    open();
    await waitFor(() => env.chain.durableHead.height === 2, 5_000, 'block 2 written');
    expect(signedAt(2).length).toBeGreaterThan(0);
  });

  it('with a block log, signs at the next height at once: the block below is in the log while its batch is still being written', async () => {
    const env = await chain(1, true);
    const self = env.authorities[0]!;
    const batch = gateBlockWrites(env.store, [1]); // block 1's batch hangs throughout
    const { host: h, net } = host(env, { self, options: { timeouts: { proposeMs: 2_000, prevoteMs: 1_000, precommitMs: 1_000, deltaMs: 100 } } });
    h.start();
    env.admission.admit(registerPatient(0));
    await waitFor(() => env.chain.head.height === 1, 5_000, 'block 1 in memory');
    expect(readdirSync(join(env.dir, 'block-log'))).toEqual(['1.blk']);
    env.admission.admit(registerPatient(1));
    await waitFor(() => env.chain.head.height === 2, 5_000, 'block 2 committed on the logged block 1');
    expect(env.chain.durableHead.height).toBe(0); // block 1's batch still hangs
    const signedAt = (height: number) => net.messages('consensus').filter((m) => (m.kind === 'vote' ? m.vote.height : m.proposal.height) === height);
    expect(signedAt(2).length).toBe(3); // proposal, prevote, precommit
    batch.open();
    await waitFor(() => env.chain.durableHead.height === 2, 5_000, 'blocks 1 and 2 written');
    await waitFor(() => readdirSync(join(env.dir, 'block-log')).length === 0, 2_000, 'records dropped once written');
  });

  it('commits a block holding an admitted tx, with a valid certificate, and goes on to the next height', async () => {
    const env = await chain(1);
    const self = env.authorities[0]!;
    const signerPath = join(tempDir('ml-signer-'), 'signer.json');
    const { host: h, net, signer } = host(env, { self, signerPath, options: { timeouts: { proposeMs: 2_000, prevoteMs: 1_000, precommitMs: 1_000, deltaMs: 100 } } });
    h.start();
    await h.idle();
    expect(h.status.step).toBe('idle'); // no empty blocks
    const t = registerPatient(0);
    env.admission.admit(t);
    await waitFor(() => env.chain.durableHead.height === 1, 5_000, 'block 1');
    const stored = await env.store.getBlock(1);
    expect(stored!.txs.map((x) => txHash(x))).toEqual([txHash(t)]);
    const commit = await env.store.getCommit(1);
    expect(commitProblem(CHAIN_ID, 1, stored!.hash, commit!, [self.account])).toBeNull();
    expect(env.mempool.size).toBe(0);
    expect((await env.store.getReceipts(1))![0]!.status).toBe('ok');
    const kinds = net.messages('consensus').map((m) => (m.kind === 'vote' ? m.vote.type : m.kind));
    expect(kinds).toEqual(['proposal', 'prevote', 'precommit']);
    const p = net.messages('consensus')[0].proposal as WireProposal;
    expect(p.block.txHashes).toEqual([txHash(t)]); // the gossip form: header and tx hashes
    expect(verifyProposal(CHAIN_ID, p)).toBe(true);
    expect(signer!.lastSigned()).toMatchObject({ height: 1, step: 3, blockHash: stored!.hash });
    // The precommit's lock, written from the block's wire bytes, reads back as the proposal.
    const locked = signerFor(self, signerPath).lockAt(1)!.proposal;
    expect(validateProposalMessage(locked)).toMatchObject({ height: 1, blockHash: stored!.hash, block: { txs: [t] } });
    // Next height started and idle again; a second tx makes block 2.
    await h.idle();
    expect(h.status).toMatchObject({ height: 2, step: 'idle' });
    env.admission.admit(registerPatient(1));
    await waitFor(() => env.chain.durableHead.height === 2, 5_000, 'block 2');
  });

  it('a restarted authority whose last vote cannot be read back (an earlier version\'s record, or a vote that does not verify) resumes in the next round and recovers', async () => {
    for (const record of ['earlier version', 'unverifiable vote'] as const) {
      const env = await chain(1);
      const self = env.authorities[0]!;
      const signerPath = join(tempDir('ml-signer-'), 'signer.json');
      // A crash after signing a prevote for some other block at height 1, round 0.
      if (record === 'earlier version') {
        // The single-file record of earlier versions: no checksum, no votes.
        writeFileSync(signerPath, JSON.stringify({ height: 1, round: 0, step: 2, blockHash: 'ab'.repeat(32), bytesHash: 'cd'.repeat(32), sig: 'ef'.repeat(64) }));
      } else {
        await signerFor(self, signerPath).sign(1, 0, 'prevote', 'ab'.repeat(32), Buffer.from('x'.repeat(32))); // its stored vote's signature is over other bytes
      }
      const net = new FakeNetwork();
      const h = new ConsensusHost(
        { ...SLOW, timeouts: { proposeMs: 500, prevoteMs: 200, precommitMs: 200, deltaMs: 50 } },
        { chain: env.chain, mempool: env.mempool, signer: signerFor(self, signerPath), network: net, logger: silentLogger() },
      );
      hosts.push(h);
      h.start();
      env.admission.admit(registerPatient(0));
      await waitFor(() => env.chain.durableHead.height === 1, 5_000, `block 1 (${record})`);
      const votes = net.messages('consensus').filter((m) => m.kind === 'vote').map((m) => m.vote as Vote);
      // Resumed in round 1: nothing was signed again at round 0.
      expect(votes.length, record).toBeGreaterThan(0);
      expect(votes.every((v) => v.round >= 1), record).toBe(true);
      await h.stop();
    }
  });
});

describe('ConsensusHost: the proof-of-lock behind a lock', () => {
  /** Prevotes this host published: all, or only its re-sends (carrying a `resend` counter). */
  const prevotes = (net: FakeNetwork, resent = false): Vote[] =>
    net.messages('consensus').filter((m) => m.kind === 'vote' && m.vote.type === 'prevote' && (!resent || m.resend !== undefined)).map((m) => m.vote as Vote);

  /** `self` locks at height 1, round 0, on a block of the round-0 proposer, with prevotes from itself and two others. */
  async function lockAtRound0(selfIndex: (env: ChainEnv) => number) {
    const env = await chain(4);
    const self = env.authorities[selfIndex(env)]!;
    const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
    expect(self.account).not.toBe(proposer.account);
    const signerPath = join(tempDir('ml-signer-'), 'signer.json');
    const { host: h, net } = host(env, { self, signerPath });
    h.start();
    const { block, hash } = await peerBlock(env, proposer);
    env.admission.admit(block.txs[0]!);
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: proposal(proposer, 1, block, hash) }), 'peer-p')).toBe('accept');
    expect(await prevoteOf(net, 1)).toMatchObject({ blockHash: hash });
    const others = env.authorities.filter((k) => k.account !== self.account).slice(0, 2);
    for (const k of others) expect(h.handleGossip(enc({ kind: 'vote', vote: vote(env, k, 1, { blockHash: hash }) }), 'peer')).toBe('accept');
    await waitFor(() => net.messages('consensus').some((m) => m.kind === 'vote' && m.vote.type === 'precommit'), 5_000, 'a precommit (the lock)');
    await h.stop();
    const voters = [self, ...others].map((k) => k.account).sort();
    return { env, self, hash, signerPath, voters };
  }

  it('is persisted with the lock; restarted as the next round\'s proposer, the node re-proposes its block with that proof', async () => {
    const { env, self, hash, signerPath, voters } = await lockAtRound0((env) => proposerIndex(env, 1, 1));
    const pol = signerFor(self, signerPath).lockAt(1)!.pol as Vote[];
    expect(pol.map((v) => v.validator).sort()).toEqual(voters);
    expect(pol.every((v) => v.type === 'prevote' && v.height === 1 && v.round === 0 && v.blockHash === hash && verifyVote(CHAIN_ID, v))).toBe(true);
    // Restart: back in round 0, with the prevote and precommit it signed there, re-sent at once.
    const { host: h, net } = host(env, { self, signerPath, options: { timeouts: { ...SLOW.timeouts, precommitMs: 50 } } });
    h.start();
    await h.idle();
    expect(h.status).toMatchObject({ height: 1, round: 0, lockedRound: 0, lockedBlockHash: hash });
    const own = net.messages('consensus').filter((m) => m.kind === 'vote' && m.vote.validator === self.account).map((m) => m.vote as Vote);
    expect(own.map((v) => `${v.type}/${v.round}/${v.blockHash}`)).toEqual([`prevote/0/${hash}`, `precommit/0/${hash}`]);
    expect(own.every((v) => verifyVote(CHAIN_ID, v))).toBe(true);
    // Round 0 ends without a decision (two nil precommits); in round 1 this node proposes: no re-send timer will fire (SLOW).
    for (const k of env.authorities.filter((x) => x.account !== self.account).slice(0, 2)) {
      expect(h.handleGossip(enc({ kind: 'vote', vote: vote(env, k, 1, { type: 'precommit' }) }), 'peer')).toBe('accept');
    }
    await waitFor(() => net.messages('consensus').some((m) => m.kind === 'proposal'), 5_000, 'the re-proposal');
    await h.idle();
    expect(net.messages('consensus').find((m) => m.kind === 'proposal').proposal).toMatchObject({ height: 1, round: 1, polRound: 0, blockHash: hash });
    const round0 = prevotes(net).filter((v) => v.round === 0);
    expect([...new Set(round0.map((v) => v.validator))].sort()).toEqual(voters);
    expect(round0.every((v) => v.blockHash === hash && verifyVote(CHAIN_ID, v))).toBe(true);
  });

  it('restarted, it re-sends the whole proof (its own prevote included) while the height is stuck', async () => {
    const { env, self, hash, signerPath, voters } = await lockAtRound0((env) => [0, 1, 2, 3].find((i) => i !== proposerIndex(env, 1, 0) && i !== proposerIndex(env, 1, 1))!);
    const { host: h, net } = host(env, { self, signerPath, options: { rebroadcastMs: 100 } });
    h.start();
    await waitFor(() => prevotes(net, true).filter((v) => v.round === 0).length >= 3, 5_000, 'the proof-of-lock re-sent');
    expect(h.status).toMatchObject({ height: 1, round: 0, lockedRound: 0, lockedBlockHash: hash });
    const resent = prevotes(net, true).filter((v) => v.round === 0);
    expect([...new Set(resent.map((v) => v.validator))].sort()).toEqual(voters);
    expect(resent.every((v) => v.blockHash === hash && verifyVote(CHAIN_ID, v))).toBe(true);
  });

  it('restarted after its prevote only, it resumes in that round and still precommits there (peers waiting in it need that vote)', async () => {
    const env = await chain(4);
    const self = env.authorities[0]!;
    const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
    const signerPath = join(tempDir('ml-signer-'), 'signer.json');
    const first = host(env, { self, signerPath });
    first.host.start();
    const { block, hash } = await peerBlock(env, proposer);
    env.admission.admit(block.txs[0]!);
    const p = proposal(proposer, 1, block, hash);
    expect(first.host.handleGossip(enc({ kind: 'proposal', proposal: p }), 'peer-p')).toBe('accept');
    const pv = await prevoteOf(first.net, 1);
    await first.host.stop();
    const { host: h, net } = host(env, { self, signerPath });
    h.start();
    await h.idle();
    expect(h.status).toMatchObject({ height: 1, round: 0 });
    expect(net.messages('consensus').filter((m) => m.kind === 'vote').map((m) => m.vote)).toEqual([pv]); // its prevote, re-sent as signed
    // The proposer re-sends its proposal; two more prevotes make the polka: this node precommits in round 0.
    expect(h.handleGossip(enc({ kind: 'proposal', proposal: { ...p }, resend: 1 }), 'peer-p')).toBe('accept');
    for (const k of env.authorities.filter((x) => x.account !== self.account).slice(0, 2)) {
      expect(h.handleGossip(enc({ kind: 'vote', vote: vote(env, k, 1, { blockHash: hash }) }), 'peer')).toBe('accept');
    }
    await waitFor(() => net.messages('consensus').some((m) => m.kind === 'vote' && m.vote.type === 'precommit'), 5_000, 'the precommit');
    expect(net.messages('consensus').find((m) => m.kind === 'vote' && m.vote.type === 'precommit').vote).toMatchObject({ round: 0, blockHash: hash });
  });

  it('restarted after its proposal only, it resumes in that round without proposing another block, and prevotes there', async () => {
    const env = await chain(4);
    const self = env.authorities[proposerIndex(env, 1, 0)]!;
    const signerPath = join(tempDir('ml-signer-'), 'signer.json');
    await signerFor(self, signerPath).sign(1, 0, 'proposal', 'ab'.repeat(32), Buffer.from('a proposal signed before the crash'));
    const { host: h, net } = host(env, { self, signerPath });
    h.start();
    env.admission.admit(registerPatient(0));
    // Its prevote in round 0 is cast (for the block it built: never proposed, so it counts only as "a prevote" at peers).
    expect(await prevoteOf(net, 1)).toMatchObject({ height: 1, round: 0 });
    expect(net.messages('consensus').some((m) => m.kind === 'proposal')).toBe(false);
  });

  it('a lock stored without a proof (an earlier version\'s record) or with unusable votes still restores; only valid votes are used', async () => {
    for (const legacy of [true, false]) {
      const env = await chain(4);
      const self = env.authorities[0]!;
      const proposer = env.authorities[proposerIndex(env, 1, 0)]!;
      const { block, hash } = await peerBlock(env, proposer);
      const full = signProposal(CHAIN_ID, { height: 1, round: 0, polRound: -1, block, blockHash: hash, proposer: proposer.account }, proposer.secretKey);
      const [a, b] = env.authorities.filter((k) => k.account !== self.account);
      const good = vote(env, a!, 1, { blockHash: hash });
      const forged = { ...vote(env, b!, 1, { blockHash: hash }), sig: good.sig };
      const signerPath = join(tempDir('ml-signer-'), 'signer.json');
      await signerFor(self, signerPath).sign(1, 0, 'precommit', hash, Buffer.from('x'.repeat(32)), { proposal: full, ...(legacy ? {} : { pol: [good, forged, { junk: true }] }) });
      const { host: h, net } = host(env, { self, signerPath, options: { rebroadcastMs: 100 } });
      h.start();
      await waitFor(() => h.status.step !== 'idle', 5_000, 'resumed');
      expect(h.status).toMatchObject({ height: 1, lockedRound: 0, lockedBlockHash: hash });
      await sleep(350); // a few re-send rounds
      expect(prevotes(net, true).filter((v) => v.round === 0).map((v) => v.validator)).toEqual(legacy ? [] : expect.arrayContaining([a!.account]));
      expect(prevotes(net, true).some((v) => v.validator === b!.account)).toBe(false);
      await h.stop();
    }
  });
});
