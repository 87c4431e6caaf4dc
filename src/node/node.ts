import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { genesisBlock, genesisState } from '../chain/genesis.js';
import { Mempool } from '../chain/mempool.js';
import { StateMachine, chainHandlers } from '../chain/state/index.js';
import { getAuthorities, getNodes, NODES_KEY } from '../chain/state/keys.js';
import { createTxDecoder } from '../chain/validate-tx.js';
import { recordHandlers } from '../records/index.js';
import { createNetwork, loadOrCreateNodeKey, type Network } from '../p2p/index.js';
import { chainMethods, createRpcServer, type RpcMethod } from '../rpc/index.js';
import { ChainStore } from '../storage/store.js';
import { VERSION } from '../version.js';
import { TxAdmission } from './admission.js';
import { VerifyPool } from './verify-pool.js';
import { NodeApiImpl } from './api.js';
import { ChainService } from './chain-service.js';
import { failPointFromEnv } from '../util/fail-point.js';
import { BlockLog } from '../storage/block-log.js';
import { loadConfigFile } from './config.js';
import { ConsensusHost } from './consensus-host.js';
import { homePaths, readGenesis } from './home.js';
import { readKeyFile } from './keyfile.js';
import { Signer } from './signer.js';
import { BlockSync, DEFAULT_SYNC_OPTIONS } from './sync.js';
import { HealthWatch } from './health-watch.js';
import { DEFAULT_TX_GOSSIP_OPTIONS, TxGossip } from './tx-gossip.js';
import { extraMethods } from './methods.js';

/** A tx waiting behind a nonce gap for longer than this is dropped. */
const MEMPOOL_GAP_EXPIRY_MS = 10 * 60_000;
/**
 * How long a quorum's precommits for a block whose proposal has not arrived wait for it
 * before a sync: under load the small votes can overtake the proposal (~100 KB) on the
 * wire. A node that really missed it hears the next height's votes and syncs from those.
 */
const MISSING_BLOCK_GRACE_MS = 500;

export interface StartOptions {
  home: string;
  overrides?: { rpc?: { host: string; port: number }; p2p?: { host: string; port: number }; peers?: string[] };
  logger: Logger;
}

export interface RunningNode {
  chainId: string;
  rpcAddress: { host: string; port: number };
  p2pAddrs: string[];
  height(): number;
  /** Resolves (it never rejects) if the node can no longer work, e.g. a block's write failed: stop it. */
  failed: Promise<Error>;
  stop(): Promise<void>;
}

/**
 * The composition root: reads the home, opens storage, wires chain, consensus, p2p and
 * RPC, and closes them in reverse order. Nothing else constructs services.
 */
export async function startNode(opts: StartOptions): Promise<RunningNode> {
  const paths = homePaths(opts.home);
  const genesis = readGenesis(paths.genesis);
  const config = loadConfigFile(paths.config);
  const o = opts.overrides ?? {};
  if (o.rpc) Object.assign(config.rpc, o.rpc);
  if (o.p2p) Object.assign(config.p2p, o.p2p);
  if (o.peers) config.p2p.peers = o.peers;
  const log = opts.logger;
  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (err) {
        log.warn({ err }, 'error while closing');
      }
    }
    closers.length = 0;
  };

  try {
    const store = await ChainStore.open(paths.data);
    closers.push(() => store.close());
    const g = genesisBlock(genesis);
    const stored0 = await store.getBlock(0);
    if (!stored0) await store.initGenesis(g.header, g.hash, genesisState(genesis));
    else if (stored0.hash !== g.hash) throw new Error(`${paths.data} holds a different chain (genesis ${stored0.hash.slice(0, 12)}) than ${paths.genesis} (${g.hash.slice(0, 12)})`);

    const handlers = [...chainHandlers, ...recordHandlers];
    const machine = new StateMachine(handlers, { onInternalError: (err, d) => log.error({ err, tx: d.hash }, 'tx handler failed unexpectedly') });
    const decode = createTxDecoder(handlers, { maxTxBytes: genesis.params.maxTxBytes });
    const mempool = new Mempool(config.mempool);
    const inHome = (f: string): string => (isAbsolute(f) ? f : join(paths.home, f));
    const authorityKeyPath = config.authorityKey === null ? null : inHome(config.authorityKey);
    const authorityKey = authorityKeyPath && existsSync(authorityKeyPath) ? readKeyFile(authorityKeyPath) : null;
    const blockLog = await BlockLog.open(paths.blockLog);
    closers.push(() => blockLog.close());
    const failPoint = failPointFromEnv(process.env.MEDLEDGER_FAIL_POINT);
    if (failPoint) log.warn({ failPoint: process.env.MEDLEDGER_FAIL_POINT }, 'MEDLEDGER_FAIL_POINT is set: this node will fail or hang a block write on purpose (tests only)');
    // Only a signing node needs its final blocks in the log before its next signature.
    const chain = await ChainService.open({ genesis, store, machine, decode, mempool, logger: log, blockLog, logBlocks: authorityKey !== null, failPoint });
    closers.push(() => chain.flush()); // closers run in reverse: after consensus stops, before the store closes
    const failed = new Promise<Error>((resolve) => chain.onFatal(resolve));

    const signer = authorityKey ? new Signer(paths.signerState, authorityKey.secretKey, authorityKey.account) : null;
    if (signer) closers.push(() => signer.close());

    const nodeKey = await loadOrCreateNodeKey(paths.nodeKey);
    const allowedPeers = (): string[] => getNodes(chain.stateReader).map((n) => n.nodeId);
    const network: Network = await createNetwork(
      { chainId: genesis.chainId, listen: `${config.p2p.host}:${config.p2p.port}`, peers: config.p2p.peers, privateKey: nodeKey.privateKey, allowedPeers: allowedPeers(), meshDegree: config.p2p.meshDegree },
      log,
    );
    // No worker threads configured: admission verifies inline, without a promise per tx.
    const pool = config.verifyWorkers > 0 ? new VerifyPool(config.verifyWorkers) : null;
    if (pool) closers.push(() => pool.close());
    const admission = new TxAdmission(chain, mempool, machine, decode, pool);
    const txGossip = new TxGossip(DEFAULT_TX_GOSSIP_OPTIONS, { network, admit: (raw) => admission.admitAny(raw), logger: log });
    const host = new ConsensusHost(
      {
        timeouts: { proposeMs: genesis.params.timeoutProposeMs, prevoteMs: 1000, precommitMs: 1000, deltaMs: genesis.params.timeoutDeltaMs },
        blockWindowMs: config.blockWindowMs, minBlockIntervalMs: config.minBlockIntervalMs, emptyBlockIntervalMs: genesis.params.emptyBlockIntervalMs, maxClockDriftMs: 2000, rebroadcastMs: 1000,
        missingBlockGraceMs: MISSING_BLOCK_GRACE_MS,
      },
      {
        chain, mempool, signer, network, logger: log, onBehind: () => sync.poke(),
        pendingTx: (hash) => admission.pending(hash), beforePropose: () => txGossip.flush(),
      },
    );
    const sync = new BlockSync(DEFAULT_SYNC_OPTIONS, { chain, store, network, apply: (blocks) => host.applySynced(blocks), logger: log });
    network.onGossip('consensus', (data, from) => host.handleGossip(data, from));
    chain.onCommit((e) => {
      const expired = mempool.expireWaiting(Date.now(), MEMPOOL_GAP_EXPIRY_MS);
      if (expired > 0) log.info({ expired }, 'dropped txs that waited too long for a nonce gap');
      if (e.result.writes.has(NODES_KEY)) network.setAllowedPeers(allowedPeers());
    });
    await network.start();
    closers.push(() => network.stop());
    closers.push(() => txGossip.stop()); // closers run in reverse: the last batch leaves before the network stops

    const org = getNodes(chain.stateReader).find((n) => n.nodeId === nodeKey.peerId)?.org
      ?? getAuthorities(chain.stateReader).find((a) => a.account === authorityKey?.account)?.org ?? '';
    const api = new NodeApiImpl({
      chain, store, mempool, admission, network, authority: signer?.account ?? null, org, gossipTx: (tx, wire) => txGossip.publish(tx, wire),
      syncing: () => sync.syncing, consensusRound: () => host.status.round, heightTiming: host.timing,
    });
    const watch = new HealthWatch({ intervalMs: 5_000, stallMs: 15_000, repeatMs: 60_000 }, () => {
      const q = api.quorumView();
      const st = host.status;
      return {
        height: chain.head.height, round: st.round, step: st.step, reachable: q.seen, quorum: q.need,
        authorities: chain.currentAuthorities.length, pendingTxs: mempool.size, syncing: sync.syncing,
      };
    }, log);
    const methods: RpcMethod[] = [...chainMethods(api), ...extraMethods({ chain, store, network, org })];
    const rpc = createRpcServer(
      { host: config.rpc.host, port: config.rpc.port, tokens: config.rpc.tokens, tls: config.rpc.tls && { certFile: inHome(config.rpc.tls.certFile), keyFile: inHome(config.rpc.tls.keyFile) }, bodyLimitBytes: config.rpc.bodyLimitBytes, maxBatch: config.rpc.maxBatch },
      { methods, api, logger: log, version: VERSION },
    );
    const rpcAddress = await rpc.listen();
    closers.push(() => rpc.close());
    host.start();
    closers.push(() => host.stop());
    sync.start();
    closers.push(() => sync.stop());
    watch.start();
    closers.push(() => watch.stop());
    log.info({ chainId: genesis.chainId, height: chain.head.height, rpc: rpcAddress, peerId: nodeKey.peerId, authority: signer?.account ?? null }, 'node started');

    return {
      chainId: genesis.chainId,
      rpcAddress,
      p2pAddrs: network.listenAddrs(),
      height: () => chain.head.height,
      failed,
      stop: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
