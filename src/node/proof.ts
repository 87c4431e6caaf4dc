import { auditPath, leafHash } from '../chain/merkle.js';
import { canonicalBytes } from '../chain/jcs.js';
import type { AuthorityChange, TxProof } from '../chain/proof.js';
import { hexBytes, params, type RpcMethod } from '../rpc/index.js';
import type { ChainStore } from '../storage/store.js';
import { AppError } from '../util/errors.js';

/** What the proof builder reads: a tx's location, blocks, commits and the authority-change index. */
export type ProofStore = Pick<ChainStore, 'getTxLocation' | 'getBlock' | 'getCommit' | 'validatorChanges'>;

function missing(what: string): never {
  throw new Error(`store inconsistent: ${what} is missing`);
}

/**
 * chain_getTxProof (SPEC §5) for a tx in a final block. Reads the tx's block (its leaves
 * give the audit path), its commit, and only the blocks that changed the authority set
 * below it (the `vc/` index): the cost depends on the block size and the number of set
 * changes, never on the chain's length. Throws AppError('not_found') for a tx that is
 * unknown or still pending.
 */
export async function buildTxProof(store: ProofStore, hash: string): Promise<TxProof> {
  const loc = await store.getTxLocation(hash);
  if (loc === undefined) throw new AppError('not_found', `no tx ${hash} in a final block (a pending tx has no proof yet)`);
  const [block, commit] = await Promise.all([store.getBlock(loc.height), store.getCommit(loc.height)]);
  if (block === undefined) missing(`block ${loc.height}`);
  if (commit === undefined) missing(`commit ${loc.height}`);
  const tx = block.txs[loc.index] ?? missing(`tx ${loc.index} of block ${loc.height}`);
  const leaves = block.txs.map((t) => leafHash(canonicalBytes(t)));
  const authorityChanges: AuthorityChange[] = [];
  for (const change of loc.height > 0 ? await store.validatorChanges(loc.height - 1) : []) {
    if (change.height >= loc.height) continue;
    const [b, c] = await Promise.all([store.getBlock(change.height), store.getCommit(change.height)]);
    if (b === undefined) missing(`block ${change.height}`);
    if (c === undefined) missing(`commit ${change.height}`);
    // A block that changed the set and changed it back within itself is no change.
    if (b.header.nextValidatorsHash === b.header.validatorsHash) continue;
    authorityChanges.push({ header: b.header, commit: c, authorities: change.authorities });
  }
  return {
    tx,
    height: loc.height,
    index: loc.index,
    treeSize: block.txs.length,
    path: auditPath(leaves, loc.index).map((h) => h.toString('hex')),
    header: block.header,
    commit,
    authorityChanges,
  };
}

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const nat = { type: 'integer', minimum: 0 };

/** The chain_getTxProof method. */
export function proofMethod(store: ProofStore): RpcMethod<{ hash: string }, TxProof> {
  return {
    name: 'chain_getTxProof',
    summary: 'Inclusion proof of a final tx, verifiable offline against genesis (docs/proofs.md; `medledger verify`)',
    params: params({ hash: hexBytes(32, 'tx hash') }, ['hash']),
    result: {
      type: 'object',
      required: ['tx', 'height', 'index', 'treeSize', 'path', 'header', 'commit', 'authorityChanges'],
      properties: {
        tx: { type: 'object', description: 'wire-form tx' }, height: nat, index: nat, treeSize: { type: 'integer', minimum: 1 },
        path: { type: 'array', items: hex64, description: 'RFC 9162 audit path, leaf side first' },
        header: { type: 'object' }, commit: { type: 'object' },
        authorityChanges: {
          type: 'array',
          description: 'every block below `height` whose nextValidatorsHash differs from its validatorsHash, oldest first',
          items: { type: 'object', properties: { header: { type: 'object' }, commit: { type: 'object' }, authorities: { type: 'array' } } },
        },
      },
    },
    handler: (p) => buildTxProof(store, p.hash),
  };
}
