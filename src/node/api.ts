import { txHash } from '../chain/tx.js';
import { quorum } from '../chain/commit.js';
import type { Authority, Receipt, Tx } from '../chain/types.js';
import type { Mempool } from '../chain/mempool.js';
import { getAccount } from '../chain/state/keys.js';
import type { AccountView, BlockTxsMode, BlockView, HealthBody, NodeApi, NodeInfo, SendTxResult, TxView, ValidatorsView } from '../rpc/interface.js';
import type { ChainStore } from '../storage/store.js';
import { AppError } from '../util/errors.js';
import { VERSION } from '../version.js';
import type { ChainService } from './chain-service.js';
import type { TxAdmission } from './admission.js';
import { TOPICS, type Network } from '../p2p/interface.js';
import { HEIGHT_PHASES, type HeightTiming } from './height-timing.js';

export interface NodeApiDeps {
  chain: ChainService;
  store: ChainStore;
  mempool: Mempool;
  admission: TxAdmission;
  network: Network | null;
  authority: string | null;
  org: string;
  /** Publishes an admitted tx to peers. */
  gossipTx: (tx: Tx, wire: Buffer) => void;
  syncing: () => boolean;
  consensusRound: () => number;
  /** Where heights' wall time went (consensus-host); absent: no such metrics. */
  heightTiming?: Pick<HeightTiming, 'heights' | 'secondsByPhase'>;
  waitTimeoutMs?: number;
}

const WAIT_TIMEOUT_MS = 30_000;

type Waiter = { resolve: (r: { height: number; receipt: Receipt }) => void };

/** The NodeApi the RPC chain methods call (SPEC §5 result shapes). */
export class NodeApiImpl implements NodeApi {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private blocksCommitted = 0;
  /** chain_head calls waiting for the head to move (each checks its own `after`). */
  private readonly headWaiters = new Set<() => void>();

  constructor(private readonly d: NodeApiDeps) {
    d.chain.onCommit((e) => {
      this.blocksCommitted++;
      for (const w of this.headWaiters) w();
      e.decoded.forEach((tx, i) => {
        const ws = this.waiters.get(tx.hash);
        if (!ws) return;
        this.waiters.delete(tx.hash);
        for (const w of ws) w.resolve({ height: e.block.header.height, receipt: e.result.results[i]!.receipt });
      });
    });
  }

  async nodeInfo(): Promise<NodeInfo> {
    return {
      chainId: this.d.chain.genesis.chainId, nodeId: this.d.network?.peerId ?? '', org: this.d.org, version: VERSION,
      height: this.d.chain.durableHead.height, peers: this.d.network?.connectedPeers() ?? [], authority: this.d.authority,
    };
  }

  /**
   * The latest block readable here (written); consensus may be a block ahead while it is
   * written. With `wait`, answers once that block is above `wait.after` (a follower's long
   * poll: one request per block instead of one every few ms), or when the wait ends.
   */
  async chainHead(wait?: { after: number; waitMs: number; signal: AbortSignal }) {
    if (wait && this.d.chain.durableHead.height <= wait.after && wait.waitMs > 0 && !wait.signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          wait.signal.removeEventListener('abort', done);
          this.headWaiters.delete(check);
          resolve();
        };
        const check = (): void => {
          if (this.d.chain.durableHead.height > wait.after) done();
        };
        const timer = setTimeout(done, wait.waitMs);
        wait.signal.addEventListener('abort', done, { once: true });
        this.headWaiters.add(check);
      });
    }
    const h = this.d.chain.durableHead;
    return { hash: h.hash, header: h.header };
  }

  async getBlock(q: { height: number } | { hash: string }, txs: BlockTxsMode = 'full'): Promise<BlockView> {
    const height = 'height' in q ? q.height : await this.d.store.getBlockHeight(q.hash);
    const notFound = (): AppError => new AppError('not_found', 'height' in q ? `no block at height ${q.height}` : `no block with hash ${q.hash}`);
    if (height === undefined) throw notFound();
    if (txs === 'hashes') {
      // A follower's read: header and tx hashes, without parsing the block's txs.
      const s = await this.d.store.getBlockSummary(height);
      if (!s) throw notFound();
      return { hash: s.hash, header: s.header, txs: s.txHashes.map((hash) => ({ hash })), commit: (await this.d.store.getCommit(height))! };
    }
    const b = await this.d.store.getBlock(height);
    if (!b) throw notFound();
    return { hash: b.hash, header: b.header, txs: b.txs.map((tx, i) => ({ hash: b.txHashes?.[i] ?? txHash(tx), tx })), commit: (await this.d.store.getCommit(height))! };
  }

  async getTx(hash: string): Promise<TxView> {
    const pending = this.d.mempool.get(hash);
    if (pending) return { hash, tx: pending.tx, pending: true, height: null, receipt: null };
    const loc = await this.d.store.getTxLocation(hash);
    if (!loc) {
      // In a final block whose batch is being written: pending here for a few ms more.
      const unwritten = this.d.chain.unwrittenTx(hash);
      if (unwritten) return { hash, tx: unwritten, pending: true, height: null, receipt: null };
      throw new AppError('not_found', `no tx with hash ${hash}`);
    }
    // With the tx's byte range (locations written since it was recorded) only the tx is parsed, not its block.
    const [tx, receipts] = await Promise.all([
      loc.at ? this.d.store.getTxAt(loc.height, loc.at) : this.d.store.getBlock(loc.height).then((b) => b?.txs[loc.index]),
      this.d.store.getReceipts(loc.height),
    ]);
    if (!tx || !receipts) throw new Error(`store inconsistent: tx ${hash} points at missing block ${loc.height}`);
    return { hash, tx, height: loc.height, index: loc.index, receipt: receipts[loc.index]! };
  }

  async validators(height?: number): Promise<ValidatorsView> {
    const head = this.d.chain.head.height;
    // Without a height: the current set, i.e. the one that signs the next block.
    const h = height ?? head + 1;
    if (h > head + 1) throw new AppError('not_found', `height ${h} is beyond the next block (${head + 1})`);
    return { height: h, authorities: await this.authoritiesAt(h) };
  }

  /** The set that signs block `h`: the last change recorded below h, else genesis. */
  async authoritiesAt(h: number): Promise<Authority[]> {
    if (h > this.d.chain.head.height) return [...this.d.chain.currentAuthorities];
    const changes = await this.d.store.validatorChanges(Math.max(0, h - 1));
    const last = changes.filter((c) => c.height < h).pop();
    return last ? last.authorities : [...this.d.chain.genesis.authorities].sort((a, b) => (a.account < b.account ? -1 : 1));
  }

  async sendTx(raw: unknown, opts: { wait: boolean; signal: AbortSignal }): Promise<SendTxResult> {
    const d = await this.d.admission.admitAny(raw);
    this.d.gossipTx(d.tx, d.wire);
    if (!opts.wait) return { hash: d.hash };
    return new Promise<SendTxResult>((resolve, reject) => {
      const set = this.waiters.get(d.hash) ?? new Set<Waiter>();
      this.waiters.set(d.hash, set);
      const onAbort = (): void => {
        done();
        reject(new AppError('timeout', 'request aborted', { hash: d.hash }));
      };
      const done = (): void => {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        set.delete(w);
        if (set.size === 0) this.waiters.delete(d.hash);
      };
      const w: Waiter = { resolve: (r) => { done(); resolve({ hash: d.hash, ...r }); } };
      const timer = setTimeout(() => {
        done();
        reject(new AppError('timeout', `tx not committed within ${(this.d.waitTimeoutMs ?? WAIT_TIMEOUT_MS) / 1000} s; it stays in the mempool`, { hash: d.hash }));
      }, this.d.waitTimeoutMs ?? WAIT_TIMEOUT_MS);
      opts.signal.addEventListener('abort', onAbort, { once: true });
      set.add(w);
    });
  }

  async getAccount(account: string): Promise<AccountView> {
    const a = getAccount(this.d.chain.stateReader, account);
    if (!a) throw new AppError('not_found', `no account ${account}`);
    return { account, role: a.role, org: a.org, nonce: a.nonce, pendingNonce: this.d.mempool.pendingNonce(account, a.nonce), revoked: a.revoked };
  }

  /** Authority nodes this node can reach (itself included when it is one). */
  quorumView(): { seen: number; need: number } {
    const auth = this.d.chain.currentAuthorities;
    const peers = new Set(this.d.network?.connectedPeers() ?? []);
    const self = this.d.network?.peerId;
    const seen = auth.filter((a) => peers.has(a.nodeId) || a.nodeId === self).length;
    return { seen, need: quorum(auth.length) };
  }

  /** Age of the latest final block, by its header time. */
  lastBlockAgeMs(): number {
    return Math.max(0, Date.now() - this.d.chain.durableHead.header.time);
  }

  async health(): Promise<{ healthy: boolean; body: HealthBody }> {
    const syncing = this.d.syncing();
    const q = this.quorumView();
    const healthy = !syncing && q.seen >= q.need;
    return {
      healthy,
      body: {
        status: healthy ? 'ok' : syncing ? 'syncing' : 'no_quorum', height: this.d.chain.durableHead.height,
        peers: this.d.network?.connectedPeers().length ?? 0, lastBlockAgeMs: this.lastBlockAgeMs(), syncing,
      },
    };
  }

  metrics(): string {
    const q = this.quorumView();
    const lines = [
      ['medledger_chain_height', 'gauge', 'Height of the latest final block written here', this.d.chain.durableHead.height],
      ['medledger_blocks_committed_total', 'counter', 'Blocks committed since start', this.blocksCommitted],
      ['medledger_txs_committed_total', 'counter', 'Transactions committed since start', this.d.chain.committedTxs],
      ['medledger_txs_committed_unverified_total', 'counter', 'Committed transactions whose signature this node did not verify itself (must be 0)', this.d.chain.committedUnverified],
      ['medledger_mempool_txs', 'gauge', 'Transactions in the mempool', this.d.mempool.size],
      ['medledger_mempool_ready_txs', 'gauge', 'Mempool transactions ready for a block', this.d.mempool.readyCount],
      ['medledger_peers', 'gauge', 'Connected peers', this.d.network?.connectedPeers().length ?? 0],
      ['medledger_authorities', 'gauge', 'Authorities in the current set', this.d.chain.currentAuthorities.length],
      ['medledger_authorities_reachable', 'gauge', 'Authorities reachable (self included)', q.seen],
      ['medledger_consensus_round', 'gauge', 'Consensus round at the current height', this.d.consensusRound()],
      ['medledger_last_block_age_seconds', 'gauge', 'Seconds since the time of the latest final block', this.lastBlockAgeMs() / 1000],
    ] as const;
    const metric = ([name, type, help, v]: readonly [string, string, string, number]): string => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${v}`;
    const out = lines.map(metric);
    const g = this.d.network?.gossipCounters();
    if (g) {
      out.push('# HELP medledger_gossip_messages_total Gossip messages by topic: published by this node (out), received from peers before validation (in)');
      out.push('# TYPE medledger_gossip_messages_total counter');
      for (const t of TOPICS) out.push(`medledger_gossip_messages_total{topic="${t}",direction="in"} ${g[t].in}`, `medledger_gossip_messages_total{topic="${t}",direction="out"} ${g[t].out}`);
      out.push('# HELP medledger_gossip_bytes_total Payload bytes of those messages');
      out.push('# TYPE medledger_gossip_bytes_total counter');
      for (const t of TOPICS) out.push(`medledger_gossip_bytes_total{topic="${t}",direction="in"} ${g[t].inBytes}`, `medledger_gossip_bytes_total{topic="${t}",direction="out"} ${g[t].outBytes}`);
    }
    const st = this.d.store.stats();
    if (st) {
      const store = [
        ['medledger_store_table_files', 'gauge', 'LevelDB table files, all levels', st.files],
        ['medledger_store_table_bytes', 'gauge', 'Bytes in LevelDB table files, all levels (whole MB per level, as LevelDB counts)', st.tableBytes],
        ['medledger_store_compaction_seconds_total', 'counter', 'Seconds LevelDB spent writing tables since the node started: memtable flushes and compactions (whole seconds per level)', st.compactionSeconds],
        ['medledger_store_compaction_read_bytes_total', 'counter', 'Bytes those flushes and compactions read (whole MB per level)', st.compactionReadBytes],
        ['medledger_store_compaction_written_bytes_total', 'counter', 'Bytes those flushes and compactions wrote (whole MB per level)', st.compactionWrittenBytes],
      ] as const;
      out.push(...store.map(metric));
    }
    const t = this.d.heightTiming;
    if (t) {
      const secs = t.secondsByPhase();
      out.push('# HELP medledger_heights_timed_total Heights this node followed from their start to their commit (the phases below)');
      out.push(`# TYPE medledger_heights_timed_total counter\nmedledger_heights_timed_total ${t.heights}`);
      out.push('# HELP medledger_height_phase_seconds_total Wall time of those heights by phase: wait (for txs), propose (to own prevote), prevote (to own precommit), precommit (to commit start), commit (block applied; its batch is written behind the next height)');
      out.push('# TYPE medledger_height_phase_seconds_total counter');
      for (const p of HEIGHT_PHASES) out.push(`medledger_height_phase_seconds_total{phase="${p}"} ${secs[p]}`);
    }
    return out.join('\n') + '\n';
  }
}
