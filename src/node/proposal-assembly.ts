import type { Logger } from '../util/logger.js';
import type { Block, DecodedTx } from '../chain/types.js';
import type { Mempool } from '../chain/mempool.js';
import { txHash } from '../chain/tx.js';
import { blockHash, txRootOf } from '../chain/block.js';
import { canonicalBytes } from '../chain/jcs.js';
import { parseHeader } from './commit-verify.js';
import type { Proposal, WireProposal } from '../consensus/index.js';
import { proposalJson } from '../consensus/messages.js';
import type { Network } from '../p2p/interface.js';
import { errMessage } from '../p2p/errors.js';
import { isHex } from '../util/hex.js';
import { isObject, jsonAround } from '../util/json.js';
import type { ChainService } from './chain-service.js';

/**
 * Where a proposal's block came from: rebuilt from txs this node holds (decoded and
 * verified already), or fetched whole from a peer (to be decoded and verified).
 */
export type AssembledBlock =
  | { kind: 'assembled'; header: unknown; decoded: DecodedTx[] }
  | { kind: 'fetched'; block: Block }
  /** The proposal's own header is malformed or does not hash to its blockHash: an invalid proposal. */
  | { kind: 'invalid'; why: string };

export interface ProposalAssemblyDeps {
  chain: ChainService;
  mempool: Mempool;
  /** An admission under way for this tx hash (signature on a worker thread), if any. */
  pending: (hash: string) => Promise<DecodedTx | undefined> | undefined;
  network: Network | null;
  logger: Logger;
  /** Per-peer timeout of a block fetch. */
  fetchTimeoutMs?: number;
}

const DEFAULT_FETCH_TIMEOUT_MS = 2_000;

/**
 * Compact proposals (as in CometBFT's "compact blocks" proposals, Bitcoin BIP 152): a
 * proposal travels with its block's header and tx hashes, and each validator rebuilds the
 * block from its own mempool, where tx gossip put the txs already verified. This halves
 * the bytes every node receives per tx and skips decoding the block's txs again.
 *
 * When a tx is missing (not gossiped yet, refused here, evicted), or when the rebuilt
 * block does not hash to the header's txRoot (a tx with the same body hash but another
 * signature), the whole block is fetched by hash over request/response (`proposal`
 * protocol) from the proposal's author, then from other peers, and validated like any
 * block from a peer. Every node serves the blocks it built or validated for the next height,
 * and its last few committed ones: the quorum may have committed the block meanwhile, and
 * a node that gets it can still commit it with the precommits it saw, without a sync.
 */
export class ProposalAssembly {
  private readonly log: Logger;
  private readonly fetchTimeoutMs: number;

  constructor(private readonly deps: ProposalAssemblyDeps) {
    this.log = deps.logger.child({ module: 'proposals' });
    this.fetchTimeoutMs = deps.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    deps.network?.handle('proposal', async (req, from) => this.serve(req, from));
  }

  /** The tx hashes of a proposal's block, for its compact form. */
  txHashesOf(p: Proposal): string[] {
    const e = this.deps.chain.executedBlock(p.blockHash);
    if (e) return e.decoded.map((d) => d.hash);
    return p.block.txs.map((tx) => txHash(tx));
  }

  /**
   * A proposal's JSON with its txs from the executed block's wire bytes (the same block:
   * same hash, so same header and txRoot), for the signer's lock; undefined when that
   * block is not at hand (the signer then serialises the proposal itself).
   */
  jsonOf(p: Proposal): Buffer | undefined {
    const e = this.deps.chain.executedBlock(p.blockHash);
    return e !== undefined && e.decoded.length === p.block.txs.length ? proposalJson(p, e.decoded.map((d) => d.wire)) : undefined;
  }

  /**
   * The block of a compact proposal from txs held here (waiting for admissions under way),
   * else fetched whole; null when no peer could provide it (the round's propose timeout
   * then prevotes nil, as for any proposal that never arrives).
   */
  async assemble(p: WireProposal, from: string): Promise<AssembledBlock | null> {
    const known = this.deps.chain.executedBlock(p.blockHash);
    if (known) return { kind: 'assembled', header: known.block.header, decoded: known.decoded };
    try {
      if (blockHash(parseHeader(p.block.header)) !== p.blockHash) return { kind: 'invalid', why: 'blockHash does not match the header' };
    } catch (err) {
      return { kind: 'invalid', why: errMessage(err) };
    }
    const decoded: DecodedTx[] = [];
    let missing = 0;
    for (const hash of p.block.txHashes) {
      let d = this.deps.mempool.get(hash);
      if (d === undefined) {
        const pending = this.deps.pending(hash);
        if (pending) d = await pending;
      }
      if (d === undefined) missing++;
      else decoded.push(d);
    }
    if (missing === 0) return { kind: 'assembled', header: p.block.header, decoded };
    this.log.debug({ height: p.height, round: p.round, missing, txs: p.block.txHashes.length }, 'proposal has txs this node lacks: fetching the block');
    return this.fetch(p, from);
  }

  /** The whole block of a proposal, from its author first, then from every other connected peer. */
  async fetch(p: Pick<Proposal, 'height' | 'round' | 'blockHash' | 'proposer'>, from: string): Promise<AssembledBlock | null> {
    const net = this.deps.network;
    if (!net) return null;
    const proposerNode = this.deps.chain.currentAuthorities.find((a) => a.account === p.proposer)?.nodeId;
    const peers = [...new Set([from, ...(proposerNode ? [proposerNode] : []), ...net.connectedPeers()])].filter((id) => id !== net.peerId);
    const req = Buffer.from(JSON.stringify({ hash: p.blockHash }));
    for (const peer of peers) {
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.from(await net.request(peer, 'proposal', req, this.fetchTimeoutMs)).toString('utf8')) as unknown;
      } catch (err) {
        this.log.debug({ peer, height: p.height, round: p.round, err: errMessage(err) }, 'proposal block fetch failed');
        continue;
      }
      // Only a block that is the proposal's (header hash, and txs under its txRoot) may judge it:
      // a peer serving anything else is at fault, not the proposer.
      const wrong = mismatch(raw, p.blockHash);
      if (wrong === null) return { kind: 'fetched', block: raw as Block };
      this.log.warn({ peer, height: p.height, round: p.round, err: wrong }, 'peer served a block that is not the proposal\'s');
      net.penalize(peer, 'served a block that is not the proposal\'s');
    }
    this.log.warn({ height: p.height, round: p.round, block: p.blockHash, peers: peers.length }, 'no peer could provide the proposed block');
    return null;
  }

  /** `proposal` protocol: {hash} -> the full block (wire txs), if this node built, validated or just committed it. */
  private serve(req: Uint8Array, from: string): Uint8Array {
    let hash: unknown;
    try {
      hash = (JSON.parse(Buffer.from(req).toString('utf8')) as { hash?: unknown }).hash;
    } catch {
      hash = undefined;
    }
    if (!isHex(hash, 32)) {
      this.deps.network?.penalize(from, 'malformed proposal block request');
      throw new Error('request must be {"hash": 64 lowercase hex}');
    }
    const b = this.deps.chain.servableBlock(hash);
    if (!b) throw new Error(`no proposed or recent block ${hash.slice(0, 12)} here`);
    return jsonAround(`{"header":${JSON.stringify(b.header)},"txs":[`, b.wires, ']}');
  }
}

/** Why `raw` is not the block with this hash (header hash, txs under the header's txRoot); null when it is. */
function mismatch(raw: unknown, hash: string): string | null {
  if (!isObject(raw) || !Array.isArray(raw.txs) || Object.keys(raw).length !== 2) return 'response is not {header, txs}';
  try {
    const header = parseHeader(raw.header);
    if (blockHash(header) !== hash) return 'header does not hash to the proposal';
    if (txRootOf(raw.txs.map((tx) => canonicalBytes(tx))) !== header.txRoot) return 'txs do not match the header txRoot';
  } catch (err) {
    return errMessage(err);
  }
  return null;
}

