/**
 * Shared harness for the node-module tests: deterministic keys, a real chain (genesis,
 * LevelDB store on a temp dir, state machine, mempool, ChainService, TxAdmission), a
 * recording fake of the p2p Network interface, and commit-certificate helpers.
 */
import { vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyOf, sign, type KeyPair } from '../../../src/chain/ed25519.js';
import { sha256Hex } from '../../../src/chain/hash.js';
import { precommitSignBytes } from '../../../src/chain/block.js';
import { DEFAULT_PARAMS, genesisBlock, genesisState, validateGenesis } from '../../../src/chain/genesis.js';
import { Mempool, DEFAULT_MEMPOOL_OPTIONS, type MempoolOptions } from '../../../src/chain/mempool.js';
import { StateMachine, chainHandlers } from '../../../src/chain/state/index.js';
import { signTx } from '../../../src/chain/tx.js';
import { peerId } from '../chain/state/fixtures.js';
import type { ChainParams, Commit, Genesis, Tx, TxBody } from '../../../src/chain/types.js';
import { createTxDecoder } from '../../../src/chain/validate-tx.js';
import { TxAdmission, type TxDecoder } from '../../../src/node/admission.js';
import { ChainService, type Executed } from '../../../src/node/chain-service.js';
import { emptyGossipCounters, type GossipCounters, type GossipHandler, type GossipVerdict, type Network, type PeerChangeHandler, type ReqProtocol, type RequestHandler, type Topic } from '../../../src/p2p/interface.js';
import { recordHandlers } from '../../../src/records/index.js';
import { ChainStore } from '../../../src/storage/store.js';
import { BlockLog, type BlockLogIo } from '../../../src/storage/block-log.js';
import { silentLogger } from '../../../src/util/logger.js';

export const CHAIN_ID = 'node-test';
export const GENESIS_TIME = 1_700_000_000_000;

/** A key pair derived from a fixed label, so account order (and so proposer order) is stable. */
export function fixedKey(label: string): KeyPair {
  const secretKey = sha256Hex(Buffer.from(`medledger-test-key/${label}`));
  return { account: publicKeyOf(secretKey), secretKey };
}

export const enc = (v: unknown): Uint8Array => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
export const dec = (b: Uint8Array): unknown => JSON.parse(Buffer.from(b).toString('utf8'));
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

// ------------------------------------------------------------------ temp dirs

const tempDirs: string[] = [];

export function tempDir(prefix = 'ml-node-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** Removes every temp dir made so far (call from afterAll, after the stores are closed). */
export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

// ------------------------------------------------------------------ chain

export interface ChainOptions {
  /** How many authorities genesis names (fixed keys `authority-0` ...). Default 1. */
  authorities?: number;
  params?: Partial<ChainParams>;
  mempool?: Partial<MempoolOptions>;
  /** Open a block log in the chain's dir (with this file io, when given). */
  blockLog?: true | BlockLogIo;
}

export interface ChainEnv {
  genesis: Genesis;
  dir: string;
  store: ChainStore;
  chain: ChainService;
  mempool: Mempool;
  machine: StateMachine;
  admission: TxAdmission;
  /** The node's wire-tx decoder (shape, size, hash). */
  decode: TxDecoder;
  admin: KeyPair;
  /** Sorted by account: the engine's proposer order. */
  authorities: KeyPair[];
  blockLog: BlockLog | null;
  close(): Promise<void>;
}

export const ADMIN = fixedKey('admin');

export function makeGenesis(opts: ChainOptions = {}): { genesis: Genesis; authorities: KeyPair[] } {
  const n = opts.authorities ?? 1;
  const authorities = Array.from({ length: n }, (_, i) => fixedKey(`authority-${i}`)).sort((a, b) => (a.account < b.account ? -1 : 1));
  const genesis = validateGenesis({
    chainId: CHAIN_ID,
    time: GENESIS_TIME,
    orgs: [{ org: 'north', name: 'North Hospital', admins: [ADMIN.account] }],
    authorities: authorities.map((a, i) => ({ account: a.account, org: 'north', nodeId: peerId(i) })),
    params: { ...DEFAULT_PARAMS, ...opts.params },
  });
  return { genesis, authorities };
}

/** A fresh chain at height 0 on its own temp LevelDB. */
export async function openChain(opts: ChainOptions = {}): Promise<ChainEnv> {
  const { genesis, authorities } = makeGenesis(opts);
  const dir = tempDir('ml-chain-');
  const store = await ChainStore.open(join(dir, 'data'));
  const g = genesisBlock(genesis);
  await store.initGenesis(g.header, g.hash, genesisState(genesis));
  const handlers = [...chainHandlers, ...recordHandlers];
  const machine = new StateMachine(handlers);
  const decode = createTxDecoder(handlers, { maxTxBytes: genesis.params.maxTxBytes });
  const mempool = new Mempool({ ...DEFAULT_MEMPOOL_OPTIONS, ...opts.mempool });
  const blockLog = opts.blockLog ? await BlockLog.open(join(dir, 'block-log'), opts.blockLog === true ? undefined : opts.blockLog) : null;
  const chain = await ChainService.open({ genesis, store, machine, decode, mempool, logger: silentLogger(), blockLog });
  const admission = new TxAdmission(chain, mempool, machine, decode);
  let closed = false;
  return {
    genesis, dir, store, chain, mempool, machine, admission, decode, admin: ADMIN, authorities, blockLog,
    close: async () => {
      if (closed) return;
      closed = true;
      await chain.flush(); // a block still being written lands before the store closes
      await blockLog?.close();
      await store.close();
    },
  };
}

/**
 * Holds the store's block batches (of the blocks at `heights`; every block when omitted)
 * until `open()`: a write under way, for tests of what happens meanwhile.
 */
export function gateBlockWrites(store: ChainStore, heights?: readonly number[]): { open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  const commitBlock = store.commitBlock.bind(store);
  vi.spyOn(store, 'commitBlock').mockImplementation(async (c) => {
    if (heights === undefined || heights.includes(c.block.header.height)) await gate;
    return commitBlock(c);
  });
  return { open };
}

/** A commit certificate for (height, hash) signed by `signers` (default: every authority). */
export function certify(env: Pick<ChainEnv, 'genesis' | 'authorities'>, height: number, hash: string, signers: KeyPair[] = env.authorities, round = 0): Commit {
  return {
    height, round, blockHash: hash,
    signatures: signers.map((k) => ({ validator: k.account, sig: sign(k.secretKey, precommitSignBytes(env.genesis.chainId, height, round, hash)) })),
  };
}

/** Builds the next block from the mempool (proposer: the first authority) and commits it with a full certificate. */
export async function commitNext(env: ChainEnv, time = Date.now()): Promise<Executed> {
  const e = env.chain.buildBlock(env.authorities[0]!.account, time);
  await env.chain.commit(e, certify(env, e.block.header.height, e.hash));
  return e;
}

// ------------------------------------------------------------------ txs

export function tx(from: KeyPair, type: TxBody['type'], nonce: number, payload: Record<string, unknown>, chainId = CHAIN_ID): Tx {
  return signTx({ chainId, type, from: from.account, nonce, payload }, from.secretKey);
}

let patients = 0;
/** admin registers a fresh patient (or `account`). */
export function registerPatient(nonce: number, account = fixedKey(`patient-${patients++}`).account, from: KeyPair = ADMIN): Tx {
  return tx(from, 'member.register', nonce, { account, role: 'patient' });
}

/** The same body with another, well-formed but wrong, signature. */
export function forge(t: Tx): Tx {
  const bad = t.sig[0] === 'a' ? 'b' : 'a';
  return { ...t, sig: bad + t.sig.slice(1) };
}

// ------------------------------------------------------------------ fake network

export interface Published {
  topic: Topic;
  data: Uint8Array;
}

/**
 * The p2p Network interface in memory: records what the node publishes and penalises,
 * lets the test deliver gossip and answer requests. `respond` answers outgoing
 * requests (default: no peer reachable).
 */
export class FakeNetwork implements Network {
  readonly peerId: string;
  readonly published: Published[] = [];
  readonly penalties: Array<{ peer: string; reason: string }> = [];
  readonly requests: Array<{ peer: string; protocol: ReqProtocol; req: unknown }> = [];
  readonly gossipHandlers = new Map<Topic, GossipHandler[]>();
  readonly requestHandlers = new Map<ReqProtocol, RequestHandler>();
  readonly peerHandlers: PeerChangeHandler[] = [];
  peers: string[] = [];
  allowed: string[] = [];
  respond: (peer: string, protocol: ReqProtocol, req: Uint8Array) => Promise<Uint8Array> = async (peer) => {
    throw new Error(`peer ${peer} unreachable`);
  };

  constructor(peerId = '12D3KooWFakeSelf') {
    this.peerId = peerId;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  listenAddrs(): string[] {
    return [];
  }

  publish(topic: Topic, data: Uint8Array): void {
    this.published.push({ topic, data });
  }

  /** Parsed JSON of everything published on `topic`. */
  messages(topic: Topic): any[] {
    return this.published.filter((p) => p.topic === topic).map((p) => dec(p.data));
  }

  onGossip(topic: Topic, handler: GossipHandler): void {
    const list = this.gossipHandlers.get(topic) ?? [];
    list.push(handler);
    this.gossipHandlers.set(topic, list);
  }

  /** Delivers gossip as libp2p would: any 'reject' wins, then any 'ignore'; a throwing handler counts as 'ignore'. */
  async deliver(topic: Topic, data: Uint8Array, from = 'peer-1'): Promise<GossipVerdict> {
    const verdicts: GossipVerdict[] = [];
    for (const h of this.gossipHandlers.get(topic) ?? []) {
      try {
        verdicts.push(await h(data, from));
      } catch {
        verdicts.push('ignore');
      }
    }
    if (verdicts.includes('reject')) return 'reject';
    return verdicts.length === 0 || verdicts.includes('ignore') ? 'ignore' : 'accept';
  }

  async request(peerId: string, protocol: ReqProtocol, req: Uint8Array): Promise<Uint8Array> {
    this.requests.push({ peer: peerId, protocol, req: dec(req) });
    return this.respond(peerId, protocol, req);
  }

  handle(protocol: ReqProtocol, handler: RequestHandler): void {
    this.requestHandlers.set(protocol, handler);
  }

  /** Calls this node's own request handler, as a peer would. */
  serve(protocol: ReqProtocol, req: unknown, from = 'peer-1'): Promise<Uint8Array> {
    const h = this.requestHandlers.get(protocol);
    if (!h) throw new Error(`no handler for ${protocol}`);
    return h(enc(req), from);
  }

  connectedPeers(): string[] {
    return [...this.peers];
  }

  /** Counts what the test published (out); nothing arrives from real peers (in). */
  gossipCounters(): GossipCounters {
    const c = emptyGossipCounters();
    for (const p of this.published) {
      c[p.topic].out++;
      c[p.topic].outBytes += p.data.length;
    }
    return c;
  }

  setAllowedPeers(peerIds: Iterable<string>): void {
    this.allowed = [...peerIds];
  }

  penalize(peerId: string, reason: string): void {
    this.penalties.push({ peer: peerId, reason });
  }

  onPeerChange(handler: PeerChangeHandler): void {
    this.peerHandlers.push(handler);
  }

  connect(peer: string): void {
    this.peers.push(peer);
    for (const h of this.peerHandlers) h(peer, true);
  }
}
